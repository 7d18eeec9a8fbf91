#include "src/tools/flat_json.h"

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ftcapture {
namespace {

using Json = nlohmann::json;

// Top-level object plus 64 levels of nesting inside a member's value.
constexpr size_t kMaxOpenContainers = 65;

// Writes a decoded string back as a compact JSON string token.
std::string QuotedJson(const std::string& text) {
  return Json(text).dump(-1, ' ', /*ensure_ascii=*/false,
                         Json::error_handler_t::replace);
}

// nlohmann's SAX events for one top-level object, turned into its members.
// The parser validates (strict RFC 8259, UTF-8 checked); this handler only
// collects. Numbers: float events carry the lexeme as written, so "1.50"
// stays "1.50"; integer events carry the value, whose decimal form is the
// lexeme (JSON allows no leading zeros or '+'), except that "-0" reads "0".
// Invariant: containers_.size() is the number of open {/[; members_ gets
// an entry when a top-level member's value is complete.
class MemberCollector {
 public:
  bool null() { return Scalar("null"); }
  bool boolean(bool value) { return Scalar(value ? "true" : "false"); }
  bool number_integer(Json::number_integer_t value) {
    return Scalar(absl::StrCat(value));
  }
  bool number_unsigned(Json::number_unsigned_t value) {
    return Scalar(absl::StrCat(value));
  }
  bool number_float(Json::number_float_t, const std::string& lexeme) {
    return Scalar(lexeme);
  }
  bool string(std::string& value) {
    if (containers_.size() == 1) return Member(std::move(value));
    return Scalar(QuotedJson(value));
  }
  bool binary(Json::binary_t&) { return Reject("binary value"); }
  bool key(std::string& key) {
    if (containers_.size() == 1) {
      key_ = std::move(key);
      return true;
    }
    Separate();
    absl::StrAppend(&value_, QuotedJson(key), ":");
    return true;
  }
  bool start_object(size_t) { return Open('{', true); }
  bool start_array(size_t) { return Open('[', false); }
  bool end_object() { return Close('}'); }
  bool end_array() { return Close(']'); }
  bool parse_error(size_t position, const std::string&,
                   const nlohmann::detail::exception& error) {
    status_ = absl::InvalidArgumentError(
        absl::StrCat("invalid JSON at byte ", position, ": ", error.what()));
    return false;
  }

  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Result(
      bool parsed) {
    if (!status_.ok()) return status_;
    if (!parsed) return absl::InvalidArgumentError("invalid JSON");
    return std::move(members_);
  }

 private:
  struct Container {
    bool object;
    int items;
  };

  bool Reject(absl::string_view what) {
    if (status_.ok()) {
      status_ =
          absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", what));
    }
    return false;
  }
  // A ',' before any but the first item of the open array; in an object,
  // key() wrote it.
  void Separate() {
    Container& open = containers_.back();
    if (open.items++ > 0) value_.push_back(',');
  }
  bool Scalar(const std::string& text) {
    if (containers_.empty()) return Reject("expected a JSON object");
    if (containers_.size() == 1) return Member(text);
    if (!containers_.back().object) Separate();
    value_.append(text);
    return true;
  }
  bool Member(std::string value) {
    members_.emplace_back(std::move(key_), std::move(value));
    key_.clear();
    value_.clear();
    return true;
  }
  bool Open(char bracket, bool object) {
    if (containers_.empty() && !object) {
      return Reject("expected a JSON object");
    }
    if (containers_.size() >= kMaxOpenContainers) {
      return Reject("nested too deeply");
    }
    if (containers_.size() > 1 && !containers_.back().object) Separate();
    if (!containers_.empty()) value_.push_back(bracket);
    containers_.push_back({object, 0});
    return true;
  }
  bool Close(char bracket) {
    containers_.pop_back();
    if (containers_.empty()) return true;
    value_.push_back(bracket);
    if (containers_.size() == 1) return Member(value_);
    return true;
  }

  std::vector<Container> containers_;
  std::string key_;
  std::string value_;  // compact text of the member value being read
  std::vector<std::pair<std::string, std::string>> members_;
  absl::Status status_;
};

}  // namespace

absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
FlattenJsonObject(absl::string_view json) {
  MemberCollector collector;
  const bool parsed =
      Json::sax_parse(json.begin(), json.end(), &collector,
                      nlohmann::detail::input_format_t::json, /*strict=*/true);
  return collector.Result(parsed);
}

}  // namespace ftcapture
