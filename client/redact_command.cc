// `ftcapture redact`: previews redaction rules offline, without a server.
// Reads texts from stdin line by line and prints what fired and the text as
// it would be stored.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "client/commands.h"
#include "src/privacy/redactor.h"
#include "src/tools/redact_tool.h"

namespace ftcapture {
namespace {

class RedactCommand : public Command {
 public:
  const char* name() const override { return "redact"; }
  const char* synopsis() const override {
    return "[--redact_rules=FILE] [--redact=default]";
  }
  const char* summary() const override {
    return "preview redaction offline: the rules that fired, then the text "
           "as it would be stored (no server)";
  }

  void DefineFlags(FlagSet* flags) override {
    flags->String("redact", &redact_,
                  "'default' = the shipped rules (the default when no "
                  "--redact_rules is given)",
                  "default");
    flags->String("redact_rules", &rules_path_,
                  "a redaction rule file (docs/privacy.md); with "
                  "--redact=default, after the default rules",
                  "FILE");
  }

  absl::Status Run(const CommandContext& context) override {
    if (!context.args.empty()) {
      return UsageError(absl::StrCat(
          "redact reads texts from stdin and takes no arguments, got '",
          context.args[0], "'"));
    }
    if (!redact_.empty() && redact_ != "default") {
      return UsageError(
          absl::StrCat("--redact must be 'default', not '", redact_, "'"));
    }
    const bool use_default = redact_ == "default" || rules_path_.empty();
    absl::StatusOr<std::unique_ptr<Redactor>> redactor =
        Redactor::FromOptions(use_default, rules_path_);
    if (!redactor.ok()) return redactor.status();
    if (RunRedact(**redactor, *context.in, *context.out) != 0) {
      return absl::DataLossError("cannot write the redacted texts to stdout");
    }
    return absl::OkStatus();
  }

 private:
  std::string redact_;
  std::string rules_path_;
};

}  // namespace

std::unique_ptr<Command> NewRedactCommand() {
  return std::make_unique<RedactCommand>();
}

}  // namespace ftcapture
