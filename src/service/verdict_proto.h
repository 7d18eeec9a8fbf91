#ifndef FTCAPTURE_SRC_SERVICE_VERDICT_PROTO_H_
#define FTCAPTURE_SRC_SERVICE_VERDICT_PROTO_H_

#include "absl/strings/string_view.h"
#include "ftcapture/v1/capture.pb.h"
#include "src/detect/praise_detector.h"

namespace ftcapture {

// Metadata keys under which a positive example keeps the criticism that came
// with its praise ("Lovely answer, but far too long").
inline constexpr absl::string_view kCriticismRuleKey =
    "ftcapture.criticism_rule";
inline constexpr absl::string_view kCriticismEvidenceKey =
    "ftcapture.criticism_evidence";
inline constexpr absl::string_view kCriticismConfidenceKey =
    "ftcapture.criticism_confidence";

v1::Confidence ConfidenceProto(Confidence confidence);

// Fills what RecordTurnResponse says of a praise or criticism verdict: praise,
// verdict, rule, confidence and a mixed criticism. Leaves a kNone verdict to
// the caller.
void SetVerdictFields(const Verdict& verdict, v1::RecordTurnResponse* response);

// Marks an implicit example with what the detector saw: the deciding rule's
// confidence, and a criticism beside the praise in its metadata.
void RecordVerdictOnExample(const Verdict& verdict, v1::Example* example);

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_SERVICE_VERDICT_PROTO_H_
