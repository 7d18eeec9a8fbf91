#ifndef FTCAPTURE_CLIENT_ESCAPING_STREAMBUF_H_
#define FTCAPTURE_CLIENT_ESCAPING_STREAMBUF_H_

#include <streambuf>
#include <string>

namespace ftcapture {

// What the CLI prints holds text clients sent (session ids, turns, error
// messages naming them), so an escape sequence in it would reach the
// operator's terminal. This streambuf forwards everything to `target` with
// control characters shown visibly (src/util/visible_text.h: `\u001b`);
// inside a JSON string that spelling means the same character, so JSON
// output stays valid and unchanged in meaning. Unbuffered: each write is
// forwarded at once (an incomplete UTF-8 sequence waits for its next bytes,
// or for sync()).
class ControlEscapingStreambuf : public std::streambuf {
 public:
  explicit ControlEscapingStreambuf(std::streambuf* target) : target_(target) {}
  ~ControlEscapingStreambuf() override;

 protected:
  int_type overflow(int_type c) override;
  std::streamsize xsputn(const char* data, std::streamsize n) override;
  int sync() override;

 private:
  // Forwards the visible form of what `pending_` holds, but for an
  // incomplete sequence at its end unless `final`.
  void Drain(bool final);

  std::streambuf* const target_;
  std::string pending_;  // bytes not yet forwarded
  std::string out_;      // scratch for the visible text
};

}  // namespace ftcapture

#endif  // FTCAPTURE_CLIENT_ESCAPING_STREAMBUF_H_
