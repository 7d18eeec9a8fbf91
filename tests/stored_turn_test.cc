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

TEST(StoredTurnTest, KnowsWhetherItHasTextAcrossCopies) {
  TurnPtr reply = StoredTurn::FromTurn(Reply());
  EXPECT_TRUE(reply->has_text());
  EXPECT_TRUE(StoredTurn::Slim(reply)->has_text());
  v1::Turn empty = Reply();
  empty.clear_text();
  TurnPtr stored = StoredTurn::FromTurn(empty);
  EXPECT_FALSE(stored->has_text());
  EXPECT_FALSE(StoredTurn::Slim(stored)->has_text());
  EXPECT_FALSE((*StoredTurn::FromBytes(stored->bytes()))->has_text());
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

TEST(StoredTurnTest, SlimDropsWhatOnlyItsExchangeNeedsAndKeepsTheRest) {
  v1::Turn turn = Reply();
  turn.set_reply_to("u1");
  (*turn.mutable_metadata())["channel"] = "voice";
  (*turn.mutable_redactions())["email"] = 1;
  v1::ConversationMessage* context = turn.add_context_messages();
  context->set_role(v1::ROLE_USER);
  context->set_text("Earlier words.");
  turn.add_memories()->set_text("The whistle is brass.");
  // Arrives without an id or a time: both are appended to the stored bytes.
  turn.clear_turn_id();
  TurnPtr stored = StoredTurn::FromTurn(turn, kNow, "a1");

  TurnPtr slim = StoredTurn::Slim(stored);
  v1::Turn expected = stored->ToProto();
  expected.clear_system_prompt();
  expected.clear_memories();
  expected.clear_context_messages();
  v1::Turn got = slim->ToProto();
  EXPECT_EQ(got.SerializeAsString(), expected.SerializeAsString());
  EXPECT_EQ(got.turn_id(), "a1");
  EXPECT_EQ(slim->turn_id(), "a1");
  EXPECT_EQ(slim->role(), v1::ROLE_ASSISTANT);
  EXPECT_EQ(slim->time(), kNow);
  EXPECT_EQ(slim->reply_to_fingerprint(), TurnIdFingerprint("u1"));
  // Exactly the kept bytes, not the whole turn's buffer.
  EXPECT_EQ(slim->bytes().size(), expected.ByteSizeLong());
  EXPECT_LT(slim->SpaceUsed(),
            static_cast<int64_t>(expected.ByteSizeLong()) + 128);
}

TEST(StoredTurnTest, SlimOfATurnWithNothingToDropIsTheSameTurn) {
  v1::Turn turn = Reply();
  turn.clear_system_prompt();
  turn.clear_memories();
  TurnPtr stored = StoredTurn::FromTurn(turn, kNow, "");
  EXPECT_EQ(StoredTurn::Slim(stored), stored);
}

}  // namespace
}  // namespace ftcapture
