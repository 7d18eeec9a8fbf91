#include "src/privacy/redactor.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "src/privacy/redaction_checks.h"

namespace ftcapture {
namespace {

RE2::Options RuleOptions() {
  RE2::Options options;
  options.set_log_errors(false);
  // Texts can be large; a rule must not fail on them for lack of memory.
  options.set_max_mem(64 << 20);
  return options;
}

// Splits off the first whitespace-separated token of `*rest`.
absl::string_view NextToken(absl::string_view* rest) {
  *rest = absl::StripLeadingAsciiWhitespace(*rest);
  size_t end = 0;
  while (end < rest->size() &&
         !absl::ascii_isspace(static_cast<unsigned char>((*rest)[end]))) {
    ++end;
  }
  absl::string_view token = rest->substr(0, end);
  rest->remove_prefix(end);
  return token;
}

}  // namespace

Redactor::Redactor() : set_(RuleOptions(), RE2::UNANCHORED) {}

absl::StatusOr<Redactor::Rule> Redactor::ParseRule(absl::string_view line) {
  Rule rule;
  absl::string_view rest = line;
  rule.name = std::string(NextToken(&rest));
  rule.replacement = std::string(NextToken(&rest));
  absl::string_view after_replacement = rest;
  absl::string_view maybe_check = NextToken(&rest);
  if (absl::StartsWith(maybe_check, "check=")) {
    const absl::string_view check = maybe_check.substr(6);
    if (check == "card") {
      rule.check = Check::kCard;
    } else if (check == "iban") {
      rule.check = Check::kIban;
    } else if (check == "ipv6") {
      rule.check = Check::kIpv6;
    } else if (check == "phone") {
      rule.check = Check::kPhone;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown check '", check, "' (card, iban, ipv6 or phone)"));
    }
  } else {
    rest = after_replacement;
  }
  const absl::string_view pattern = absl::StripAsciiWhitespace(rest);
  if (rule.replacement.empty() || pattern.empty()) {
    return absl::InvalidArgumentError(
        "a rule is NAME REPLACEMENT [check=...] PATTERN");
  }
  for (char c : rule.name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' &&
        c != '-') {
      return absl::InvalidArgumentError(
          absl::StrCat("rule name '", rule.name,
                       "' may only have letters, digits, _ and -"));
    }
  }
  rule.pattern = std::make_unique<RE2>(
      re2::StringPiece(pattern.data(), pattern.size()), RuleOptions());
  if (!rule.pattern->ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rule ", rule.name, ": bad RE2 pattern: ", rule.pattern->error()));
  }
  return rule;
}

absl::StatusOr<std::unique_ptr<Redactor>> Redactor::Create(
    absl::string_view rules_text, absl::string_view origin) {
  auto redactor = absl::WrapUnique(new Redactor());
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(rules_text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    absl::StatusOr<Rule> rule = ParseRule(line);
    std::string error;
    if (rule.ok()) {
      for (const Rule& other : redactor->rules_) {
        if (other.name == rule->name) error = "duplicate rule name";
      }
      if (error.empty() &&
          redactor->set_.Add(rule->pattern->pattern(), &error) < 0) {
        error = absl::StrCat("bad RE2 pattern: ", error);
      }
    } else {
      error = std::string(rule.status().message());
    }
    if (!error.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(origin, ":", line_number, ": ", error));
    }
    redactor->rules_.push_back(*std::move(rule));
  }
  if (redactor->rules_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, ": no redaction rules"));
  }
  if (!redactor->set_.Compile()) {
    return absl::ResourceExhaustedError(
        absl::StrCat(origin, ": the rules are too large to compile together"));
  }
  return redactor;
}

absl::StatusOr<std::unique_ptr<Redactor>> Redactor::Default() {
  return Create(DefaultRedactionRules(), "default redaction rules");
}

absl::StatusOr<std::unique_ptr<Redactor>> Redactor::FromOptions(
    bool use_default, absl::string_view rules_path) {
  if (rules_path.empty()) return Default();
  std::ifstream file{std::string(rules_path), std::ios::binary};
  if (!file) {
    return absl::NotFoundError(
        absl::StrCat("cannot read the redaction rules ", rules_path));
  }
  std::stringstream text;
  text << file.rdbuf();
  if (!use_default) return Create(text.str(), rules_path);
  // Line numbers in errors are the file's: the default rules come first,
  // checked on their own.
  absl::Status own_rules = Create(text.str(), rules_path).status();
  if (!own_rules.ok()) return own_rules;
  return Create(absl::StrCat(DefaultRedactionRules(), "\n", text.str()),
                rules_path);
}

bool Redactor::Passes(Check check, absl::string_view match) {
  switch (check) {
    case Check::kNone:
      return true;
    case Check::kCard:
      return IsCardNumber(match);
    case Check::kIban:
      return PassesIbanChecksum(match);
    case Check::kIpv6:
      return IsIpv6Address(match);
    case Check::kPhone:
      return HasPhoneDigitCount(match);
  }
  return false;
}

int64_t Redactor::ApplyRule(const Rule& rule, std::string* text) {
  const int group = rule.pattern->NumberOfCapturingGroups() > 0 ? 1 : 0;
  re2::StringPiece spans[2];
  std::string out;
  int64_t replaced = 0;
  size_t copied = 0;  // text[0, copied) is in `out` already
  size_t pos = 0;
  while (pos <= text->size() &&
         rule.pattern->Match(*text, pos, text->size(), RE2::UNANCHORED, spans,
                             group + 1)) {
    const absl::string_view whole(spans[0].data(), spans[0].size());
    const absl::string_view target(spans[group].data(), spans[group].size());
    const size_t whole_start = whole.data() - text->data();
    if (target.empty() || !Passes(rule.check, target)) {
      // Not this one; a match may still start further on.
      pos = whole_start + 1;
      continue;
    }
    const size_t start = target.data() - text->data();
    out.append(*text, copied, start - copied);
    out.append(rule.replacement);
    copied = start + target.size();
    ++replaced;
    pos = std::max(whole_start + whole.size(), whole_start + 1);
  }
  if (replaced == 0) return 0;
  out.append(*text, copied, std::string::npos);
  *text = std::move(out);
  return replaced;
}

bool Redactor::Redact(std::string* text, RedactionCounts* counts) const {
  std::vector<int> candidates;
  if (text->empty() || !set_.Match(*text, &candidates)) return false;
  std::sort(candidates.begin(), candidates.end());
  bool changed = false;
  for (int index : candidates) {
    const Rule& rule = rules_[index];
    const int64_t replaced = ApplyRule(rule, text);
    if (replaced == 0) continue;
    changed = true;
    if (counts != nullptr) (*counts)[rule.name] += replaced;
  }
  return changed;
}

std::vector<std::string> Redactor::RuleNames() const {
  std::vector<std::string> names;
  for (const Rule& rule : rules_) names.push_back(rule.name);
  return names;
}

}  // namespace ftcapture
