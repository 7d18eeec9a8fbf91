// ftcapture: the command-line client of ftcapture-server.
//
//   ftcapture [--server=HOST:PORT] COMMAND [flags] [args]
//
// Exit codes: 0 success, 1 the command failed (RPC error, bad input),
// 2 usage error (unknown command or flag).

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/command.h"
#include "client/commands.h"
#include "client/flag_set.h"
#include "client/rpc.h"

namespace ftcapture {
namespace {

constexpr char kDefaultServer[] = "127.0.0.1:50051";

void PrintUsage(const std::vector<std::unique_ptr<Command>>& commands,
                std::ostream& out) {
  out << "Usage: ftcapture [--server=HOST:PORT] COMMAND [flags] [args]\n\n"
         "Talks to ftcapture-server (default "
      << kDefaultServer
      << ", or $FTCAPTURE_SERVER).\n"
         "TLS: --tls_ca=PEM [--tls_cert=PEM --tls_key=PEM] "
         "[--tls_server_name=NAME]; token: --token_file=FILE or "
         "$FTCAPTURE_TOKEN.\n\nCommands:\n";
  for (const auto& command : commands) {
    out << absl::StrFormat("  %-18s %s\n", command->name(), command->summary());
  }
  out << "\n'ftcapture help COMMAND' shows a command's flags.\n";
}

void PrintCommandHelp(Command* command, std::ostream& out) {
  FlagSet flags;
  command->DefineFlags(&flags);
  out << "Usage: ftcapture [--server=HOST:PORT] " << command->name() << " "
      << command->synopsis() << "\n\n"
      << command->summary() << "\n";
  std::string help = flags.Help();
  if (!help.empty()) out << "\nFlags:\n" << help;
}

Command* FindCommand(const std::vector<std::unique_ptr<Command>>& commands,
                     const std::string& name) {
  for (const auto& command : commands) {
    if (name == command->name()) return command.get();
  }
  return nullptr;
}

// Global flags that take a value, which may come as the next argument.
bool IsGlobalValueFlag(const std::string& arg) {
  for (const char* name : {"server", "tls_ca", "tls_cert", "tls_key",
                           "tls_server_name", "token_file"}) {
    if (arg == absl::StrCat("--", name) || arg == absl::StrCat("-", name)) {
      return true;
    }
  }
  return false;
}

bool IsHelpFlag(const std::string& arg) {
  return arg == "-h" || arg == "--help" || arg == "-help";
}

int Main(int argc, char** argv) {
  // Only iostreams are used, so they need not stay in step with stdio; in
  // step, reading stdin line by line (detect, replay) is several times slower.
  std::ios::sync_with_stdio(false);
  std::vector<std::unique_ptr<Command>> commands = AllCommands();
  std::vector<std::string> args(argv + 1, argv + argc);

  // The command is the first argument that is neither a flag nor the value
  // of a global flag given as "--server VALUE".
  int command_index = -1;
  bool wants_help = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") break;
    if (IsHelpFlag(args[i])) {
      wants_help = true;
      continue;
    }
    if (IsGlobalValueFlag(args[i])) {
      ++i;
      continue;
    }
    if (!args[i].empty() && args[i][0] == '-') continue;
    command_index = static_cast<int>(i);
    break;
  }
  if (command_index < 0) {
    PrintUsage(commands, wants_help ? std::cout : std::cerr);
    return wants_help ? 0 : 2;
  }
  const std::string name = args[command_index];
  args.erase(args.begin() + command_index);

  if (name == "help") {
    for (const std::string& arg : args) {
      if (Command* command = FindCommand(commands, arg)) {
        PrintCommandHelp(command, std::cout);
        return 0;
      }
    }
    PrintUsage(commands, std::cout);
    return 0;
  }
  Command* command = FindCommand(commands, name);
  if (command == nullptr) {
    std::cerr << "ftcapture: unknown command '" << name << "'\n\n";
    PrintUsage(commands, std::cerr);
    return 2;
  }
  if (wants_help) {
    PrintCommandHelp(command, std::cout);
    return 0;
  }

  CommandContext context;
  const char* env_server = std::getenv("FTCAPTURE_SERVER");
  context.server = env_server != nullptr && *env_server != '\0'
                       ? env_server
                       : kDefaultServer;
  FlagSet flags;
  flags.String("server", &context.server, "ftcapture-server address");
  ServerConnection& connection = context.connection;
  std::string token_file;
  flags.String("tls_ca", &connection.tls_ca,
               "PEM CA to verify the server with (turns TLS on)");
  flags.String("tls_cert", &connection.tls_cert,
               "PEM client certificate for mTLS (with --tls_key)");
  flags.String("tls_key", &connection.tls_key, "PEM key of --tls_cert");
  flags.String("tls_server_name", &connection.tls_server_name,
               "name the server certificate must carry, when it is not the "
               "--server host");
  flags.String("token_file", &token_file,
               "file holding the bearer token (default: $FTCAPTURE_TOKEN)");
  command->DefineFlags(&flags);
  if (absl::Status status = flags.Parse(args, &context.args); !status.ok()) {
    std::cerr << "ftcapture " << name << ": " << status.message()
              << "\n(see 'ftcapture help " << name << "')\n";
    return 2;
  }
  connection.server = context.server;
  if (absl::Status status = LoadConnectionSecrets(token_file, &connection);
      !status.ok()) {
    std::cerr << "ftcapture " << name << ": " << status.message() << "\n";
    return 2;
  }
  context.in = &std::cin;
  context.out = &std::cout;
  context.err = &std::cerr;
  context.err_is_tty = isatty(STDERR_FILENO) != 0;

  absl::Status status = command->Run(context);
  std::cout.flush();
  if (IsUsageError(status)) {
    std::cerr << "ftcapture " << name << ": " << status.message()
              << "\n(see 'ftcapture help " << name << "')\n";
    return 2;
  }
  if (!status.ok()) {
    std::cerr << "ftcapture " << name << ": " << status.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace ftcapture

int main(int argc, char** argv) { return ftcapture::Main(argc, argv); }
