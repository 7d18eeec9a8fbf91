// Issue 13: nothing a client sends can corrupt, hide or break the dataset.
// Each test names what went wrong before.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/unknown_field_set.h"
#include "gtest/gtest.h"
#include "src/service/capture_service.h"
#include "src/service/input_checks.h"
#include "src/storage/example_id.h"
#include "src/storage/example_store.h"
#include "src/storage/tfrecord_reader.h"
#include "src/util/env.h"
#include "tests/util/temp_dir.h"
#include "tests/util/turns.h"

namespace ftcapture {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;
using std::string_literals::operator""s;

constexpr int64_t kYear10000 = 253402300800;  // 10000-01-01T00:00:00Z

v1::Turn Reply(const std::string& session, const std::string& id,
               const std::string& text) {
  v1::Turn turn = BasicTurn(session, id, v1::ROLE_ASSISTANT, text);
  turn.set_system_prompt("You are Timmy.");
  return turn;
}

class HostileInputTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    service_.reset();
    CaptureService::Options options;
    options.data_dir = dir_.path();
    options.sync = SyncPolicy::kNone;
    options.log = [](const std::string&) {};
    auto service = CaptureService::Open(options, nullptr);
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = *std::move(service);
  }

  absl::StatusOr<v1::RecordTurnResponse> Record(const v1::Turn& turn) {
    return service_->RecordTurn(turn);
  }

  // user, reply, praise in `session`; returns the praise's response.
  v1::RecordTurnResponse Capture(const std::string& session,
                                 const std::string& reply_id = "a1") {
    EXPECT_TRUE(Record(UserTurn(session, "u1", "How deep?")).ok());
    EXPECT_TRUE(Record(Reply(session, reply_id, "15 cm.")).ok());
    auto praise = Record(UserTurn(session, "u2", "Good one, Timmy!"));
    EXPECT_TRUE(praise.ok()) << praise.status();
    return praise.ok() ? *praise : v1::RecordTurnResponse();
  }

  // The examples as stored in the dataset file, parsed.
  std::vector<v1::Example> StoredExamples() {
    std::vector<v1::Example> examples;
    auto read = ReadTFRecordFile(
        Env::Default(), dir_.File(kDatasetFileName),
        [&](absl::string_view data) {
          examples.emplace_back();
          EXPECT_TRUE(examples.back().ParseFromArray(data.data(), data.size()));
        });
    EXPECT_TRUE(read.ok()) << read.status();
    return examples;
  }

  TempDir dir_;
  std::unique_ptr<CaptureService> service_;
};

// Two replies, one id: session "a\x1fb" + turn "c" and session "a" + turn
// "b\x1fc" hashed the same bytes.
TEST(ExampleIdTest, FieldsThatJoinToTheSameBytesGetDifferentIds) {
  EXPECT_NE(ExampleIdForReply("a\x1f"
                              "b",
                              "c"),
            ExampleIdForReply("a",
                              "b\x1f"
                              "c"));
  EXPECT_NE(ExampleIdForReply("ab", "c"), ExampleIdForReply("a", "bc"));
  EXPECT_NE(ExampleIdForReply("", "ab"), ExampleIdForReply("ab", ""));
  EXPECT_EQ(ExampleIdForReply("s", "t"), ExampleIdForReply("s", "t"));
  EXPECT_THAT(ExampleIdForReply("s", "t"), SizeIs(3 + 32));
  EXPECT_FALSE(ReplyKey("a", "bc") == ReplyKey("ab", "c"));
  // Ids are part of the dataset: pinned (computed independently with
  // Python's hashlib: SHA-256 of the length-prefixed fields).
  EXPECT_EQ(ExampleIdForReply("garden-7", "a1"),
            "ex-0d517a8011ea80b98ce704ac2646ea80");
}

// Preference pairs (issue 12) get the same kind of id: 128 bits of SHA-256
// over the length-prefixed ids, so no two pairs share one.
TEST(ExampleIdTest, PairIdsAreCollisionProofToo) {
  EXPECT_NE(ExampleIdForPair("s", "ab", "c"), ExampleIdForPair("s", "a", "bc"));
  EXPECT_NE(ExampleIdForPair("s", "a", "b"), ExampleIdForPair("s", "b", "a"));
  EXPECT_NE(ExampleIdForPair("s\x1f"
                             "a",
                             "b", "c"),
            ExampleIdForPair("s",
                             "a\x1f"
                             "b",
                             "c"));
  EXPECT_THAT(ExampleIdForPair("s", "a", "b"), SizeIs(5 + 32));
  EXPECT_NE(ExampleIdForPair("s", "a", "b").substr(5),
            ExampleIdForReply("s", "a").substr(3));
  // Pinned, computed with Python's hashlib like the reply id above.
  EXPECT_EQ(ExampleIdForPair("garden-7", "a2", "a1"),
            "pair-c4de5062cba0b3864007718295cce5d8");
}

TEST_F(HostileInputTest, SeparatorBytesInIdsCanNoLongerReachTheDataset) {
  auto first =
      Record(UserTurn("a\x1f"
                      "b",
                      "c", "hi"));
  EXPECT_TRUE(absl::IsInvalidArgument(first.status())) << first.status();
  // Without control characters, similar ids still make separate examples.
  const std::string id1 = Capture("a b", "c").example_id();
  const std::string id2 = Capture("a", "b c").example_id();
  EXPECT_NE(id1, id2);
  EXPECT_THAT(StoredExamples(), SizeIs(2));
  for (const std::string& id : {id1, id2}) {
    v1::ReviewExampleRequest review;
    review.set_example_id(id);
    review.set_status(v1::REVIEW_STATUS_APPROVED);
    auto reviewed = service_->ReviewExample(review);
    ASSERT_TRUE(reviewed.ok()) << reviewed.status();
    EXPECT_EQ(reviewed->example().id(), id);
  }
}

// A turn dated year 10000 was accepted, and then every JSON tool failed.
TEST_F(HostileInputTest, TimestampsOutsideTheProtobufRangeAreInvalid) {
  v1::Turn turn = UserTurn("s", "u1", "hi");
  turn.mutable_time()->set_seconds(kYear10000);
  auto response = Record(turn);
  EXPECT_TRUE(absl::IsInvalidArgument(response.status()));
  EXPECT_THAT(response.status().message(), HasSubstr("turn.time"));

  v1::Turn reply = Reply("s", "a1", "x");
  reply.add_memories()->mutable_created_at()->set_seconds(-62135596801);
  response = Record(reply);
  EXPECT_TRUE(absl::IsInvalidArgument(response.status()));
  EXPECT_THAT(response.status().message(), HasSubstr("memories"));

  turn.mutable_time()->set_seconds(0);
  turn.mutable_time()->set_nanos(-1);
  EXPECT_TRUE(absl::IsInvalidArgument(Record(turn).status()));

  v1::ImportExamplesRequest import;
  v1::Example* example = import.add_examples();
  example->mutable_user_turn()->set_text("question");
  example->mutable_assistant_turn()->set_text("reply");
  example->mutable_captured_at()->set_seconds(kYear10000);
  auto imported = service_->ImportExamples(import);
  EXPECT_TRUE(absl::IsInvalidArgument(imported.status()));
  EXPECT_THAT(imported.status().message(),
              HasSubstr("examples[0].captured_at"));

  // The edges of the range are fine; the last second is refused only for
  // being further ahead of the clock than --max_clock_skew.
  turn.mutable_time()->set_seconds(-62135596800);  // 0001-01-01T00:00:00Z
  turn.mutable_time()->set_nanos(0);
  EXPECT_TRUE(Record(turn).ok());
  turn.mutable_time()->set_seconds(kYear10000 - 1);
  turn.mutable_time()->set_nanos(999999999);
  EXPECT_TRUE(CheckTurnInput(turn).ok());
  EXPECT_THAT(Record(turn).status().message(),
              HasSubstr("ahead of the server's clock"));
  EXPECT_THAT(StoredExamples(), SizeIs(0));
}

// NUL and ESC went raw into the files and terminals.
TEST_F(HostileInputTest, ControlCharactersAreRejectedNamingFieldAndByte) {
  auto response = Record(UserTurn("s", "u1", "red \x1b[31m text"));
  ASSERT_TRUE(absl::IsInvalidArgument(response.status()));
  EXPECT_THAT(response.status().message(), HasSubstr("turn.text: byte 4"));
  EXPECT_THAT(response.status().message(), HasSubstr("U+001B"));

  EXPECT_TRUE(
      absl::IsInvalidArgument(Record(UserTurn("s\0"s, "u1", "hi")).status()));
  v1::Turn turn = UserTurn("s", "u1", "hi");
  (*turn.mutable_metadata())["k"] = "v\x07";
  EXPECT_TRUE(absl::IsInvalidArgument(Record(turn).status()));

  v1::RecordFeedbackRequest feedback;
  feedback.set_session_id("s");
  feedback.set_note("bad\x1b");
  EXPECT_TRUE(
      absl::IsInvalidArgument(service_->RecordFeedback(feedback).status()));

  // Found by the capture-service fuzzer: a library caller's turn that is
  // not UTF-8 was stored as a record protobuf would never parse again.
  response = Record(UserTurn("s", "u1", "ok \xff\xfe"));
  ASSERT_TRUE(absl::IsInvalidArgument(response.status()));
  EXPECT_THAT(response.status().message(),
              HasSubstr("turn.text: byte 3 is not UTF-8"));

  // Tab, newline and CRLF are text.
  EXPECT_TRUE(Record(UserTurn("s", "u1", "a\tb\nc\r\nd")).ok());
}

// A 3,000-deep unknown nested field was accepted and stored.
TEST_F(HostileInputTest, UnknownFieldsAreDroppedBeforeStoring) {
  ASSERT_TRUE(Record(UserTurn("s", "u1", "How deep?")).ok());
  v1::Turn reply = Reply("s", "a1", "15 cm.");
  std::string nested;
  for (int depth = 0; depth < 3000; ++depth) {
    google::protobuf::UnknownFieldSet wrapper;
    wrapper.AddLengthDelimited(999, nested);
    nested.clear();
    wrapper.SerializeToString(&nested);
  }
  reply.GetReflection()->MutableUnknownFields(&reply)->AddLengthDelimited(
      999, nested);
  reply.add_memories()->set_text("m");
  reply.GetReflection()
      ->MutableUnknownFields(reply.mutable_memories(0))
      ->AddVarint(77, 1);
  ASSERT_TRUE(HasUnknownFields(reply));
  ASSERT_TRUE(Record(reply).ok());
  v1::Turn praise = UserTurn("s", "u2", "Good one, Timmy!");
  praise.GetReflection()->MutableUnknownFields(&praise)->AddFixed64(55, 1);
  auto captured = Record(praise);
  ASSERT_TRUE(captured.ok()) << captured.status();
  ASSERT_FALSE(captured->example_id().empty());

  auto examples = StoredExamples();
  ASSERT_THAT(examples, SizeIs(1));
  EXPECT_FALSE(HasUnknownFields(examples[0]));
  EXPECT_LT(examples[0].ByteSizeLong(), 1000u);
  EXPECT_EQ(examples[0].assistant_turn().memories(0).text(), "m");
}

// User "1" then assistant "1" was a "duplicate": the reply was dropped.
TEST_F(HostileInputTest, TurnIdsAreUniquePerRole) {
  ASSERT_TRUE(Record(UserTurn("s", "1", "How deep?")).ok());
  auto reply = Record(Reply("s", "1", "15 cm."));
  ASSERT_TRUE(reply.ok());
  EXPECT_FALSE(reply->duplicate());
  auto praise = Record(UserTurn("s", "2", "Good one, Timmy!"));
  ASSERT_TRUE(praise.ok());
  ASSERT_FALSE(praise->example_id().empty()) << praise->not_captured_reason();
  auto examples = StoredExamples();
  ASSERT_THAT(examples, SizeIs(1));
  EXPECT_EQ(examples[0].assistant_turn().text(), "15 cm.");
  EXPECT_EQ(examples[0].user_turn().text(), "How deep?");
  // The same role and id again is still a retry.
  auto retry = Record(Reply("s", "1", "15 cm."));
  ASSERT_TRUE(retry.ok());
  EXPECT_TRUE(retry->duplicate());
}

TEST_F(HostileInputTest, EmptyTurnIdIsRejected) {
  auto response = Record(UserTurn("s", "", "hi"));
  EXPECT_TRUE(absl::IsInvalidArgument(response.status()));
  EXPECT_THAT(response.status().message(), HasSubstr("turn_id is required"));
}

// A record stored before the checks (year 10000) made ListExamples,
// GetStats and ExportExamples fail for every tool.
TEST_F(HostileInputTest, StoredRecordJsonCannotHoldStillReads) {
  service_.reset();
  {
    ExampleStore::Options options;
    options.data_dir = dir_.path();
    options.sync = SyncPolicy::kNone;
    auto store = ExampleStore::Open(Env::Default(), options, nullptr, nullptr);
    ASSERT_TRUE(store.ok()) << store.status();
    v1::Example example;
    example.set_id("ex-0123456789abcdef");
    example.set_session_id("s");
    example.mutable_captured_at()->set_seconds(kYear10000);
    example.mutable_user_turn()->mutable_time()->set_seconds(-kYear10000);
    example.mutable_assistant_turn()->set_text("reply");
    example.set_label(v1::LABEL_POSITIVE);
    ASSERT_TRUE((*store)->Append(example).ok());
  }
  Reopen();
  v1::ListExamplesRequest list;
  auto listed = service_->ListExamples(list);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_THAT(listed->examples(), SizeIs(1));
  const v1::Example& shown = listed->examples(0);
  EXPECT_EQ(shown.captured_at().seconds(), kYear10000 - 1);
  EXPECT_EQ(shown.user_turn().time().seconds(), -62135596800);
  ASSERT_THAT(shown.read_warnings(), SizeIs(2));
  EXPECT_THAT(shown.read_warnings(0), HasSubstr("captured_at"));
  EXPECT_THAT(shown.read_warnings(1), HasSubstr("user_turn.time"));

  auto stats = service_->GetStats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->last_example_at().seconds(), kYear10000 - 1);

  int exported = 0;
  EXPECT_TRUE(service_
                  ->ExportExamples(v1::ExportExamplesRequest(),
                                   [&](const v1::Example& e) {
                                     EXPECT_THAT(e.read_warnings(), SizeIs(2));
                                     ++exported;
                                     return true;
                                   })
                  .ok());
  EXPECT_EQ(exported, 1);
  // And it can be reviewed away.
  v1::ReviewExampleRequest review;
  review.set_example_id("ex-0123456789abcdef");
  review.set_status(v1::REVIEW_STATUS_REJECTED);
  EXPECT_TRUE(service_->ReviewExample(review).ok());
}

}  // namespace
}  // namespace ftcapture
