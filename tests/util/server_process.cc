#include "tests/util/server_process.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "src/util/env.h"

namespace ftcapture {

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const std::string& server_bin, const std::string& data_dir,
    const std::string& stderr_path, const std::vector<std::string>& extra_flags,
    absl::Duration start_timeout) {
  std::vector<std::string> argv = {server_bin, "--listen=127.0.0.1:0",
                                   "--data_dir=" + data_dir};
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start(argv, stderr_path);
  if (!process.ok()) return process.status();
  std::unique_ptr<ServerProcess> server(
      new ServerProcess(*std::move(process), stderr_path));

  absl::StatusOr<std::string> line =
      server->process_->WaitForLine("listening on", start_timeout);
  if (!line.ok()) {
    return absl::Status(line.status().code(),
                        absl::StrCat(line.status().message(),
                                     "\nserver stderr:\n", server->Stderr()));
  }
  // "ftcapture-server listening on 127.0.0.1:43117 data_dir=..."
  std::vector<std::string> words = absl::StrSplit(*line, ' ');
  if (words.size() < 4) {
    return absl::InternalError(absl::StrCat("unexpected line: ", *line));
  }
  server->listening_line_ = *line;
  server->address_ = words[3];
  return server;
}

std::string ServerProcess::Stderr() const {
  std::string text;
  // A missing file reads as empty: there is nothing to show.
  ReadFileToString(Env::Default(), stderr_path_, &text).IgnoreError();
  return text;
}

absl::StatusOr<int> ServerProcess::Stop(int signal_number,
                                        absl::Duration timeout) {
  if (absl::Status sent = process_->Signal(signal_number); !sent.ok()) {
    return sent;
  }
  return process_->Wait(timeout);
}

}  // namespace ftcapture
