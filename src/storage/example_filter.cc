#include "src/storage/example_filter.h"

#include "absl/time/time.h"
#include "src/util/proto_time.h"

namespace ftcapture {

bool IsPositiveExample(const v1::Example& example) {
  return example.label() != v1::LABEL_NEGATIVE;
}

v1::ExampleKind KindOf(const v1::Example& example) {
  return example.has_rejected_turn() ? v1::EXAMPLE_KIND_PAIR
                                     : v1::EXAMPLE_KIND_SINGLE;
}

bool MatchesKind(v1::ExampleKind wanted, bool is_pair) {
  return wanted == v1::EXAMPLE_KIND_UNSPECIFIED ||
         wanted == (is_pair ? v1::EXAMPLE_KIND_PAIR : v1::EXAMPLE_KIND_SINGLE);
}

bool MatchesExportFilter(const v1::ExportExamplesRequest& request,
                         const v1::Example& example) {
  absl::Time captured = FromProtoTime(example.captured_at());
  if (request.has_since() && captured < FromProtoTime(request.since())) {
    return false;
  }
  if (request.has_until() && captured >= FromProtoTime(request.until())) {
    return false;
  }
  if (request.status() != v1::REVIEW_STATUS_UNSPECIFIED) {
    v1::ReviewStatus status = example.status() == v1::REVIEW_STATUS_UNSPECIFIED
                                  ? v1::REVIEW_STATUS_PENDING
                                  : example.status();
    if (status != request.status()) return false;
  }
  if (request.label() != v1::LABEL_UNSPECIFIED) {
    v1::Label label =
        IsPositiveExample(example) ? v1::LABEL_POSITIVE : v1::LABEL_NEGATIVE;
    if (label != request.label()) return false;
  }
  return MatchesKind(request.kind(), example.has_rejected_turn());
}

bool MatchesConfidenceFilter(const v1::ExportExamplesRequest& request,
                             const v1::Example& example) {
  const bool low = example.confidence() == v1::CONFIDENCE_LOW &&
                   example.status() != v1::REVIEW_STATUS_APPROVED;
  if (!low) return true;
  switch (request.min_confidence()) {
    case v1::CONFIDENCE_LOW:
      return true;
    case v1::CONFIDENCE_HIGH:
      return false;
    default:
      return IsPositiveExample(example);
  }
}

}  // namespace ftcapture
