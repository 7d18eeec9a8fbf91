#include "tests/util/running_server.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace ftcapture {

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<std::unique_ptr<RunningServer>> RunningServer::Start(
    const std::vector<std::string>& flags, const std::string& stderr_path) {
  std::vector<std::string> argv = {FTCAPTURE_SERVER_BIN,
                                   "--listen=127.0.0.1:0"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start(argv, stderr_path);
  if (!process.ok()) return process.status();
  absl::StatusOr<std::string> line =
      (*process)->WaitForLine("listening on", absl::Seconds(60));
  if (!line.ok()) {
    return absl::Status(line.status().code(),
                        absl::StrCat(line.status().message(), "; stderr:\n",
                                     ReadFileOrEmpty(stderr_path)));
  }
  // "ftcapture-server listening on 127.0.0.1:43117 data_dir=..."
  std::vector<std::string> words = absl::StrSplit(*line, ' ');
  if (words.size() < 4) {
    return absl::InternalError(absl::StrCat("unexpected line: ", *line));
  }
  return std::unique_ptr<RunningServer>(
      new RunningServer(*std::move(process), words[3], stderr_path));
}

std::string RunningServer::Stderr() const {
  return ReadFileOrEmpty(stderr_path_);
}

}  // namespace ftcapture
