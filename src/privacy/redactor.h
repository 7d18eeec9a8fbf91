#ifndef FTCAPTURE_SRC_PRIVACY_REDACTOR_H_
#define FTCAPTURE_SRC_PRIVACY_REDACTOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "re2/re2.h"
#include "re2/set.h"

namespace ftcapture {

// Rule name -> how many times it replaced something. Never the text.
using RedactionCounts = absl::btree_map<std::string, int64_t>;

// Replaces personal data in texts before they are stored, by rules of RE2
// patterns read from a rule file (docs/privacy.md, "Rule files"):
//
//   # comment
//   NAME  REPLACEMENT  [check=card|iban|ipv6|phone]  PATTERN...
//
// The pattern is the rest of the line. Where it has a capturing group, only
// the first group is replaced (so context like "api_key=" can anchor a
// match and stay). Rules run in file order, each on the text the ones
// before it left.
//
// Invariants: immutable after Create; `set_` holds every rule's pattern at
// the rule's index, so one pass over a text tells which rules can fire
// (most texts: none, and then nothing else runs). Thread-safe.
class Redactor {
 public:
  // The rule file's text; `origin` names it in errors ("FILE:LINE: ...").
  static absl::StatusOr<std::unique_ptr<Redactor>> Create(
      absl::string_view rules_text, absl::string_view origin);
  // The shipped default rules (e-mail, phone, card, IBAN, IPv4/IPv6, API
  // keys).
  static absl::StatusOr<std::unique_ptr<Redactor>> Default();
  // The default rules when `use_default`, then those of the rule file at
  // `rules_path` when it is not empty (at least one of the two).
  static absl::StatusOr<std::unique_ptr<Redactor>> FromOptions(
      bool use_default, absl::string_view rules_path);

  // Redacts `*text` in place; adds what fired to `*counts` (may be null).
  // Returns whether anything was replaced.
  bool Redact(std::string* text, RedactionCounts* counts) const;

  // The rules' names, in order.
  std::vector<std::string> RuleNames() const;

 private:
  enum class Check { kNone, kCard, kIban, kIpv6, kPhone };
  struct Rule {
    std::string name;
    std::string replacement;
    Check check = Check::kNone;
    std::unique_ptr<RE2> pattern;
  };

  Redactor();
  static absl::StatusOr<Rule> ParseRule(absl::string_view line);
  // One rule over `*text`; returns the replacements made.
  static int64_t ApplyRule(const Rule& rule, std::string* text);
  static bool Passes(Check check, absl::string_view match);

  std::vector<Rule> rules_;
  RE2::Set set_;
};

// The text of the shipped default rule file.
absl::string_view DefaultRedactionRules();

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_PRIVACY_REDACTOR_H_
