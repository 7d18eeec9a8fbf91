#include "src/tools/status_report.h"

#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/text_files.h"

namespace ftcapture {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kNow = absl::FromCivil(
    absl::CivilSecond(2026, 1, 10, 12, 0, 0), absl::UTCTimeZone());

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp out;
  out.set_seconds(absl::ToUnixSeconds(t));
  return out;
}

std::string Date(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d", t, absl::UTCTimeZone());
}

void AddDay(v1::GetStatsResponse* stats, const std::string& date, int n) {
  v1::DayCount* day = stats->add_examples_per_day();
  day->set_date(date);
  day->set_examples(n);
}

// 40 examples over the last 28 days: 10 a week.
v1::GetStatsResponse HealthyStats() {
  v1::GetStatsResponse stats;
  stats.set_examples_total(40);
  stats.set_positive_examples(38);
  stats.set_negative_examples(2);
  stats.set_imported_examples(10);
  stats.set_redacted_examples(4);
  stats.set_pending_examples(30);
  stats.set_approved_examples(7);
  stats.set_rejected_examples(3);
  stats.set_dataset_bytes(123456);
  stats.set_markdown_bytes(59332);
  stats.set_markdown_lines(1128);
  stats.set_user_turns_seen(120);
  stats.set_assistant_turns_seen(118);
  stats.set_praise_seen(33);
  stats.set_praise_uncredited(1);
  *stats.mutable_first_example_at() = Ts(kNow - absl::Hours(24 * 28));
  *stats.mutable_last_example_at() = Ts(kNow - absl::Hours(24 * 5));
  AddDay(&stats, "2026-01-05", 15);  // out of order on purpose
  AddDay(&stats, "2025-12-13", 10);
  AddDay(&stats, "2025-12-20", 15);
  for (int i = 0; i < 6; ++i) {
    v1::Example* e = stats.add_recent_examples();
    e->set_id(absl::StrCat("id-", i));
    e->set_praise_text(absl::StrCat("praise number ", i));
    *e->mutable_captured_at() = Ts(kNow - absl::Hours(24 * 5 + i));
  }
  return stats;
}

TEST(RenderStatusMarkdownTest, TotalsSizesAndRates) {
  std::string page = RenderStatusMarkdown(HealthyStats(), kNow);
  EXPECT_THAT(page, HasSubstr("# ftcapture dataset status"));
  EXPECT_THAT(page, HasSubstr("| Examples | **40** |"));
  EXPECT_THAT(page, HasSubstr("| Positive / negative | 38 / 2 |"));
  EXPECT_THAT(page, HasSubstr("| Imported | 10 |"));
  EXPECT_THAT(page, HasSubstr("| Redacted (a redaction rule fired) | 4 |"));
  EXPECT_THAT(page, HasSubstr("123.5 kB (123,456 bytes)"));
  EXPECT_THAT(page, HasSubstr("59.3 kB (59,332 bytes), 1,128 lines"));
  // The Markdown holds the 38 positives: 59332 / 38 bytes and 1128 / 38
  // lines each; the dataset all 40: 123456 / 40 bytes.
  EXPECT_THAT(page, HasSubstr("| Average per example | 1.6 kB and 29.7 lines "
                              "of Markdown (per positive example); 3.1 kB of "
                              "dataset |"));
  EXPECT_THAT(page, HasSubstr("30 pending, 7 approved, 3 rejected"));
  // (40 - 10 imported) / 120 user turns.
  EXPECT_THAT(page, HasSubstr("| Capture rate | 25.0% (30 captured"));
  EXPECT_THAT(page, HasSubstr("**10.0 examples per week**"));
}

TEST(RenderStatusMarkdownTest, MarkdownAverageLeavesOutNegatives) {
  // Two positives in the Markdown (1 MB each), two negatives not in it.
  v1::GetStatsResponse stats = HealthyStats();
  stats.set_examples_total(4);
  stats.set_positive_examples(2);
  stats.set_negative_examples(2);
  stats.set_imported_examples(0);
  stats.set_markdown_bytes(2000000);
  stats.set_markdown_lines(80);
  stats.set_dataset_bytes(4000000);
  std::string page = RenderStatusMarkdown(stats, kNow);
  EXPECT_THAT(page, HasSubstr("| Average per example | 1.00 MB and 40.0 lines "
                              "of Markdown (per positive example); 1.00 MB of "
                              "dataset |"));

  // Only negatives: no Markdown average to give.
  stats.set_positive_examples(0);
  stats.set_negative_examples(4);
  stats.set_markdown_bytes(0);
  stats.set_markdown_lines(0);
  page = RenderStatusMarkdown(stats, kNow);
  EXPECT_THAT(page, HasSubstr("| Average per example | 1.00 MB of dataset |"));
}

TEST(RenderStatusMarkdownTest, MilestonePercentagesAndEstimatedDates) {
  std::string page = RenderStatusMarkdown(HealthyStats(), kNow);
  // Remaining / 10 per week: 1, 6, 46 and 96 weeks from now.
  const struct {
    int milestone;
    const char* percent;
    int weeks;
  } rows[] = {{50, "80.0%", 1},
              {100, "40.0%", 6},
              {500, "8.0%", 46},
              {1000, "4.0%", 96}};
  for (const auto& row : rows) {
    std::string when = Date(kNow + absl::Hours(24 * 7 * row.weeks));
    EXPECT_THAT(page, HasSubstr(absl::StrCat("| ", row.milestone, " | `")));
    EXPECT_THAT(
        page, HasSubstr(absl::StrCat("` | ", row.percent, " | ", when, " (in ",
                                     7 * row.weeks, " days) |")))
        << row.milestone;
  }
  // 80% of a 20-character bar.
  EXPECT_THAT(page, HasSubstr("`████████████████░░░░`"));
}

TEST(RenderStatusMarkdownTest, ReachedMilestonesNameTheDay) {
  v1::GetStatsResponse stats;
  stats.set_examples_total(120);
  stats.set_positive_examples(120);
  *stats.mutable_first_example_at() = Ts(kNow - absl::Hours(24 * 40));
  AddDay(&stats, "2025-12-01", 30);
  AddDay(&stats, "2025-12-02", 30);
  AddDay(&stats, "2025-12-05", 60);
  std::string page = RenderStatusMarkdown(stats, kNow);
  EXPECT_THAT(page, HasSubstr("| 100.0% | reached 2025-12-02 |"));
  EXPECT_THAT(page, HasSubstr("| 100.0% | reached 2025-12-05 |"));
  EXPECT_THAT(page, HasSubstr("| 24.0% |"));
  EXPECT_THAT(page, HasSubstr("| 12.0% |"));
}

TEST(RenderStatusMarkdownTest, TimelineSortedWithRunningTotal) {
  std::string page = RenderStatusMarkdown(HealthyStats(), kNow);
  size_t a = page.find("| 2025-12-13 | 10 | 10 |");
  size_t b = page.find("| 2025-12-20 | 15 | 25 |");
  size_t c = page.find("| 2026-01-05 | 15 | 40 |");
  ASSERT_NE(a, std::string::npos);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(c, std::string::npos);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
}

TEST(RenderStatusMarkdownTest, FiveMostRecentWithEscapedText) {
  v1::GetStatsResponse stats = HealthyStats();
  stats.mutable_recent_examples(1)->set_praise_text("*so* <good>\nreally");
  std::string page = RenderStatusMarkdown(stats, kNow);
  EXPECT_THAT(page, HasSubstr("praise number 0"));
  EXPECT_THAT(page, HasSubstr("\\*so\\* \\<good\\> really"));
  EXPECT_THAT(page, HasSubstr("praise number 4"));
  EXPECT_THAT(page, Not(HasSubstr("praise number 5")));
  EXPECT_THAT(
      page, HasSubstr(absl::StrCat(absl::FormatTime("%Y-%m-%d %H:%M UTC",
                                                    kNow - absl::Hours(24 * 5),
                                                    absl::UTCTimeZone()),
                                   " — “praise number 0”")));
}

TEST(RenderStatusMarkdownTest, NoWarningsWhenHealthy) {
  std::string page = RenderStatusMarkdown(HealthyStats(), kNow);
  EXPECT_THAT(page, HasSubstr("## Warnings\n\nNone.\n"));
}

TEST(RenderStatusMarkdownTest, WarningsUsersCareAbout) {
  v1::GetStatsResponse stats = HealthyStats();
  stats.set_markdown_bytes(1500000);
  stats.set_positive_examples(3);
  stats.set_negative_examples(5);
  *stats.mutable_last_example_at() = Ts(kNow - absl::Hours(24 * 10));
  stats.set_assistant_turns_seen(0);
  std::string page = RenderStatusMarkdown(stats, kNow);
  EXPECT_THAT(page, HasSubstr("The Markdown log is 1.50 MB, over 1 MB"));
  EXPECT_THAT(page,
              HasSubstr("Negative examples (5) outnumber positive ones (3)"));
  EXPECT_THAT(page, HasSubstr("No capture in the last 7 days"));
  EXPECT_THAT(page, HasSubstr("10 days ago"));
  EXPECT_THAT(page, HasSubstr("no assistant turns"));
  EXPECT_THAT(page, Not(HasSubstr("None.")));
}

TEST(RenderStatusMarkdownTest, EmptyDataset) {
  std::string page = RenderStatusMarkdown(v1::GetStatsResponse(), kNow);
  EXPECT_THAT(page, HasSubstr("Rate: no examples yet."));
  EXPECT_THAT(page, HasSubstr("| 0.0% | unknown (no rate yet) |"));
  EXPECT_THAT(page, HasSubstr("No examples yet: nothing has been captured"));
  EXPECT_THAT(page, HasSubstr("n/a (no user turns seen yet)"));
}

// The original's 13 examples imported from a year ago, and 6 captured in
// the last two weeks: the estimates follow the 6, not 19 over a year.
v1::GetStatsResponse OldHistoryStats() {
  v1::GetStatsResponse stats;
  stats.set_examples_total(19);
  stats.set_positive_examples(19);
  stats.set_imported_examples(13);
  *stats.mutable_first_example_at() = Ts(kNow - absl::Hours(24 * 380));
  *stats.mutable_last_example_at() = Ts(kNow - absl::Hours(24 * 2));
  AddDay(&stats, Date(kNow - absl::Hours(24 * 380)), 7);
  AddDay(&stats, Date(kNow - absl::Hours(24 * 370)), 6);
  AddDay(&stats, Date(kNow - absl::Hours(24 * 29)), 0);
  AddDay(&stats, Date(kNow - absl::Hours(24 * 12)), 2);
  AddDay(&stats, Date(kNow - absl::Hours(24 * 2)), 4);
  return stats;
}

TEST(RenderStatusMarkdownTest, OldHistoryDoesNotSlowTheEstimates) {
  v1::GetStatsResponse stats = OldHistoryStats();
  // 6 examples since the start of the day 12 days ago: 12.5 days.
  const double per_week = 6 / (12.5 / 7);
  EXPECT_DOUBLE_EQ(ExamplesPerWeek(stats, kNow), per_week);
  std::string page = RenderStatusMarkdown(stats, kNow);
  EXPECT_THAT(page, HasSubstr(absl::StrCat(
                        "Rate: **3.4 examples per week** (6 examples since ",
                        Date(kNow - absl::Hours(24 * 12)),
                        ", in the last 28 days; the estimates follow that "
                        "pace).")));
  // 50 - 19 = 31 to go: 64.6 days.
  EXPECT_THAT(page, HasSubstr(absl::StrCat(
                        Date(kNow + absl::Hours(31 / per_week * 7 * 24)),
                        " (in 65 days) |")));

  // A capture started today counts from today, at least one day.
  stats.clear_examples_per_day();
  AddDay(&stats, Date(kNow - absl::Hours(24 * 380)), 18);
  AddDay(&stats, Date(kNow), 1);
  EXPECT_DOUBLE_EQ(ExamplesPerWeek(stats, kNow), 7.0);
  EXPECT_THAT(RenderStatusMarkdown(stats, kNow),
              HasSubstr(absl::StrCat("(1 example since ", Date(kNow), ",")));

  // Nothing in the last four weeks: no pace to estimate from.
  stats.clear_examples_per_day();
  AddDay(&stats, Date(kNow - absl::Hours(24 * 380)), 19);
  page = RenderStatusMarkdown(stats, kNow);
  EXPECT_THAT(page, HasSubstr("Rate: nothing captured in the last 28 days."));
  EXPECT_THAT(page,
              HasSubstr("| unknown (nothing captured in the last 28 days) |"));
}

TEST(ExamplesPerWeekTest, SpanIsAtLeastOneDay) {
  v1::GetStatsResponse stats;
  stats.set_examples_total(2);
  *stats.mutable_first_example_at() = Ts(kNow - absl::Hours(1));
  EXPECT_DOUBLE_EQ(ExamplesPerWeek(stats, kNow), 14.0);
  // Without first_example_at the first timeline day stands in.
  stats.clear_first_example_at();
  AddDay(&stats, Date(kNow - absl::Hours(24 * 14)), 2);
  EXPECT_NEAR(ExamplesPerWeek(stats, kNow), 2 / (14.5 / 7), 1e-9);
}

// Checks the SVG is well-formed XML as far as a chart needs: every tag
// closed in order, attribute values quoted, '&' only in entities.
::testing::AssertionResult WellFormed(const std::string& svg) {
  std::vector<std::string> open;
  size_t i = 0;
  while (i < svg.size()) {
    if (svg[i] == '&') {
      bool entity = false;
      for (const char* e : {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"}) {
        entity |= svg.compare(i, strlen(e), e) == 0;
      }
      if (!entity) {
        return ::testing::AssertionFailure() << "bare & at " << i;
      }
      ++i;
      continue;
    }
    if (svg[i] != '<') {
      if (svg[i] == '>') return ::testing::AssertionFailure() << "bare >";
      ++i;
      continue;
    }
    size_t end = i + 1;
    bool quoted = false;
    while (end < svg.size() && (quoted || svg[end] != '>')) {
      if (svg[end] == '"') quoted = !quoted;
      if (!quoted && svg[end] == '<') {
        return ::testing::AssertionFailure() << "< inside a tag at " << end;
      }
      ++end;
    }
    if (end >= svg.size()) return ::testing::AssertionFailure() << "cut tag";
    std::string tag = svg.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag[0] == '/') {
      std::string name = tag.substr(1);
      if (open.empty() || open.back() != name) {
        return ::testing::AssertionFailure() << "unbalanced </" << name << ">";
      }
      open.pop_back();
    } else if (tag.back() != '/') {
      open.push_back(tag.substr(0, tag.find_first_of(" \n")));
    }
  }
  if (!open.empty()) {
    return ::testing::AssertionFailure() << "<" << open.back() << "> open";
  }
  return ::testing::AssertionSuccess();
}

TEST(RenderTimelineSvgTest, WellFormedWithABarPerDay) {
  v1::GetStatsResponse stats = HealthyStats();
  AddDay(&stats, "2025-12-25", 0);  // no bar for an empty day
  std::string svg = RenderTimelineSvg(stats);
  EXPECT_TRUE(
      absl::StartsWith(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_TRUE(absl::EndsWith(svg, "</svg>\n"));
  EXPECT_TRUE(WellFormed(svg));
  EXPECT_EQ(CountOccurrences(svg, "<rect class=\"bar\""), 3);
  for (const char* tooltip :
       {"2025-12-13: 10 examples", "2025-12-20: 15 examples",
        "2026-01-05: 15 examples", "2026-01-05: 40 in total"}) {
    EXPECT_THAT(svg, HasSubstr(tooltip));
  }
  EXPECT_THAT(svg, HasSubstr("<polyline"));
  EXPECT_THAT(svg, HasSubstr("40 examples, 2025-12-13 to 2026-01-05"));
}

TEST(RenderTimelineSvgTest, EscapesText) {
  v1::GetStatsResponse stats;
  stats.set_examples_total(3);
  AddDay(&stats, "<b>&\"'", 3);
  std::string svg = RenderTimelineSvg(stats);
  EXPECT_TRUE(WellFormed(svg));
  EXPECT_THAT(svg, HasSubstr("&lt;b&gt;&amp;&quot;&apos;"));
  EXPECT_THAT(svg, Not(HasSubstr("<b>")));
  EXPECT_EQ(CountOccurrences(svg, "<rect class=\"bar\""), 1);
}

TEST(RenderTimelineSvgTest, EmptyIsStillAChart) {
  std::string svg = RenderTimelineSvg(v1::GetStatsResponse());
  EXPECT_TRUE(absl::StartsWith(svg, "<svg"));
  EXPECT_TRUE(WellFormed(svg));
  EXPECT_THAT(svg, HasSubstr("No examples yet"));
  EXPECT_EQ(CountOccurrences(svg, "<rect class=\"bar\""), 0);
}

}  // namespace
}  // namespace ftcapture
