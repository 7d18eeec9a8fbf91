// The shipped default redaction rules (`--redact=default`), in the rule file
// format of docs/privacy.md. Order matters: each rule sees what the ones
// before it left, so API keys and e-mail addresses go before the number
// rules, and card numbers before phone numbers.

#include "src/privacy/redactor.h"

namespace ftcapture {

absl::string_view DefaultRedactionRules() {
  static constexpr char kRules[] = R"rules(
# Provider key shapes: OpenAI/Anthropic (sk-...), AWS access key ids,
# GitHub tokens, Slack tokens, Google API keys, GitLab tokens, JWTs.
api_key     [API_KEY]  \b(?:sk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|glpat-[A-Za-z0-9_-]{20,}|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})
# A secret given as key=value or key: value; the value only is replaced.
secret      [SECRET]   (?i)\b(?:api[_-]?key|secret|token|password|passwd)["']?\s*[:=]\s*["']?([A-Za-z0-9_\-./+]{12,})
email       [EMAIL]    [A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}
# Country code, two check digits, then groups of four (spaced or not).
iban        [IBAN]     check=iban  \b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b
# 13 to 19 digits, optionally grouped by spaces or dashes, not after a '+'
# (a phone number); Luhn-checked, with an issuer's prefix and length.
card        [CARD]     check=card  (?:^|[^+\w])(\d(?:[ -]?\d){12,18})\b
ipv6        [IP]       check=ipv6  (?:^|[^0-9A-Za-z:.])((?:[0-9A-Fa-f]{1,4})?(?::(?:[0-9A-Fa-f]{1,4})?){2,7})
ipv4        [IP]       \b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b
# International (+CC ...) and North American ((555) 123-4567,
# 555-123-4567) forms; 7 to 15 digits.
phone       [PHONE]    check=phone  (?:\+\d{1,3}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d{1,4}){2,6}\b|\(\d{3}\) ?\d{3}[ .-]\d{4}\b|\b\d{3}[.-]\d{3}[.-]\d{4}\b)
# National forms with a leading 0 (030 1234567, 07700 900123), not inside
# a longer run of digit groups (an account number).
phone_national  [PHONE]  check=phone  (?:^|[^\d ]|[^\d] )(0\d{2,4}[ /.-]?\d{3,4}[ .-]?\d{3,4})\b
)rules";
  return kRules;
}

}  // namespace ftcapture
