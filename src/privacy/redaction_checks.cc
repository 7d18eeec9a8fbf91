#include "src/privacy/redaction_checks.h"

#include <arpa/inet.h>

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"

namespace ftcapture {

bool PassesLuhn(absl::string_view text) {
  int digits = 0;
  int sum = 0;
  // From the right: every second digit doubled.
  for (auto it = text.rbegin(); it != text.rend(); ++it) {
    const char c = *it;
    if (c == ' ' || c == '-') continue;
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    int digit = c - '0';
    if (digits % 2 == 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    ++digits;
  }
  return digits >= 13 && digits <= 19 && sum % 10 == 0;
}

bool IsCardNumber(absl::string_view text) {
  if (!PassesLuhn(text)) return false;
  std::string digits;
  for (char c : text) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) digits.push_back(c);
  }
  const size_t n = digits.size();
  const int first_two = (digits[0] - '0') * 10 + (digits[1] - '0');
  switch (digits[0]) {
    case '3':
      if (first_two == 34 || first_two == 37) return n == 15;
      return n >= 14;
    case '4':
      return n == 13 || n == 16 || n == 19;
    case '5':
      return first_two >= 51 && first_two <= 55 && n == 16;
    case '2':
      return first_two >= 22 && first_two <= 27 && n == 16;
    case '6':
      return n >= 16;
    default:
      return false;
  }
}

bool PassesIbanChecksum(absl::string_view text) {
  std::string compact;
  for (char c : text) {
    if (c == ' ') continue;
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) return false;
    compact.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  if (compact.size() < 15 || compact.size() > 34) return false;
  if (!absl::ascii_isalpha(compact[0]) || !absl::ascii_isalpha(compact[1]) ||
      !absl::ascii_isdigit(compact[2]) || !absl::ascii_isdigit(compact[3])) {
    return false;
  }
  std::rotate(compact.begin(), compact.begin() + 4, compact.end());
  // Letters count as 10..35; the remainder is taken digit by digit.
  int remainder = 0;
  for (char c : compact) {
    if (absl::ascii_isdigit(c)) {
      remainder = (remainder * 10 + (c - '0')) % 97;
    } else {
      remainder = (remainder * 100 + (c - 'A' + 10)) % 97;
    }
  }
  return remainder == 1;
}

bool IsIpv6Address(absl::string_view text) {
  if (text.size() > 45) return false;
  const std::string address(text);
  in6_addr parsed;
  if (inet_pton(AF_INET6, address.c_str(), &parsed) != 1) return false;
  const bool has_digit =
      std::any_of(address.begin(), address.end(),
                  [](char c) { return absl::ascii_isdigit(c); });
  const int colons =
      static_cast<int>(std::count(address.begin(), address.end(), ':'));
  return has_digit && (colons == 7 || address.size() >= 6);
}

bool HasPhoneDigitCount(absl::string_view text) {
  const auto digits = std::count_if(text.begin(), text.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
  return digits >= 7 && digits <= 15;
}

}  // namespace ftcapture
