// Session-journal replay from an arbitrary file: Open replays what verifies
// into session windows, never crashes, and what it compacts back replays to
// the same windows.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "fuzz/fuzz_util.h"
#include "src/session/session_journal.h"
#include "src/session/session_window.h"
#include "src/util/env.h"

namespace {

using ftcapture::SessionWindow;
using ftcapture::TurnPtr;

// What a window shows, to compare two replays.
std::string Describe(const SessionWindow& window) {
  std::string out;
  for (const TurnPtr& turn : {window.answered_user(), window.latest_assistant(),
                              window.latest_user()}) {
    out += turn == nullptr ? std::string("-") : turn->bytes();
    out += '|';
  }
  return out;
}

std::map<std::string, std::string> Replay(const std::string& data_dir,
                                          std::string* snapshot) {
  using namespace ftcapture;
  std::map<std::string, SessionWindow> windows;
  std::map<std::string, absl::Time> last_used;
  absl::StatusOr<std::unique_ptr<SessionJournal>> journal =
      SessionJournal::Open(
          Env::Default(), data_dir, 1, absl::InfinitePast(),
          [&](absl::string_view session_id, absl::Time received_at,
              absl::FunctionRef<void(SessionWindow&)> apply) {
            apply(windows[std::string(session_id)]);
            last_used[std::string(session_id)] = received_at;
          });
  FUZZ_CHECK(journal.ok());
  std::map<std::string, std::string> described;
  snapshot->clear();
  for (const auto& [id, window] : windows) {
    described[id] = Describe(window);
    SessionJournal::SnapshotWindow(id, window, last_used[id], snapshot);
  }
  return described;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ftcapture;
  const std::string data_dir = fuzz::ScratchDir() + "/journal";
  fuzz::RemoveTree(data_dir);
  FUZZ_CHECK(Env::Default()->CreateDirIfMissing(data_dir).ok());
  FUZZ_CHECK(Env::Default()->CreateDirIfMissing(data_dir + "/sessions").ok());
  const std::string shard = data_dir + "/sessions/shard-000.journal";
  fuzz::WriteWholeFile(
      shard, absl::string_view(reinterpret_cast<const char*>(data), size));

  std::string snapshot;
  const std::map<std::string, std::string> first = Replay(data_dir, &snapshot);
  // The compacted form of those windows must replay to the same windows.
  fuzz::WriteWholeFile(shard, snapshot);
  std::string again;
  const std::map<std::string, std::string> second = Replay(data_dir, &again);
  FUZZ_CHECK(first == second);
  return 0;
}
