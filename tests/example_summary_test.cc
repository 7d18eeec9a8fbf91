#include "src/storage/example_summary.h"

#include <string>

#include "gtest/gtest.h"
#include "src/storage/example_id.h"
#include "src/util/proto_time.h"

namespace ftcapture {
namespace {

v1::Example FullExample() {
  v1::Example e;
  e.set_id("ex-0123456789abcdef");
  *e.mutable_captured_at() =
      ToProtoTime(absl::FromUnixSeconds(1790000000) + absl::Microseconds(7));
  e.set_session_id("kitchen-1");
  e.mutable_user_turn()->set_turn_id("u1");
  e.mutable_user_turn()->set_text("Why does my kettle whistle?");
  e.mutable_assistant_turn()->set_turn_id("a1");
  e.mutable_assistant_turn()->set_system_prompt(std::string(4000, 'p'));
  e.mutable_assistant_turn()->add_memories()->set_text("brass kettle");
  e.mutable_praise_turn()->set_turn_id("u2");
  e.mutable_praise_turn()->set_text("Good one, Timmy!");
  e.set_praise_text("Good one, Timmy!");
  e.set_rule("interj_exclaim");
  (*e.mutable_metadata())["channel"] = "voice";
  e.set_label(v1::LABEL_NEGATIVE);
  e.set_source(v1::SOURCE_EXPLICIT);
  e.set_status(v1::REVIEW_STATUS_APPROVED);
  return e;
}

void ExpectSameSummary(const ExampleSummaryView& got,
                       const v1::ExampleSummary& want) {
  EXPECT_EQ(got.id, want.id());
  EXPECT_EQ(got.session_id, want.session_id());
  EXPECT_EQ(got.assistant_turn_id, want.assistant_turn_id());
  EXPECT_EQ(got.has_praise_turn, want.has_praise_turn());
  EXPECT_EQ(got.praise_turn_id, want.praise_turn_id());
  EXPECT_EQ(got.captured_at, FromProtoTime(want.captured_at()));
  EXPECT_EQ(got.label, want.label());
  EXPECT_EQ(got.source, want.source());
  EXPECT_EQ(got.status, want.status());
}

TEST(ExampleSummaryTest, RecordSummaryMatchesTheParsedExample) {
  const v1::Example example = FullExample();
  const std::string bytes = example.SerializeAsString();
  ExampleSummaryView view;
  ASSERT_TRUE(SummarizeExampleRecord(bytes, &view));
  ExpectSameSummary(view, SummarizeExample(example));
  EXPECT_EQ(view.id, "ex-0123456789abcdef");
  EXPECT_EQ(view.assistant_turn_id, "a1");
  EXPECT_EQ(view.praise_turn_id, "u2");
}

TEST(ExampleSummaryTest, ExplicitFeedbackHasNoPraiseTurn) {
  v1::Example example = FullExample();
  example.clear_praise_turn();
  ExampleSummaryView view;
  ASSERT_TRUE(SummarizeExampleRecord(example.SerializeAsString(), &view));
  EXPECT_FALSE(view.has_praise_turn);
  EXPECT_TRUE(view.praise_turn_id.empty());
}

TEST(ExampleSummaryTest, MalformedRecordsAreRefused) {
  const std::string bytes = FullExample().SerializeAsString();
  ExampleSummaryView view;
  // Cut inside the long assistant turn: the length runs past the end.
  EXPECT_FALSE(
      SummarizeExampleRecord(bytes.substr(0, bytes.size() / 2), &view));
  EXPECT_FALSE(SummarizeExampleRecord("\x0a\x7f", &view));
  EXPECT_FALSE(SummarizeExampleRecord("\xff\xff\xff\xff\xff\xff", &view));
}

TEST(ExampleSummaryTest, IndexEntryRoundTrips) {
  v1::ExampleIndexEntry entry;
  entry.set_offset(123456789012);
  entry.set_length(4321);
  entry.set_masked_crc(0xdeadbeef);
  *entry.mutable_summary() = SummarizeExample(FullExample());
  entry.add_markdown()->set_bytes(99);  // not read, skipped
  const std::string bytes = entry.SerializeAsString();
  IndexEntryView view;
  ASSERT_TRUE(ParseIndexEntry(bytes, &view));
  EXPECT_EQ(view.offset, 123456789012u);
  EXPECT_EQ(view.length, 4321u);
  EXPECT_EQ(view.masked_crc, 0xdeadbeefu);
  ExpectSameSummary(view.summary, entry.summary());
  ExpectSameSummary(ViewOf(ToProto(view.summary)), entry.summary());
}

TEST(ExampleSummaryTest, KeysAreTheServiceFingerprints) {
  v1::Example example = FullExample();
  ExampleKeys keys = KeysOf(SummaryOf(example));
  EXPECT_EQ(keys.id, ExampleIdKey(example.id()));
  ASSERT_TRUE(keys.has_credit);
  EXPECT_EQ(keys.credit, ReplyKey("kitchen-1", "a1"));
  ASSERT_TRUE(keys.has_feedback);
  EXPECT_EQ(keys.feedback, ReplyKey("kitchen-1", "u2"));

  // A pair is credited by its two replies, and has no feedback key.
  example.mutable_rejected_turn()->set_turn_id("a0");
  keys = KeysOf(SummaryOf(example));
  EXPECT_EQ(keys.credit, ReplyKey("kitchen-1", PairCreditKey("a1", "a0")));
  EXPECT_FALSE(keys.has_feedback);

  // An import credits nothing.
  example = FullExample();
  example.set_source(v1::SOURCE_IMPORTED);
  keys = KeysOf(SummaryOf(example));
  EXPECT_FALSE(keys.has_credit);
  EXPECT_FALSE(keys.has_feedback);
}

TEST(ExampleSummaryTest, StoredKeysAreTakenOnlyWhenCurrent) {
  const ExampleKeys computed = KeysOf(SummaryOf(FullExample()));
  v1::ExampleIndexEntry entry;
  entry.set_offset(1);
  entry.set_length(2);
  *entry.mutable_summary() = SummarizeExample(FullExample());
  EXPECT_EQ(entry.summary().keys().size(), 48u);
  EXPECT_EQ(entry.summary().keys_version(), kExampleKeysVersion);

  // Keys read from an entry are taken as they are: a restart hashes
  // nothing. (Garbled on purpose here, to tell them from computed ones.)
  std::string garbled = entry.summary().keys();
  garbled[0] ^= 1;
  entry.mutable_summary()->set_keys(garbled);
  std::string bytes = entry.SerializeAsString();
  IndexEntryView view;
  ASSERT_TRUE(ParseIndexEntry(bytes, &view));
  ASSERT_TRUE(HasCurrentKeys(view.summary));
  EXPECT_FALSE(KeysOf(view.summary).id == computed.id);
  EXPECT_EQ(KeysOf(view.summary).credit, computed.credit);

  // Another version, a wrong size or none at all: computed again.
  for (int change = 0; change < 3; ++change) {
    v1::ExampleIndexEntry other = entry;
    if (change == 0) other.mutable_summary()->set_keys_version(2);
    if (change == 1) other.mutable_summary()->set_keys(garbled.substr(16));
    if (change == 2) other.mutable_summary()->clear_keys_version();
    bytes = other.SerializeAsString();
    ASSERT_TRUE(ParseIndexEntry(bytes, &view));
    EXPECT_FALSE(HasCurrentKeys(view.summary)) << change;
    EXPECT_EQ(KeysOf(view.summary).id, computed.id) << change;
    EXPECT_EQ(KeysOf(view.summary).feedback, computed.feedback) << change;
  }
}

}  // namespace
}  // namespace ftcapture
