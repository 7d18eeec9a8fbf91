#ifndef FTCAPTURE_SRC_SERVICE_EXAMPLE_HISTORY_H_
#define FTCAPTURE_SRC_SERVICE_EXAMPLE_HISTORY_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "ftcapture/v1/capture.pb.h"
#include "src/session/session_window.h"
#include "src/session/stored_turn.h"

namespace ftcapture {

// Example.metadata keys the service sets about an example's history.
inline constexpr char kHistorySourceKey[] = "ftcapture.history_source";
inline constexpr char kHistoryCutKey[] = "ftcapture.history_cut";
inline constexpr char kHistoryOmittedKey[] = "ftcapture.history_omitted";

// A turn's context_messages are well formed: only on assistant turns, each
// with role ROLE_USER or ROLE_ASSISTANT and non-empty text. Else
// InvalidArgument naming the first bad message.
absl::Status ValidateContextMessages(const v1::Turn& turn);

// The conversation an example of `reply` stores before its user turn:
// the reply's context_messages when it has any (moved out of the reply, and
// without a last user message that repeats `user_text`), else `held` (the
// session's turns before the user turn, kept with role, text, id, time and
// metadata). Cut oldest-first to 2 * limits.history_turns turns and
// limits.history_bytes of text. Metadata says where the history came from
// (kHistorySourceKey: "session" or "supplied"), how many messages the limits
// cut (kHistoryCutKey) and how many earlier session turns were no longer
// held (kHistoryOmittedKey); the counts only when not zero.
void FillHistory(const std::vector<TurnPtr>& held, int64_t omitted,
                 const SessionLimits& limits, v1::Example* example);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_SERVICE_EXAMPLE_HISTORY_H_
