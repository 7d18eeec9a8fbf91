#include "src/tools/export_format.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace ftcapture {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp out;
  out.set_seconds(absl::ToUnixSeconds(t));
  return out;
}

absl::Time Day(int d, int h = 0) {
  return absl::FromCivil(absl::CivilSecond(2025, 11, d, h, 0, 0),
                         absl::UTCTimeZone());
}

v1::Example Fixture(v1::Label label = v1::LABEL_POSITIVE) {
  v1::Example e;
  e.set_id("ex-1");
  *e.mutable_captured_at() = Ts(Day(20, 12));
  e.set_session_id("s1");
  e.mutable_user_turn()->set_role(v1::ROLE_USER);
  e.mutable_user_turn()->set_text("Why is the sky blue?");
  v1::Turn* reply = e.mutable_assistant_turn();
  reply->set_role(v1::ROLE_ASSISTANT);
  reply->set_text("Rayleigh scattering.\nObviously.");
  reply->set_system_prompt("You are Timmy.");
  reply->add_memories()->set_text("Dan likes \"quotes\"");
  reply->add_memories()->set_text("You are Timmy.");  // already in the prompt
  e.set_praise_text("Good one, Timmy");
  e.set_label(label);
  e.set_status(v1::REVIEW_STATUS_PENDING);
  return e;
}

std::string Line(ExportFormat format, const v1::Example& e, int history = -1) {
  ExportOptions options;
  options.history = history;
  absl::StatusOr<std::string> line = FormatExportLine(format, e, options);
  EXPECT_TRUE(line.ok()) << line.status();
  return line.ok() ? *line : "";
}

constexpr char kSystemJson[] =
    R"({"role":"system","content":"You are Timmy.\n\nMemories:\n- Dan likes \"quotes\""})";
constexpr char kUserJson[] =
    R"({"role":"user","content":"Why is the sky blue?"})";
constexpr char kAssistantJson[] =
    R"({"role":"assistant","content":"Rayleigh scattering.\nObviously."})";
constexpr char kWeightedAssistantJson[] =
    R"({"role":"assistant","content":"Rayleigh scattering.\nObviously.","weight":1})";

TEST(FormatExportLineTest, OpenAiChatExactShape) {
  EXPECT_EQ(Line(ExportFormat::kOpenAiChat, Fixture()),
            absl::StrCat(R"({"messages":[)", kSystemJson, ",", kUserJson, ",",
                         kWeightedAssistantJson, "]}"));
  // --history=0: the shape from before history, without weights.
  EXPECT_EQ(Line(ExportFormat::kOpenAiChat, Fixture(), /*history=*/0),
            absl::StrCat(R"({"messages":[)", kSystemJson, ",", kUserJson, ",",
                         kAssistantJson, "]}"));
}

void AddHistory(v1::Example* e, int exchanges) {
  for (int i = 1; i <= exchanges; ++i) {
    v1::Turn* user = e->add_history();
    user->set_role(v1::ROLE_USER);
    user->set_text(absl::StrCat("q", i));
    v1::Turn* reply = e->add_history();
    reply->set_role(v1::ROLE_ASSISTANT);
    reply->set_text(absl::StrCat("r", i));
  }
}

TEST(FormatExportLineTest, OpenAiChatCarriesHistoryWithWeightZero) {
  v1::Example e = Fixture();
  AddHistory(&e, 2);
  EXPECT_EQ(Line(ExportFormat::kOpenAiChat, e),
            absl::StrCat(R"({"messages":[)", kSystemJson,
                         R"(,{"role":"user","content":"q1"},)"
                         R"({"role":"assistant","content":"r1","weight":0},)"
                         R"({"role":"user","content":"q2"},)"
                         R"({"role":"assistant","content":"r2","weight":0},)",
                         kUserJson, ",", kWeightedAssistantJson, "]}"));
  // --history=N keeps the latest N messages.
  EXPECT_EQ(Line(ExportFormat::kOpenAiChat, e, /*history=*/1),
            absl::StrCat(R"({"messages":[)", kSystemJson,
                         R"(,{"role":"assistant","content":"r2","weight":0},)",
                         kUserJson, ",", kWeightedAssistantJson, "]}"));
  EXPECT_EQ(Line(ExportFormat::kOpenAiChat, e, /*history=*/0),
            Line(ExportFormat::kOpenAiChat, Fixture(), /*history=*/0));
}

TEST(FormatExportLineTest, SftShareGptAndKtoCarryHistory) {
  v1::Example e = Fixture();
  AddHistory(&e, 1);
  const std::string history =
      R"({"role":"user","content":"q1"},{"role":"assistant","content":"r1"})";
  EXPECT_EQ(Line(ExportFormat::kTrlSft, e),
            absl::StrCat(R"({"messages":[)", kSystemJson, ",", history, ",",
                         kUserJson, ",", kAssistantJson, "]}"));
  EXPECT_EQ(Line(ExportFormat::kTrlKto, e),
            absl::StrCat(R"({"prompt":[)", kSystemJson, ",", history, ",",
                         kUserJson, R"(],"completion":[)", kAssistantJson,
                         R"(],"label":true})"));
  EXPECT_EQ(
      Line(ExportFormat::kShareGpt, e),
      R"({"conversations":[{"from":"human","value":"q1"},)"
      R"({"from":"gpt","value":"r1"},)"
      R"({"from":"human","value":"Why is the sky blue?"},)"
      R"({"from":"gpt","value":"Rayleigh scattering.\nObviously."}],)"
      R"("system":"You are Timmy.\n\nMemories:\n- Dan likes \"quotes\""})");
  EXPECT_EQ(Line(ExportFormat::kTrlSft, Fixture(v1::LABEL_NEGATIVE)), "");
  EXPECT_EQ(Line(ExportFormat::kShareGpt, Fixture(v1::LABEL_NEGATIVE)), "");
}

v1::Example PairFixture() {
  v1::Example e = Fixture();
  AddHistory(&e, 1);
  v1::Turn* rejected = e.mutable_rejected_turn();
  rejected->set_role(v1::ROLE_ASSISTANT);
  rejected->set_text("Because of the ocean.");
  rejected->set_system_prompt("You are Timmy, v2.");
  return e;
}

TEST(FormatExportLineTest, DpoShapesFromPairsOnly) {
  const v1::Example pair = PairFixture();
  const std::string prompt = absl::StrCat(
      kSystemJson,
      R"(,{"role":"user","content":"q1"},{"role":"assistant","content":"r1"},)",
      kUserJson);
  constexpr char kRejectedJson[] =
      R"({"role":"assistant","content":"Because of the ocean."})";
  EXPECT_EQ(
      Line(ExportFormat::kTrlDpo, pair),
      absl::StrCat(R"({"prompt":[)", prompt, R"(],"chosen":[)", kAssistantJson,
                   R"(],"rejected":[)", kRejectedJson, "]}"));
  EXPECT_EQ(Line(ExportFormat::kOpenAiDpo, pair),
            absl::StrCat(R"({"input":{"messages":[)", prompt,
                         R"(]},"preferred_output":[)", kAssistantJson,
                         R"(],"non_preferred_output":[)", kRejectedJson, "]}"));
  // Single examples have no DPO line, and pairs no SFT/KTO line (their
  // replies have single examples of their own).
  EXPECT_EQ(Line(ExportFormat::kTrlDpo, Fixture()), "");
  EXPECT_EQ(Line(ExportFormat::kOpenAiDpo, Fixture()), "");
  for (ExportFormat f : {ExportFormat::kOpenAiChat, ExportFormat::kTrlSft,
                         ExportFormat::kTrlKto, ExportFormat::kShareGpt}) {
    EXPECT_EQ(Line(f, pair), "") << ExportFormatName(f);
  }
  EXPECT_NE(Line(ExportFormat::kFullJsonl, pair), "");
}

TEST(FormatExportLineTest, OpenAiChatSkipsNegatives) {
  EXPECT_EQ(Line(ExportFormat::kOpenAiChat, Fixture(v1::LABEL_NEGATIVE)), "");
  // Captured before labels existed: a praise, so positive.
  EXPECT_NE(Line(ExportFormat::kOpenAiChat, Fixture(v1::LABEL_UNSPECIFIED)),
            "");
}

TEST(FormatExportLineTest, KtoExactShapeWithBothLabels) {
  const std::string prompt =
      absl::StrCat(R"({"prompt":[)", kSystemJson, ",", kUserJson,
                   R"(],"completion":[)", kAssistantJson, "]");
  EXPECT_EQ(Line(ExportFormat::kTrlKto, Fixture()),
            absl::StrCat(prompt, R"(,"label":true})"));
  EXPECT_EQ(Line(ExportFormat::kTrlKto, Fixture(v1::LABEL_NEGATIVE)),
            absl::StrCat(prompt, R"(,"label":false})"));
}

TEST(FormatExportLineTest, NoSystemMessageWithoutPromptOrMemories) {
  v1::Example e = Fixture();
  e.mutable_assistant_turn()->clear_system_prompt();
  e.mutable_assistant_turn()->clear_memories();
  EXPECT_EQ(
      Line(ExportFormat::kOpenAiChat, e, /*history=*/0),
      absl::StrCat(R"({"messages":[)", kUserJson, ",", kAssistantJson, "]}"));
}

TEST(FormatExportLineTest, FullJsonlRoundTripsEveryField) {
  v1::Example e = Fixture(v1::LABEL_NEGATIVE);
  (*e.mutable_metadata())["k"] = "v\nw";
  e.set_source(v1::SOURCE_IMPORTED);
  std::string line = Line(ExportFormat::kFullJsonl, e);
  EXPECT_THAT(line, Not(HasSubstr("\n")));
  EXPECT_THAT(line, HasSubstr(R"("capturedAt":"2025-11-20T12:00:00Z")"));
  EXPECT_THAT(line, HasSubstr(R"("label":"LABEL_NEGATIVE")"));
  EXPECT_THAT(line, HasSubstr(R"("reviewNote":"")"));  // defaults shown
  v1::Example back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &back).ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(back, e));
}

TEST(FormatExportLineTest, FullJsonlPrintsMetadataSortedSoExportsRepeat) {
  // The same metadata built in opposite orders (so the maps iterate
  // differently) must print the same line, keys in order.
  v1::Example forward = Fixture(), backward = Fixture();
  constexpr int kKeys = 40;
  for (int i = 0; i < kKeys; ++i) {
    (*forward.mutable_metadata())[absl::StrCat("k", 100 + i)] = "v";
    (*backward.mutable_metadata())[absl::StrCat("k", 100 + kKeys - 1 - i)] =
        "v";
  }
  const std::string line = Line(ExportFormat::kFullJsonl, forward);
  EXPECT_EQ(Line(ExportFormat::kFullJsonl, backward), line);
  size_t previous = 0;
  for (int i = 0; i < kKeys; ++i) {
    size_t at = line.find(absl::StrCat("\"k", 100 + i, "\":"));
    ASSERT_NE(at, std::string::npos) << i;
    EXPECT_GT(at, previous) << "key k" << 100 + i << " out of order";
    previous = at;
  }
}

constexpr ExportFormat kAllFormats[] = {
    ExportFormat::kOpenAiChat, ExportFormat::kTrlSft, ExportFormat::kTrlKto,
    ExportFormat::kShareGpt,   ExportFormat::kTrlDpo, ExportFormat::kOpenAiDpo,
    ExportFormat::kFullJsonl};

TEST(FormatExportLineTest, EveryFormatIsOneLine) {
  v1::Example e = Fixture();
  e.mutable_user_turn()->set_text("line one\nline two\r\n\u2028end");
  v1::Example pair = PairFixture();
  pair.mutable_user_turn()->set_text(e.user_turn().text());
  for (ExportFormat f : kAllFormats) {
    std::string line = Line(f, IsPairFormat(f) ? pair : e);
    EXPECT_FALSE(line.empty());
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
    EXPECT_EQ(line.find('\r'), std::string::npos) << line;
  }
}

// Stored before capture and import refused them.
TEST(FormatExportLineTest, ExamplesWithoutAUserMessageOrReplyAreLeftOut) {
  v1::Example no_user = Fixture();
  no_user.mutable_user_turn()->clear_text();
  v1::Example no_reply = Fixture();
  no_reply.mutable_assistant_turn()->clear_text();
  v1::Example pair_no_user = PairFixture();
  pair_no_user.clear_user_turn();
  v1::Example pair_no_rejected = PairFixture();
  pair_no_rejected.mutable_rejected_turn()->clear_text();
  for (const v1::Example* e :
       {&no_user, &no_reply, &pair_no_user, &pair_no_rejected}) {
    EXPECT_FALSE(HasExchange(*e));
    for (ExportFormat f : kAllFormats) {
      if (f == ExportFormat::kFullJsonl) {
        EXPECT_NE(Line(f, *e), "") << "the backup format keeps everything";
      } else {
        EXPECT_EQ(Line(f, *e), "") << ExportFormatName(f);
      }
    }
  }
  EXPECT_TRUE(HasExchange(Fixture()));
  EXPECT_TRUE(HasExchange(PairFixture()));
}

TEST(ParseExportFormatTest, NamesAndErrors) {
  for (ExportFormat f : kAllFormats) {
    auto parsed = ParseExportFormat(ExportFormatName(f));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, f);
  }
  auto bad = ParseExportFormat("csv");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("openai-chat"));
}

TEST(SystemContentTest, AppendsOnlyMemoriesThePromptLacks) {
  v1::Example e = Fixture();
  EXPECT_EQ(SystemContent(e),
            "You are Timmy.\n\nMemories:\n- Dan likes \"quotes\"");
  e.mutable_assistant_turn()->clear_system_prompt();
  EXPECT_EQ(SystemContent(e),
            "Memories:\n- Dan likes \"quotes\"\n- You are Timmy.");
  e.mutable_assistant_turn()->clear_memories();
  EXPECT_EQ(SystemContent(e), "");
  e.mutable_assistant_turn()->set_system_prompt("Exact  prompt \n");
  EXPECT_EQ(SystemContent(e), "Exact  prompt \n");
}

v1::Example WithId(const std::string& id) {
  v1::Example e;
  e.set_id(id);
  return e;
}

TEST(ExportSplitterTest, DeterministicAndNearTheFraction) {
  ExportSplitter a(0.9, 7), b(0.9, 7), other_seed(0.9, 8);
  int train = 0, differs = 0;
  for (int i = 0; i < 1000; ++i) {
    v1::Example e = WithId(absl::StrCat("ex-", i));
    bool in_train = a.IsTrain(e);
    EXPECT_EQ(in_train, b.IsTrain(e));
    EXPECT_EQ(in_train, a.IsTrain(e));
    train += in_train;
    differs += in_train != other_seed.IsTrain(e);
  }
  // Binomial(1000, 0.9): sd ~9.5, so +-50 fails only on a broken hash.
  EXPECT_GT(train, 850);
  EXPECT_LT(train, 950);
  EXPECT_GT(differs, 50);  // the seed matters
}

TEST(ExportSplitterTest, DecisionIgnoresOrderAndOtherFields) {
  ExportSplitter splitter(0.5, 1);
  v1::Example e = Fixture();
  bool decision = splitter.IsTrain(e);
  for (int i = 0; i < 100; ++i) splitter.IsTrain(WithId(absl::StrCat(i)));
  e.set_praise_text("changed");
  EXPECT_EQ(splitter.IsTrain(e), decision);
}

TEST(ExportSplitterTest, ExtremeFractions) {
  ExportSplitter none(0.0, 3), all(1.0, 3), over(1.5, 3), under(-1, 3);
  for (int i = 0; i < 200; ++i) {
    v1::Example e = WithId(absl::StrCat("id", i));
    EXPECT_FALSE(none.IsTrain(e));
    EXPECT_TRUE(all.IsTrain(e));
    EXPECT_TRUE(over.IsTrain(e));
    EXPECT_FALSE(under.IsTrain(e));
  }
}

TEST(SplitOutputPathsTest, InsertsBeforeTheExtension) {
  EXPECT_EQ(SplitOutputPaths("out/data.jsonl"),
            std::make_pair(std::string("out/data.train.jsonl"),
                           std::string("out/data.test.jsonl")));
  EXPECT_EQ(SplitOutputPaths("a.b/data"),
            std::make_pair(std::string("a.b/data.train"),
                           std::string("a.b/data.test")));
  EXPECT_EQ(SplitOutputPaths(".hidden"),
            std::make_pair(std::string(".hidden.train"),
                           std::string(".hidden.test")));
}

TEST(MatchesExportFilterTest, UnsetMatchesAll) {
  v1::ExportExamplesRequest all;
  EXPECT_TRUE(MatchesExportFilter(all, Fixture()));
  EXPECT_TRUE(MatchesExportFilter(all, Fixture(v1::LABEL_NEGATIVE)));
}

TEST(MatchesExportFilterTest, SinceInclusiveUntilExclusive) {
  v1::ExportExamplesRequest request;
  *request.mutable_since() = Ts(Day(20, 12));
  *request.mutable_until() = Ts(Day(21));
  v1::Example e = Fixture();
  EXPECT_TRUE(MatchesExportFilter(request, e));  // exactly at since
  *e.mutable_captured_at() = Ts(Day(20, 11));
  EXPECT_FALSE(MatchesExportFilter(request, e));
  *e.mutable_captured_at() = Ts(Day(21));  // exactly at until
  EXPECT_FALSE(MatchesExportFilter(request, e));
  *e.mutable_captured_at() = Ts(Day(21) - absl::Seconds(1));
  EXPECT_TRUE(MatchesExportFilter(request, e));
}

TEST(MatchesExportFilterTest, StatusAndLabel) {
  v1::ExportExamplesRequest approved;
  approved.set_status(v1::REVIEW_STATUS_APPROVED);
  v1::ExportExamplesRequest pending;
  pending.set_status(v1::REVIEW_STATUS_PENDING);
  v1::Example e = Fixture();
  EXPECT_FALSE(MatchesExportFilter(approved, e));
  EXPECT_TRUE(MatchesExportFilter(pending, e));
  e.set_status(v1::REVIEW_STATUS_UNSPECIFIED);  // counts as pending
  EXPECT_TRUE(MatchesExportFilter(pending, e));
  e.set_status(v1::REVIEW_STATUS_APPROVED);
  EXPECT_TRUE(MatchesExportFilter(approved, e));

  v1::ExportExamplesRequest negative;
  negative.set_label(v1::LABEL_NEGATIVE);
  v1::ExportExamplesRequest positive;
  positive.set_label(v1::LABEL_POSITIVE);
  EXPECT_FALSE(MatchesExportFilter(negative, Fixture()));
  EXPECT_TRUE(MatchesExportFilter(negative, Fixture(v1::LABEL_NEGATIVE)));
  EXPECT_TRUE(MatchesExportFilter(positive, Fixture(v1::LABEL_UNSPECIFIED)));
}

TEST(ParseTimeFlagTest, Rfc3339DatesAndNaive) {
  auto t = ParseTimeFlag("2025-11-28T17:09:14Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, Day(28, 17) + absl::Minutes(9) + absl::Seconds(14));
  t = ParseTimeFlag("2025-11-28T18:09:14.5+01:00");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, Day(28, 17) + absl::Minutes(9) + absl::Seconds(14) +
                    absl::Milliseconds(500));
  t = ParseTimeFlag("2025-11-28");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, Day(28));
  t = ParseTimeFlag("2025-11-28T17:00:00");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, Day(28, 17));
  for (const char* bad : {"", "yesterday", "2025-13-01", "28/11/2025"}) {
    EXPECT_EQ(ParseTimeFlag(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(FlagParsersTest, StatusAndLabel) {
  EXPECT_EQ(*ParseReviewStatusFlag("pending"), v1::REVIEW_STATUS_PENDING);
  EXPECT_EQ(*ParseReviewStatusFlag("Approved"), v1::REVIEW_STATUS_APPROVED);
  EXPECT_EQ(*ParseReviewStatusFlag("rejected"), v1::REVIEW_STATUS_REJECTED);
  EXPECT_EQ(*ParseReviewStatusFlag(""), v1::REVIEW_STATUS_UNSPECIFIED);
  EXPECT_EQ(*ParseReviewStatusFlag("all"), v1::REVIEW_STATUS_UNSPECIFIED);
  EXPECT_FALSE(ParseReviewStatusFlag("maybe").ok());
  EXPECT_EQ(*ParseLabelFlag("positive"), v1::LABEL_POSITIVE);
  EXPECT_EQ(*ParseLabelFlag("NEGATIVE"), v1::LABEL_NEGATIVE);
  EXPECT_EQ(*ParseLabelFlag(""), v1::LABEL_UNSPECIFIED);
  EXPECT_EQ(ParseLabelFlag("good").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*ParseConfidenceFlag("low"), v1::CONFIDENCE_LOW);
  EXPECT_EQ(*ParseConfidenceFlag("HIGH"), v1::CONFIDENCE_HIGH);
  EXPECT_EQ(*ParseConfidenceFlag(""), v1::CONFIDENCE_UNSPECIFIED);
  EXPECT_EQ(ParseConfidenceFlag("medium").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(MatchesConfidenceFilterTest, WeakNegativesOnlyWhenAskedOrApproved) {
  v1::Example weak_negative = Fixture(v1::LABEL_NEGATIVE);
  weak_negative.set_confidence(v1::CONFIDENCE_LOW);
  v1::Example weak_positive = Fixture();
  weak_positive.set_confidence(v1::CONFIDENCE_LOW);
  v1::Example strong = Fixture(v1::LABEL_NEGATIVE);
  strong.set_confidence(v1::CONFIDENCE_HIGH);
  const v1::Example unmarked = Fixture(v1::LABEL_NEGATIVE);

  v1::ExportExamplesRequest by_default, high, low;
  high.set_min_confidence(v1::CONFIDENCE_HIGH);
  low.set_min_confidence(v1::CONFIDENCE_LOW);
  EXPECT_FALSE(MatchesConfidenceFilter(by_default, weak_negative));
  EXPECT_TRUE(MatchesConfidenceFilter(by_default, weak_positive));
  EXPECT_TRUE(MatchesConfidenceFilter(by_default, strong));
  EXPECT_TRUE(MatchesConfidenceFilter(by_default, unmarked));
  EXPECT_FALSE(MatchesConfidenceFilter(high, weak_negative));
  EXPECT_FALSE(MatchesConfidenceFilter(high, weak_positive));
  EXPECT_TRUE(MatchesConfidenceFilter(high, strong));
  EXPECT_TRUE(MatchesConfidenceFilter(high, unmarked));
  EXPECT_TRUE(MatchesConfidenceFilter(low, weak_negative));
  EXPECT_TRUE(MatchesConfidenceFilter(low, weak_positive));

  weak_negative.set_status(v1::REVIEW_STATUS_APPROVED);
  EXPECT_TRUE(MatchesConfidenceFilter(by_default, weak_negative));
  EXPECT_TRUE(MatchesConfidenceFilter(high, weak_negative));
}

}  // namespace
}  // namespace ftcapture
