#include "src/detect/praise_detector.h"

#include <algorithm>
#include <cstddef>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "re2/re2.h"
#include "re2/set.h"
#include "src/detect/rule_file.h"
#include "src/detect/sentence_splitter.h"

namespace ftcapture {
namespace internal {
// Generated from src/detect/rules/default_rules.txt by cmake/embed_rules.cmake.
extern const char kDefaultRulesData[];
extern const std::size_t kDefaultRulesSize;
}  // namespace internal

namespace {

// How many matches of one rule in one sentence are tried when guards veto the
// earlier ones ("not great, but that one was great").
constexpr int kMaxMatchesPerRule = 8;

// How many bytes of rule matches per message RE2's NFA may search for a core
// (~0.5 us per byte with the built-in rules). Real praise needs a few dozen;
// a 1 MB "wow, wow, ..." turn would otherwise cost half a second. A match
// over the budget is skipped, as if the rule had not matched there.
constexpr size_t kNfaBudgetBytes = 16 << 10;

re2::StringPiece Piece(absl::string_view s) {
  return re2::StringPiece(s.data(), s.size());
}

RE2::Options MatchOptions() {
  RE2::Options options;
  options.set_case_sensitive(false);
  options.set_log_errors(false);
  return options;
}

constexpr int kScopeCount = static_cast<int>(GuardScope::kMessage) + 1;

struct CompiledRule {
  FeedbackKind kind;
  Confidence confidence;
  std::string name;
  std::unique_ptr<RE2> regex;  // sentence mode; group 1 (if any) = the core
  // Per scope: the guards that target this rule (indices into guards_, in
  // file order) and all of them as one alternation, so that the common case,
  // no veto, costs one match per scope. Rules with the same guards share the
  // alternation.
  std::vector<int> guards[kScopeCount];
  std::shared_ptr<const RE2> any_guard[kScopeCount];
};

struct CompiledGuard {
  std::string name;
  GuardScope scope;
  std::unique_ptr<RE2> regex;
};

// Words of a sentence (offsets into it) that a guard vetoed.
struct VetoedSpan {
  size_t begin;
  size_t end;
  int guard;
};

absl::Status BadRegex(const char* what, const std::string& name, int line,
                      absl::string_view error) {
  return absl::InvalidArgumentError(absl::StrCat(
      "rules line ", line, ": ", what, " '", name, "': bad regex: ", error));
}

// The RE2 detector. Invariants: rules_ and the prefilter set hold the same
// rules at the same indices; any_rule_ matches exactly the messages the
// prefilter set matches; the prefilter matches every message in which some
// rule matches some sentence; everything is immutable after Create(), so
// Detect() needs no lock (RE2 and RE2::Set are safe for concurrent use).
class RegexPraiseDetector : public PraiseDetector {
 public:
  static absl::StatusOr<std::unique_ptr<PraiseDetector>> Build(
      const RuleFile& file) {
    std::unique_ptr<RegexPraiseDetector> detector(new RegexPraiseDetector());
    // Only a rule's own regex reports group 1; everything else is asked "does
    // it match" or for the whole match, and compiles smaller and runs a little
    // faster without captures.
    const RE2::Options options = MatchOptions();
    RE2::Options no_capture = options;
    no_capture.set_never_capture(true);
    RE2::Options big_options = no_capture;
    big_options.set_max_mem(64 << 20);

    for (const GuardSpec& spec : file.guards) {
      auto regex = std::make_unique<RE2>(Piece(spec.regex), no_capture);
      if (!regex->ok()) {
        return BadRegex("guard", spec.name, spec.line, regex->error());
      }
      detector->guards_.push_back({spec.name, spec.scope, std::move(regex)});
    }

    detector->prefilter_ =
        std::make_unique<RE2::Set>(big_options, RE2::UNANCHORED);
    std::string any_rule;
    // Guard alternations by text: most rules have the same guards.
    absl::flat_hash_map<std::string, std::shared_ptr<const RE2>> alternations;
    for (const RuleSpec& spec : file.rules) {
      CompiledRule rule;
      rule.kind = spec.kind;
      rule.confidence = spec.confidence;
      rule.name = spec.name;
      rule.regex = std::make_unique<RE2>(Piece(spec.sentence_regex), options);
      if (!rule.regex->ok()) {
        return BadRegex("rule", spec.name, spec.line, rule.regex->error());
      }
      std::string error;
      if (detector->prefilter_->Add(Piece(spec.prefilter_regex), &error) < 0) {
        return BadRegex("rule", spec.name, spec.line, error);
      }
      absl::StrAppend(&any_rule, any_rule.empty() ? "" : "|",
                      "(?:", spec.prefilter_regex, ")");
      std::string alternation[kScopeCount];
      for (size_t g = 0; g < file.guards.size(); ++g) {
        if (!GuardTargetsRule(file.guards[g], spec)) continue;
        const int scope = static_cast<int>(file.guards[g].scope);
        rule.guards[scope].push_back(g);
        absl::StrAppend(&alternation[scope],
                        alternation[scope].empty() ? "" : "|",
                        "(?:", file.guards[g].regex, ")");
      }
      for (int scope = 0; scope < kScopeCount; ++scope) {
        if (rule.guards[scope].empty()) continue;
        std::shared_ptr<const RE2>& shared = alternations[alternation[scope]];
        if (shared == nullptr) {
          shared = std::make_shared<const RE2>(Piece(alternation[scope]),
                                               big_options);
        }
        if (!shared->ok()) {
          return absl::ResourceExhaustedError(
              absl::StrCat("rules line ", spec.line, ": the guards of rule '",
                           spec.name, "' are too large to compile together"));
        }
        rule.any_guard[scope] = shared;
      }
      detector->rules_.push_back(std::move(rule));
    }
    if (!detector->prefilter_->Compile()) {
      return absl::ResourceExhaustedError(
          "rules: too many or too large rules to compile into one RE2::Set");
    }
    // One alternation rejects faster than the set: it may stop at the first
    // match and has less per-call overhead.
    detector->any_rule_ = std::make_unique<RE2>(Piece(any_rule), big_options);
    if (!detector->any_rule_->ok()) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "rules: too large to compile: ", detector->any_rule_->error()));
    }
    return std::unique_ptr<PraiseDetector>(std::move(detector));
  }

  Verdict Detect(absl::string_view message) const override {
    Verdict verdict;
    if (message.empty()) return verdict;
    // Almost every message stops here.
    if (!any_rule_->Match(Piece(message), 0, message.size(), RE2::UNANCHORED,
                          nullptr, 0)) {
      return verdict;
    }
    std::vector<int> candidates;
    RE2::Set::ErrorInfo error;
    if (!prefilter_->Match(Piece(message), &candidates, &error)) {
      if (error.kind == RE2::Set::kNoError) return verdict;
      // The set's DFA ran out of memory (huge rule files, long messages):
      // slower but never wrong, try every rule.
      candidates.resize(rules_.size());
      for (size_t i = 0; i < rules_.size(); ++i) candidates[i] = i;
    }
    std::sort(candidates.begin(), candidates.end());

    Verdict praise;
    Verdict criticism;
    Verdict vetoed;
    std::vector<VetoedSpan> vetoed_spans;
    size_t nfa_budget = kNfaBudgetBytes;
    for (absl::string_view sentence : SplitSentences(message)) {
      vetoed_spans.clear();
      for (int index : candidates) {
        const CompiledRule& rule = rules_[index];
        // One of each kind is enough: praise decides, a criticism beside it
        // is kept for the record.
        const Verdict& found =
            rule.kind == FeedbackKind::kPraise ? praise : criticism;
        if (found.kind != FeedbackKind::kNone) continue;
        Verdict judged =
            JudgeRule(rule, message, sentence, &vetoed_spans, &nfa_budget);
        if (judged.kind == FeedbackKind::kPraise) {
          praise = std::move(judged);
        } else if (judged.kind == FeedbackKind::kCriticism) {
          criticism = std::move(judged);
        } else if (!judged.veto.empty() && vetoed.veto.empty()) {
          vetoed = std::move(judged);
        }
        if (praise.kind != FeedbackKind::kNone &&
            criticism.kind != FeedbackKind::kNone) {
          break;
        }
      }
    }
    if (praise.kind != FeedbackKind::kNone) {
      if (criticism.kind != FeedbackKind::kNone) {
        praise.mixed_criticism_rule = std::move(criticism.rule);
        praise.mixed_criticism_evidence = std::move(criticism.evidence);
        praise.mixed_criticism_confidence = criticism.confidence;
      }
      return praise;
    }
    if (criticism.kind != FeedbackKind::kNone) return criticism;
    return vetoed;
  }

 private:
  RegexPraiseDetector() = default;

  // The first guard (in file order) that targets `rule` and matches its
  // scope around the core at [core_begin, core_end) of `sentence`; -1 if
  // none.
  int FirstVeto(const CompiledRule& rule, absl::string_view message,
                absl::string_view sentence, size_t core_begin,
                size_t core_end) const {
    const size_t sentence_offset = sentence.data() - message.data();
    int first = -1;
    for (int s = 0; s < kScopeCount; ++s) {
      if (rule.any_guard[s] == nullptr) continue;
      absl::string_view text;
      switch (static_cast<GuardScope>(s)) {
        case GuardScope::kBefore:
          text = sentence.substr(0, core_begin);
          break;
        case GuardScope::kAfter:
          text = sentence.substr(core_end);
          break;
        case GuardScope::kSentence:
          text = sentence;
          break;
        case GuardScope::kPreceding:
          text = message.substr(0, sentence_offset + core_begin);
          break;
        case GuardScope::kRest:
          text = message.substr(sentence_offset + core_end);
          break;
        case GuardScope::kMessage:
          text = message;
          break;
      }
      if (!rule.any_guard[s]->Match(Piece(text), 0, text.size(),
                                    RE2::UNANCHORED, nullptr, 0)) {
        continue;
      }
      // Rare: find which guard it was.
      for (int g : rule.guards[s]) {
        if (first >= 0 && g > first) break;
        if (guards_[g].regex->Match(Piece(text), 0, text.size(),
                                    RE2::UNANCHORED, nullptr, 0)) {
          first = g;
          break;
        }
      }
    }
    return first;
  }

  // The first match of `rule` in `text` at or after `pos`, and its core
  // (group 1, or the whole match without one).
  // `nfa_budget` is what is left of kNfaBudgetBytes for this message.
  bool NextMatch(const CompiledRule& rule, const re2::StringPiece& text,
                 size_t pos, re2::StringPiece* match, re2::StringPiece* core,
                 size_t* nfa_budget) const {
    if (!rule.regex->Match(text, pos, text.size(), RE2::UNANCHORED, match, 1)) {
      return false;
    }
    *core = *match;
    if (rule.regex->NumberOfCapturingGroups() == 0) return true;
    // RE2 finds group 1 the way its unanchored search would: with the match
    // known, by a full match of that span (its NFA: hence the budget).
    if (match->size() > *nfa_budget) return false;
    *nfa_budget -= match->size();
    const size_t begin = match->data() - text.data();
    re2::StringPiece groups[2];
    if (!rule.regex->Match(text, begin, begin + match->size(), RE2::ANCHOR_BOTH,
                           groups, 2)) {
      return false;  // cannot happen: the span matched just now
    }
    if (groups[1].data() != nullptr) *core = groups[1];
    return true;
  }

  // Tries `rule` on `sentence` (a view into `message`): the first match that
  // no guard vetoes decides; otherwise the first veto is reported. Words that
  // an earlier (more specific) rule matched and a guard vetoed stay vetoed:
  // in "I'm going to tell you you are doing a great job" the promise that
  // vetoes "doing a great job" also covers the "great job" inside it.
  Verdict JudgeRule(const CompiledRule& rule, absl::string_view message,
                    absl::string_view sentence,
                    std::vector<VetoedSpan>* vetoed_spans,
                    size_t* nfa_budget) const {
    Verdict verdict;
    const re2::StringPiece text = Piece(sentence);
    re2::StringPiece match;
    re2::StringPiece core;
    size_t pos = 0;
    for (int attempt = 0; attempt < kMaxMatchesPerRule && pos <= text.size();
         ++attempt) {
      if (!NextMatch(rule, text, pos, &match, &core, nfa_budget)) break;
      const size_t core_begin = core.data() - sentence.data();
      const size_t core_end = core_begin + core.size();

      int veto = -1;
      for (const VetoedSpan& span : *vetoed_spans) {
        if (span.begin < core_end && core_begin < span.end) {
          veto = span.guard;
          break;
        }
      }
      if (veto < 0) {
        veto = FirstVeto(rule, message, sentence, core_begin, core_end);
        if (veto >= 0) vetoed_spans->push_back({core_begin, core_end, veto});
      }
      if (veto < 0) {
        verdict.kind = rule.kind;
        verdict.confidence = rule.confidence;
        verdict.rule = rule.name;
        verdict.veto.clear();
        verdict.evidence = std::string(core.data(), core.size());
        return verdict;
      }
      if (verdict.veto.empty()) {
        verdict.rule = rule.name;
        verdict.veto = guards_[veto].name;
        verdict.evidence = std::string(core.data(), core.size());
      }
      // Look for a later match of the same rule in this sentence.
      const size_t match_begin = match.data() - text.data();
      pos = match_begin + 1;
    }
    return verdict;
  }

  std::vector<CompiledRule> rules_;
  std::vector<CompiledGuard> guards_;
  std::unique_ptr<RE2::Set> prefilter_;
  std::unique_ptr<RE2> any_rule_;
};

}  // namespace

absl::string_view FeedbackKindName(FeedbackKind kind) {
  switch (kind) {
    case FeedbackKind::kNone:
      return "none";
    case FeedbackKind::kPraise:
      return "praise";
    case FeedbackKind::kCriticism:
      return "criticism";
  }
  return "none";
}

absl::string_view ConfidenceName(Confidence confidence) {
  return confidence == Confidence::kWeak ? "weak" : "strong";
}

absl::StatusOr<std::unique_ptr<PraiseDetector>> PraiseDetector::Create(
    absl::string_view rules_text, absl::string_view persona) {
  absl::StatusOr<RuleFile> file = ParseRuleFile(rules_text, persona);
  if (!file.ok()) return file.status();
  return RegexPraiseDetector::Build(*file);
}

absl::StatusOr<std::unique_ptr<PraiseDetector>> PraiseDetector::CreateFromFile(
    const std::string& path, absl::string_view persona) {
  if (path.empty()) return Create(DefaultRules(), persona);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot open rule file '", path, "'"));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) {
    return absl::DataLossError(
        absl::StrCat("cannot read rule file '", path, "'"));
  }
  absl::StatusOr<std::unique_ptr<PraiseDetector>> detector =
      Create(contents.str(), persona);
  if (!detector.ok()) {
    return absl::Status(detector.status().code(),
                        absl::StrCat(path, ": ", detector.status().message()));
  }
  return detector;
}

absl::string_view PraiseDetector::DefaultRules() {
  return absl::string_view(internal::kDefaultRulesData,
                           internal::kDefaultRulesSize);
}

}  // namespace ftcapture
