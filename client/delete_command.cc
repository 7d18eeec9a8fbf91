// `ftcapture delete --id=ID[,ID] | --session=S | --where=KEY=VALUE
// [--compact]` and `ftcapture compact`: erasure (DeleteExamples, admin),
// on every server of --server (each replica holds its own examples).

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "client/commands.h"
#include "client/replicas.h"
#include "client/rpc.h"

namespace ftcapture {
namespace {

// A deletion may scan every example (--where) and a compaction rewrites
// every file: far longer than a unary call's usual deadline.
constexpr absl::Duration kDeleteTimeout = absl::Hours(2);

// What all servers answered, added up.
struct Totals {
  int64_t deleted = 0;
  int64_t sessions_dropped = 0;
  int64_t compacted_examples = 0;
  int compactions = 0;
  std::vector<std::string> ids;
};

absl::StatusOr<v1::DeleteExamplesResponse> CallDelete(
    const ServerConnection& connection, const std::string& server,
    const v1::DeleteExamplesRequest& request) {
  auto stub = NewCaptureStub(WithServer(connection, server));
  grpc::ClientContext rpc;
  rpc.set_deadline(absl::ToChronoTime(absl::Now() + kDeleteTimeout));
  v1::DeleteExamplesResponse response;
  grpc::Status status = stub->DeleteExamples(&rpc, request, &response);
  if (!status.ok()) return RpcError("DeleteExamples", server, status);
  return response;
}

void Add(const v1::DeleteExamplesResponse& response, Totals* totals) {
  totals->deleted += response.deleted();
  totals->sessions_dropped += response.sessions_dropped();
  totals->compacted_examples += response.compacted_examples();
  totals->compactions += response.compacted() ? 1 : 0;
  for (const std::string& id : response.example_ids()) {
    totals->ids.push_back(id);
  }
}

void Print(const Totals& totals, std::ostream& out) {
  out << absl::StrFormat("deleted %d example(s)", totals.deleted);
  if (!totals.ids.empty()) {
    out << ": " << absl::StrJoin(totals.ids, ",");
  }
  out << absl::StrFormat("\ndropped %d live session(s)\n",
                         totals.sessions_dropped);
  if (totals.compactions > 0) {
    out << absl::StrFormat(
        "compacted on %d server(s): %d deleted example(s) removed from the "
        "files\n",
        totals.compactions, totals.compacted_examples);
  } else if (totals.deleted > 0) {
    out << "not compacted yet: the files keep the deleted examples' bytes "
           "until `ftcapture compact` (or --compact_deleted_share)\n";
  }
}

class DeleteCommand : public Command {
 public:
  const char* name() const override { return "delete"; }
  const char* synopsis() const override {
    return "--id=ID[,ID...] | --session=SESSION | --where=KEY=VALUE "
           "[--compact]";
  }
  const char* summary() const override {
    return "erase examples by id, session or metadata from every server "
           "(DeleteExamples, admin); --compact also rewrites the files";
  }
  void DefineFlags(FlagSet* flags) override {
    flags->String("id", &ids_, "example ids, comma-separated", "ID[,ID]");
    flags->String("session", &session_, "every example of this session",
                  "SESSION");
    flags->String("where", &where_,
                  "every example whose metadata (or a turn's) has KEY=VALUE",
                  "KEY=VALUE");
    flags->Bool("compact", &compact_,
                "rewrite the files without the deleted examples before "
                "answering");
  }

  absl::Status Run(const CommandContext& context) override {
    if (!context.args.empty()) {
      return UsageError(
          "delete takes no arguments; use --id, --session or "
          "--where");
    }
    absl::StatusOr<v1::DeleteExamplesRequest> request = Request();
    if (!request.ok()) return request.status();
    absl::StatusOr<std::vector<std::string>> servers =
        ParseServerList(context.server);
    if (!servers.ok()) return servers.status();
    Totals totals;
    absl::Status status =
        request->has_ids() && servers->size() > 1
            ? DeleteIdsOnReplicas(context, *servers, *request, &totals)
            : DeleteOnEach(context, *servers, *request, &totals);
    // After a failure the totals are shown only when some server changed
    // something (a partial deletion across replicas); otherwise the error
    // alone says what happened.
    if (status.ok() || totals.deleted > 0 || totals.sessions_dropped > 0 ||
        totals.compactions > 0) {
      Print(totals, *context.out);
    }
    return status;
  }

 private:
  absl::StatusOr<v1::DeleteExamplesRequest> Request() const {
    v1::DeleteExamplesRequest request;
    const int selectors = !ids_.empty() + !session_.empty() + !where_.empty();
    if (selectors != 1) {
      return UsageError("give exactly one of --id, --session or --where");
    }
    request.set_compact(compact_);
    if (!ids_.empty()) {
      for (absl::string_view id : absl::StrSplit(ids_, ',')) {
        if (id.empty()) return UsageError("--id has an empty id");
        request.mutable_ids()->add_ids(std::string(id));
      }
    } else if (!session_.empty()) {
      request.set_session_id(session_);
    } else {
      std::vector<std::string> parts =
          absl::StrSplit(where_, absl::MaxSplits('=', 1));
      if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
        return UsageError("--where wants KEY=VALUE, e.g. --where=user_id=42");
      }
      request.mutable_where()->set_key(parts[0]);
      request.mutable_where()->set_value(parts[1]);
    }
    return request;
  }

  // The same request to every server; stops at the first error.
  static absl::Status DeleteOnEach(const CommandContext& context,
                                   const std::vector<std::string>& servers,
                                   const v1::DeleteExamplesRequest& request,
                                   Totals* totals) {
    for (const std::string& server : servers) {
      absl::StatusOr<v1::DeleteExamplesResponse> response =
          CallDelete(context.connection, server, request);
      if (!response.ok()) return response.status();
      Add(*response, totals);
    }
    return absl::OkStatus();
  }

  // An example lives on one replica: each id is tried on each server until
  // one has it (the others answer NOT_FOUND and change nothing).
  static absl::Status DeleteIdsOnReplicas(
      const CommandContext& context, const std::vector<std::string>& servers,
      const v1::DeleteExamplesRequest& request, Totals* totals) {
    std::vector<std::string> missing;
    for (const std::string& id : request.ids().ids()) {
      v1::DeleteExamplesRequest one;
      one.mutable_ids()->add_ids(id);
      bool found = false;
      for (const std::string& server : servers) {
        absl::StatusOr<v1::DeleteExamplesResponse> response =
            CallDelete(context.connection, server, one);
        if (absl::IsNotFound(response.status())) continue;
        if (!response.ok()) return response.status();
        Add(*response, totals);
        found = true;
        break;
      }
      if (!found) missing.push_back(id);
    }
    if (request.compact()) {
      v1::DeleteExamplesRequest compact;
      compact.set_compact(true);
      absl::Status s = DeleteOnEach(context, servers, compact, totals);
      if (!s.ok()) return s;
    }
    if (!missing.empty()) {
      return absl::NotFoundError(absl::StrCat("no server has example(s) ",
                                              absl::StrJoin(missing, ",")));
    }
    return absl::OkStatus();
  }

  std::string ids_;
  std::string session_;
  std::string where_;
  bool compact_ = false;
};

class CompactCommand : public Command {
 public:
  const char* name() const override { return "compact"; }
  const char* synopsis() const override { return ""; }
  const char* summary() const override {
    return "rewrite every server's files without its deleted examples "
           "(DeleteExamples with compact, admin)";
  }
  void DefineFlags(FlagSet*) override {}

  absl::Status Run(const CommandContext& context) override {
    if (!context.args.empty()) return UsageError("compact takes no arguments");
    absl::StatusOr<std::vector<std::string>> servers =
        ParseServerList(context.server);
    if (!servers.ok()) return servers.status();
    v1::DeleteExamplesRequest request;
    request.set_compact(true);
    for (const std::string& server : *servers) {
      absl::StatusOr<v1::DeleteExamplesResponse> response =
          CallDelete(context.connection, server, request);
      if (!response.ok()) return response.status();
      *context.out << absl::StrFormat(
          "%s: compacted, %d deleted example(s) removed from the files\n",
          server, response->compacted_examples());
    }
    return absl::OkStatus();
  }
};

}  // namespace

std::unique_ptr<Command> NewDeleteCommand() {
  return std::make_unique<DeleteCommand>();
}

std::unique_ptr<Command> NewCompactCommand() {
  return std::make_unique<CompactCommand>();
}

}  // namespace ftcapture
