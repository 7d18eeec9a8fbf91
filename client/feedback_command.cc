// `ftcapture feedback --session=S [--turn_id=A] --up|--down [--note=TEXT]`:
// explicit thumbs up/down for an assistant reply (RecordFeedback), captured
// like implicit praise or criticism with source explicit.

#include <string>

#include "absl/status/status.h"
#include "client/commands.h"
#include "client/rpc.h"

namespace ftcapture {
namespace {

class FeedbackCommand : public Command {
 public:
  const char* name() const override { return "feedback"; }
  const char* synopsis() const override {
    return "--session=ID [--turn_id=ID] --up|--down [--note=TEXT] | "
           "--session=ID --preferred=ID --rejected=ID [--note=TEXT]";
  }
  const char* summary() const override {
    return "thumbs up/down for a reply: captures it as a positive or "
           "negative example (RecordFeedback)";
  }

  void DefineFlags(FlagSet* flags) override {
    flags->String("session", &session_, "session id", "ID");
    flags->String("turn_id", &turn_id_,
                  "the assistant turn rated; empty = the session's latest "
                  "reply",
                  "ID");
    flags->Bool("up", &up_, "the reply was good: a positive example");
    flags->Bool("down", &down_, "the reply was bad: a negative example");
    flags->String("note", &note_, "why, stored as the example's praise text",
                  "TEXT");
    flags->String("preferred", &preferred_,
                  "with --rejected: of two replies to the same user turn "
                  "(regenerations), the better one; stores a preference pair",
                  "ID");
    flags->String("rejected", &rejected_, "with --preferred: the worse reply",
                  "ID");
  }

  absl::Status Run(const CommandContext& context) override {
    if (!context.args.empty()) {
      return UsageError("feedback takes no arguments");
    }
    if (session_.empty()) {
      return UsageError("--session is required");
    }
    const bool preference = !preferred_.empty() || !rejected_.empty();
    if (preference && (preferred_.empty() || rejected_.empty())) {
      return UsageError("--preferred and --rejected go together");
    }
    if (preference && (up_ || down_ || !turn_id_.empty())) {
      return UsageError(
          "--preferred/--rejected do not take --up, --down or --turn_id");
    }
    if (!preference && up_ == down_) {
      return UsageError("give exactly one of --up or --down");
    }
    v1::RecordFeedbackRequest request;
    request.set_session_id(session_);
    request.set_turn_id(turn_id_);
    request.set_positive(up_);
    request.set_note(note_);
    request.set_preferred_turn_id(preferred_);
    request.set_rejected_turn_id(rejected_);
    v1::RecordFeedbackResponse response;
    auto stub = NewCaptureStub(context.connection);
    auto rpc = NewSessionContext(request.session_id());
    grpc::Status status = stub->RecordFeedback(rpc.get(), request, &response);
    if (!status.ok()) return RpcError("RecordFeedback", context.server, status);
    if (preference && !response.example_id().empty()) {
      *context.out << "captured pair " << response.example_id() << "\n";
    } else if (!response.example_id().empty()) {
      *context.out << "captured " << response.example_id() << " ("
                   << (up_ ? "positive" : "negative") << ")\n";
      if (!response.pair_example_id().empty()) {
        *context.out << "captured pair " << response.pair_example_id() << "\n";
      }
    } else {
      *context.out << "not captured: " << response.not_captured_reason()
                   << "\n";
    }
    return absl::OkStatus();
  }

 private:
  std::string session_, turn_id_, note_, preferred_, rejected_;
  bool up_ = false;
  bool down_ = false;
};

}  // namespace

std::unique_ptr<Command> NewFeedbackCommand() {
  return std::make_unique<FeedbackCommand>();
}

}  // namespace ftcapture
