#include "client/escaping_streambuf.h"

#include "src/util/visible_text.h"

namespace ftcapture {

ControlEscapingStreambuf::~ControlEscapingStreambuf() { sync(); }

void ControlEscapingStreambuf::Drain(bool final) {
  out_.clear();
  pending_.erase(0, AppendVisibleText(pending_, final, &out_));
  if (!out_.empty()) {
    target_->sputn(out_.data(), static_cast<std::streamsize>(out_.size()));
  }
}

std::streambuf::int_type ControlEscapingStreambuf::overflow(int_type c) {
  if (traits_type::eq_int_type(c, traits_type::eof())) return 0;
  pending_.push_back(traits_type::to_char_type(c));
  Drain(false);
  return c;
}

std::streamsize ControlEscapingStreambuf::xsputn(const char* data,
                                                 std::streamsize n) {
  pending_.append(data, static_cast<size_t>(n));
  Drain(false);
  return n;
}

int ControlEscapingStreambuf::sync() {
  Drain(true);
  return target_->pubsync();
}

}  // namespace ftcapture
