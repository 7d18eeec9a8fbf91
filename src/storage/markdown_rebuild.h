#ifndef FTCAPTURE_SRC_STORAGE_MARKDOWN_REBUILD_H_
#define FTCAPTURE_SRC_STORAGE_MARKDOWN_REBUILD_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace ftcapture {

class Env;

// Regenerates the Markdown log(s) of `data_dir` from its dataset and
// replaces them atomically (temp file, fsync, rename). Takes the data dir's
// lock, so it fails with FailedPrecondition while a server uses the dir.
// Reads past bad records without repairing the dataset (Open() does that).
// `examples_written` (optional) receives how many blocks were written.
absl::Status RebuildMarkdown(Env* env, const std::string& data_dir,
                             bool negative_markdown,
                             int64_t* examples_written = nullptr);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_STORAGE_MARKDOWN_REBUILD_H_
