#include "src/util/wire_format.h"

#include <string>
#include <utility>
#include <vector>

#include "ftcapture/v1/capture.pb.h"
#include "gtest/gtest.h"

namespace ftcapture {
namespace {

std::string SerializedTurn() {
  v1::Turn turn;
  turn.set_session_id("s1");
  turn.set_role(v1::ROLE_ASSISTANT);
  turn.set_text("Steam squeezes through the hole.");
  turn.mutable_time()->set_seconds(1790000000);
  turn.set_system_prompt("You are Timmy.");
  turn.add_memories()->set_text("The kettle is brass.");
  turn.add_memories()->set_text("The whistle is brass.");
  return turn.SerializeAsString();
}

std::vector<int> FieldsOf(absl::string_view message, bool* walked) {
  std::vector<int> fields;
  std::string joined;
  *walked = ForEachField(message, [&](int field, absl::string_view encoded) {
    fields.push_back(field);
    joined.append(encoded.data(), encoded.size());
  });
  if (*walked) {
    EXPECT_EQ(joined, message);  // the spans tile the message
  }
  return fields;
}

TEST(WireFormatTest, VisitsEveryTopLevelFieldInOrder) {
  bool walked = false;
  EXPECT_EQ(FieldsOf(SerializedTurn(), &walked),
            (std::vector<int>{1, 3, 4, 5, 6, 7, 7}));
  EXPECT_TRUE(walked);
  EXPECT_TRUE(FieldsOf("", &walked).empty());
  EXPECT_TRUE(walked);
}

TEST(WireFormatTest, StopsAtAFieldThatDoesNotParse) {
  const std::string bytes = SerializedTurn();
  // Cut inside the text field (the third): the two before it are visited.
  const size_t text = bytes.find("Steam");
  bool walked = true;
  EXPECT_EQ(FieldsOf(bytes.substr(0, text + 3), &walked),
            (std::vector<int>{1, 3}));
  EXPECT_FALSE(walked);
  // A group's wire type, and field number 0.
  std::string group;
  AppendVarint((9 << 3) | 3, &group);
  FieldsOf(group, &walked);
  EXPECT_FALSE(walked);
  FieldsOf(std::string("\x02\x00", 2), &walked);
  EXPECT_FALSE(walked);
}

}  // namespace
}  // namespace ftcapture
