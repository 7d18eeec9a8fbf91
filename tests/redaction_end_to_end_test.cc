// Redaction before write, end to end: the real server with --redact=default,
// driven by the real CLI. A praised reply with an e-mail address and a card
// number is stored and exported redacted, the verdict still sees the
// original, and no file in the data dir (dataset, Markdown, index, session
// journal) holds either string.

#include <signal.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "ftcapture/v1/capture.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/util/cli.h"
#include "tests/util/json_messages.h"
#include "tests/util/running_server.h"
#include "tests/util/subprocess.h"
#include "tests/util/temp_dir.h"
#include "tests/util/text_files.h"

namespace ftcapture {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kEmail[] = "jane.roe@example.org";
constexpr char kCard[] = "4111 1111 1111 1111";

class RedactionEndToEndTest : public ::testing::Test {
 protected:
  void StartServer(std::vector<std::string> flags) {
    flags.push_back("--data_dir=" + DataDir());
    auto server = RunningServer::Start(flags, dir_.File("server.stderr"));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    address_ = server_->address();
  }

  void StopServer() {
    ASSERT_TRUE(server_->process().Signal(SIGTERM).ok());
    auto code = server_->process().Wait(absl::Seconds(30));
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, 0);
  }

  std::string DataDir() const { return dir_.File("data"); }

  ProcessResult Cli(std::vector<std::string> args, absl::string_view in = "") {
    return RunCli(address_, std::move(args), in);
  }

  v1::RecordTurnResponse Push(std::vector<std::string> flags) {
    flags.insert(flags.begin(), "push");
    ProcessResult result = Cli(flags);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return ParseJson<v1::RecordTurnResponse>(result.out);
  }

  // The files of the data dir that contain `needle`.
  std::vector<std::string> FilesContaining(const std::string& needle) {
    EXPECT_FALSE(FilesUnder(DataDir()).empty());
    return ftcapture::FilesContaining(DataDir(), needle);
  }

  TempDir dir_;
  std::unique_ptr<RunningServer> server_;
  std::string address_;
};

TEST_F(RedactionEndToEndTest, PraisedReplyIsStoredAndExportedRedacted) {
  StartServer({"--redact=default"});
  const std::string reply =
      absl::StrCat("Write to ", kEmail, "; the card on file is ", kCard, ".");
  Push({"--session=s1", "--turn_id=u1", "--role=user",
        absl::StrCat("--text=Please remind me, my mail is ", kEmail)});
  Push({"--session=s1", "--turn_id=a1", "--role=assistant", "--text=" + reply,
        absl::StrCat("--system_prompt=User card: ", kCard)});
  // The verdict is on the original text; the address does not hide it.
  v1::RecordTurnResponse praise =
      Push({"--session=s1", "--turn_id=u2", "--role=user",
            absl::StrCat("--text=Thanks Timmy, that was perfect! ", kEmail)});
  ASSERT_TRUE(praise.praise()) << praise.DebugString();
  ASSERT_FALSE(praise.example_id().empty()) << praise.DebugString();

  ProcessResult exported = Cli({"export", "--format=full-jsonl", "--out=-"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_THAT(exported.out, Not(HasSubstr(kEmail)));
  EXPECT_THAT(exported.out, Not(HasSubstr(kCard)));
  v1::Example example;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  std::string(absl::StripSuffix(exported.out, "\n")), &example)
                  .ok())
      << exported.out;
  EXPECT_EQ(example.assistant_turn().text(),
            "Write to [EMAIL]; the card on file is [CARD].");
  EXPECT_EQ(example.assistant_turn().system_prompt(), "User card: [CARD]");
  EXPECT_EQ(example.praise_text(), "Thanks Timmy, that was perfect! [EMAIL]");
  // Names and counts only: 3 e-mail addresses, 2 cards.
  EXPECT_EQ(example.redactions().at("email"), 3);
  EXPECT_EQ(example.redactions().at("card"), 2);

  ProcessResult stats = Cli({"stats", "--json"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  v1::GetStatsResponse parsed;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(stats.out, &parsed).ok());
  EXPECT_EQ(parsed.redacted_examples(), 1);

  // Nothing on disk has them, while serving and after a clean stop (the
  // session journal is compacted to a snapshot then).
  EXPECT_THAT(FilesContaining(kEmail), ::testing::IsEmpty());
  EXPECT_THAT(FilesContaining(kCard), ::testing::IsEmpty());
  EXPECT_THAT(FilesContaining("[CARD]"), Not(::testing::IsEmpty()));
  StopServer();
  EXPECT_THAT(FilesContaining(kEmail), ::testing::IsEmpty());
  EXPECT_THAT(FilesContaining(kCard), ::testing::IsEmpty());

  // The count survives a restart (read back from the dataset).
  StartServer({"--redact=default"});
  stats = Cli({"stats", "--json"});
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(stats.out, &parsed).ok());
  EXPECT_EQ(parsed.redacted_examples(), 1);
}

TEST_F(RedactionEndToEndTest, OffUnlessAsked) {
  StartServer({});
  Push({"--session=s1", "--turn_id=a1", "--role=assistant",
        absl::StrCat("--text=mail ", kEmail)});
  EXPECT_THAT(FilesContaining(kEmail), Not(::testing::IsEmpty()));
}

TEST_F(RedactionEndToEndTest, BadRuleFileStopsTheServer) {
  const std::string rules = dir_.File("rules.txt");
  std::ofstream(rules) << "broken [X] (unclosed\n";
  auto server =
      Subprocess::Start({FTCAPTURE_SERVER_BIN, "--listen=127.0.0.1:0",
                         "--data_dir=" + DataDir(), "--redact_rules=" + rules},
                        dir_.File("server.stderr"));
  ASSERT_TRUE(server.ok());
  auto code = (*server)->Wait(absl::Seconds(30));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 1);
  EXPECT_THAT(ReadFileOrEmpty(dir_.File("server.stderr")),
              HasSubstr("rules.txt:1:"));
}

TEST_F(RedactionEndToEndTest, RedactCommandPreviewsOnStdin) {
  auto result = RunProcess(
      {FTCAPTURE_CLIENT_BIN, "redact"},
      absl::StrCat("mail ", kEmail, " card ", kCard, "\nnothing here\n"));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->exit_code, 0) << result->err;
  EXPECT_EQ(result->out,
            "card:1,email:1\tmail [EMAIL] card [CARD]\n-\tnothing here\n");
}

}  // namespace
}  // namespace ftcapture
