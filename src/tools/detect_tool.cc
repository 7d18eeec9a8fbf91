#include "src/tools/detect_tool.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace ftcapture {
namespace {

void StripCarriageReturn(std::string* line) {
  if (!line->empty() && line->back() == '\r') line->pop_back();
}

struct LabeledMessage {
  int line = 0;
  FeedbackKind label = FeedbackKind::kNone;
  std::string message;
};

absl::Status ParseLabeledLine(absl::string_view text, int line_no,
                              LabeledMessage* out) {
  const size_t first_tab = text.find('\t');
  const size_t second_tab = first_tab == absl::string_view::npos
                                ? absl::string_view::npos
                                : text.find('\t', first_tab + 1);
  if (second_tab == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "line ", line_no, ": expected label<TAB>source<TAB>message"));
  }
  int label = 0;
  if (!absl::SimpleAtoi(text.substr(0, first_tab), &label) || label < -1 ||
      label > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", line_no, ": label must be 1, 0 or -1, got '",
                     text.substr(0, first_tab), "'"));
  }
  out->line = line_no;
  out->label = label == 1    ? FeedbackKind::kPraise
               : label == -1 ? FeedbackKind::kCriticism
                             : FeedbackKind::kNone;
  out->message = std::string(text.substr(second_tab + 1));
  return absl::OkStatus();
}

// Precision/recall counts for one kind of feedback.
struct Score {
  int true_positives = 0;
  int false_positives = 0;
  int false_negatives = 0;

  void Add(bool expected, bool predicted) {
    if (expected && predicted) ++true_positives;
    if (!expected && predicted) ++false_positives;
    if (expected && !predicted) ++false_negatives;
  }
  double Precision() const {
    const int predicted = true_positives + false_positives;
    return predicted == 0 ? 0.0
                          : static_cast<double>(true_positives) / predicted;
  }
  double Recall() const {
    const int expected = true_positives + false_negatives;
    return expected == 0 ? 0.0 : static_cast<double>(true_positives) / expected;
  }
  double F1() const {
    const double p = Precision(), r = Recall();
    return p + r == 0.0 ? 0.0 : 2 * p * r / (p + r);
  }
};

void PrintScore(absl::string_view name, const Score& score, std::ostream& out) {
  out << absl::StrFormat(
      "%s precision: %.4f (%d/%d)\n%s recall:    %.4f (%d/%d)\n%s F1:        "
      "%.4f\n",
      name, score.Precision(), score.true_positives,
      score.true_positives + score.false_positives, name, score.Recall(),
      score.true_positives, score.true_positives + score.false_negatives, name,
      score.F1());
}

}  // namespace

std::string VerdictExplanation(const Verdict& verdict) {
  if (verdict.kind != FeedbackKind::kNone) return verdict.rule;
  if (!verdict.veto.empty()) {
    return absl::StrCat("vetoed:", verdict.veto, ":", verdict.rule);
  }
  return "-";
}

int RunDetect(const PraiseDetector& detector, std::istream& in,
              std::ostream& out) {
  std::string line;
  while (std::getline(in, line)) {
    StripCarriageReturn(&line);
    const Verdict verdict = detector.Detect(line);
    out << FeedbackKindName(verdict.kind) << '\t' << VerdictExplanation(verdict)
        << '\t' << line << '\n';
  }
  out.flush();
  return out ? 0 : 1;
}

absl::Status RunDetectEval(const PraiseDetector& detector, std::istream& tsv,
                           std::ostream& out) {
  // Parse everything first so a malformed file prints nothing.
  std::vector<LabeledMessage> examples;
  std::string line;
  int line_no = 0;
  while (std::getline(tsv, line)) {
    ++line_no;
    StripCarriageReturn(&line);
    if (absl::StripAsciiWhitespace(line).empty() || line[0] == '#') continue;
    LabeledMessage example;
    absl::Status status = ParseLabeledLine(line, line_no, &example);
    if (!status.ok()) return status;
    examples.push_back(std::move(example));
  }
  if (tsv.bad()) return absl::DataLossError("error reading the labeled file");
  if (examples.empty()) {
    return absl::InvalidArgumentError("no labeled lines in the file");
  }

  // Criticism is scored only in files that label it: elsewhere 0 just means
  // "not praise".
  int praise_labels = 0, criticism_labels = 0;
  for (const LabeledMessage& example : examples) {
    praise_labels += example.label == FeedbackKind::kPraise;
    criticism_labels += example.label == FeedbackKind::kCriticism;
  }
  const bool score_criticism = criticism_labels > 0;

  Score praise, criticism;
  std::string misses;
  for (const LabeledMessage& example : examples) {
    const Verdict verdict = detector.Detect(example.message);
    const bool expected_praise = example.label == FeedbackKind::kPraise;
    const bool predicted_praise = verdict.kind == FeedbackKind::kPraise;
    praise.Add(expected_praise, predicted_praise);
    criticism.Add(example.label == FeedbackKind::kCriticism,
                  verdict.kind == FeedbackKind::kCriticism);
    const bool miss = score_criticism ? example.label != verdict.kind
                                      : expected_praise != predicted_praise;
    if (miss) {
      // FP/FN are about praise; a kind mix-up that is not one is "kind".
      absl::string_view what = predicted_praise  ? "FP"
                               : expected_praise ? "FN"
                                                 : "kind";
      absl::StrAppend(&misses, what, "\tline ", example.line, "\texpected ",
                      FeedbackKindName(example.label), "\tgot ",
                      FeedbackKindName(verdict.kind), "\t",
                      VerdictExplanation(verdict), "\t", example.message, "\n");
    }
  }

  out << "examples: " << examples.size() << " (praise " << praise_labels
      << ", criticism " << criticism_labels << ")\n";
  PrintScore("praise", praise, out);
  if (score_criticism) PrintScore("criticism", criticism, out);
  out << "misses:" << (misses.empty() ? " none\n" : "\n") << misses;
  out.flush();
  if (!out) return absl::UnavailableError("cannot write the evaluation");
  return absl::OkStatus();
}

}  // namespace ftcapture
