// The redactor: every default rule with hits and near misses, the checks,
// and rule files (format, errors, capturing groups).

#include "src/privacy/redactor.h"

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/privacy/redaction_checks.h"

namespace ftcapture {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

class DefaultRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redactor = Redactor::Default();
    ASSERT_TRUE(redactor.ok()) << redactor.status();
    redactor_ = *std::move(redactor);
  }
  std::string Redacted(std::string text, RedactionCounts* counts = nullptr) {
    redactor_->Redact(&text, counts);
    return text;
  }
  std::unique_ptr<Redactor> redactor_;
};

TEST_F(DefaultRulesTest, Email) {
  RedactionCounts counts;
  EXPECT_EQ(
      Redacted("mail jane.doe+tag@mail.example.co.uk or bob@x.io", &counts),
      "mail [EMAIL] or [EMAIL]");
  EXPECT_THAT(counts, ElementsAre(Pair("email", 2)));
  // Near misses: no dot in the domain, a handle, a bare at sign.
  EXPECT_EQ(Redacted("user@localhost, @timmy, a @ b.com"),
            "user@localhost, @timmy, a @ b.com");
}

TEST_F(DefaultRulesTest, CardNumbersAreLuhnChecked) {
  RedactionCounts counts;
  EXPECT_EQ(Redacted("visa 4111 1111 1111 1111, mc 5500-0000-0000-0004, "
                     "amex 378282246310005",
                     &counts),
            "visa [CARD], mc [CARD], amex [CARD]");
  EXPECT_THAT(counts, ElementsAre(Pair("card", 3)));
  // 16 digits failing Luhn, and 12 digits, are not cards.
  EXPECT_EQ(Redacted("order 4111111111111112 and 411111111111"),
            "order 4111111111111112 and 411111111111");
}

TEST_F(DefaultRulesTest, IbansAreChecksumChecked) {
  EXPECT_EQ(Redacted("pay to DE89 3704 0044 0532 0130 00 today"),
            "pay to [IBAN] today");
  EXPECT_EQ(Redacted("GB82WEST12345698765432."), "[IBAN].");
  // One digit off: the mod-97 check fails, and it is no card either.
  EXPECT_EQ(Redacted("DE89 3704 0044 0532 0130 01"),
            "DE89 3704 0044 0532 0130 01");
}

TEST_F(DefaultRulesTest, PhoneNumbersInInternationalForms) {
  RedactionCounts counts;
  EXPECT_EQ(Redacted("+44 20 7946 0958; +1 (555) 123-4567; +4915112345678; "
                     "+33 6 12 34 56 78; (555) 987-6543; 555.123.4567; "
                     "030 1234567",
                     &counts),
            "[PHONE]; [PHONE]; [PHONE]; [PHONE]; [PHONE]; [PHONE]; [PHONE]");
  EXPECT_THAT(counts, ElementsAre(Pair("phone", 6), Pair("phone_national", 1)));
  // Near misses: a year, a price, a date, a short code, too many digits.
  EXPECT_EQ(Redacted("in 2024 for 1,299.00 on 01.02.2024, code +12 34, "
                     "+1234567890123456789"),
            "in 2024 for 1,299.00 on 01.02.2024, code +12 34, "
            "+1234567890123456789");
}

TEST_F(DefaultRulesTest, IpAddresses) {
  RedactionCounts counts;
  EXPECT_EQ(Redacted("from 192.168.0.1 and 2001:db8::8a2e:370:7334 and "
                     "fe80::1 and 2001:0db8:0000:0000:0000:ff00:0042:8329",
                     &counts),
            "from [IP] and [IP] and [IP] and [IP]");
  EXPECT_THAT(counts, ElementsAre(Pair("ipv4", 1), Pair("ipv6", 3)));
  // Near misses: an octet over 255, a time, C++ scopes, a version.
  EXPECT_EQ(Redacted("256.1.1.1 at 12:30:45 in std::map and a::b, v1.2.3"),
            "256.1.1.1 at 12:30:45 in std::map and a::b, v1.2.3");
}

TEST_F(DefaultRulesTest, ApiKeysAndSecrets) {
  RedactionCounts counts;
  EXPECT_EQ(
      Redacted("key sk-proj-abcdefghijklmnopqrstuvwx and AKIAIOSFODNN7EXAMPLE "
               "and ghp_abcdefghijklmnopqrstuvwxyz0123456789 and "
               "AIzaSyA-abcdefghijklmnopqrstuvwxyz01234",
               &counts),
      "key [API_KEY] and [API_KEY] and [API_KEY] and [API_KEY]");
  EXPECT_THAT(counts, ElementsAre(Pair("api_key", 4)));
  EXPECT_EQ(Redacted("password: hunter2hunter2x"), "password: [SECRET]");
  // Near misses: short sk- words, a password too short to be one.
  EXPECT_EQ(Redacted("sk-learn is great; password: cat"),
            "sk-learn is great; password: cat");
}

TEST_F(DefaultRulesTest, TextWithoutPersonalDataIsUntouched) {
  const std::string text =
      "Thanks Timmy, that recipe for 4 people worked great! Step 2 took 15 "
      "minutes at 180 degrees.";
  RedactionCounts counts;
  std::string copy = text;
  EXPECT_FALSE(redactor_->Redact(&copy, &counts));
  EXPECT_EQ(copy, text);
  EXPECT_TRUE(counts.empty());
}

TEST(RedactionChecksTest, Luhn) {
  EXPECT_TRUE(PassesLuhn("4111111111111111"));
  EXPECT_TRUE(PassesLuhn("4111-1111-1111-1111"));
  EXPECT_FALSE(PassesLuhn("4111111111111112"));
  EXPECT_FALSE(PassesLuhn("0000 0000 0000"));  // 12 digits: too short
  EXPECT_FALSE(PassesLuhn("4111x111111111111"));
}

TEST(RedactionChecksTest, CardShapes) {
  EXPECT_TRUE(IsCardNumber("378282246310005"));      // Amex, 15
  EXPECT_TRUE(IsCardNumber("5500 0000 0000 0004"));  // Mastercard, 16
  EXPECT_TRUE(IsCardNumber("6011111111111117"));     // Discover, 16
  // Luhn-valid, but no issuer uses this prefix or length.
  EXPECT_TRUE(PassesLuhn("370400440532013001"));
  EXPECT_FALSE(IsCardNumber("370400440532013001"));  // Amex prefix, 18
  EXPECT_FALSE(IsCardNumber("0000000000000000"));    // no issuer
}

TEST(RedactionChecksTest, Iban) {
  EXPECT_TRUE(PassesIbanChecksum("DE89370400440532013000"));
  EXPECT_TRUE(PassesIbanChecksum("GB82 WEST 1234 5698 7654 32"));
  EXPECT_FALSE(PassesIbanChecksum("GB82 WEST 1234 5698 7654 33"));
  EXPECT_FALSE(PassesIbanChecksum("DE89"));
}

TEST(RedactionChecksTest, Ipv6) {
  EXPECT_TRUE(IsIpv6Address("2001:db8::1"));
  EXPECT_FALSE(IsIpv6Address("d::a"));
  EXPECT_FALSE(IsIpv6Address("12:30:45"));
}

TEST(RedactorRuleFileTest, CapturingGroupKeepsContext) {
  auto redactor = Redactor::Create(
      "# user ids after 'uid='\n"
      "user_id  [UID]  uid=(\\d+)\n",
      "test");
  ASSERT_TRUE(redactor.ok()) << redactor.status();
  std::string text = "uid=42 and uid=7";
  RedactionCounts counts;
  EXPECT_TRUE((*redactor)->Redact(&text, &counts));
  EXPECT_EQ(text, "uid=[UID] and uid=[UID]");
  EXPECT_THAT(counts, ElementsAre(Pair("user_id", 2)));
}

TEST(RedactorRuleFileTest, ErrorsNameTheLine) {
  auto bad_pattern = Redactor::Create("# x\nname [X] (unclosed\n", "f.txt");
  ASSERT_FALSE(bad_pattern.ok());
  EXPECT_THAT(std::string(bad_pattern.status().message()),
              HasSubstr("f.txt:2:"));
  auto no_pattern = Redactor::Create("name [X]\n", "f.txt");
  EXPECT_FALSE(no_pattern.ok());
  auto bad_check = Redactor::Create("name [X] check=crc \\d+\n", "f.txt");
  ASSERT_FALSE(bad_check.ok());
  EXPECT_THAT(std::string(bad_check.status().message()),
              HasSubstr("unknown check"));
  auto duplicate = Redactor::Create("a [X] x\na [Y] y\n", "f.txt");
  EXPECT_FALSE(duplicate.ok());
  EXPECT_FALSE(Redactor::Create("# only comments\n", "f.txt").ok());
  EXPECT_FALSE(Redactor::FromOptions(false, "/nonexistent/rules.txt").ok());
}

}  // namespace
}  // namespace ftcapture
