#include "src/tools/redact_tool.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ftcapture {

std::string RedactionSummary(const RedactionCounts& counts) {
  if (counts.empty()) return "-";
  return absl::StrJoin(counts, ",", [](std::string* out, const auto& entry) {
    absl::StrAppend(out, entry.first, ":", entry.second);
  });
}

int RunRedact(const Redactor& redactor, std::istream& in, std::ostream& out) {
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    RedactionCounts counts;
    redactor.Redact(&line, &counts);
    out << RedactionSummary(counts) << '\t' << line << '\n';
  }
  out.flush();
  return out ? 0 : 1;
}

}  // namespace ftcapture
