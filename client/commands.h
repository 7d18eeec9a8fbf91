#ifndef FTCAPTURE_CLIENT_COMMANDS_H_
#define FTCAPTURE_CLIENT_COMMANDS_H_

#include <memory>
#include <vector>

#include "client/command.h"

namespace ftcapture {

// The registry of `ftcapture` subcommands. A new command is one file
// client/<name>_command.cc defining its factory, declared here and listed in
// AllCommands() (commands.cc). Factories are listed explicitly rather than
// self-registered, because static initializers in a static library are
// dropped by the linker when nothing references them.
std::unique_ptr<Command> NewPushCommand();
std::unique_ptr<Command> NewReplayCommand();
std::unique_ptr<Command> NewStatsCommand();
std::unique_ptr<Command> NewListCommand();
std::unique_ptr<Command> NewFeedbackCommand();
std::unique_ptr<Command> NewReviewCommand();
std::unique_ptr<Command> NewExportCommand();
std::unique_ptr<Command> NewImportMarkdownCommand();
std::unique_ptr<Command> NewStatusCommand();
std::unique_ptr<Command> NewRebuildMarkdownCommand();
std::unique_ptr<Command> NewDetectCommand();
std::unique_ptr<Command> NewHealthCommand();
std::unique_ptr<Command> NewRedactCommand();
std::unique_ptr<Command> NewDeleteCommand();
std::unique_ptr<Command> NewCompactCommand();

// Every command, in the order `ftcapture help` lists them.
std::vector<std::unique_ptr<Command>> AllCommands();

}  // namespace ftcapture

#endif  // FTCAPTURE_CLIENT_COMMANDS_H_
