#include "src/service/verdict_proto.h"

#include <string>

namespace ftcapture {

v1::Confidence ConfidenceProto(Confidence confidence) {
  return confidence == Confidence::kWeak ? v1::CONFIDENCE_LOW
                                         : v1::CONFIDENCE_HIGH;
}

void SetVerdictFields(const Verdict& verdict,
                      v1::RecordTurnResponse* response) {
  const bool praise = verdict.kind == FeedbackKind::kPraise;
  response->set_rule(verdict.rule);
  response->set_praise(praise);
  response->set_verdict(praise ? v1::VERDICT_PRAISE : v1::VERDICT_CRITICISM);
  response->set_confidence(ConfidenceProto(verdict.confidence));
  response->set_mixed_criticism_rule(verdict.mixed_criticism_rule);
}

void RecordVerdictOnExample(const Verdict& verdict, v1::Example* example) {
  example->set_confidence(ConfidenceProto(verdict.confidence));
  if (verdict.mixed_criticism_rule.empty()) return;
  auto& metadata = *example->mutable_metadata();
  metadata[std::string(kCriticismRuleKey)] = verdict.mixed_criticism_rule;
  metadata[std::string(kCriticismEvidenceKey)] =
      verdict.mixed_criticism_evidence;
  metadata[std::string(kCriticismConfidenceKey)] =
      std::string(ConfidenceName(verdict.mixed_criticism_confidence));
}

}  // namespace ftcapture
