#ifndef FTCAPTURE_SRC_STORAGE_EXAMPLE_FILTER_H_
#define FTCAPTURE_SRC_STORAGE_EXAMPLE_FILTER_H_

#include "ftcapture/v1/capture.pb.h"

namespace ftcapture {

// Labels as exports see them: an example with LABEL_UNSPECIFIED was captured
// before labels existed, by the praise detector, so it counts as positive.
bool IsPositiveExample(const v1::Example& example);

// A preference pair (it has a rejected reply) or a single example.
v1::ExampleKind KindOf(const v1::Example& example);
bool MatchesKind(v1::ExampleKind wanted, bool is_pair);

// Whether `example` passes the filters of `request`: since <= captured_at <
// until (each bound only when set), status, label and kind (UNSPECIFIED =
// all).
// An example with REVIEW_STATUS_UNSPECIFIED counts as pending and one with
// LABEL_UNSPECIFIED as positive.
bool MatchesExportFilter(const v1::ExportExamplesRequest& request,
                         const v1::Example& example);

// The confidence filter of `request` (min_confidence): LOW passes every
// example, HIGH only high-confidence ones, unset all but low-confidence
// negatives. An example with CONFIDENCE_UNSPECIFIED counts as high, and so
// does one a review approved. Separate from MatchesExportFilter because it
// needs the stored example, not just its summary.
bool MatchesConfidenceFilter(const v1::ExportExamplesRequest& request,
                             const v1::Example& example);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_STORAGE_EXAMPLE_FILTER_H_
