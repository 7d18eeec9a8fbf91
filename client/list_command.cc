// `ftcapture list`: ListExamples, one line per example or JSON lines.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/commands.h"
#include "client/display.h"
#include "client/proto_json.h"
#include "client/replicas.h"
#include "client/rpc.h"
#include "src/tools/export_format.h"

namespace ftcapture {
namespace {

// The ID column fits the longest id the server makes: "pair-" + 32 hex
// digits ("ex-" and "imp-" ids are shorter), so rows stream as they come.
constexpr int kIdWidth = 37;

class ListCommand : public Command {
 public:
  const char* name() const override { return "list"; }
  const char* synopsis() const override {
    return "[--page_size=N] [--page_token=T] [--status=pending|approved|"
           "rejected] [--label=positive|negative] [--kind=single|pair] "
           "[--all] [--json]";
  }
  const char* summary() const override {
    return "list captured examples (ListExamples)";
  }

  void DefineFlags(FlagSet* flags) override {
    flags->Int("page_size", &page_size_,
               "examples per page (server default 50, at most 1000)");
    flags->String("page_token", &page_token_,
                  "continue from a previous page's next_page_token");
    flags->Custom(
        "status", "pending|approved|rejected",
        [this](absl::string_view text) {
          std::string lower = absl::AsciiStrToLower(text);
          if (lower == "pending") {
            request_.set_status(v1::REVIEW_STATUS_PENDING);
          } else if (lower == "approved") {
            request_.set_status(v1::REVIEW_STATUS_APPROVED);
          } else if (lower == "rejected") {
            request_.set_status(v1::REVIEW_STATUS_REJECTED);
          } else {
            return absl::InvalidArgumentError(absl::StrCat(
                "--status: '", text, "' is not pending, approved or rejected"));
          }
          return absl::OkStatus();
        },
        "only examples in this review state");
    flags->Custom(
        "label", "positive|negative",
        [this](absl::string_view text) {
          std::string lower = absl::AsciiStrToLower(text);
          if (lower == "positive") {
            request_.set_label(v1::LABEL_POSITIVE);
          } else if (lower == "negative") {
            request_.set_label(v1::LABEL_NEGATIVE);
          } else {
            return absl::InvalidArgumentError(absl::StrCat(
                "--label: '", text, "' is not positive or negative"));
          }
          return absl::OkStatus();
        },
        "only praised (positive) or criticised (negative) examples");
    flags->Custom(
        "kind", "single|pair",
        [this](absl::string_view text) {
          absl::StatusOr<v1::ExampleKind> kind = ParseKindFlag(text);
          if (!kind.ok()) {
            return absl::InvalidArgumentError(
                absl::StrCat("--kind: ", kind.status().message()));
          }
          request_.set_kind(*kind);
          return absl::OkStatus();
        },
        "only single examples or only preference pairs");
    flags->Bool("all", &all_, "follow next_page_token to the last page");
    flags->Bool("json", &json_,
                "one Example per line in protobuf JSON instead of a table");
  }

  absl::Status Run(const CommandContext& context) override {
    if (!context.args.empty()) {
      return UsageError("list takes no arguments");
    }
    if (page_size_ < 0 || page_size_ > 1000) {
      return UsageError("--page_size must be in 0..1000");
    }
    absl::StatusOr<std::vector<std::string>> servers =
        ParseServerList(context.server);
    if (!servers.ok()) return servers.status();
    if (servers->size() > 1) return RunMerged(*servers, context);
    request_.set_page_size(static_cast<int32_t>(page_size_));
    request_.set_page_token(page_token_);
    auto stub = NewCaptureStub(context.connection);
    int64_t shown = 0;
    while (true) {
      auto rpc = NewUnaryContext();
      v1::ListExamplesResponse page;
      grpc::Status status = stub->ListExamples(rpc.get(), request_, &page);
      if (!status.ok()) return RpcError("ListExamples", context.server, status);
      for (const v1::Example& e : page.examples()) {
        ++shown;
        if (absl::Status printed = PrintExample(e, context); !printed.ok()) {
          return printed;
        }
      }
      if (page.next_page_token().empty()) {
        if (!json_) {
          PrintHeaderOnce(context);
          *context.out << absl::StrFormat("%d of %d examples\n", shown,
                                          page.total_size());
        }
        return absl::OkStatus();
      }
      if (!all_) {
        PrintHeaderOnce(context);
        std::ostream& note = json_ ? *context.err : *context.out;
        note << absl::StrFormat(
            "%d of %d examples; next page: --page_token=%s\n", shown,
            page.total_size(), page.next_page_token());
        return absl::OkStatus();
      }
      request_.set_page_token(page.next_page_token());
    }
  }

 private:
  // The table's header, before its first row (or alone, for no rows): a
  // call that fails before any example arrived prints no part of it.
  void PrintHeaderOnce(const CommandContext& context) {
    if (json_ || header_printed_) return;
    header_printed_ = true;
    *context.out << absl::StrFormat("%-*s %-20s %-8s %-8s %-16s %s\n", kIdWidth,
                                    "ID", "CAPTURED", "LABEL", "STATUS",
                                    "SESSION", "PRAISE");
  }

  // Prints one example, as JSON or a table row; a time JSON cannot hold
  // (stored before times were checked) is printed as the nearest valid one,
  // with a warning.
  absl::Status PrintExample(const v1::Example& e,
                            const CommandContext& context) {
    if (json_) {
      std::vector<std::string> warnings;
      absl::StatusOr<std::string> json = ToJson(e, false, false, &warnings);
      if (!json.ok()) return json.status();
      *context.out << *json << "\n";
      PrintReadWarnings(e, warnings, *context.err);
      return absl::OkStatus();
    }
    PrintReadWarnings(e, {}, *context.err);
    PrintHeaderOnce(context);
    *context.out << absl::StrFormat(
        "%-*s %-20s %-8s %-8s %-16s %s\n", kIdWidth, e.id(),
        TimestampText(e.captured_at()),
        e.has_rejected_turn() ? "pair" : LabelName(e.label()),
        ReviewStatusName(e.status()), e.session_id(),
        OneLine(e.praise_text(), 60));
    return absl::OkStatus();
  }

  // Several replicas: every matching example of each (their export
  // streams), merged by id in capture-time order. Pages do not combine
  // across servers, so this always lists everything.
  absl::Status RunMerged(const std::vector<std::string>& servers,
                         const CommandContext& context) {
    if (!page_token_.empty()) {
      return UsageError("--page_token applies to one server only");
    }
    v1::ExportExamplesRequest filter;
    filter.set_status(request_.status());
    filter.set_label(request_.label());
    filter.set_kind(request_.kind());
    std::vector<ExampleStream> streams;
    for (const std::string& server : servers) {
      streams.push_back(
          ServerExampleStream(WithServer(context.connection, server), filter));
    }
    int64_t shown = 0;
    absl::Status status =
        MergeExampleStreams(std::move(streams), [&](const v1::Example& e) {
          ++shown;
          return PrintExample(e, context);
        });
    if (!status.ok()) return status;
    if (!json_) {
      PrintHeaderOnce(context);
      *context.out << absl::StrFormat("%d examples from %d servers\n", shown,
                                      servers.size());
    }
    return absl::OkStatus();
  }

  v1::ListExamplesRequest request_;
  bool header_printed_ = false;
  int64_t page_size_ = 0;
  std::string page_token_;
  bool all_ = false;
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> NewListCommand() {
  return std::make_unique<ListCommand>();
}

}  // namespace ftcapture
