#ifndef FTCAPTURE_SRC_TOOLS_STATUS_REPORT_H_
#define FTCAPTURE_SRC_TOOLS_STATUS_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "ftcapture/v1/capture.pb.h"

namespace ftcapture {

// The dataset milestones the status page tracks.
inline constexpr int64_t kStatusMilestones[] = {50, 100, 500, 1000};

// Warnings start here: the Markdown log is meant to be read by people.
inline constexpr int64_t kMarkdownWarnBytes = 1000 * 1000;  // 1 MB
// ... and when nothing was captured for this long.
inline constexpr absl::Duration kQuietWarnAfter = absl::Hours(24 * 7);

// The estimates follow the pace of the last four weeks: history older than
// that (the original's Markdown log imported a year later) would otherwise
// make them crawl.
inline constexpr absl::Duration kRateWindow = absl::Hours(24 * 28);

// Examples per week over the span from the first example to `now` (at least
// one day, so a first burst does not predict thousands a week). When the
// first example is older than kRateWindow, only the per-day counts of the
// last kRateWindow count, from the first of those days that has examples.
// 0 when there are no (recent) examples or no first-example time.
double ExamplesPerWeek(const v1::GetStatsResponse& stats, absl::Time now);

// The status page `ftcapture status` prints, in Markdown, computed only from
// `stats` and `now` (so it is reproducible): totals and sizes, review
// counts, capture rate, the timeline by day, the 5 most recent captures,
// progress toward 50 / 100 / 500 / 1000 with a text bar and the estimated
// date of each milestone not reached yet (at the current weekly rate), and
// warnings (Markdown over 1 MB, more negatives than positives, nothing
// captured for 7 days, no assistant turns reaching the service).
std::string RenderStatusMarkdown(const v1::GetStatsResponse& stats,
                                 absl::Time now);

// The timeline as a standalone SVG document (`ftcapture status --chart`):
// one bar per day with examples on a calendar axis (left scale) and the
// cumulative total as a line (right scale), with axes, labels, a legend and
// a <title> tooltip per bar. All text is XML-escaped.
std::string RenderTimelineSvg(const v1::GetStatsResponse& stats);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_TOOLS_STATUS_REPORT_H_
