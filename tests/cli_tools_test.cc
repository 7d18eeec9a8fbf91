// End to end for the dataset tooling of the CLI: detect, export,
// import-markdown, review, list --status, status, rebuild-markdown and
// feedback, run as the built binaries against the built server on a free
// port with a temporary data dir.

#include <signal.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ftcapture/v1/capture.pb.h"
#include "ftcapture/v1/export.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "src/storage/example_store.h"
#include "src/tools/markdown_import.h"
#include "src/util/env.h"
#include "tests/util/cli.h"
#include "tests/util/json_messages.h"
#include "tests/util/running_server.h"
#include "tests/util/subprocess.h"
#include "tests/util/temp_dir.h"
#include "tests/util/text_files.h"

namespace ftcapture {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAreArray;

void WriteFile(const std::string& path, absl::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

bool FileExists(const std::string& path) { return std::ifstream(path).good(); }

std::vector<std::string> Lines(absl::string_view text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

// The top-level keys of a JSON object.
std::set<std::string> Keys(const std::string& json) {
  google::protobuf::Struct object = ParseJson<google::protobuf::Struct>(json);
  std::set<std::string> keys;
  for (const auto& field : object.fields()) keys.insert(field.first);
  return keys;
}

std::vector<std::string> Roles(
    const google::protobuf::RepeatedPtrField<v1::ChatMessage>& messages) {
  std::vector<std::string> roles;
  for (const v1::ChatMessage& m : messages) roles.push_back(m.role());
  return roles;
}

// The built CLI without a server (detect is offline).
ProcessResult RunClient(std::vector<std::string> args,
                        absl::string_view input = "") {
  args.insert(args.begin(), FTCAPTURE_CLIENT_BIN);
  auto result = RunProcess(args, input);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : ProcessResult();
}

class CliToolsTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(); }

  void StartServer() {
    auto server = RunningServer::Start({"--data_dir=" + DataDir()},
                                       dir_.File("server.stderr"));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    address_ = server_->address();
  }

  void StopServer() {
    auto code = server_->Stop(SIGTERM);
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, 0);
  }

  std::string DataDir() const { return dir_.File("data"); }
  std::string MarkdownPath() const {
    return DataDir() + "/" + kMarkdownFileName;
  }

  ProcessResult Cli(std::vector<std::string> args,
                    absl::string_view input = "") {
    return RunCli(address_, std::move(args), input);
  }

  // Runs a command that must succeed and returns its stdout.
  std::string CliOk(std::vector<std::string> args) {
    ProcessResult result = Cli(args);
    EXPECT_EQ(result.exit_code, 0)
        << absl::StrJoin(args, " ") << "\nstdout: " << result.out
        << "\nstderr: " << result.err;
    return result.out;
  }

  v1::RecordTurnResponse Push(std::vector<std::string> flags) {
    flags.insert(flags.begin(), "push");
    return ParseJson<v1::RecordTurnResponse>(CliOk(flags));
  }

  // user, assistant (with prompt), then `feedback` from the user; returns
  // what the last turn answered.
  v1::RecordTurnResponse Conversation(const std::string& session,
                                      const std::string& question,
                                      const std::string& reply,
                                      const std::string& prompt,
                                      const std::string& feedback) {
    Push({"--session=" + session, "--turn_id=u1", "--role=user",
          "--text=" + question});
    Push({"--session=" + session, "--turn_id=a1", "--role=assistant",
          "--text=" + reply, "--system_prompt=" + prompt});
    return Push({"--session=" + session, "--turn_id=u2", "--role=user",
                 "--text=" + feedback});
  }

  // One praised exchange, one criticised, one thumbed up; returns the ids
  // of the positive and the negative examples.
  std::pair<std::vector<std::string>, std::vector<std::string>> MixedDataset() {
    std::vector<std::string> positive, negative;
    v1::RecordTurnResponse praise =
        Conversation("kitchen", "Why do kettles whistle?",
                     "Steam squeezes through a small hole.",
                     "PROMPT-KITCHEN: You are Timmy.", "Good one, Timmy!");
    EXPECT_EQ(praise.verdict(), v1::VERDICT_PRAISE);
    positive.push_back(praise.example_id());
    v1::RecordTurnResponse criticism = Conversation(
        "garage", "What is a carburettor?", "A kind of sandwich.",
        "PROMPT-GARAGE: You are Timmy.", "That was a hallucination.");
    EXPECT_EQ(criticism.verdict(), v1::VERDICT_CRITICISM);
    negative.push_back(criticism.example_id());
    Push({"--session=attic", "--turn_id=u1", "--role=user",
          "--text=Tell me a joke"});
    Push({"--session=attic", "--turn_id=a1", "--role=assistant",
          "--text=Why did the robot cross the road?",
          "--system_prompt=PROMPT-ATTIC"});
    std::string out = CliOk({"feedback", "--session=attic", "--up"});
    std::vector<std::string> words = absl::StrSplit(out, ' ');
    EXPECT_GE(words.size(), 2u) << out;
    if (words.size() >= 2) positive.push_back(words[1]);
    for (const std::string& id : positive) EXPECT_THAT(id, Not(IsEmpty()));
    for (const std::string& id : negative) EXPECT_THAT(id, Not(IsEmpty()));
    return {positive, negative};
  }

  // Every stored example, by id, through `list --json --all`.
  std::map<std::string, v1::Example> ListAll(
      std::vector<std::string> filters = {}) {
    std::vector<std::string> args = {"list", "--json", "--all"};
    args.insert(args.end(), filters.begin(), filters.end());
    std::map<std::string, v1::Example> examples;
    for (const std::string& line : Lines(CliOk(args))) {
      v1::Example example = ParseJson<v1::Example>(line);
      examples[example.id()] = example;
    }
    return examples;
  }

  v1::GetStatsResponse Stats() {
    return ParseJson<v1::GetStatsResponse>(CliOk({"stats", "--json"}));
  }

  // The ids of a full-jsonl export file.
  std::vector<std::string> ExportedIds(const std::string& path) {
    std::vector<std::string> ids;
    for (const std::string& line : Lines(ReadFileOrEmpty(path))) {
      ids.push_back(ParseJson<v1::Example>(line).id());
    }
    return ids;
  }

  TempDir dir_;
  std::unique_ptr<RunningServer> server_;
  std::string address_;
};

// --- detect ------------------------------------------------------------------

TEST(DetectCliTest, PrintsVerdictConfidenceRuleAndMessagePerLine) {
  const std::vector<std::string> messages = {
      "Good one, Timmy!", "Your last response was far too long.",
      "The weather is great", "That was not a good one",
      "Wrong year, it was 2019."};
  ProcessResult result =
      RunClient({"detect"}, absl::StrCat(absl::StrJoin(messages, "\n"), "\n"));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::vector<std::string> lines = Lines(result.out);
  ASSERT_THAT(lines, SizeIs(messages.size())) << result.out;
  std::vector<std::vector<std::string>> columns;
  for (const std::string& line : lines) {
    columns.push_back(absl::StrSplit(line, absl::MaxSplits('\t', 3)));
    ASSERT_THAT(columns.back(), SizeIs(4)) << line;
  }
  for (size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(columns[i][3], messages[i]);
  }
  EXPECT_EQ(columns[0][0], "praise");
  EXPECT_EQ(columns[0][1], "strong");
  EXPECT_THAT(columns[0][2], AllOf(Not(IsEmpty()), Not("-")));
  EXPECT_EQ(columns[1][0], "criticism");
  EXPECT_EQ(columns[1][1], "strong");
  EXPECT_THAT(columns[1][2], AllOf(Not(IsEmpty()), Not("-")));
  EXPECT_EQ(columns[4][0], "criticism");
  EXPECT_EQ(columns[4][1], "weak");
  EXPECT_EQ(columns[2][0], "none");
  EXPECT_EQ(columns[3][0], "none");
  // A praise rule fired and the negation guard vetoed it.
  EXPECT_EQ(columns[3][1], "-");
  EXPECT_THAT(columns[3][2], StartsWith("vetoed:"));
}

TEST(DetectCliTest, UsesThePersonaFlag) {
  ProcessResult result =
      RunClient({"detect", "--persona=Robo"}, "Good one, Robo\n");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith("praise\t"));
}

TEST(DetectCliTest, EvalPrintsPrecisionRecallAndMisses) {
  TempDir dir;
  const std::string tsv = dir.File("eval.tsv");
  WriteFile(tsv,
            "# label\tsource\tmessage\n"
            "1\tt\tGood one, Timmy!\n"
            "1\tt\tThat was an excellent response\n"
            "0\tt\tThe weather is great\n"
            "0\tt\tWhat time is it?\n"
            "1\tt\tzqxv plonk\n");  // praise no rule can know: a miss
  ProcessResult result = RunClient({"detect", "--eval=" + tsv});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("examples: 5"));
  EXPECT_THAT(result.out, HasSubstr("praise precision: 1.0000 (2/2)"));
  EXPECT_THAT(result.out, HasSubstr("praise recall:    0.6667 (2/3)"));
  EXPECT_THAT(result.out, HasSubstr("zqxv plonk"));

  WriteFile(tsv, "1\tno second tab\n");
  result = RunClient({"detect", "--eval=" + tsv});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.err, HasSubstr("line 1"));
  result = RunClient({"detect", "--eval=" + dir.File("missing.tsv")});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.err, HasSubstr("missing.tsv"));
}

// --- export ------------------------------------------------------------------

TEST_F(CliToolsTest, ExportOpenAiChatHasSystemUserAssistantAndSkipsNegatives) {
  auto [positive, negative] = MixedDataset();
  const std::string out = dir_.File("chat.jsonl");
  std::string summary = CliOk({"export", "--format=openai-chat", "--out", out});
  EXPECT_THAT(summary, HasSubstr(absl::StrCat("exported ", positive.size(),
                                              " examples to ", out)));
  std::vector<std::string> lines = Lines(ReadFileOrEmpty(out));
  ASSERT_THAT(lines, SizeIs(positive.size()));
  std::set<std::string> replies;
  for (const std::string& line : lines) {
    EXPECT_THAT(Keys(line), ElementsAre("messages")) << line;
    v1::OpenAiChatLine chat = ParseJson<v1::OpenAiChatLine>(line);
    ASSERT_THAT(Roles(chat.messages()),
                ElementsAre("system", "user", "assistant"))
        << line;
    replies.insert(chat.messages(2).content());
    if (chat.messages(2).content() == "Steam squeezes through a small hole.") {
      EXPECT_EQ(chat.messages(0).content(), "PROMPT-KITCHEN: You are Timmy.");
      EXPECT_EQ(chat.messages(1).content(), "Why do kettles whistle?");
    }
  }
  EXPECT_THAT(replies,
              UnorderedElementsAreArray({"Steam squeezes through a small hole.",
                                         "Why did the robot cross the road?"}));
}

TEST_F(CliToolsTest, ExportTrlKtoLabelsEveryExample) {
  auto [positive, negative] = MixedDataset();
  const std::string out = dir_.File("kto.jsonl");
  CliOk({"export", "--format=trl-kto", "--out=" + out});
  std::vector<std::string> lines = Lines(ReadFileOrEmpty(out));
  ASSERT_THAT(lines, SizeIs(positive.size() + negative.size()));
  size_t desirable = 0, undesirable = 0;
  for (const std::string& line : lines) {
    // "label" is there even when false.
    EXPECT_THAT(Keys(line), ElementsAre("completion", "label", "prompt"))
        << line;
    v1::KtoLine kto = ParseJson<v1::KtoLine>(line);
    EXPECT_THAT(Roles(kto.prompt()), ElementsAre("system", "user")) << line;
    EXPECT_THAT(Roles(kto.completion()), ElementsAre("assistant")) << line;
    (kto.label() ? desirable : undesirable)++;
    if (kto.completion(0).content() == "A kind of sandwich.") {
      EXPECT_FALSE(kto.label()) << line;
      EXPECT_EQ(kto.prompt(1).content(), "What is a carburettor?");
    }
  }
  EXPECT_EQ(desirable, positive.size());
  EXPECT_EQ(undesirable, negative.size());

  // --label filters on the server side.
  CliOk({"export", "--format=trl-kto", "--label=negative", "--out=" + out});
  lines = Lines(ReadFileOrEmpty(out));
  ASSERT_THAT(lines, SizeIs(negative.size()));
  EXPECT_FALSE(ParseJson<v1::KtoLine>(lines[0]).label());
}

TEST_F(CliToolsTest, ExportFullJsonlRoundTripsToTheStoredExamples) {
  MixedDataset();
  std::map<std::string, v1::Example> stored = ListAll();
  ASSERT_THAT(stored, SizeIs(3));
  // To stdout: the data on stdout, the summary on stderr.
  ProcessResult result = Cli({"export", "--format=full-jsonl", "--out=-"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("exported 3 examples to stdout"));
  std::vector<std::string> lines = Lines(result.out);
  ASSERT_THAT(lines, SizeIs(stored.size()));
  for (const std::string& line : lines) {
    v1::Example exported = ParseJson<v1::Example>(line);
    ASSERT_TRUE(stored.count(exported.id())) << exported.id();
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
        exported, stored[exported.id()]))
        << exported.DebugString() << "\nvs\n"
        << stored[exported.id()].DebugString();
  }
}

TEST_F(CliToolsTest, ExportSplitWritesTrainAndTestWhoseUnionIsEverything) {
  MixedDataset();
  ASSERT_EQ(Cli({"import-markdown", std::string(FTCAPTURE_SOURCE_DIR) +
                                        "/tests/data/legacy_sample.md"})
                .exit_code,
            0);
  const std::string all = dir_.File("all.jsonl");
  CliOk({"export", "--format=full-jsonl", "--out=" + all});
  std::vector<std::string> everything = ExportedIds(all);
  ASSERT_GE(everything.size(), 4u);

  const std::string out = dir_.File("split.jsonl");
  std::string summary = CliOk({"export", "--format=full-jsonl", "--out=" + out,
                               "--split=0.5", "--seed=7"});
  const std::string train_path = dir_.File("split.train.jsonl");
  const std::string test_path = dir_.File("split.test.jsonl");
  EXPECT_THAT(summary, AllOf(HasSubstr(train_path), HasSubstr(test_path)));
  EXPECT_FALSE(FileExists(out));
  std::vector<std::string> train = ExportedIds(train_path);
  std::vector<std::string> test = ExportedIds(test_path);
  std::vector<std::string> both = train;
  both.insert(both.end(), test.begin(), test.end());
  EXPECT_THAT(both, UnorderedElementsAreArray(everything));  // disjoint too

  // Deterministic: the same seed writes the same files.
  const std::string train_text = ReadFileOrEmpty(train_path);
  const std::string test_text = ReadFileOrEmpty(test_path);
  CliOk({"export", "--format=full-jsonl", "--out=" + out, "--split=0.5",
         "--seed=7"});
  EXPECT_EQ(ReadFileOrEmpty(train_path), train_text);
  EXPECT_EQ(ReadFileOrEmpty(test_path), test_text);
}

TEST_F(CliToolsTest, FailedExportLeavesTheOldFileAndNoTemporaryFile) {
  MixedDataset();
  const std::string out = dir_.File("keep.jsonl");
  WriteFile(out, "old contents\n");
  StopServer();
  ProcessResult result = Cli({"export", "--format=full-jsonl", "--out=" + out});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.err, HasSubstr("ExportExamples"));
  EXPECT_EQ(ReadFileOrEmpty(out), "old contents\n");
  auto listing = RunProcess({"/bin/ls", "-a", dir_.path()});
  ASSERT_TRUE(listing.ok());
  EXPECT_THAT(listing->out, Not(HasSubstr(".tmp"))) << listing->out;
}

// Stored before capture refused a reply that answers no user message.
TEST_F(CliToolsTest, ExportLeavesOutExamplesWithoutAUserMessageAndSaysSo) {
  const std::string old_dir = dir_.File("old");
  ASSERT_TRUE(Env::Default()->CreateDirIfMissing(old_dir).ok());
  {
    ExampleStore::Options options;
    options.data_dir = old_dir;
    auto store = ExampleStore::Open(Env::Default(), options, nullptr, nullptr);
    ASSERT_TRUE(store.ok()) << store.status();
    v1::Example example;
    example.mutable_captured_at()->set_seconds(1790000000);
    example.set_label(v1::LABEL_POSITIVE);
    example.set_id("ex-greeting");
    example.mutable_assistant_turn()->set_text("Hi, I am Timmy.");
    ASSERT_TRUE((*store)->Append(example).ok());
    example.set_id("ex-answer");
    example.mutable_user_turn()->set_text("Who are you?");
    ASSERT_TRUE((*store)->Append(example).ok());
  }
  ProcessResult result =
      Cli({"export", "--format=sharegpt", "--out=-", "--data_dir=" + old_dir});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_THAT(Lines(result.out), SizeIs(1));
  EXPECT_THAT(result.out, HasSubstr("Who are you?"));
  EXPECT_THAT(result.err,
              HasSubstr("exported 1 example to stdout (1 example left out: "
                        "no user message or reply to learn from)"));
}

TEST_F(CliToolsTest, ExportRejectsBadFlagsBeforeWritingAnything) {
  const std::string out = dir_.File("bad.jsonl");
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"export", "--format=alpaca", "--out=" + out},
           {"export", "--format=trl-kto"},
           {"export", "--format=trl-kto", "--out=" + out, "--split=1.5"},
           {"export", "--format=trl-kto", "--out=-", "--split=0.9"},
           {"export", "--format=trl-kto", "--out=" + out, "--status=maybe"},
           {"export", "--format=trl-kto", "--out=" + out, "--since=yesterday"},
       }) {
    ProcessResult result = Cli(args);
    EXPECT_NE(result.exit_code, 0) << absl::StrJoin(args, " ");
    EXPECT_THAT(result.err, Not(IsEmpty()));
    EXPECT_FALSE(FileExists(out)) << absl::StrJoin(args, " ");
  }
}

// --- import-markdown
// ------------------------------------------------------------

TEST_F(CliToolsTest, ImportMarkdownTwiceAddsNothingAndKeepsTextsIntact) {
  const std::string fixture =
      std::string(FTCAPTURE_SOURCE_DIR) + "/tests/data/legacy_sample.md";
  auto parsed = ParseLegacyMarkdown(ReadFileOrEmpty(fixture));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const size_t n = parsed->size();
  ASSERT_GT(n, 0u);

  EXPECT_THAT(CliOk({"import-markdown", fixture}),
              HasSubstr(absl::StrCat("imported ", n, ", already present 0")));
  EXPECT_THAT(CliOk({"import-markdown", fixture}),
              HasSubstr(absl::StrCat("imported 0, already present ", n)));
  EXPECT_EQ(Stats().examples_total(), static_cast<int64_t>(n));

  std::map<std::string, v1::Example> stored = ListAll();
  ASSERT_THAT(stored, SizeIs(n));
  for (const v1::Example& expected : *parsed) {
    ASSERT_TRUE(stored.count(expected.id())) << expected.id();
    const v1::Example& got = stored[expected.id()];
    EXPECT_EQ(got.source(), v1::SOURCE_IMPORTED);
    EXPECT_EQ(got.user_turn().text(), expected.user_turn().text());
    EXPECT_EQ(got.assistant_turn().text(), expected.assistant_turn().text());
    EXPECT_EQ(got.assistant_turn().system_prompt(),
              expected.assistant_turn().system_prompt());
    EXPECT_EQ(got.praise_text(), expected.praise_text());
  }
  // Spot-check against the raw file: the fixture's text with its trailing
  // spaces and tab, and a heading-like line inside a fence kept as content.
  bool saw_fenced_heading = false;
  for (const auto& [id, example] : stored) {
    if (absl::StrContains(example.user_turn().text(),
                          "## Example Captured: 2025-01-01T00:00:00")) {
      saw_fenced_heading = true;
    }
    EXPECT_THAT(ReadFileOrEmpty(fixture),
                HasSubstr(example.assistant_turn().text()));
  }
  EXPECT_TRUE(saw_fenced_heading);
}

TEST_F(CliToolsTest, ImportMarkdownRejectsAMalformedFileAndStoresNothing) {
  const std::string bad = dir_.File("bad.md");
  WriteFile(bad,
            "================================================================"
            "================\n## Example Captured: not a time\n");
  ProcessResult result = Cli({"import-markdown", bad});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.err, HasSubstr("bad.md"));
  EXPECT_EQ(Stats().examples_total(), 0);
  EXPECT_NE(Cli({"import-markdown", dir_.File("missing.md")}).exit_code, 0);
}

// --- review / list --status
// -----------------------------------------------------

TEST_F(CliToolsTest, ReviewApproveThenListAndExportByStatus) {
  auto [positive, negative] = MixedDataset();
  const std::string id = positive[0];
  EXPECT_EQ(CliOk({"review", id, "--approve", "--note=checked by hand"}),
            absl::StrCat(id, " approved (note: checked by hand)\n"));
  std::map<std::string, v1::Example> approved = ListAll({"--status=approved"});
  ASSERT_THAT(approved, SizeIs(1));
  EXPECT_EQ(approved.begin()->first, id);
  EXPECT_EQ(approved.begin()->second.review_note(), "checked by hand");
  EXPECT_THAT(ListAll({"--status=pending"}), SizeIs(2));

  CliOk({"review", negative[0], "--reject"});
  EXPECT_THAT(ListAll({"--status=rejected"}), SizeIs(1));

  const std::string out = dir_.File("approved.jsonl");
  CliOk({"export", "--format=full-jsonl", "--status=approved", "--out=" + out});
  EXPECT_THAT(ExportedIds(out), ElementsAre(id));

  // Undo.
  CliOk({"review", id, "--pending"});
  EXPECT_THAT(ListAll({"--status=approved"}), IsEmpty());
}

TEST_F(CliToolsTest, ReviewRejectsBadInputAndChangesNothing) {
  auto [positive, negative] = MixedDataset();
  EXPECT_NE(Cli({"review", "no-such-id", "--approve"}).exit_code, 0);
  EXPECT_NE(Cli({"review", positive[0], "--approve", "--reject"}).exit_code, 0);
  EXPECT_NE(Cli({"review", positive[0]}).exit_code, 0);
  EXPECT_NE(Cli({"review", "--approve"}).exit_code, 0);
  EXPECT_THAT(ListAll({"--status=pending"}), SizeIs(3));
}

// --- status
// ----------------------------------------------------------------------

TEST_F(CliToolsTest, StatusPageHasTotalsMilestonesAndRecentCaptures) {
  MixedDataset();
  const v1::GetStatsResponse stats = Stats();
  const std::string chart = dir_.File("timeline.svg");
  std::string page = CliOk({"status", "--chart=" + chart});
  EXPECT_THAT(page, StartsWith("# "));
  EXPECT_THAT(page,
              HasSubstr(absl::StrCat("**", stats.examples_total(), "**")));
  EXPECT_THAT(page, HasSubstr(absl::StrCat(stats.positive_examples(), " / ",
                                           stats.negative_examples())));
  for (int milestone : {50, 100, 500, 1000}) {
    EXPECT_THAT(page, HasSubstr(absl::StrCat("| ", milestone, " |")));
  }
  EXPECT_THAT(page, HasSubstr("Good one, Timmy!"));
  EXPECT_THAT(page, HasSubstr("That was a hallucination."));

  const std::string svg = ReadFileOrEmpty(chart);
  EXPECT_THAT(svg, HasSubstr("<svg"));
  EXPECT_THAT(svg, HasSubstr("</svg>"));
}

// --- rebuild-markdown
// ------------------------------------------------------------

TEST_F(CliToolsTest, RebuildMarkdownRefusesWhileServingAndMatchesWhenStopped) {
  Conversation("kitchen", "Why do kettles whistle?",
               "Steam ```squeezes``` through a small hole.", "PROMPT-KITCHEN",
               "Good one, Timmy!");
  Conversation("garage", "What is a carburettor?",
               "It mixes air and fuel.\n````\nfenced\n````", "PROMPT-GARAGE",
               "That was an excellent response");
  const std::string written = ReadFileOrEmpty(MarkdownPath());
  ASSERT_THAT(written, HasSubstr("Example Captured"));

  ProcessResult refused = Cli({"rebuild-markdown", "--data_dir=" + DataDir()});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("stop it first"));
  EXPECT_EQ(ReadFileOrEmpty(MarkdownPath()), written);

  StopServer();
  ASSERT_EQ(std::remove(MarkdownPath().c_str()), 0);
  EXPECT_THAT(CliOk({"rebuild-markdown", "--data_dir=" + DataDir()}),
              HasSubstr("from 2 examples"));
  EXPECT_EQ(ReadFileOrEmpty(MarkdownPath()), written);

  EXPECT_NE(
      Cli({"rebuild-markdown", "--data_dir=" + dir_.File("nowhere")}).exit_code,
      0);
}

// --- feedback
// --------------------------------------------------------------------

TEST_F(CliToolsTest, FeedbackUpAndDownCreateExplicitExamples) {
  Push({"--session=s1", "--turn_id=u1", "--role=user", "--text=Hi"});
  Push({"--session=s1", "--turn_id=a1", "--role=assistant",
        "--text=Hello there.", "--system_prompt=P1"});
  Push({"--session=s2", "--turn_id=u1", "--role=user", "--text=Hi"});
  Push({"--session=s2", "--turn_id=a1", "--role=assistant", "--text=Go away.",
        "--system_prompt=P2"});

  std::string up = CliOk(
      {"feedback", "--session=s1", "--turn_id=a1", "--up", "--note=nice"});
  EXPECT_THAT(up, StartsWith("captured "));
  CliOk({"feedback", "--session=s2", "--down"});
  // The same reply again: acknowledged, nothing new.
  EXPECT_THAT(CliOk({"feedback", "--session=s1", "--up"}),
              HasSubstr("not captured"));

  std::map<std::string, v1::Example> examples = ListAll();
  ASSERT_THAT(examples, SizeIs(2));
  for (const auto& [id, example] : examples) {
    EXPECT_EQ(example.source(), v1::SOURCE_EXPLICIT);
    if (example.session_id() == "s1") {
      EXPECT_EQ(example.label(), v1::LABEL_POSITIVE);
      EXPECT_EQ(example.praise_text(), "nice");
      EXPECT_EQ(example.assistant_turn().text(), "Hello there.");
      EXPECT_THAT(up, HasSubstr(id));
    } else {
      EXPECT_EQ(example.label(), v1::LABEL_NEGATIVE);
      EXPECT_EQ(example.assistant_turn().text(), "Go away.");
    }
  }

  EXPECT_NE(Cli({"feedback", "--session=s1"}).exit_code, 0);
  EXPECT_NE(Cli({"feedback", "--session=s1", "--up", "--down"}).exit_code, 0);
  EXPECT_NE(Cli({"feedback", "--up"}).exit_code, 0);
  EXPECT_NE(Cli({"feedback", "--session=nobody", "--up"}).exit_code, 0);
  EXPECT_THAT(ListAll(), SizeIs(2));
}

// --- help
// ------------------------------------------------------------------------

// README: exit status 1 when the command failed, 2 for a usage error. A
// wrong call is caught before any server is contacted (none runs here).
TEST(CliUsageTest, UsageErrorsExitTwoAndPointToTheHelp) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"review", "some-id"},
           {"review", "some-id", "--approve", "--reject"},
           {"review", "--approve"},
           {"export", "--format=trl-kto"},
           {"export", "--format=trl-kto", "--out=x.jsonl", "--split=1.5"},
           {"export", "--format=trl-kto", "--out=-", "--split=0.9"},
           {"feedback", "--up"},
           {"import-markdown"},
           {"replay"},
           {"stats", "extra"},
           {"status", "extra"},
           {"list", "--page_size=5000"},
           {"push"},
           // A bad value of a flag, or a --json that is not a Turn.
           {"push", "--session=c1", "--turn_id=u1", "--role=system",
            "--text=hi"},
           {"push", "--session=c1", "--turn_id=u1", "--role=user", "--text=hi",
            "--metadata=novalue"},
           {"push", "--json=not json"},
           {"push",
            R"(--json={"sessionId":"c1","turnId":"u1","role":"ROLE_USER",)"
            R"("text":"hi","bogus":1})"},
           // Without --json every part of the turn is required.
           {"push", "--session=c1", "--turn_id=u1", "--role=user"},
           {"push", "--session=c1", "--role=user", "--text=hi"},
           {"push", "--turn_id=u1", "--role=user", "--text=hi"},
           {"push", "--session=c1", "--turn_id=u1", "--text=hi"},
           {"push", "--session=c1", "--turn_id=u1", "--role=user", "--text=hi",
            "--text_file=-"},
       }) {
    std::vector<std::string> argv = {"--server=127.0.0.1:1"};
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessResult result = RunClient(argv);
    EXPECT_EQ(result.exit_code, 2) << absl::StrJoin(args, " ") << result.err;
    EXPECT_THAT(result.err,
                HasSubstr(absl::StrCat("(see 'ftcapture help ", args[0], "')")))
        << absl::StrJoin(args, " ");
  }
  // A well-formed call that fails (no server there) is a failure: 1.
  ProcessResult failed =
      RunClient({"--server=127.0.0.1:1", "review", "some-id", "--approve"});
  EXPECT_EQ(failed.exit_code, 1) << failed.err;
  EXPECT_THAT(failed.err, Not(HasSubstr("ftcapture help")));
}

TEST(CliUsageTest, PushNamesTheMissingFlags) {
  ProcessResult result =
      RunClient({"--server=127.0.0.1:1", "push", "--session=c1", "--turn_id=u1",
                 "--role=user"});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_THAT(result.err, HasSubstr("missing --text"));
  EXPECT_THAT(result.out, IsEmpty());
}

// --- delete and list output
// ----------------------------------------------------

TEST_F(CliToolsTest, DeleteOfAnUnknownIdPrintsOnlyTheError) {
  ProcessResult result = Cli({"delete", "--id=ex-nope"});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_THAT(result.out, IsEmpty());
  EXPECT_THAT(result.err, HasSubstr("NOT_FOUND"));
}

TEST_F(CliToolsTest, DeleteOfNothingGivesNoCompactionWarning) {
  MixedDataset();
  ProcessResult result = Cli({"delete", "--session=no-such"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("deleted 0 example(s)"));
  EXPECT_THAT(result.out, Not(HasSubstr("not compacted")));
}

TEST_F(CliToolsTest, ListTableColumnsLineUpWithTheFullIds) {
  MixedDataset();
  std::vector<std::string> lines = Lines(CliOk({"list"}));
  ASSERT_GE(lines.size(), 5u);  // header, 3 examples, total
  const size_t captured = lines[0].find("CAPTURED");
  ASSERT_NE(captured, std::string::npos) << lines[0];
  for (size_t i = 1; i + 1 < lines.size(); ++i) {
    const std::string& row = lines[i];
    ASSERT_GT(row.size(), captured) << row;
    const std::string id = row.substr(0, row.find(' '));
    EXPECT_THAT(id, StartsWith("ex-")) << row;
    EXPECT_GE(id.size(), 35u) << row;
    // The time starts in the CAPTURED column, right after the padded id.
    EXPECT_EQ(row[captured - 1], ' ') << row;
    EXPECT_TRUE(absl::ascii_isdigit(row[captured])) << row;
  }
}

TEST(CliListTest, FailedListPrintsNothingToStdout) {
  for (const char* format : {"--nojson", "--json"}) {
    ProcessResult result =
        RunClient({"--server=127.0.0.1:1", "list", "--all", format});
    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_THAT(result.out, IsEmpty()) << format;
    EXPECT_THAT(result.err, HasSubstr("UNAVAILABLE")) << format;
  }
}

TEST_F(CliToolsTest, EveryToolHasHelp) {
  for (const char* command : {"detect", "export", "import-markdown", "review",
                              "status", "rebuild-markdown", "feedback"}) {
    ProcessResult result = Cli({"help", command});
    EXPECT_EQ(result.exit_code, 0) << command;
    EXPECT_THAT(result.out, HasSubstr(absl::StrCat("ftcapture [--server=HOST:"
                                                   "PORT] ",
                                                   command, " ")));
  }
}

}  // namespace
}  // namespace ftcapture
