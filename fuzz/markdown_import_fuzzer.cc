// The legacy Markdown import and the Markdown scanner the store uses to
// catch up its log. Invariants: the parser never crashes and either
// returns examples with ids and replies or InvalidArgument; every example it
// returns, written back by our writer, parses again to the same texts; the
// scanner sees the same complete blocks however the file is cut into chunks.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "fuzz/fuzz_util.h"
#include "src/storage/markdown_format.h"
#include "src/tools/markdown_import.h"
#include "src/util/visible_text.h"

namespace {

// Text the writer keeps exactly: it shows control characters visibly
// (one-way, the dataset keeps the bytes) and puts the praise on one line.
bool KeptExactly(absl::string_view text, bool one_line) {
  if (one_line && text.find_first_of("\r\n") != absl::string_view::npos) {
    return false;
  }
  return ftcapture::IsVisibleText(text);
}

void CheckRoundTrip(const ftcapture::v1::Example& example) {
  using namespace ftcapture;
  const std::string markdown = FormatExampleMarkdown(example);
  absl::StatusOr<std::vector<v1::Example>> again =
      ParseLegacyMarkdown(markdown);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->size() == 1);
  const v1::Example& back = (*again)[0];
  if (KeptExactly(example.user_turn().text(), false)) {
    FUZZ_CHECK(back.user_turn().text() == example.user_turn().text());
  }
  if (KeptExactly(example.assistant_turn().text(), false)) {
    FUZZ_CHECK(back.assistant_turn().text() == example.assistant_turn().text());
  }
  if (KeptExactly(example.praise_text(), true)) {
    FUZZ_CHECK(back.praise_text() == example.praise_text());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ftcapture;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<v1::Example>> examples = ParseLegacyMarkdown(text);
  if (examples.ok()) {
    for (const v1::Example& example : *examples) {
      FUZZ_CHECK(!example.id().empty());
      CheckRoundTrip(example);
    }
  } else {
    FUZZ_CHECK(absl::IsInvalidArgument(examples.status()));
  }

  ExampleMarkdownScanner whole;
  whole.Feed(text);
  whole.Finish();
  FUZZ_CHECK(whole.bytes() == size);
  FUZZ_CHECK(whole.complete_bytes() <= whole.bytes());
  ExampleMarkdownScanner chunked;
  const size_t step = size == 0 ? 1 : 1 + data[0] % 7;
  for (size_t pos = 0; pos < size; pos += step)
    chunked.Feed(text.substr(pos, step));
  chunked.Finish();
  FUZZ_CHECK(chunked.complete_bytes() == whole.complete_bytes());
  FUZZ_CHECK(chunked.example_ids() == whole.example_ids());
  FUZZ_CHECK(chunked.torn_tail() == whole.torn_tail());
  return 0;
}
