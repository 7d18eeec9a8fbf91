#include "tests/util/cli.h"

#include "gtest/gtest.h"

namespace ftcapture {

ProcessResult RunCli(const std::string& server, std::vector<std::string> args,
                     absl::string_view input) {
  args.insert(args.begin(), {FTCAPTURE_CLIENT_BIN, "--server=" + server});
  absl::StatusOr<ProcessResult> result = RunProcess(args, input);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *std::move(result) : ProcessResult();
}

}  // namespace ftcapture
