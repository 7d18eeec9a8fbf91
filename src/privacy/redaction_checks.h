#ifndef FTCAPTURE_SRC_PRIVACY_REDACTION_CHECKS_H_
#define FTCAPTURE_SRC_PRIVACY_REDACTION_CHECKS_H_

#include "absl/strings/string_view.h"

namespace ftcapture {

// Checks a redaction rule can ask for (`check=NAME` in a rule file), so a
// broad pattern redacts only what really is a card number, an IBAN or an
// IPv6 address. Each takes the matched text, separators included.

// 13 to 19 digits (spaces and dashes ignored) whose Luhn sum is a multiple
// of 10.
bool PassesLuhn(absl::string_view text);

// PassesLuhn, and the length of the issuers that use the first digits: Amex
// (34, 37) 15 digits, Visa (4) 13, 16 or 19, Mastercard (51-55, 22-27) 16,
// Discover/UnionPay (6) and JCB/Diners (other 3x) 14 to 19. So a Luhn
// accident (1 in 10 of all digit runs) of another shape is not a card.
bool IsCardNumber(absl::string_view text);

// 15 to 34 letters and digits (spaces ignored): a country code, two check
// digits, and an account part, with the ISO 13616 mod-97 remainder 1.
bool PassesIbanChecksum(absl::string_view text);

// A valid IPv6 address (inet_pton) that is not just a short run of colons
// and letters ("d::a" in C++ code): it must have a decimal digit and either
// eight groups or at least six characters.
bool IsIpv6Address(absl::string_view text);

// 7 to 15 digits (E.164 allows at most 15), whatever the separators.
bool HasPhoneDigitCount(absl::string_view text);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_PRIVACY_REDACTION_CHECKS_H_
