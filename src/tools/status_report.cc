#include "src/tools/status_report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/types/optional.h"
#include "src/storage/example_store.h"
#include "src/util/proto_time.h"

namespace ftcapture {
namespace {

std::string FormatDateTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M UTC", t, absl::UTCTimeZone());
}

// 59332 -> "59,332".
std::string WithThousands(int64_t n) {
  std::string digits = absl::StrCat(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? absl::StrCat("-", out) : out;
}

// SI units, as "over 1 MB" means 1,000,000 bytes.
std::string FormatBytes(double bytes) {
  if (bytes < 1000) return absl::StrFormat("%.0f B", bytes);
  if (bytes < 1e6) return absl::StrFormat("%.1f kB", bytes / 1e3);
  if (bytes < 1e9) return absl::StrFormat("%.2f MB", bytes / 1e6);
  return absl::StrFormat("%.2f GB", bytes / 1e9);
}

std::string Percent(double part, double whole) {
  if (whole <= 0) return "n/a";
  return absl::StrFormat("%.1f%%", 100.0 * part / whole);
}

std::string ProgressBar(double fraction, int width) {
  fraction = std::min(1.0, std::max(0.0, fraction));
  int filled = static_cast<int>(std::floor(fraction * width + 1e-9));
  std::string bar;
  for (int i = 0; i < width; ++i) bar += i < filled ? "█" : "░";
  return bar;
}

// One line of a praise for a Markdown list: newlines folded, Markdown
// specials escaped, cut at a UTF-8 boundary after `max_bytes`.
std::string ShortPraise(absl::string_view text, size_t max_bytes) {
  std::string out;
  size_t i = 0;
  for (; i < text.size() && out.size() < max_bytes; ++i) {
    char c = text[i];
    if (c == '\n' || c == '\r' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';
      continue;
    }
    if (absl::string_view("\\`*_[]<>|#").find(c) != absl::string_view::npos) {
      out += '\\';
    }
    out += c;
  }
  // Finish a multi-byte character that the cut split.
  while (i < text.size() &&
         (static_cast<unsigned char>(text[i]) & 0xc0) == 0x80) {
    out += text[i++];
  }
  if (i < text.size()) out += "…";
  return out;
}

std::string XmlEscape(absl::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// The per-day counts sorted by date, with repeated dates merged.
std::vector<std::pair<std::string, int64_t>> SortedDays(
    const v1::GetStatsResponse& stats) {
  std::map<std::string, int64_t> days;
  for (const v1::DayCount& day : stats.examples_per_day()) {
    days[day.date()] += day.examples();
  }
  return {days.begin(), days.end()};
}

absl::optional<absl::Time> ParseDay(absl::string_view date) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime("%Y-%m-%d", std::string(date), absl::UTCTimeZone(), &t,
                       &error)) {
    return absl::nullopt;
  }
  return t;
}

absl::optional<absl::Time> FirstExampleTime(const v1::GetStatsResponse& stats) {
  if (stats.has_first_example_at()) {
    return FromProtoTime(stats.first_example_at());
  }
  auto days = SortedDays(stats);
  if (!days.empty()) return ParseDay(days.front().first);
  return absl::nullopt;
}

absl::optional<absl::Time> LastExampleTime(const v1::GetStatsResponse& stats) {
  if (stats.has_last_example_at())
    return FromProtoTime(stats.last_example_at());
  absl::optional<absl::Time> last;
  for (const v1::Example& example : stats.recent_examples()) {
    absl::Time t = FromProtoTime(example.captured_at());
    if (!last.has_value() || t > *last) last = t;
  }
  return last;
}

// The day the running total first reached `milestone`, from the timeline.
absl::optional<std::string> DayReached(
    const std::vector<std::pair<std::string, int64_t>>& days,
    int64_t milestone) {
  int64_t total = 0;
  for (const auto& [date, count] : days) {
    total += count;
    if (total >= milestone) return date;
  }
  return absl::nullopt;
}

// 1, 2, 5, 10, 20, 50, ... : the smallest such value >= `value` (>= 1).
int64_t NiceCeil(int64_t value) {
  int64_t scale = 1;
  while (true) {
    for (int64_t step : {1, 2, 5}) {
      if (step * scale >= value) return step * scale;
    }
    scale *= 10;
  }
}

void AppendWarnings(const v1::GetStatsResponse& stats, absl::Time now,
                    std::string* out) {
  std::vector<std::string> warnings;
  if (stats.examples_total() == 0) {
    warnings.push_back(
        "No examples yet: nothing has been captured or imported.");
  }
  if (stats.markdown_bytes() > kMarkdownWarnBytes) {
    warnings.push_back(absl::StrCat(
        "The Markdown log is ", FormatBytes(stats.markdown_bytes()),
        ", over 1 MB: it is slow to open and read by hand. The dataset "
        "(examples.tfrecord) is the source of truth; export from it."));
  }
  if (stats.negative_examples() > stats.positive_examples()) {
    warnings.push_back(absl::StrCat(
        "Negative examples (", stats.negative_examples(),
        ") outnumber positive ones (", stats.positive_examples(),
        "): check the criticism rules, and balance the data before "
        "training (trl-kto)."));
  }
  absl::optional<absl::Time> last = LastExampleTime(stats);
  if (stats.examples_total() > 0 && last.has_value() &&
      now - *last > kQuietWarnAfter) {
    warnings.push_back(absl::StrFormat(
        "No capture in the last 7 days (the last was %s, %d days ago).",
        FormatDateTime(*last),
        static_cast<int64_t>(absl::ToDoubleHours(now - *last) / 24)));
  }
  if (stats.user_turns_seen() > 0 && stats.assistant_turns_seen() == 0) {
    warnings.push_back(
        "User turns arrive but no assistant turns: praise has no reply to "
        "credit. Send every assistant turn with its system_prompt.");
  } else if (stats.praise_seen() > 0 &&
             2 * stats.praise_uncredited() > stats.praise_seen()) {
    warnings.push_back(absl::StrCat(
        "Most praise (", stats.praise_uncredited(), " of ", stats.praise_seen(),
        ") had no reply to credit: are assistant turns sent in the same "
        "session?"));
  }

  absl::StrAppend(out, "\n## Warnings\n\n");
  if (warnings.empty()) {
    absl::StrAppend(out, "None.\n");
    return;
  }
  for (const std::string& warning : warnings) {
    absl::StrAppend(out, "- ⚠ ", warning, "\n");
  }
}

// "1 example", "3 examples", with thousands separators.
std::string ExampleCount(int64_t n) {
  return absl::StrCat(WithThousands(n), n == 1 ? " example" : " examples");
}

// The examples on the per-day timeline within kRateWindow of `now` (whole
// days), and the start of the first of those days that has any.
struct RecentPace {
  int64_t examples = 0;
  absl::Time since = absl::InfinitePast();
};

RecentPace PaceInRateWindow(const v1::GetStatsResponse& stats, absl::Time now) {
  const std::string window_start = UtcDate(now - kRateWindow);
  RecentPace pace;
  for (const auto& [date, count] : SortedDays(stats)) {
    // ISO dates sort as text.
    if (date < window_start || count <= 0) continue;
    if (pace.examples == 0) {
      pace.since = ParseDay(date).value_or(now - kRateWindow);
    }
    pace.examples += count;
  }
  return pace;
}

}  // namespace

double ExamplesPerWeek(const v1::GetStatsResponse& stats, absl::Time now) {
  absl::optional<absl::Time> first = FirstExampleTime(stats);
  if (stats.examples_total() <= 0 || !first.has_value()) return 0;
  constexpr double kHoursPerWeek = 24 * 7;
  if (now - *first <= kRateWindow) {
    absl::Duration span = std::max(now - *first, absl::Hours(24));
    return stats.examples_total() / (absl::ToDoubleHours(span) / kHoursPerWeek);
  }
  // Older history: the pace since the first example of the last four
  // weeks (a capture started today is not spread over four weeks).
  const RecentPace pace = PaceInRateWindow(stats, now);
  if (pace.examples == 0) return 0;
  absl::Duration span = std::max(now - pace.since, absl::Hours(24));
  return pace.examples / (absl::ToDoubleHours(span) / kHoursPerWeek);
}

namespace {

void AppendTotals(const v1::GetStatsResponse& stats, std::string* out) {
  const int64_t total = stats.examples_total();
  const absl::optional<absl::Time> first = FirstExampleTime(stats);
  const absl::optional<absl::Time> last = LastExampleTime(stats);
  absl::StrAppend(out, "\n## Totals\n\n| | |\n|---|---:|\n");
  absl::StrAppend(out, "| Examples | **", WithThousands(total), "** |\n");
  absl::StrAppend(out, "| Positive / negative | ",
                  WithThousands(stats.positive_examples()), " / ",
                  WithThousands(stats.negative_examples()), " |\n");
  absl::StrAppend(out, "| Imported | ",
                  WithThousands(stats.imported_examples()), " |\n");
  absl::StrAppend(out, "| Redacted (a redaction rule fired) | ",
                  WithThousands(stats.redacted_examples()), " |\n");
  absl::StrAppend(out, "| Deleted (erased on request) | ",
                  WithThousands(stats.deleted_examples()));
  if (stats.deleted_pending_compaction() > 0) {
    absl::StrAppend(out, " (",
                    WithThousands(stats.deleted_pending_compaction()),
                    " still in the files until compaction)");
  }
  absl::StrAppend(out, " |\n");
  absl::StrAppend(out, "| Dataset (", kDatasetFileName, ") | ",
                  FormatBytes(stats.dataset_bytes()), " (",
                  WithThousands(stats.dataset_bytes()), " bytes) |\n");
  absl::StrAppend(out, "| Markdown (", kMarkdownFileName, ") | ",
                  FormatBytes(stats.markdown_bytes()), " (",
                  WithThousands(stats.markdown_bytes()), " bytes), ",
                  WithThousands(stats.markdown_lines()), " lines |\n");
  if (total > 0) {
    // The Markdown log holds the positive examples only (criticised ones go
    // to their own file, if anywhere), so its size is shared among those.
    const int64_t in_markdown = stats.positive_examples();
    absl::StrAppend(out, "| Average per example | ");
    if (in_markdown > 0) {
      absl::StrAppend(
          out,
          FormatBytes(static_cast<double>(stats.markdown_bytes()) /
                      in_markdown),
          absl::StrFormat(
              " and %.1f lines of Markdown (per positive example); ",
              static_cast<double>(stats.markdown_lines()) / in_markdown));
    }
    absl::StrAppend(
        out, FormatBytes(static_cast<double>(stats.dataset_bytes()) / total),
        " of dataset |\n");
  }
  absl::StrAppend(out, "| Review | ", WithThousands(stats.pending_examples()),
                  " pending, ", WithThousands(stats.approved_examples()),
                  " approved, ", WithThousands(stats.rejected_examples()),
                  " rejected |\n");
  absl::StrAppend(
      out, "| Turns seen | ", WithThousands(stats.user_turns_seen()), " user, ",
      WithThousands(stats.assistant_turns_seen()), " assistant |\n");
  const int64_t captured = total - stats.imported_examples();
  absl::StrAppend(out, "| Capture rate | ");
  if (stats.user_turns_seen() > 0) {
    absl::StrAppend(out, Percent(captured, stats.user_turns_seen()), " (",
                    WithThousands(captured), " captured examples / ",
                    WithThousands(stats.user_turns_seen()),
                    " user turns; imported not counted) |\n");
  } else {
    absl::StrAppend(out, "n/a (no user turns seen yet) |\n");
  }
  absl::StrAppend(out, "| Praise / criticism seen | ",
                  WithThousands(stats.praise_seen()), " / ",
                  WithThousands(stats.criticism_seen()), " (",
                  WithThousands(stats.praise_uncredited()),
                  " praise with nothing to credit) |\n");
  if (first.has_value() && last.has_value()) {
    absl::StrAppend(out, "| First / last capture | ", FormatDateTime(*first),
                    " / ", FormatDateTime(*last), " |\n");
  }
  if (stats.has_started_at()) {
    absl::StrAppend(out, "| Server up since | ",
                    FormatDateTime(FromProtoTime(stats.started_at())),
                    " (turn counts are since then) |\n");
  }
}

// The rate, then one row per milestone with its reached or estimated date.
void AppendProgress(const v1::GetStatsResponse& stats, absl::Time now,
                    std::string* out) {
  const int64_t total = stats.examples_total();
  const auto days = SortedDays(stats);
  const absl::optional<absl::Time> first = FirstExampleTime(stats);
  const double per_week = ExamplesPerWeek(stats, now);
  absl::StrAppend(out, "\n## Progress\n\n");
  const bool whole_history = first.has_value() && now - *first <= kRateWindow;
  const int window_days =
      static_cast<int>(absl::ToInt64Hours(kRateWindow) / 24);
  std::string no_rate = "no rate yet";
  if (per_week > 0 && whole_history) {
    absl::StrAppend(out,
                    absl::StrFormat("Rate: **%.1f examples per week** (%s in "
                                    "%.1f days since %s).\n\n",
                                    per_week, ExampleCount(total),
                                    absl::ToDoubleHours(now - *first) / 24,
                                    UtcDate(*first)));
  } else if (per_week > 0) {
    const RecentPace pace = PaceInRateWindow(stats, now);
    absl::StrAppend(
        out,
        absl::StrFormat("Rate: **%.1f examples per week** (%s since "
                        "%s, in the last %d days; the estimates follow that "
                        "pace).\n\n",
                        per_week, ExampleCount(pace.examples),
                        UtcDate(pace.since), window_days));
  } else if (first.has_value() && total > 0) {
    no_rate =
        absl::StrCat("nothing captured in the last ", window_days, " days");
    absl::StrAppend(out, "Rate: ", no_rate, ".\n\n");
  } else {
    absl::StrAppend(out, "Rate: no examples yet.\n\n");
  }
  absl::StrAppend(out,
                  "| Milestone | Progress | Done | Estimated date |\n"
                  "|---:|---|---:|---|\n");
  for (int64_t milestone : kStatusMilestones) {
    std::string when;
    if (total >= milestone) {
      absl::optional<std::string> day = DayReached(days, milestone);
      when = day.has_value() ? absl::StrCat("reached ", *day) : "reached";
    } else if (per_week > 0) {
      double weeks = (milestone - total) / per_week;
      absl::Time eta = now + absl::Hours(weeks * 7 * 24);
      when = absl::StrFormat("%s (in %.0f days)", UtcDate(eta), weeks * 7);
    } else {
      when = absl::StrCat("unknown (", no_rate, ")");
    }
    absl::StrAppend(
        out,
        absl::StrFormat("| %d | `%s` | %s | %s |\n", milestone,
                        ProgressBar(static_cast<double>(total) / milestone, 20),
                        Percent(std::min(total, milestone), milestone), when));
  }
}

void AppendTimelineTable(const v1::GetStatsResponse& stats, std::string* out) {
  const auto days = SortedDays(stats);
  absl::StrAppend(out, "\n## Timeline by day (UTC)\n\n");
  if (days.empty()) {
    absl::StrAppend(out, "No examples yet.\n");
  } else {
    absl::StrAppend(out, "| Date | Examples | Total |\n|---|---:|---:|\n");
    int64_t running = 0;
    for (const auto& [date, count] : days) {
      running += count;
      absl::StrAppend(out, "| ", date, " | ", WithThousands(count), " | ",
                      WithThousands(running), " |\n");
    }
  }
}

void AppendRecentCaptures(const v1::GetStatsResponse& stats, std::string* out) {
  absl::StrAppend(out, "\n## Most recent captures\n\n");
  if (stats.recent_examples().empty()) {
    absl::StrAppend(out, "None yet.\n");
  }
  int shown = 0;
  for (const v1::Example& example : stats.recent_examples()) {
    if (++shown > 5) break;
    absl::StrAppend(
        out, "- ", FormatDateTime(FromProtoTime(example.captured_at())), " — “",
        ShortPraise(example.praise_text(), 160), "”",
        example.label() == v1::LABEL_NEGATIVE ? " (negative)" : "",
        example.source() == v1::SOURCE_IMPORTED ? " (imported)" : "", " `",
        example.id(), "`\n");
  }
}

}  // namespace

std::string RenderStatusMarkdown(const v1::GetStatsResponse& stats,
                                 absl::Time now) {
  std::string out;
  absl::StrAppend(&out, "# ftcapture dataset status\n\n", "Generated ",
                  FormatDateTime(now), " from live figures.\n");
  AppendTotals(stats, &out);
  AppendProgress(stats, now, &out);
  AppendTimelineTable(stats, &out);
  AppendRecentCaptures(stats, &out);
  AppendWarnings(stats, now, &out);
  return out;
}

namespace {

constexpr double kSvgWidth = 900, kSvgHeight = 440;
constexpr double kPlotLeft = 70, kPlotRight = 830, kPlotTop = 60,
                 kPlotBottom = 340;

// Where the timeline's days and values go on the plot. Each day has an x
// slot: on a calendar axis when every date parses and the span is sane,
// else one slot per listed day.
struct TimelineLayout {
  std::vector<std::pair<std::string, int64_t>> days;
  std::vector<int64_t> slot;      // per day
  int64_t slots = 1;              // at least 1
  bool calendar = false;          // slot = days since times.front()
  std::vector<absl::Time> times;  // per day, when calendar
  int64_t total = 0;
  int64_t left_max = 1;   // per-day scale
  int64_t right_max = 1;  // cumulative scale
  double slot_width = 0;

  double y_left(double v) const {
    return kPlotBottom - (kPlotBottom - kPlotTop) * v / left_max;
  }
  double y_right(double v) const {
    return kPlotBottom - (kPlotBottom - kPlotTop) * v / right_max;
  }
  double x_center(int64_t s) const {
    return kPlotLeft + slot_width * (s + 0.5);
  }
};

// Fills times and slots; false when some date does not parse or the
// span is over ten years.
bool PlaceOnCalendar(TimelineLayout* layout) {
  for (const auto& day : layout->days) {
    absl::optional<absl::Time> t = ParseDay(day.first);
    if (!t.has_value()) return false;
    layout->times.push_back(*t);
  }
  const int64_t span =
      (layout->times.back() - layout->times.front()) / absl::Hours(24) + 1;
  if (span > 3660) return false;
  layout->slots = span;
  for (size_t i = 0; i < layout->days.size(); ++i) {
    layout->slot[i] =
        (layout->times[i] - layout->times.front()) / absl::Hours(24);
  }
  return true;
}

TimelineLayout LayOutTimeline(const v1::GetStatsResponse& stats) {
  TimelineLayout layout;
  layout.days = SortedDays(stats);
  const auto& days = layout.days;
  layout.slot.resize(days.size());
  layout.slots = static_cast<int64_t>(days.size());
  layout.calendar = !days.empty() && PlaceOnCalendar(&layout);
  if (!layout.calendar) {
    layout.times.clear();
    layout.slots = static_cast<int64_t>(days.size());
    for (size_t i = 0; i < days.size(); ++i) layout.slot[i] = i;
  }
  layout.slots = std::max<int64_t>(layout.slots, 1);

  int64_t max_day = 0;
  for (const auto& day : days) {
    max_day = std::max(max_day, day.second);
    layout.total += day.second;
  }
  layout.left_max = NiceCeil(std::max<int64_t>(max_day, 1));
  layout.right_max = NiceCeil(std::max<int64_t>(layout.total, 1));
  layout.slot_width = (kPlotRight - kPlotLeft) / layout.slots;
  return layout;
}

void AppendSvgHeader(const TimelineLayout& layout, std::string* out) {
  const auto& days = layout.days;
  const int64_t total = layout.total;
  absl::StrAppend(
      out, absl::StrFormat(
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
               "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
               "font-family=\"sans-serif\" "
               "font-size=\"12\">\n",
               kSvgWidth, kSvgHeight, kSvgWidth, kSvgHeight));
  absl::StrAppend(out, "<title>ftcapture: examples captured per day</title>\n");
  absl::StrAppend(out, absl::StrFormat("<rect x=\"0\" y=\"0\" width=\"%.0f\" "
                                       "height=\"%.0f\" fill=\"#ffffff\"/>\n",
                                       kSvgWidth, kSvgHeight));
  std::string subtitle =
      days.empty()
          ? "no examples yet"
          : absl::StrCat(WithThousands(total), " examples, ",
                         days.front().first, " to ", days.back().first);
  absl::StrAppend(
      out,
      absl::StrFormat("<text x=\"%.0f\" y=\"28\" font-size=\"18\" "
                      "font-weight=\"bold\">Examples captured per day</text>\n"
                      "<text x=\"%.0f\" y=\"46\" fill=\"#555555\">%s</text>\n",
                      kPlotLeft, kPlotLeft, XmlEscape(subtitle)));
}

// Grid and both scales: per day on the left, cumulative on the right.
void AppendScales(const TimelineLayout& layout, std::string* out) {
  const int64_t left_max = layout.left_max, right_max = layout.right_max;
  const int ticks = static_cast<int>(std::min<int64_t>(left_max, 5));
  absl::StrAppend(out, "<g class=\"grid\" stroke=\"#e5e5e5\">\n");
  for (int i = 1; i <= ticks; ++i) {
    double y = layout.y_left(static_cast<double>(left_max) * i / ticks);
    absl::StrAppend(out, absl::StrFormat("<line x1=\"%.1f\" y1=\"%.1f\" "
                                         "x2=\"%.1f\" y2=\"%.1f\"/>\n",
                                         kPlotLeft, y, kPlotRight, y));
  }
  absl::StrAppend(out, "</g>\n<g class=\"left-axis\" text-anchor=\"end\">\n");
  for (int i = 0; i <= ticks; ++i) {
    double value = static_cast<double>(left_max) * i / ticks;
    absl::StrAppend(out,
                    absl::StrFormat("<text x=\"%.1f\" y=\"%.1f\">%s"
                                    "</text>\n",
                                    kPlotLeft - 8, layout.y_left(value) + 4,
                                    absl::StrFormat("%g", value)));
  }
  absl::StrAppend(out, "</g>\n<g class=\"right-axis\" fill=\"#d9480f\">\n");
  const int right_ticks = static_cast<int>(std::min<int64_t>(right_max, 5));
  for (int i = 0; i <= right_ticks; ++i) {
    double value = static_cast<double>(right_max) * i / right_ticks;
    absl::StrAppend(out,
                    absl::StrFormat("<text x=\"%.1f\" y=\"%.1f\">%s"
                                    "</text>\n",
                                    kPlotRight + 8, layout.y_right(value) + 4,
                                    absl::StrFormat("%g", value)));
  }
  absl::StrAppend(out, "</g>\n");
  absl::StrAppend(
      out,
      absl::StrFormat("<text transform=\"translate(20 %.1f) rotate(-90)\" "
                      "text-anchor=\"middle\">examples that day</text>\n"
                      "<text transform=\"translate(%.1f %.1f) rotate(90)\" "
                      "text-anchor=\"middle\" fill=\"#d9480f\">total</text>\n",
                      (kPlotTop + kPlotBottom) / 2, kSvgWidth - 18,
                      (kPlotTop + kPlotBottom) / 2));
}

// Bars, one per day that has examples.
void AppendBars(const TimelineLayout& layout, std::string* out) {
  const auto& days = layout.days;
  absl::StrAppend(out, "<g class=\"bars\" fill=\"#4c6ef5\">\n");
  const double bar_width = std::max(1.0, layout.slot_width * 0.7);
  for (size_t i = 0; i < days.size(); ++i) {
    if (days[i].second <= 0) continue;
    double y = layout.y_left(days[i].second);
    absl::StrAppend(
        out, absl::StrFormat("<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" "
                             "width=\"%.1f\" height=\"%.1f\"><title>%s: %d "
                             "examples</title></rect>\n",
                             layout.x_center(layout.slot[i]) - bar_width / 2, y,
                             bar_width, kPlotBottom - y,
                             XmlEscape(days[i].first), days[i].second));
  }
  absl::StrAppend(out, "</g>\n");
}

// The running total as a line with a dot per day.
void AppendRunningTotal(const TimelineLayout& layout, std::string* out) {
  const auto& days = layout.days;
  if (!days.empty()) {
    std::vector<std::string> points;
    std::string dots;
    int64_t running = 0;
    for (size_t i = 0; i < days.size(); ++i) {
      double x = layout.x_center(layout.slot[i]);
      // A step: the total holds until the next day with examples.
      if (i > 0)
        points.push_back(
            absl::StrFormat("%.1f,%.1f", x, layout.y_right(running)));
      running += days[i].second;
      double y = layout.y_right(running);
      points.push_back(absl::StrFormat("%.1f,%.1f", x, y));
      absl::StrAppend(&dots,
                      absl::StrFormat("<circle cx=\"%.1f\" cy=\"%.1f\" "
                                      "r=\"3\"><title>%s: %d in "
                                      "total</title></circle>\n",
                                      x, y, XmlEscape(days[i].first), running));
    }
    absl::StrAppend(
        out,
        "<g class=\"cumulative\" stroke=\"#d9480f\" fill=\"#d9480f\">\n"
        "<polyline fill=\"none\" stroke-width=\"2\" points=\"",
        absl::StrJoin(points, " "), "\"/>\n", dots, "</g>\n");
  } else {
    absl::StrAppend(out,
                    absl::StrFormat("<text x=\"%.1f\" y=\"%.1f\" "
                                    "text-anchor=\"middle\" fill=\"#888888\">"
                                    "No examples yet</text>\n",
                                    (kPlotLeft + kPlotRight) / 2,
                                    (kPlotTop + kPlotBottom) / 2));
  }
}

// Axes and date labels (at most about 12, always the first and last day).
void AppendDateAxis(const TimelineLayout& layout, std::string* out) {
  const auto& days = layout.days;
  const int64_t slots = layout.slots;
  absl::StrAppend(
      out, absl::StrFormat("<g class=\"axes\" stroke=\"#333333\">\n"
                           "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                           "y2=\"%.1f\"/>\n<line x1=\"%.1f\" y1=\"%.1f\" "
                           "x2=\"%.1f\" y2=\"%.1f\"/>\n<line x1=\"%.1f\" "
                           "y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n</g>\n",
                           kPlotLeft, kPlotBottom, kPlotRight, kPlotBottom,
                           kPlotLeft, kPlotTop, kPlotLeft, kPlotBottom,
                           kPlotRight, kPlotTop, kPlotRight, kPlotBottom));
  absl::StrAppend(out, "<g class=\"dates\" text-anchor=\"end\">\n");
  const int64_t every = std::max<int64_t>(1, (slots + 11) / 12);
  for (int64_t s = 0; s < slots; ++s) {
    if (s % every != 0 && s != slots - 1) continue;
    if (s != slots - 1 && slots - 1 - s < every) continue;  // no overlap
    std::string label;
    if (layout.calendar) {
      label = UtcDate(layout.times.front() + absl::Hours(24 * s));
    } else if (s < static_cast<int64_t>(days.size())) {
      label = days[s].first;
    }
    if (label.empty()) continue;
    double x = layout.x_center(s);
    absl::StrAppend(out,
                    absl::StrFormat("<text transform=\"translate(%.1f %.1f) "
                                    "rotate(-40)\">%s</text>\n",
                                    x + 4, kPlotBottom + 16, XmlEscape(label)));
  }
  absl::StrAppend(out, "</g>\n");
}

void AppendLegend(std::string* out) {
  absl::StrAppend(
      out,
      absl::StrFormat(
          "<g class=\"legend\">\n<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" "
          "height=\"12\" fill=\"#4c6ef5\"/>\n<text x=\"%.1f\" y=\"%.1f\">"
          "examples that day</text>\n<line x1=\"%.1f\" y1=\"%.1f\" "
          "x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d9480f\" stroke-width=\"2\"/>\n"
          "<text x=\"%.1f\" y=\"%.1f\">total so far</text>\n</g>\n",
          kPlotLeft, kSvgHeight - 24, kPlotLeft + 18, kSvgHeight - 14,
          kPlotLeft + 160, kSvgHeight - 18, kPlotLeft + 180, kSvgHeight - 18,
          kPlotLeft + 186, kSvgHeight - 14));
}

}  // namespace

std::string RenderTimelineSvg(const v1::GetStatsResponse& stats) {
  const TimelineLayout layout = LayOutTimeline(stats);
  std::string out;
  AppendSvgHeader(layout, &out);
  AppendScales(layout, &out);
  AppendBars(layout, &out);
  AppendRunningTotal(layout, &out);
  AppendDateAxis(layout, &out);
  AppendLegend(&out);
  absl::StrAppend(&out, "</svg>\n");
  return out;
}

}  // namespace ftcapture
