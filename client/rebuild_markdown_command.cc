// `ftcapture rebuild-markdown --data_dir=DIR`: offline, regenerates the
// Markdown log(s) of a data dir from its dataset (examples.tfrecord), e.g.
// after the Markdown was edited by hand or lost.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/commands.h"
#include "src/storage/example_store.h"
#include "src/storage/markdown_rebuild.h"
#include "src/util/env.h"

namespace ftcapture {
namespace {

class RebuildMarkdownCommand : public Command {
 public:
  const char* name() const override { return "rebuild-markdown"; }
  const char* synopsis() const override {
    return "--data_dir=DIR [--negative_markdown]";
  }
  const char* summary() const override {
    return "regenerate the Markdown log from the dataset (offline; the "
           "server must be stopped)";
  }

  void DefineFlags(FlagSet* flags) override {
    flags->String("data_dir", &data_dir_,
                  "the server's data dir, holding examples.tfrecord", "DIR");
    flags->Bool("negative_markdown", &negative_markdown_,
                "also write criticised exchanges to "
                "fine_tuning_negative_interchanges.md");
  }

  absl::Status Run(const CommandContext& context) override {
    if (!context.args.empty()) {
      return UsageError(absl::StrCat(
          "rebuild-markdown takes no arguments, got '", context.args[0],
          "' (did you mean --data_dir=", context.args[0], "?)"));
    }
    if (data_dir_.empty()) {
      return UsageError("--data_dir must not be empty");
    }
    if (!Env::Default()->FileExists(data_dir_)) {
      return absl::NotFoundError(
          absl::StrCat("no data dir at ", data_dir_, " (--data_dir)"));
    }
    int64_t written = 0;
    absl::Status status = RebuildMarkdown(Env::Default(), data_dir_,
                                          negative_markdown_, &written);
    if (absl::IsFailedPrecondition(status)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "a running ftcapture-server uses ", data_dir_,
          "; stop it first (the Markdown is rebuilt from a dataset nothing "
          "else is writing)\n(",
          status.message(), ")"));
    }
    if (!status.ok()) return status;
    *context.out << absl::StrFormat(
        "rebuilt %s/%s%s from %d examples\n", data_dir_, kMarkdownFileName,
        negative_markdown_
            ? absl::StrCat(" and ", data_dir_, "/", kNegativeMarkdownFileName)
            : "",
        written);
    return absl::OkStatus();
  }

 private:
  std::string data_dir_ = "./data";
  bool negative_markdown_ = false;
};

}  // namespace

std::unique_ptr<Command> NewRebuildMarkdownCommand() {
  return std::make_unique<RebuildMarkdownCommand>();
}

}  // namespace ftcapture
