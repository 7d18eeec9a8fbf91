#include "bench/turn_mix.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace ftcapture {
namespace bench {
namespace {

constexpr int kPoolSize = 512;

// Plain words: no praise or criticism word among them, so ordinary turns
// take the detector's common path, as most real chat does.
constexpr const char* kWords[] = {
    "the",     "kettle",  "garden",  "radiator", "whistle", "bulbs",
    "clay",    "soil",    "water",   "morning",  "evening", "weather",
    "should",  "could",   "would",   "maybe",    "about",   "because",
    "when",    "where",   "which",   "there",    "their",   "brass",
    "copper",  "window",  "kitchen", "recipe",   "flour",   "sugar",
    "oven",    "minutes", "degrees", "planting", "season",  "autumn",
    "spring",  "tomato",  "pepper",  "basil",    "thyme",   "compost",
    "ladder",  "roof",    "gutter",  "leak",     "pipe",    "valve",
    "bicycle", "chain",   "brake",   "tyre",     "pump",    "battery",
    "charger", "cable",   "router",  "printer",  "paper",   "ink",
    "and",     "or",      "but",     "so",       "then",    "also",
    "my",      "your",    "our",     "this",     "that",    "these",
    "is",      "was",     "are",     "were",     "has",     "have",
    "do",      "does",    "did",     "make",     "take",    "bring",
    "how",     "why",     "what",    "who",      "wide",    "deep",
    "often",   "much",    "many",    "small",    "large",   "old"};
constexpr int kWordCount = sizeof(kWords) / sizeof(kWords[0]);

// Praise the built-in rules capture; some carry the next question.
constexpr const char* kPraise[] = {
    "Good one, Timmy!",
    "That was an excellent response.",
    "Nailed it. Now what about the radiator?",
    "Well done, Timmy! Should I add sand for the clay?",
    "Great answer, thanks.",
    "Nice one! It is a brass whistle, by the way.",
    "I'm impressed, that was really helpful.",
    "Perfect response, exactly what I needed."};

// Praise words about something else: the detector's slow path, vetoed.
constexpr const char* kNearMiss[] = {
    "Good morning, Timmy. What should I plant in the autumn?",
    "Great, the printer stopped again. Why does it do that?",
    "The weather is great today, should I water the basil?",
    "Was that a good response to the plumber's question?"};

std::string Words(std::mt19937_64& rng, size_t min_bytes, size_t max_bytes) {
  std::uniform_int_distribution<size_t> length(min_bytes, max_bytes);
  std::uniform_int_distribution<int> word(0, kWordCount - 1);
  const size_t target = length(rng);
  std::string text;
  text.reserve(target + 16);
  int in_sentence = 0;
  while (text.size() < target) {
    if (!text.empty()) text.push_back(' ');
    std::string next = kWords[word(rng)];
    if (in_sentence == 0) next[0] = static_cast<char>(next[0] - 'a' + 'A');
    text += next;
    if (++in_sentence >= 12 && text.size() + 1 < target) {
      text.push_back('.');
      in_sentence = 0;
    }
  }
  text.resize(std::max(min_bytes, std::min(text.size(), max_bytes - 1)));
  text.push_back('?');
  return text;
}

}  // namespace

TurnMix::TurnMix(uint64_t seed, double praise_rate)
    : rng_(seed), praise_(praise_rate) {
  std::uniform_int_distribution<int> percent(0, 99);
  for (int i = 0; i < kPoolSize; ++i) {
    // About 3% of ordinary turns use praise words about something else.
    if (percent(rng_) < 3) {
      user_texts_.push_back(kNearMiss[i % std::size(kNearMiss)]);
    } else {
      user_texts_.push_back(Words(rng_, 40, 300));
    }
    reply_texts_.push_back(Words(rng_, 100, 800));
    v1::Memory& memory = memories_.emplace_back();
    memory.set_text(Words(rng_, 40, 160));
    memory.set_category(kWords[i % kWordCount]);
    memory.set_importance(1 + i % 5);
    memory.mutable_created_at()->set_seconds(1760000000 + i * 3600);
  }
  for (int i = 0; i < 64; ++i) {
    prompts_.push_back(absl::StrCat(
        "You are Timmy, a friendly household helper. Keep answers short. ",
        Words(rng_, 2048 - 70, 4096 - 70)));
  }
  for (const char* praise : kPraise) praise_texts_.push_back(praise);
}

void TurnMix::MakeUserTurn(const std::string& session_id,
                           const std::string& turn_id, v1::Turn* turn,
                           bool* is_praise) {
  *is_praise = praise_(rng_);
  FillUserTurn(session_id, turn_id, *is_praise ? praise_texts_ : user_texts_,
               turn);
}

void TurnMix::MakePraiseTurn(const std::string& session_id,
                             const std::string& turn_id, v1::Turn* turn) {
  FillUserTurn(session_id, turn_id, praise_texts_, turn);
}

void TurnMix::FillUserTurn(const std::string& session_id,
                           const std::string& turn_id,
                           const std::vector<std::string>& texts,
                           v1::Turn* turn) {
  turn->Clear();
  turn->set_session_id(session_id);
  turn->set_turn_id(turn_id);
  turn->set_role(v1::ROLE_USER);
  turn->set_text(texts[rng_() % texts.size()]);
}

void TurnMix::MakeAssistantTurn(const std::string& session_id,
                                const std::string& turn_id, v1::Turn* turn) {
  turn->Clear();
  turn->set_session_id(session_id);
  turn->set_turn_id(turn_id);
  turn->set_role(v1::ROLE_ASSISTANT);
  turn->set_text(reply_texts_[rng_() % reply_texts_.size()]);
  turn->set_system_prompt(prompts_[rng_() % prompts_.size()]);
  const int memories = 3 + static_cast<int>(rng_() % 6);  // 3-8
  for (int i = 0; i < memories; ++i) {
    *turn->add_memories() = memories_[rng_() % memories_.size()];
  }
}

}  // namespace bench
}  // namespace ftcapture
