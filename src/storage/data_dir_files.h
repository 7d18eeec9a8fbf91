#ifndef FTCAPTURE_SRC_STORAGE_DATA_DIR_FILES_H_
#define FTCAPTURE_SRC_STORAGE_DATA_DIR_FILES_H_

// The names of the files ftcapture keeps under its data dir, in one place.
// docs/durability.md says how each one is written and recovered.

#include <string>

#include "absl/strings/str_format.h"

namespace ftcapture {

// The dataset: one TFRecord per example (v1::Example).
inline constexpr char kDatasetFileName[] = "examples.tfrecord";
// The Markdown logs people read: positive examples, and negative ones when
// negative_markdown is set.
inline constexpr char kMarkdownFileName[] =
    "fine_tuning_best_case_interchanges.md";
inline constexpr char kNegativeMarkdownFileName[] =
    "fine_tuning_negative_interchanges.md";
// Held by a process using the data dir (the server, rebuild-markdown).
inline constexpr char kLockFileName[] = "LOCK";
// A cache of the records' summaries and the Markdown logs' state, so a
// restart need not parse every example again (see ExampleIndexEntry).
inline constexpr char kIndexFileName[] = "examples.index";
// Reviews of examples (v1::ReviewRecord), appended.
inline constexpr char kReviewLogFileName[] = "reviews.tfrecord";
// Tombstones of erased examples (v1::DeletionRecord), appended and fsync'd.
inline constexpr char kDeletionLogFileName[] = "deletions.tfrecord";
// Present only while a compaction switches its new files in: names them
// (one per line, in switch order); see src/storage/compaction.h.
inline constexpr char kCompactionManifestFileName[] = "COMPACTION";
// The suffix of a compaction's new files before they are switched in.
inline constexpr char kCompactionSuffix[] = ".compact";
// The session journal: one file per session-table shard in this folder.
inline constexpr char kSessionsDirName[] = "sessions";

// The journal file of session-table shard `shard`, inside kSessionsDirName.
inline std::string SessionJournalFileName(int shard) {
  return absl::StrFormat("shard-%03d.journal", shard);
}

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_STORAGE_DATA_DIR_FILES_H_
