#ifndef FTCAPTURE_BENCH_TURN_MIX_H_
#define FTCAPTURE_BENCH_TURN_MIX_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ftcapture/v1/capture.pb.h"

namespace ftcapture {
namespace bench {

// The realistic turn mix the benchmarks send (issue 5): user turns of 40-300
// bytes, assistant turns of 100-800 bytes carrying a 2-4 KB system prompt and
// 3-8 memories, and praise on about `praise_rate` of the user turns.
//
// The texts are drawn once into pools at construction, from `seed`, so
// making a turn costs a copy and no generation: the load generator's own CPU
// stays small next to the server's. Not thread-safe: one TurnMix per thread.
class TurnMix {
 public:
  explicit TurnMix(uint64_t seed, double praise_rate = 0.02);

  // A user turn: ordinary chat, or praise of the reply before it (the
  // built-in rules capture every praise text of the pool). `*is_praise`
  // tells which.
  void MakeUserTurn(const std::string& session_id, const std::string& turn_id,
                    v1::Turn* turn, bool* is_praise);
  // A user turn that is always praise.
  void MakePraiseTurn(const std::string& session_id, const std::string& turn_id,
                      v1::Turn* turn);
  // An assistant turn with its system prompt and memories.
  void MakeAssistantTurn(const std::string& session_id,
                         const std::string& turn_id, v1::Turn* turn);

 private:
  // A user turn whose text is drawn from `texts`.
  void FillUserTurn(const std::string& session_id, const std::string& turn_id,
                    const std::vector<std::string>& texts, v1::Turn* turn);

  std::mt19937_64 rng_;
  std::bernoulli_distribution praise_;
  std::vector<std::string> user_texts_;
  std::vector<std::string> praise_texts_;
  std::vector<std::string> reply_texts_;
  std::vector<std::string> prompts_;
  std::vector<v1::Memory> memories_;
};

}  // namespace bench
}  // namespace ftcapture

#endif  // FTCAPTURE_BENCH_TURN_MIX_H_
