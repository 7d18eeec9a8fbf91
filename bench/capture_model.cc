#include "bench/capture_model.h"

#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "src/storage/example_id.h"
#include "src/storage/example_index.h"
#include "src/storage/example_summary.h"
#include "src/storage/markdown_format.h"
#include "src/storage/tfrecord_writer.h"

namespace ftcapture {
namespace bench {
namespace {

// A turn as the server stores it: with the arrival time it adds when the
// client sent none.
v1::Turn Held(const v1::Turn& turn, absl::Time now) {
  v1::Turn held = turn;
  if (!held.has_time()) {
    const int64_t nanos = absl::ToUnixNanos(now);
    held.mutable_time()->set_seconds(nanos / 1000000000);
    held.mutable_time()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
  }
  return held;
}

}  // namespace

v1::Example ModelExample(const v1::Turn& user, const v1::Turn& reply,
                         const v1::Turn& praise) {
  const absl::Time now = absl::Now();
  v1::Example example;
  example.set_id(ExampleIdForReply(praise.session_id(), reply.turn_id()));
  example.mutable_captured_at()->set_seconds(absl::ToUnixSeconds(now));
  example.mutable_captured_at()->set_nanos(123456789);
  example.set_session_id(praise.session_id());
  *example.mutable_user_turn() = Held(user, now);
  *example.mutable_assistant_turn() = Held(reply, now);
  *example.mutable_praise_turn() = Held(praise, now);
  example.set_praise_text(praise.text());
  example.set_rule("that_was_adj");
  example.set_label(v1::LABEL_POSITIVE);
  example.set_source(v1::SOURCE_IMPLICIT);
  example.set_status(v1::REVIEW_STATUS_PENDING);
  example.set_confidence(v1::CONFIDENCE_HIGH);
  (*example.mutable_metadata())["ftcapture.history_source"] = "session";
  return example;
}

std::string FramedRecord(const v1::Example& example) {
  std::string framed;
  AppendTFRecord(example.SerializeAsString(), &framed);
  return framed;
}

CaptureBytes CaptureBytesOf(const v1::Example& example) {
  CaptureBytes bytes;
  const std::string record = example.SerializeAsString();
  std::string framed;
  const uint32_t crc = AppendTFRecord(record, &framed);
  bytes.record = static_cast<int64_t>(framed.size());
  const std::string markdown = FormatExampleMarkdown(example);
  bytes.markdown = static_cast<int64_t>(markdown.size());
  // The record's index entry, then the Markdown state the store appends
  // after every batch (ExampleStoreImpl::AppendMarkdownStateEntry).
  std::string index;
  const uint64_t offset = uint64_t{1} << 30;
  AppendIndexEntry(offset, framed.size(), crc, SummarizeExample(example),
                   &index);
  v1::ExampleIndexEntry state;
  state.set_offset(offset + framed.size());
  v1::MarkdownState* positive = state.add_markdown();
  positive->set_enabled(true);
  positive->set_bytes(uint64_t{1} << 30);
  positive->set_lines(uint64_t{1} << 24);
  positive->set_needs_blank(false);
  positive->set_tail_crc(0x89abcdef);
  state.add_markdown()->set_enabled(false);
  AppendTFRecord(state.SerializeAsString(), &index);
  bytes.index = static_cast<int64_t>(index.size());
  return bytes;
}

}  // namespace bench
}  // namespace ftcapture
