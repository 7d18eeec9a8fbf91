#include "src/session/stored_turn.h"

#include "gtest/gtest.h"
#include "src/util/proto_time.h"

namespace ftcapture {
namespace {

const absl::Time kNow =
    absl::FromUnixSeconds(1790000000) + absl::Microseconds(5);

v1::Turn Reply() {
  v1::Turn turn;
  turn.set_session_id("kitchen-1");
  turn.set_turn_id("a1");
  turn.set_role(v1::ROLE_ASSISTANT);
  turn.set_text("Steam squeezes through the hole.");
  turn.set_system_prompt(std::string(3000, 'p'));
  turn.add_memories()->set_text("The kettle is brass.");
  return turn;
}

TEST(StoredTurnTest, KeepsTheWholeTurnAndAddsTheServerTime) {
  TurnPtr stored = StoredTurn::FromTurn(Reply(), kNow, "unused");
  EXPECT_EQ(stored->turn_id(), "a1");
  EXPECT_EQ(stored->role(), v1::ROLE_ASSISTANT);
  v1::Turn expected = Reply();
  *expected.mutable_time() = ToProtoTime(kNow);
  EXPECT_EQ(stored->ToProto().SerializeAsString(),
            expected.SerializeAsString());
  // Sized to the wire bytes, not a doubled buffer.
  EXPECT_LT(stored->SpaceUsed(),
            static_cast<int64_t>(expected.ByteSizeLong()) + 128);
}

TEST(StoredTurnTest, KeepsTheTurnsOwnTime) {
  v1::Turn turn = Reply();
  *turn.mutable_time() = ToProtoTime(kNow - absl::Hours(1));
  EXPECT_EQ(
      FromProtoTime(StoredTurn::FromTurn(turn, kNow, "")->ToProto().time()),
      kNow - absl::Hours(1));
}

TEST(StoredTurnTest, GivesATurnWithoutIdTheIdItIsHanded) {
  v1::Turn turn = Reply();
  turn.clear_turn_id();
  TurnPtr stored = StoredTurn::FromTurn(turn, kNow, "auto-7");
  EXPECT_EQ(stored->turn_id(), "auto-7");
  EXPECT_EQ(stored->ToProto().turn_id(), "auto-7");
  EXPECT_EQ(stored->ToProto().system_prompt(), turn.system_prompt());
}

TEST(StoredTurnTest, FromBytesChecksThatTheyParse) {
  TurnPtr stored = StoredTurn::FromTurn(Reply());
  auto copy = StoredTurn::FromBytes(stored->bytes());
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ((*copy)->turn_id(), "a1");
  EXPECT_EQ((*copy)->role(), v1::ROLE_ASSISTANT);
  EXPECT_EQ(StoredTurn::FromBytes("\xff\xff\xff").status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace ftcapture
