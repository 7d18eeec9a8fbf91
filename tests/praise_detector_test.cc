#include "src/detect/praise_detector.h"

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "re2/re2.h"
#include "src/detect/rule_file.h"

namespace ftcapture {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::unique_ptr<PraiseDetector> DefaultDetector(absl::string_view persona) {
  absl::StatusOr<std::unique_ptr<PraiseDetector>> detector =
      PraiseDetector::Create(PraiseDetector::DefaultRules(), persona);
  EXPECT_TRUE(detector.ok()) << detector.status();
  return detector.ok() ? std::move(*detector) : nullptr;
}

struct CorpusLine {
  int line;
  FeedbackKind label;
  std::string category;
  std::string message;
};

std::vector<CorpusLine> ReadCorpus() {
  const std::string path =
      std::string(FTCAPTURE_SOURCE_DIR) + "/tests/data/praise_corpus.tsv";
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::vector<CorpusLine> corpus;
  std::string text;
  int line_no = 0;
  while (std::getline(in, text)) {
    ++line_no;
    if (text.empty() || text[0] == '#') continue;
    std::vector<std::string> fields =
        absl::StrSplit(text, absl::MaxSplits('\t', 2));
    EXPECT_EQ(fields.size(), 3u) << "line " << line_no;
    if (fields.size() != 3) continue;
    int label = 0;
    EXPECT_TRUE(absl::SimpleAtoi(fields[0], &label)) << "line " << line_no;
    corpus.push_back({line_no,
                      label == 1    ? FeedbackKind::kPraise
                      : label == -1 ? FeedbackKind::kCriticism
                                    : FeedbackKind::kNone,
                      fields[1], fields[2]});
  }
  return corpus;
}

// --- the project's corpus ----------------------------------------------------

TEST(PraiseDetectorCorpusTest, EveryLabeledLineGetsItsKind) {
  std::unique_ptr<PraiseDetector> detector = DefaultDetector("Timmy");
  ASSERT_NE(detector, nullptr);
  std::vector<CorpusLine> corpus = ReadCorpus();
  ASSERT_GE(corpus.size(), 150u);
  for (const CorpusLine& example : corpus) {
    const Verdict verdict = detector->Detect(example.message);
    EXPECT_EQ(FeedbackKindName(verdict.kind), FeedbackKindName(example.label))
        << "line " << example.line << " (" << example.category << "): \""
        << example.message << "\" rule=" << verdict.rule
        << " veto=" << verdict.veto << " evidence=" << verdict.evidence;
  }
}

TEST(PraiseDetectorCorpusTest, CoversEveryCategoryOfTheIssue) {
  std::map<std::string, int> per_category;
  for (const CorpusLine& example : ReadCorpus())
    ++per_category[example.category];
  for (const char* category : {"praise",
                               "mixed",
                               "negated",
                               "mentioned",
                               "asked",
                               "wished",
                               "other",
                               "frustrated",
                               "criticism",
                               "neutral",
                               "crit_reply",
                               "crit_persona",
                               "crit_repeat",
                               "crit_invented",
                               "crit_correction",
                               "mixed_crit",
                               "crit_negated",
                               "crit_mentioned",
                               "crit_asked",
                               "crit_wished",
                               "crit_hypothetical",
                               "crit_other_subject",
                               "crit_self",
                               "crit_more",
                               "crit_plain_no"}) {
    EXPECT_GE(per_category[category], 8) << category;
  }
}

// Issue 15: factual corrections are weak, judgements of the reply strong,
// and a mixed message keeps its criticism beside the praise.
TEST(PraiseDetectorCorpusTest, CriticismCategoriesGetTheirConfidence) {
  std::unique_ptr<PraiseDetector> detector = DefaultDetector("Timmy");
  ASSERT_NE(detector, nullptr);
  const std::set<std::string> strong = {"crit_reply", "crit_persona",
                                        "crit_repeat", "crit_invented"};
  for (const CorpusLine& example : ReadCorpus()) {
    const Verdict verdict = detector->Detect(example.message);
    if (example.category == "crit_correction") {
      EXPECT_EQ(verdict.confidence, Confidence::kWeak) << example.message;
    } else if (strong.count(example.category)) {
      EXPECT_EQ(verdict.confidence, Confidence::kStrong) << example.message;
    } else if (example.category == "mixed_crit") {
      EXPECT_FALSE(verdict.mixed_criticism_rule.empty()) << example.message;
    }
  }
}

TEST(PraiseDetectorCorpusTest, VetoedLinesNameTheirGuard) {
  std::unique_ptr<PraiseDetector> detector = DefaultDetector("Timmy");
  ASSERT_NE(detector, nullptr);
  // Categories where a praise word is present but must be vetoed.
  const std::set<std::string> guarded = {"negated", "mentioned", "wished"};
  int vetoed = 0;
  for (const CorpusLine& example : ReadCorpus()) {
    if (!guarded.count(example.category)) continue;
    const Verdict verdict = detector->Detect(example.message);
    if (verdict.kind != FeedbackKind::kNone || verdict.veto.empty()) continue;
    ++vetoed;
    EXPECT_FALSE(verdict.rule.empty()) << example.message;
    EXPECT_FALSE(verdict.evidence.empty()) << example.message;
  }
  // A test that checked no line would pass whatever the detector does.
  EXPECT_GE(vetoed, 10) << "too few corpus lines were vetoed by a guard";
}

// --- explanations ------------------------------------------------------------

TEST(PraiseDetectorTest, PraiseNamesRuleAndEvidence) {
  std::unique_ptr<PraiseDetector> detector = DefaultDetector("Timmy");
  ASSERT_NE(detector, nullptr);
  const Verdict verdict = detector->Detect("That was an excellent response.");
  EXPECT_EQ(verdict.kind, FeedbackKind::kPraise);
  EXPECT_FALSE(verdict.rule.empty());
  EXPECT_TRUE(verdict.veto.empty());
  EXPECT_THAT(absl::AsciiStrToLower(verdict.evidence), HasSubstr("excellent"));
}

struct VetoCase {
  const char* message;
  const char* guard;
};

class PraiseDetectorVetoTest : public ::testing::TestWithParam<VetoCase> {};

TEST_P(PraiseDetectorVetoTest, NamesTheGuardAndTheVetoedRule) {
  std::unique_ptr<PraiseDetector> detector = DefaultDetector("Timmy");
  ASSERT_NE(detector, nullptr);
  const Verdict verdict = detector->Detect(GetParam().message);
  EXPECT_EQ(verdict.kind, FeedbackKind::kNone);
  EXPECT_EQ(verdict.veto, GetParam().guard);
  EXPECT_FALSE(verdict.rule.empty());
  EXPECT_FALSE(verdict.evidence.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Guards, PraiseDetectorVetoTest,
    ::testing::Values(
        VetoCase{"That was not a good one.", "negation"},
        VetoCase{"I don't love that answer.", "negation"},
        VetoCase{"Was that a good response?", "question"},
        VetoCase{"She told me good job at work.", "mention"},
        VetoCase{"The sticker reads 'great job' in gold.", "quotation"},
        VetoCase{"Make it a good one, Timmy.", "wish"},
        VetoCase{"My wife did a great job on the garden.", "other_subject"},
        VetoCase{"Great. Now the camera is frozen.", "sarcasm"},
        VetoCase{"I saw a film yesterday and it was great.", "narrated"},
        VetoCase{"that wasnt a good answer", "negation"},
        VetoCase{"The review said the answer was excellent.", "reported"},
        VetoCase{"Good job interview today.", "compound"},
        VetoCase{"Well that's just great.", "flat_sarcasm"},
        VetoCase{"Great! The mic works.", "news_next"},
        VetoCase{"Great, see you tomorrow.", "news"},
        VetoCase{"Yeah, great job, genius.", "sarcastic_address"},
        VetoCase{"Great answer, but wrong.", "retracted"},
        VetoCase{"The appointment is on 10/10.", "date"},
        VetoCase{"Great \xF0\x9F\x99\x84", "sarcasm_emoji"}));

TEST(PraiseDetectorTest, NothingMatchedLeavesEveryFieldEmpty) {
  std::unique_ptr<PraiseDetector> detector = DefaultDetector("Timmy");
  ASSERT_NE(detector, nullptr);
  for (absl::string_view message :
       {"", "Tell me about the radiator.", "The weather is great."}) {
    const Verdict verdict = detector->Detect(message);
    EXPECT_EQ(verdict.kind, FeedbackKind::kNone) << message;
    EXPECT_EQ(verdict.rule, "") << message;
    EXPECT_EQ(verdict.veto, "") << message;
    EXPECT_EQ(verdict.evidence, "") << message;
  }
}

TEST(PraiseDetectorTest, PraiseWinsOverCriticismAndOverAnEarlierVeto) {
  std::unique_ptr<PraiseDetector> detector = DefaultDetector("Timmy");
  ASSERT_NE(detector, nullptr);
  EXPECT_EQ(detector->Detect("Great answer. It was far too long though.").kind,
            FeedbackKind::kPraise);
  EXPECT_EQ(
      detector->Detect("Not great at first, but that was a great answer.").kind,
      FeedbackKind::kPraise);
  const Verdict criticism = detector->Detect("That was a terrible response.");
  EXPECT_EQ(criticism.kind, FeedbackKind::kCriticism);
  EXPECT_FALSE(criticism.rule.empty());
  EXPECT_TRUE(criticism.mixed_criticism_rule.empty());
}

TEST(PraiseDetectorTest, MixedMessageKeepsTheCriticismBesideThePraise) {
  std::unique_ptr<PraiseDetector> detector = DefaultDetector("Timmy");
  ASSERT_NE(detector, nullptr);
  // Criticism first, praise in a later sentence: praise still decides.
  const Verdict mixed =
      detector->Detect("That was way too long. But a great answer, Timmy.");
  EXPECT_EQ(mixed.kind, FeedbackKind::kPraise);
  EXPECT_FALSE(mixed.mixed_criticism_rule.empty());
  EXPECT_THAT(absl::AsciiStrToLower(mixed.mixed_criticism_evidence),
              HasSubstr("too long"));
  EXPECT_EQ(mixed.mixed_criticism_confidence, Confidence::kStrong);
  const Verdict pure = detector->Detect("Great answer, Timmy.");
  EXPECT_EQ(pure.kind, FeedbackKind::kPraise);
  EXPECT_TRUE(pure.mixed_criticism_rule.empty());
}

TEST(PraiseDetectorTest, RuleConfidenceReachesTheVerdict) {
  absl::StatusOr<std::unique_ptr<PraiseDetector>> detector =
      PraiseDetector::Create(
          "# ftcapture-rules v1\n"
          "criticism judged \\b(too\\s+long)\\b\n"
          "criticism fact confidence=weak \\b(wrong\\s+year)\\b\n",
          "Timmy");
  ASSERT_TRUE(detector.ok()) << detector.status();
  EXPECT_EQ((*detector)->Detect("Way too long").confidence,
            Confidence::kStrong);
  const Verdict weak = (*detector)->Detect("Wrong year, it was 2019");
  EXPECT_EQ(weak.kind, FeedbackKind::kCriticism);
  EXPECT_EQ(weak.confidence, Confidence::kWeak);
  EXPECT_EQ(ConfidenceName(weak.confidence), "weak");
}

TEST(PraiseDetectorTest, CaseAndCurlyApostrophesDoNotMatter) {
  std::unique_ptr<PraiseDetector> detector = DefaultDetector("Timmy");
  ASSERT_NE(detector, nullptr);
  EXPECT_EQ(detector->Detect("GOOD ONE, TIMMY").kind, FeedbackKind::kPraise);
  EXPECT_EQ(detector->Detect("That\xE2\x80\x99s perfect.").kind,
            FeedbackKind::kPraise);
  EXPECT_EQ(detector->Detect("I don\xE2\x80\x99t love that answer.").kind,
            FeedbackKind::kNone);
}

TEST(FeedbackKindNameTest, NamesEachKind) {
  EXPECT_EQ(FeedbackKindName(FeedbackKind::kNone), "none");
  EXPECT_EQ(FeedbackKindName(FeedbackKind::kPraise), "praise");
  EXPECT_EQ(FeedbackKindName(FeedbackKind::kCriticism), "criticism");
}

// --- persona ----------------------------------------------------------------

TEST(PraiseDetectorPersonaTest, PersonaReplacesThePlaceholder) {
  std::unique_ptr<PraiseDetector> rex = DefaultDetector("Rex");
  ASSERT_NE(rex, nullptr);
  EXPECT_EQ(rex->Detect("Good Rex!").kind, FeedbackKind::kPraise);
  EXPECT_EQ(rex->Detect("Good Timmy!").kind, FeedbackKind::kNone);
  std::unique_ptr<PraiseDetector> timmy = DefaultDetector("Timmy");
  ASSERT_NE(timmy, nullptr);
  EXPECT_EQ(timmy->Detect("Good Rex!").kind, FeedbackKind::kNone);
}

TEST(PraiseDetectorPersonaTest, EmptyPersonaMeansTimmy) {
  std::unique_ptr<PraiseDetector> detector = DefaultDetector("");
  ASSERT_NE(detector, nullptr);
  EXPECT_EQ(detector->Detect("Good Timmy.").kind, FeedbackKind::kPraise);
}

TEST(PraiseDetectorPersonaTest, PersonaIsQuotedAndSpacesAreFlexible) {
  std::unique_ptr<PraiseDetector> detector = DefaultDetector("R2.D2 Unit");
  ASSERT_NE(detector, nullptr);
  EXPECT_EQ(detector->Detect("Good R2.D2   unit!").kind, FeedbackKind::kPraise);
  EXPECT_EQ(detector->Detect("Good R2xD2 Unit!").kind, FeedbackKind::kNone);
}

TEST(PraiseDetectorPersonaTest, CustomRuleFileUsesPersona) {
  const std::string rules =
      "# ftcapture-rules v1\n"
      "praise thanks_persona (thanks,?\\s+{persona})\n";
  absl::StatusOr<std::unique_ptr<PraiseDetector>> detector =
      PraiseDetector::Create(rules, "Ada");
  ASSERT_TRUE(detector.ok()) << detector.status();
  EXPECT_EQ((*detector)->Detect("Thanks, Ada").rule, "thanks_persona");
  EXPECT_EQ((*detector)->Detect("Thanks, Bob").kind, FeedbackKind::kNone);
}

// --- custom rule files
// ---------------------------------------------------------

TEST(PraiseDetectorRulesTest, GuardsVetoOnlyTheirTargetsAndScope) {
  const std::string rules =
      "# ftcapture-rules v1\n"
      "define GOOD (?:good|fine)\n"
      "praise    word_good   \\b({GOOD})\\b\n"
      "praise    word_great  \\b(great)\\b\n"
      "criticism word_bad    \\b(bad)\\b\n"
      "guard     neg_before  before  word_good  \\bnot\\s+$\n"
      "guard     q_after     after   word_*     ^[^.]*\\?\n"
      "guard     later_ugh   rest    criticism  \\bugh\\b\n";
  absl::StatusOr<std::unique_ptr<PraiseDetector>> made =
      PraiseDetector::Create(rules, "Timmy");
  ASSERT_TRUE(made.ok()) << made.status();
  const PraiseDetector& detector = **made;

  Verdict verdict = detector.Detect("not good");
  EXPECT_EQ(verdict.kind, FeedbackKind::kNone);
  EXPECT_EQ(verdict.rule, "word_good");
  EXPECT_EQ(verdict.veto, "neg_before");
  EXPECT_EQ(verdict.evidence, "good");

  EXPECT_EQ(detector.Detect("not great").kind, FeedbackKind::kPraise);
  EXPECT_EQ(detector.Detect("fine?").veto, "q_after");
  EXPECT_EQ(detector.Detect("bad").kind, FeedbackKind::kCriticism);
  EXPECT_EQ(detector.Detect("bad. ugh").veto, "later_ugh");
  // A later match of the same rule in the sentence is still tried.
  EXPECT_EQ(detector.Detect("not good, but good").kind, FeedbackKind::kPraise);
}

TEST(PraiseDetectorRulesTest, StartAndEndAreSentenceBoundaries) {
  const std::string rules =
      "# ftcapture-rules v1\n"
      "praise whole_sentence {start}(bravo)[.!]*{end}\n";
  absl::StatusOr<std::unique_ptr<PraiseDetector>> made =
      PraiseDetector::Create(rules, "Timmy");
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_EQ((*made)->Detect("Bravo!").kind, FeedbackKind::kPraise);
  EXPECT_EQ((*made)->Detect("We are done. Bravo! Next one.").kind,
            FeedbackKind::kPraise);
  EXPECT_EQ((*made)->Detect("line one\nbravo").kind, FeedbackKind::kPraise);
  EXPECT_EQ((*made)->Detect("He shouted bravo at the band.").kind,
            FeedbackKind::kNone);
}

TEST(PraiseDetectorRulesTest, PrefilterMarkLeavesVerdictsAlone) {
  // The same rule with and without {prefilter}: the mark only narrows what
  // the whole-message prefilter looks for, never what a sentence must hold.
  const std::string body =
      "criticism made_up \\b(?:you|it)\\W+(?:\\w+\\W+){0,3}?MARK"
      "(made\\s+(?:that|it)\\s+up)\n";
  std::string marked = "# ftcapture-rules v1\n" + body;
  marked.replace(marked.find("MARK"), 4, "{prefilter}");
  std::string plain = "# ftcapture-rules v1\n" + body;
  plain.erase(plain.find("MARK"), 4);
  absl::StatusOr<std::unique_ptr<PraiseDetector>> with_mark =
      PraiseDetector::Create(marked, "Timmy");
  absl::StatusOr<std::unique_ptr<PraiseDetector>> without_mark =
      PraiseDetector::Create(plain, "Timmy");
  ASSERT_TRUE(with_mark.ok()) << with_mark.status();
  ASSERT_TRUE(without_mark.ok()) << without_mark.status();

  for (const char* message : {
           "You totally made that up.",
           "I think it just made it up",
           "I made that up.",               // no subject the rule wants
           "It rained. Then made that up",  // the subject is a sentence back
           "you said five more words then made that up",  // gap too long
           "made it up",
       }) {
    SCOPED_TRACE(message);
    Verdict marked_verdict = (*with_mark)->Detect(message);
    Verdict plain_verdict = (*without_mark)->Detect(message);
    EXPECT_EQ(marked_verdict.kind, plain_verdict.kind);
    EXPECT_EQ(marked_verdict.evidence, plain_verdict.evidence);
  }
  EXPECT_EQ((*with_mark)->Detect("You totally made that up.").kind,
            FeedbackKind::kCriticism);
  EXPECT_EQ((*with_mark)->Detect("You totally made that up.").evidence,
            "made that up");
  EXPECT_EQ((*with_mark)->Detect("I made that up.").kind, FeedbackKind::kNone);
  EXPECT_EQ((*with_mark)->Detect("It rained. Then made that up").kind,
            FeedbackKind::kNone);
}

// The evidence is RE2's own group 1 (the detector once found it from DFA
// runs of the parts around it; these rules kept those paths honest), also
// for greedy lead-ins, lazy gaps and overlapping alternatives.
TEST(PraiseDetectorRulesTest, EvidenceIsRE2sGroupOne) {
  const char* const kRules[] = {
      // Greedy lead-in whose words can also start the core.
      "{start}\\W*(?:(?:oh|wow|so|good)\\W+)*((?:so\\s+)*(?:wow|good|so "
      "good)(?:\\s+one)?)(?:\\W+(?:wow|thanks|one))*\\W*{end}",
      // A lazy gap: the first parse of the part before the core is too short.
      "\\b(?:that|it)\\s+was\\s+(?:\\w+\\s+){0,3}?((?:good|great)(?:\\s+\\w+)"
      "?\\s+(?:one|answer))\\b",
      // Lazy gaps with a minimum and without a maximum.
      "\\bi\\s+(?:\\w+\\s+){1,2}?(like|love)\\s+(it|that)\\b",
      "\\bso\\s+(?:\\w+\\s+)*?(good(?:\\s+good)?)\\b",
      // A core that could also start before the minimum of items.
      "\\bx\\s+(?:\\w+\\s+){1,2}?([\\w\\s]+)",
      // Alternatives before and inside the core that overlap.
      "\\b(?:a|a\\s+b)\\s+(b\\s+c|c|b)(?:\\s+c)?\\b",
      // Only assertions around the core; and a core at the very end.
      "\\b(good\\s+one)\\b",
      "\\byou\\s+(?:are\\s+)*(great|are\\s+great)",
  };
  const char* const kMessages[] = {
      "Wow, good one, thanks",
      "so so good one wow",
      "good good one",
      "oh so good",
      "Good, wow",
      "that was a great answer",
      "it was really a good good one",
      "that was good great answer",
      "that was one two three four good one",
      "a b c",
      "a b b c",
      "a c c",
      "x a b",
      "good one",
      "you are are great",
      "you are great",
      "i really love it",
      "i love it",
      "i do really like that",
      "i so so so love it",
      "so very very good good",
      "so good",
      "so so good",
      "x a b",
      "x a b c d",
      "so a b c d e f g h i j k l m n o p q r s t good good",
  };
  for (const char* regex : kRules) {
    const std::string text =
        absl::StrCat("# ftcapture-rules v1\npraise r ", regex, "\n");
    absl::StatusOr<RuleFile> file = ParseRuleFile(text, "Timmy");
    ASSERT_TRUE(file.ok()) << file.status();
    RE2::Options options;
    options.set_case_sensitive(false);
    const RE2 reference(file->rules[0].sentence_regex, options);
    ASSERT_TRUE(reference.ok()) << reference.error();
    absl::StatusOr<std::unique_ptr<PraiseDetector>> detector =
        PraiseDetector::Create(text, "Timmy");
    ASSERT_TRUE(detector.ok()) << detector.status();
    for (const char* message : kMessages) {
      SCOPED_TRACE(absl::StrCat(regex, " on '", message, "'"));
      std::string group;
      const bool matched = RE2::PartialMatch(message, reference, &group);
      Verdict verdict = (*detector)->Detect(message);
      EXPECT_EQ(verdict.kind,
                matched ? FeedbackKind::kPraise : FeedbackKind::kNone);
      EXPECT_EQ(verdict.evidence, group);
    }
  }
}

// A core that only RE2's NFA can place is looked for in at most 16 KiB of
// matches per message; past that the rule is skipped, so a huge turn costs
// milliseconds, not seconds, and later rules still judge it.
TEST(PraiseDetectorRulesTest, NfaWorkPerMessageIsBounded) {
  const std::string rules =
      "# ftcapture-rules v1\n"
      // The greedy loop's first parse takes every "a", leaving none for the
      // core: only the NFA finds it.
      "praise greedy {start}(?:a\\W+)*(a)\\W*{end}\n"
      "praise later  \\b(a)\\W*{end}\n";
  absl::StatusOr<std::unique_ptr<PraiseDetector>> made =
      PraiseDetector::Create(rules, "Timmy");
  ASSERT_TRUE(made.ok()) << made.status();

  Verdict verdict = (*made)->Detect("a, a, a");
  EXPECT_EQ(verdict.rule, "greedy");
  EXPECT_EQ(verdict.evidence, "a");

  std::string huge;
  while (huge.size() < (40 << 10)) huge += "a, ";
  verdict = (*made)->Detect(huge);
  EXPECT_EQ(verdict.kind, FeedbackKind::kPraise);
  EXPECT_EQ(verdict.rule, "later");
  EXPECT_EQ(verdict.evidence, "a");
}

struct BadRules {
  const char* text;
  const char* message_part;
};

class PraiseDetectorBadRulesTest : public ::testing::TestWithParam<BadRules> {};

TEST_P(PraiseDetectorBadRulesTest, InvalidArgumentNamingTheProblem) {
  absl::StatusOr<std::unique_ptr<PraiseDetector>> made =
      PraiseDetector::Create(GetParam().text, "Timmy");
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(made.status().message()),
              HasSubstr(GetParam().message_part));
}

INSTANTIATE_TEST_SUITE_P(
    Errors, PraiseDetectorBadRulesTest,
    ::testing::Values(
        BadRules{
            "# ftcapture-rules v1\n\npraise ok good\npraise broken (good\n",
            "rules line 4: rule 'broken': bad regex"},
        BadRules{"# ftcapture-rules v1\npraise ok good\n"
                 "guard g before * (unclosed\n",
                 "rules line 3: guard 'g': bad regex"},
        BadRules{"praise ok good\n", "rules line 1: a rule file must start"},
        BadRules{"# ftcapture-rules v2\npraise ok good\n",
                 "unsupported rule file version"},
        BadRules{"", "empty rule file"},
        BadRules{"# ftcapture-rules v1\n# only comments\n",
                 "no praise or criticism rule"},
        BadRules{"# ftcapture-rules v1\napplaud ok good\n",
                 "rules line 2: unknown directive 'applaud'"},
        BadRules{"# ftcapture-rules v1\npraise ok good\npraise ok fine\n",
                 "rules line 3: 'ok' used twice"},
        BadRules{"# ftcapture-rules v1\npraise bad-name good\n",
                 "rules line 2: 'praise' needs a name"},
        BadRules{"# ftcapture-rules v1\npraise ok good {NOPE}\n",
                 "rules line 2: unknown placeholder {NOPE}"},
        BadRules{"# ftcapture-rules v1\npraise ok ^good$\n",
                 "rules line 2: bare '^'"},
        BadRules{"# ftcapture-rules v1\npraise ok\n",
                 "rules line 2: rule without a regex"},
        BadRules{"# ftcapture-rules v1\npraise ok good\n"
                 "guard g sideways * x\n",
                 "rules line 3: unknown guard scope 'sideways'"},
        BadRules{"# ftcapture-rules v1\npraise ok good\n"
                 "guard g before typo_rule x\n",
                 "rules line 3: guard 'g' targets 'typo_rule'"},
        BadRules{"# ftcapture-rules v1\ndefine persona x\npraise ok good\n",
                 "rules line 2: {persona} is built in"}));

TEST(PraiseDetectorRulesTest, AnchorsInsideClassesAndEscapesAreFine) {
  const std::string rules =
      "# ftcapture-rules v1\n"
      "praise caret_class ([^x]ood\\$\\^)\n"
      "praise repeat (w{2,3}ow)\n"
      "praise quoted (\\Q10/10$\\E)\n"
      "praise posix ([[:digit:]^$]+ stars)\n";
  absl::StatusOr<std::unique_ptr<PraiseDetector>> made =
      PraiseDetector::Create(rules, "Timmy");
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_EQ((*made)->Detect("good$^").rule, "caret_class");
  EXPECT_EQ((*made)->Detect("wwwow").rule, "repeat");
  EXPECT_EQ((*made)->Detect("10/10$").rule, "quoted");
  EXPECT_EQ((*made)->Detect("5 stars").rule, "posix");
}

// --- files -------------------------------------------------------------------

TEST(PraiseDetectorFileTest, DefaultRulesAreAVersionedRuleFile) {
  EXPECT_THAT(std::string(PraiseDetector::DefaultRules()),
              StartsWith("# ftcapture-rules v1\n"));
  absl::StatusOr<std::unique_ptr<PraiseDetector>> made =
      PraiseDetector::CreateFromFile("", "Timmy");
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_EQ((*made)->Detect("Good one, Timmy!").kind, FeedbackKind::kPraise);
}

TEST(PraiseDetectorFileTest, ReadsARuleFileAndReportsMissingOnes) {
  const std::string path = ::testing::TempDir() + "/ftcapture_rules_test.txt";
  {
    std::ofstream out(path);
    out << "# ftcapture-rules v1\npraise kudos (kudos)\n";
  }
  absl::StatusOr<std::unique_ptr<PraiseDetector>> made =
      PraiseDetector::CreateFromFile(path, "Timmy");
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_EQ((*made)->Detect("Kudos!").rule, "kudos");
  EXPECT_EQ((*made)->Detect("Good one, Timmy!").kind, FeedbackKind::kNone);

  {
    std::ofstream out(path);
    out << "# ftcapture-rules v1\npraise kudos (kudos\n";
  }
  made = PraiseDetector::CreateFromFile(path, "Timmy");
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(made.status().message()), HasSubstr(path));
  EXPECT_THAT(std::string(made.status().message()), HasSubstr("line 2"));
  std::remove(path.c_str());

  made = PraiseDetector::CreateFromFile(path + ".missing", "Timmy");
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().code(), absl::StatusCode::kNotFound);
}

// --- concurrency
// ---------------------------------------------------------------

TEST(PraiseDetectorThreadTest, ConcurrentDetectAgreesWithSequential) {
  std::unique_ptr<PraiseDetector> detector = DefaultDetector("Timmy");
  ASSERT_NE(detector, nullptr);
  std::vector<std::string> messages;
  for (const CorpusLine& example : ReadCorpus()) {
    messages.push_back(example.message);
  }
  std::vector<std::string> expected;
  for (const std::string& message : messages) {
    const Verdict verdict = detector->Detect(message);
    expected.push_back(absl::StrCat(FeedbackKindName(verdict.kind), "/",
                                    verdict.rule, "/", verdict.veto));
  }
  std::vector<std::vector<std::string>> got(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        got[t].clear();
        for (const std::string& message : messages) {
          const Verdict verdict = detector->Detect(message);
          got[t].push_back(absl::StrCat(FeedbackKindName(verdict.kind), "/",
                                        verdict.rule, "/", verdict.veto));
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::vector<std::string>& result : got) {
    EXPECT_EQ(result, expected);
  }
}

}  // namespace
}  // namespace ftcapture
