#include "src/tools/flat_json.h"

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace ftcapture {
namespace {

using Members = std::vector<std::pair<std::string, std::string>>;

TEST(FlattenJsonObjectTest, StringsDecodedOthersCompactText) {
  auto members = FlattenJsonObject(
      " {\n \"s\": \"a\\tb\\u00e9\\ud83d\\ude00\\/\",\n \"n\": -1.50e+3,"
      " \"o\": { \"k\" : [1, {\"x\": null}, \"y z\"] }, \"t\": true,"
      " \"e\": {}, \"a\": [ ] }\n");
  ASSERT_TRUE(members.ok()) << members.status();
  EXPECT_EQ(*members, (Members{{"s", "a\tbé😀/"},
                               {"n", "-1.50e+3"},
                               {"o", "{\"k\":[1,{\"x\":null},\"y z\"]}"},
                               {"t", "true"},
                               {"e", "{}"},
                               {"a", "[]"}}));
}

TEST(FlattenJsonObjectTest, EmptyObjectAndRepeatedKeys) {
  EXPECT_EQ(*FlattenJsonObject("{}"), Members{});
  EXPECT_EQ(*FlattenJsonObject("{\"a\":1,\"a\":2}"),
            (Members{{"a", "1"}, {"a", "2"}}));
}

TEST(FlattenJsonObjectTest, RejectsInvalidJson) {
  for (const char* bad :
       {"", "[]", "\"s\"", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{a:1}",
        "{\"a\":tru}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":\"\\x\"}",
        "{\"a\":\"\\ud800\"}", "{\"a\":\"line\nbreak\"}", "{} {}",
        "{\"a\":[1,]}", "{\"a\":\"\\u12\"}"}) {
    auto members = FlattenJsonObject(bad);
    EXPECT_EQ(members.status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(FlattenJsonObjectTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep =
      "{\"a\":" + std::string(10000, '[') + std::string(10000, ']') + "}";
  EXPECT_EQ(FlattenJsonObject(deep).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::string ok =
      "{\"a\":" + std::string(60, '[') + std::string(60, ']') + "}";
  EXPECT_TRUE(FlattenJsonObject(ok).ok());
}

}  // namespace
}  // namespace ftcapture
