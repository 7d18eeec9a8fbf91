// `ftcapture review ID --approve|--reject|--pending [--note=TEXT]`: sets an
// example's review state (ReviewExample) and prints the new state.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "client/commands.h"
#include "client/display.h"
#include "client/rpc.h"

namespace ftcapture {
namespace {

class ReviewCommand : public Command {
 public:
  const char* name() const override { return "review"; }
  const char* synopsis() const override {
    return "ID --approve|--reject|--pending [--note=TEXT]";
  }
  const char* summary() const override {
    return "approve or reject an example for export (ReviewExample)";
  }

  void DefineFlags(FlagSet* flags) override {
    flags->Bool("approve", &approve_, "keep the example for training");
    flags->Bool("reject", &reject_, "leave the example out of training");
    flags->Bool("pending", &pending_, "undo a review");
    flags->String("note", &note_, "why, kept with the review", "TEXT");
  }

  absl::Status Run(const CommandContext& context) override {
    if (context.args.size() != 1) {
      return UsageError("review takes one example ID (see 'ftcapture list')");
    }
    if (approve_ + reject_ + pending_ != 1) {
      return UsageError("give exactly one of --approve, --reject or --pending");
    }
    v1::ReviewExampleRequest request;
    request.set_example_id(context.args[0]);
    request.set_status(approve_  ? v1::REVIEW_STATUS_APPROVED
                       : reject_ ? v1::REVIEW_STATUS_REJECTED
                                 : v1::REVIEW_STATUS_PENDING);
    request.set_note(note_);
    v1::ReviewExampleResponse response;
    auto stub = NewCaptureStub(context.connection);
    auto rpc = NewUnaryContext();
    grpc::Status status = stub->ReviewExample(rpc.get(), request, &response);
    if (!status.ok()) return RpcError("ReviewExample", context.server, status);
    const v1::Example& example = response.example();
    *context.out << example.id() << " " << ReviewStatusName(example.status());
    if (!example.review_note().empty()) {
      *context.out << " (note: " << OneLine(example.review_note(), 200) << ")";
    }
    *context.out << "\n";
    return absl::OkStatus();
  }

 private:
  bool approve_ = false;
  bool reject_ = false;
  bool pending_ = false;
  std::string note_;
};

}  // namespace

std::unique_ptr<Command> NewReviewCommand() {
  return std::make_unique<ReviewCommand>();
}

}  // namespace ftcapture
