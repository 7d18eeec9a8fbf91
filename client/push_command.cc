// `ftcapture push`: records one turn with RecordTurn and prints the
// response as JSON.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/commands.h"
#include "client/proto_json.h"
#include "client/rpc.h"
#include "client/text_file.h"

namespace ftcapture {
namespace {

absl::StatusOr<v1::Role> ParseRole(absl::string_view text) {
  std::string lower = absl::AsciiStrToLower(text);
  if (lower == "user" || lower == "role_user") return v1::ROLE_USER;
  if (lower == "assistant" || lower == "role_assistant") {
    return v1::ROLE_ASSISTANT;
  }
  return UsageError(
      absl::StrCat("--role: '", text, "' is not user or assistant"));
}

// "k=v,k2=v2" -> metadata entries.
absl::Status ParseMetadata(
    absl::string_view text,
    google::protobuf::Map<std::string, std::string>* out) {
  for (absl::string_view pair : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    if (kv.first.empty() || pair.find('=') == absl::string_view::npos) {
      return UsageError(absl::StrCat("--metadata: '", pair,
                                     "' is not key=value (use k=v,k2=v2)"));
    }
    (*out)[std::string(kv.first)] = std::string(kv.second);
  }
  return absl::OkStatus();
}

class PushCommand : public Command {
 public:
  const char* name() const override { return "push"; }
  const char* synopsis() const override {
    return "--session=ID --turn_id=ID --role=user|assistant --text=TEXT|"
           "--text_file=FILE "
           "[--system_prompt=TEXT] [--metadata=k=v,...] | --json=TURN";
  }
  const char* summary() const override {
    return "record one turn (RecordTurn) and print the response as JSON";
  }

  void DefineFlags(FlagSet* flags) override {
    flags->String("session", &session_, "session id", "ID");
    flags->String("turn_id", &turn_id_, "turn id, unique in the session", "ID");
    flags->String("role", &role_, "user or assistant", "user|assistant");
    flags->String("text", &text_, "the message or reply", "TEXT");
    flags->String("text_file", &text_file_,
                  "read the text from FILE ('-' = stdin)", "FILE");
    flags->String("system_prompt", &system_prompt_,
                  "assistant turns: the prompt that produced the reply",
                  "TEXT");
    flags->String("system_prompt_file", &system_prompt_file_,
                  "read the system prompt from FILE ('-' = stdin)", "FILE");
    flags->String("metadata", &metadata_, "k=v,k2=v2 metadata of the turn",
                  "k=v,...");
    flags->String("json", &json_,
                  "the whole Turn (or {\"turn\":...}) in protobuf JSON; "
                  "other flags override its fields",
                  "TURN");
    flags_ = flags;
  }

  absl::Status Run(const CommandContext& context) override {
    if (!context.args.empty()) {
      return UsageError(
          absl::StrCat("push takes no arguments, got '", context.args[0], "'"));
    }
    absl::StatusOr<v1::Turn> turn = BuildTurn();
    if (!turn.ok()) return turn.status();

    v1::RecordTurnRequest request;
    *request.mutable_turn() = *std::move(turn);
    v1::RecordTurnResponse response;
    auto stub = NewCaptureStub(context.connection);
    auto rpc = NewSessionContext(request.turn().session_id());
    grpc::Status status = stub->RecordTurn(rpc.get(), request, &response);
    if (!status.ok()) return RpcError("RecordTurn", context.server, status);
    absl::StatusOr<std::string> json = ToJson(response);
    if (!json.ok()) return json.status();
    *context.out << *json << "\n";
    return absl::OkStatus();
  }

 private:
  // A mistake in the flags themselves, caught before anything is sent.
  absl::Status CheckFlags() const {
    for (const char* flag : {"text", "system_prompt"}) {
      if (flags_->IsSet(flag) && flags_->IsSet(absl::StrCat(flag, "_file"))) {
        return UsageError(
            absl::StrCat("give --", flag, " or --", flag, "_file, not both"));
      }
    }
    if (!json_.empty()) return absl::OkStatus();
    // Without --json the flags are the whole turn: all its parts are needed.
    std::vector<std::string> missing;
    for (const char* flag : {"session", "turn_id", "role"}) {
      if (!flags_->IsSet(flag)) missing.push_back(absl::StrCat("--", flag));
    }
    if (!flags_->IsSet("text") && !flags_->IsSet("text_file")) {
      missing.push_back("--text");
    }
    if (missing.empty()) return absl::OkStatus();
    return UsageError(absl::StrCat(
        "push needs --session, --turn_id, --role and --text (or --text_file), "
        "or --json; missing ",
        absl::StrJoin(missing, ", ")));
  }

  absl::StatusOr<v1::Turn> BuildTurn() const {
    if (absl::Status status = CheckFlags(); !status.ok()) return status;
    v1::Turn turn;
    if (!json_.empty()) {
      absl::StatusOr<v1::Turn> parsed = ParseTurnJson(json_);
      if (!parsed.ok()) {
        return UsageError(absl::StrCat("--json: ", parsed.status().message()));
      }
      turn = *std::move(parsed);
    }
    if (flags_->IsSet("session")) turn.set_session_id(session_);
    if (flags_->IsSet("turn_id")) turn.set_turn_id(turn_id_);
    if (flags_->IsSet("role")) {
      absl::StatusOr<v1::Role> role = ParseRole(role_);
      if (!role.ok()) return role.status();
      turn.set_role(*role);
    }
    if (flags_->IsSet("text")) turn.set_text(text_);
    if (flags_->IsSet("text_file")) {
      absl::StatusOr<std::string> text = ReadTextFile(text_file_);
      if (!text.ok()) return text.status();
      turn.set_text(*std::move(text));
    }
    if (flags_->IsSet("system_prompt")) turn.set_system_prompt(system_prompt_);
    if (flags_->IsSet("system_prompt_file")) {
      absl::StatusOr<std::string> prompt = ReadTextFile(system_prompt_file_);
      if (!prompt.ok()) return prompt.status();
      turn.set_system_prompt(*std::move(prompt));
    }
    if (flags_->IsSet("metadata")) {
      absl::Status status = ParseMetadata(metadata_, turn.mutable_metadata());
      if (!status.ok()) return status;
    }
    return turn;
  }

  std::string session_, turn_id_, role_, text_, text_file_, system_prompt_,
      system_prompt_file_, metadata_, json_;
  const FlagSet* flags_ = nullptr;
};

}  // namespace

std::unique_ptr<Command> NewPushCommand() {
  return std::make_unique<PushCommand>();
}

}  // namespace ftcapture
