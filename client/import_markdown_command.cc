// `ftcapture import-markdown FILE`: stores the examples of a Markdown log in
// the original's layout (fine_tuning_best_case_interchanges.md) through the
// running server. Idempotent: the server keys imports by content.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/commands.h"
#include "client/rpc.h"
#include "client/text_file.h"
#include "src/tools/markdown_import.h"

namespace ftcapture {
namespace {

// A request carries at most this many examples and, past its first example,
// this many bytes, well under gRPC's default 4 MB message limit.
constexpr int kMaxBatchExamples = 100;
constexpr size_t kMaxBatchBytes = 1 << 20;

class ImportMarkdownCommand : public Command {
 public:
  const char* name() const override { return "import-markdown"; }
  const char* synopsis() const override { return "[--dry_run] FILE"; }
  const char* summary() const override {
    return "store the examples of an original-layout Markdown log "
           "(ImportExamples); importing twice adds nothing";
  }

  void DefineFlags(FlagSet* flags) override {
    flags->Bool("dry_run", &dry_run_,
                "parse FILE and print what it holds; send nothing");
  }

  absl::Status Run(const CommandContext& context) override {
    if (context.args.size() != 1) {
      return UsageError(
          "import-markdown takes one FILE (e.g. "
          "fine_tuning_best_case_interchanges.md; '-' = stdin)");
    }
    const std::string& path = context.args[0];
    absl::StatusOr<std::string> text = ReadTextFile(path);
    if (!text.ok()) return text.status();
    absl::StatusOr<std::vector<v1::Example>> examples =
        ParseLegacyMarkdown(*text);
    if (!examples.ok()) {
      return absl::Status(examples.status().code(),
                          absl::StrCat(path, ": ", examples.status().message(),
                                       "\nnothing was imported"));
    }
    if (dry_run_) {
      for (const v1::Example& e : *examples) {
        *context.out << e.id() << "\t" << e.praise_text() << "\n";
      }
      *context.out << absl::StrFormat("%d examples in %s (dry run)\n",
                                      examples->size(), path);
      return absl::OkStatus();
    }

    auto stub = NewCaptureStub(context.connection);
    int64_t imported = 0, already_present = 0;
    size_t next = 0;
    while (next < examples->size()) {
      v1::ImportExamplesRequest request;
      size_t bytes = 0;
      while (next < examples->size() &&
             request.examples_size() < kMaxBatchExamples) {
        const v1::Example& example = (*examples)[next];
        const size_t size = example.ByteSizeLong();
        if (request.examples_size() > 0 && bytes + size > kMaxBatchBytes) {
          break;
        }
        *request.add_examples() = example;
        bytes += size;
        ++next;
      }
      v1::ImportExamplesResponse response;
      auto rpc = NewUnaryContext();
      grpc::Status status = stub->ImportExamples(rpc.get(), request, &response);
      if (!status.ok()) {
        // Earlier batches are stored; running the import again completes it
        // without duplicates.
        absl::Status error = RpcError("ImportExamples", context.server, status);
        return absl::Status(
            error.code(),
            absl::StrFormat("%s\n(%d of %d examples stored before the error; "
                            "import again to store the rest)",
                            error.message(), imported + already_present,
                            examples->size()));
      }
      imported += response.imported();
      already_present += response.already_present();
    }
    *context.out << absl::StrFormat(
        "imported %d, already present %d (%d examples in %s)\n", imported,
        already_present, examples->size(), path);
    return absl::OkStatus();
  }

 private:
  bool dry_run_ = false;
};

}  // namespace

std::unique_ptr<Command> NewImportMarkdownCommand() {
  return std::make_unique<ImportMarkdownCommand>();
}

}  // namespace ftcapture
