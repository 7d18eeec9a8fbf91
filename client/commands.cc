#include "client/commands.h"

namespace ftcapture {

std::vector<std::unique_ptr<Command>> AllCommands() {
  std::vector<std::unique_ptr<Command>> commands;
  commands.push_back(NewPushCommand());
  commands.push_back(NewReplayCommand());
  commands.push_back(NewStatsCommand());
  commands.push_back(NewListCommand());
  commands.push_back(NewFeedbackCommand());
  commands.push_back(NewReviewCommand());
  commands.push_back(NewExportCommand());
  commands.push_back(NewImportMarkdownCommand());
  commands.push_back(NewStatusCommand());
  commands.push_back(NewRebuildMarkdownCommand());
  commands.push_back(NewDetectCommand());
  commands.push_back(NewHealthCommand());
  commands.push_back(NewRedactCommand());
  commands.push_back(NewDeleteCommand());
  commands.push_back(NewCompactCommand());
  return commands;
}

}  // namespace ftcapture
