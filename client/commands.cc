#include "client/commands.h"

namespace ftcapture {

std::vector<std::unique_ptr<Command>> AllCommands() {
  std::vector<std::unique_ptr<Command>> commands;
  commands.push_back(NewPushCommand());
  commands.push_back(NewReplayCommand());
  commands.push_back(NewStatsCommand());
  commands.push_back(NewListCommand());
  return commands;
}

}  // namespace ftcapture
