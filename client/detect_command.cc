// `ftcapture detect`: the praise detector offline, without a server. Judges
// stdin line by line, or scores a labeled TSV with --eval.

#include <fstream>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "client/commands.h"
#include "src/detect/praise_detector.h"
#include "src/tools/detect_tool.h"

namespace ftcapture {
namespace {

class DetectCommand : public Command {
 public:
  const char* name() const override { return "detect"; }
  const char* synopsis() const override {
    return "[--eval=FILE.tsv] [--persona=NAME] [--praise_rules=FILE]";
  }
  const char* summary() const override {
    return "judge messages offline: praise|criticism|none, the rule, the "
           "message (no server)";
  }

  void DefineFlags(FlagSet* flags) override {
    flags->String("eval", &eval_path_,
                  "score a labeled file (label<TAB>source<TAB>message, label "
                  "1 praise, 0 neither, -1 criticism; '-' = stdin) and print "
                  "precision, recall, F1 and every miss",
                  "FILE.tsv");
    flags->String("persona", &persona_,
                  "the assistant's name, for {persona} in the rules", "NAME");
    flags->String(
        "praise_rules", &rules_path_,
        "rule file (src/detect/rules/README.md); empty = built-in rules",
        "FILE");
  }

  absl::Status Run(const CommandContext& context) override {
    if (!context.args.empty()) {
      return UsageError(absl::StrCat(
          "detect reads messages from stdin and takes no arguments, got '",
          context.args[0], "' (did you mean --eval=", context.args[0], "?)"));
    }
    absl::StatusOr<std::unique_ptr<PraiseDetector>> detector =
        PraiseDetector::CreateFromFile(rules_path_, persona_);
    if (!detector.ok()) return detector.status();

    if (eval_path_.empty()) {
      if (RunDetect(**detector, *context.in, *context.out) != 0) {
        return absl::DataLossError("cannot write the verdicts to stdout");
      }
      return absl::OkStatus();
    }
    if (eval_path_ == "-") {
      return RunDetectEval(**detector, *context.in, *context.out);
    }
    std::ifstream tsv(eval_path_, std::ios::binary);
    if (!tsv) {
      return absl::NotFoundError(absl::StrCat("cannot read ", eval_path_));
    }
    absl::Status status = RunDetectEval(**detector, tsv, *context.out);
    if (!status.ok()) {
      return absl::Status(status.code(),
                          absl::StrCat(eval_path_, ": ", status.message()));
    }
    return absl::OkStatus();
  }

 private:
  std::string eval_path_;
  std::string persona_ = std::string(PraiseDetector::kDefaultPersona);
  std::string rules_path_;
};

}  // namespace

std::unique_ptr<Command> NewDetectCommand() {
  return std::make_unique<DetectCommand>();
}

}  // namespace ftcapture
