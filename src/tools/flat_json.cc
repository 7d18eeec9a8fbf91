#include "src/tools/flat_json.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ftcapture {
namespace {

constexpr int kMaxDepth = 64;

void AppendUtf8(uint32_t code_point, std::string* out) {
  if (code_point < 0x80) {
    out->push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (code_point >> 6)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
  } else if (code_point < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (code_point >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (code_point >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
  }
}

// A recursive-descent reader over `text_`. Each Read* consumes one token or
// value starting at pos_ (after whitespace) and appends its compact text.
// Invariant: after an error, status_ is not OK and nothing more is read.
class Reader {
 public:
  explicit Reader(absl::string_view text) : text_(text) {}

  absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
  ReadTopObject() {
    std::vector<std::pair<std::string, std::string>> members;
    SkipWhitespace();
    if (!Consume('{')) return Error("expected a JSON object");
    SkipWhitespace();
    if (!Consume('}')) {
      while (true) {
        SkipWhitespace();
        std::string raw_key, key;
        if (!ReadString(&raw_key, &key)) return status_;
        SkipWhitespace();
        if (!Consume(':')) return Error("expected ':'");
        SkipWhitespace();
        std::string value;
        if (Peek() == '"') {
          std::string raw;
          if (!ReadString(&raw, &value)) return status_;
        } else if (!ReadValue(1, &value)) {
          return status_;
        }
        members.emplace_back(std::move(key), std::move(value));
        SkipWhitespace();
        if (Consume(',')) continue;
        if (Consume('}')) break;
        return Error("expected ',' or '}'");
      }
    }
    SkipWhitespace();
    if (pos_ != text_.size()) return Error("unexpected text after the object");
    return members;
  }

 private:
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool AtEnd() const { return pos_ >= text_.size(); }
  bool Consume(char c) {
    if (AtEnd() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  void SkipWhitespace() {
    while (!AtEnd() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                        text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  absl::Status Error(absl::string_view what) {
    status_ = absl::InvalidArgumentError(
        absl::StrCat("invalid JSON at byte ", pos_, ": ", what));
    return status_;
  }
  bool Fail(absl::string_view what) {
    status_ = Error(what);
    return false;
  }

  bool ReadHex4(uint32_t* value) {
    if (pos_ + 4 > text_.size()) return Fail("short \\u escape");
    *value = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      *value <<= 4;
      if (c >= '0' && c <= '9') {
        *value |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        *value |= c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        *value |= c - 'A' + 10;
      } else {
        return Fail("bad hex digit in \\u escape");
      }
    }
    return true;
  }

  // Appends the string token as written to `raw` and its text to `decoded`.
  bool ReadString(std::string* raw, std::string* decoded) {
    size_t start = pos_;
    if (!Consume('"')) return Fail("expected a string");
    while (true) {
      if (AtEnd()) return Fail("unterminated string");
      char c = text_[pos_++];
      if (c == '"') break;
      if (static_cast<unsigned char>(c) < 0x20) {
        return Fail("control character in string");
      }
      if (c != '\\') {
        decoded->push_back(c);
        continue;
      }
      if (AtEnd()) return Fail("unterminated escape");
      char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          decoded->push_back(e);
          break;
        case 'b':
          decoded->push_back('\b');
          break;
        case 'f':
          decoded->push_back('\f');
          break;
        case 'n':
          decoded->push_back('\n');
          break;
        case 'r':
          decoded->push_back('\r');
          break;
        case 't':
          decoded->push_back('\t');
          break;
        case 'u': {
          uint32_t unit;
          if (!ReadHex4(&unit)) return false;
          if (unit >= 0xdc00 && unit <= 0xdfff) {
            return Fail("lone low surrogate");
          }
          if (unit >= 0xd800 && unit <= 0xdbff) {
            uint32_t low;
            if (!Consume('\\') || !Consume('u') || !ReadHex4(&low) ||
                low < 0xdc00 || low > 0xdfff) {
              return Fail("high surrogate without its low surrogate");
            }
            unit = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
          }
          AppendUtf8(unit, decoded);
          break;
        }
        default:
          return Fail("unknown escape");
      }
    }
    raw->append(text_.data() + start, pos_ - start);
    return true;
  }

  bool ReadDigits() {
    size_t start = pos_;
    while (!AtEnd() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    return pos_ > start;
  }

  bool ReadNumber(std::string* out) {
    size_t start = pos_;
    Consume('-');
    if (Consume('0')) {
      // no leading zeros
    } else if (!ReadDigits()) {
      return Fail("expected a value");
    }
    if (Consume('.') && !ReadDigits()) return Fail("expected digits after '.'");
    if (Peek() == 'e' || Peek() == 'E') {
      ++pos_;
      if (!Consume('+')) Consume('-');
      if (!ReadDigits()) return Fail("expected exponent digits");
    }
    out->append(text_.data() + start, pos_ - start);
    return true;
  }

  bool ReadLiteral(absl::string_view word, std::string* out) {
    if (text_.substr(pos_, word.size()) != word) {
      return Fail("expected a value");
    }
    pos_ += word.size();
    out->append(word.data(), word.size());
    return true;
  }

  // Any value, appended to `out` in compact form.
  bool ReadValue(int depth, std::string* out) {
    if (depth > kMaxDepth) return Fail("nested too deeply");
    switch (Peek()) {
      case '"': {
        std::string decoded;
        return ReadString(out, &decoded);
      }
      case '{':
      case '[': {
        const char close = Peek() == '{' ? '}' : ']';
        const bool object = close == '}';
        out->push_back(text_[pos_++]);
        SkipWhitespace();
        if (Consume(close)) {
          out->push_back(close);
          return true;
        }
        while (true) {
          SkipWhitespace();
          if (object) {
            std::string key;
            if (!ReadString(out, &key)) return false;
            SkipWhitespace();
            if (!Consume(':')) return Fail("expected ':'");
            out->push_back(':');
            SkipWhitespace();
          }
          if (!ReadValue(depth + 1, out)) return false;
          SkipWhitespace();
          if (Consume(',')) {
            out->push_back(',');
            continue;
          }
          if (Consume(close)) {
            out->push_back(close);
            return true;
          }
          return Fail(object ? "expected ',' or '}'" : "expected ',' or ']'");
        }
      }
      case 't':
        return ReadLiteral("true", out);
      case 'f':
        return ReadLiteral("false", out);
      case 'n':
        return ReadLiteral("null", out);
      default:
        return ReadNumber(out);
    }
  }

  absl::string_view text_;
  size_t pos_ = 0;
  absl::Status status_;
};

}  // namespace

absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
FlattenJsonObject(absl::string_view json) {
  Reader reader(json);
  return reader.ReadTopObject();
}

}  // namespace ftcapture
