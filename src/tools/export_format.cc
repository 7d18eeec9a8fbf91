#include "src/tools/export_format.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ftcapture/v1/export.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver.h"
#include "google/protobuf/util/type_resolver_util.h"
#include "src/util/stable_hash.h"
#include "src/util/visible_text.h"

namespace ftcapture {
namespace {

constexpr char kTypeUrlPrefix[] = "type.googleapis.com";

absl::StatusOr<std::string> ToJsonLine(const google::protobuf::Message& message,
                                       bool preserve_proto_field_names) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = false;  // one line: newlines in text are escaped
  // `"label":false` and `"content":""` must be printed: readers expect the
  // shape, not protobuf's "default means absent".
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = preserve_proto_field_names;
  // MessageToJsonString prints map entries (Example.metadata) in the order
  // of a serialization that is not deterministic, so the same example could
  // export differently run to run. A deterministic serialization (map keys
  // sorted) printed from the wire keeps every export byte-identical.
  std::string binary;
  {
    google::protobuf::io::StringOutputStream stream(&binary);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    if (!message.SerializeToCodedStream(&coded)) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot serialize ", message.GetTypeName()));
    }
  }
  static google::protobuf::util::TypeResolver* const resolver =
      google::protobuf::util::NewTypeResolverForDescriptorPool(
          kTypeUrlPrefix, google::protobuf::DescriptorPool::generated_pool());
  std::string json;
  auto status = google::protobuf::util::BinaryToJsonString(
      resolver, absl::StrCat(kTypeUrlPrefix, "/", message.GetTypeName()),
      binary, &json, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot print ", message.GetTypeName(),
                     " as JSON: ", status.ToString()));
  }
  return json;
}

using ChatMessages = google::protobuf::RepeatedPtrField<v1::ChatMessage>;

v1::ChatMessage* AddMessage(absl::string_view role, absl::string_view content,
                            ChatMessages* out) {
  v1::ChatMessage* message = out->Add();
  message->set_role(std::string(role));
  message->set_content(std::string(content));
  return message;
}

absl::string_view RoleName(v1::Role role) {
  return role == v1::ROLE_ASSISTANT ? "assistant" : "user";
}

// The last `limit` turns of the example's history (all when negative).
std::vector<const v1::Turn*> HistoryWithin(const v1::Example& example,
                                           int limit) {
  const int size = example.history_size();
  const int first = limit < 0 ? 0 : std::max(0, size - limit);
  std::vector<const v1::Turn*> history;
  for (int i = first; i < size; ++i) history.push_back(&example.history(i));
  return history;
}

// The prompt every conversational format starts with: system (when there
// is one), the earlier conversation, then the user message n-3. With
// `weights`, earlier assistant messages get weight 0 (shown, not learned).
void AddPrompt(const v1::Example& example, const ExportOptions& options,
               bool weights, ChatMessages* out) {
  std::string system = SystemContent(example);
  if (!system.empty()) AddMessage("system", system, out);
  for (const v1::Turn* turn : HistoryWithin(example, options.history)) {
    v1::ChatMessage* message =
        AddMessage(RoleName(turn->role()), turn->text(), out);
    if (weights && turn->role() == v1::ROLE_ASSISTANT) {
      message->mutable_weight()->set_value(0);
    }
  }
  AddMessage("user", example.user_turn().text(), out);
}

bool IsPair(const v1::Example& example) { return example.has_rejected_turn(); }

// Formats of one reply that people liked (SFT): positive single examples.
bool IsPraisedSingle(const v1::Example& example) {
  return !IsPair(example) && IsPositiveExample(example);
}

absl::StatusOr<std::string> OpenAiChat(const v1::Example& example,
                                       const ExportOptions& options) {
  // --history=0 is the shape from before history: no weights at all.
  const bool weights = options.history != 0;
  v1::OpenAiChatLine line;
  AddPrompt(example, options, weights, line.mutable_messages());
  v1::ChatMessage* reply = AddMessage(
      "assistant", example.assistant_turn().text(), line.mutable_messages());
  if (weights) reply->mutable_weight()->set_value(1);
  return ToJsonLine(line, /*preserve_proto_field_names=*/true);
}

absl::StatusOr<std::string> ShareGpt(const v1::Example& example,
                                     const ExportOptions& options) {
  v1::ShareGptLine line;
  line.set_system(SystemContent(example));
  auto add = [&](v1::Role role, const std::string& text) {
    v1::ShareGptMessage* message = line.add_conversations();
    message->set_from(role == v1::ROLE_ASSISTANT ? "gpt" : "human");
    message->set_value(text);
  };
  for (const v1::Turn* turn : HistoryWithin(example, options.history)) {
    add(turn->role(), turn->text());
  }
  add(v1::ROLE_USER, example.user_turn().text());
  add(v1::ROLE_ASSISTANT, example.assistant_turn().text());
  return ToJsonLine(line, /*preserve_proto_field_names=*/true);
}

absl::StatusOr<std::string> TrlDpo(const v1::Example& example,
                                   const ExportOptions& options) {
  v1::TrlDpoLine line;
  AddPrompt(example, options, /*weights=*/false, line.mutable_prompt());
  AddMessage("assistant", example.assistant_turn().text(),
             line.mutable_chosen());
  AddMessage("assistant", example.rejected_turn().text(),
             line.mutable_rejected());
  return ToJsonLine(line, /*preserve_proto_field_names=*/true);
}

absl::StatusOr<std::string> OpenAiDpo(const v1::Example& example,
                                      const ExportOptions& options) {
  v1::OpenAiDpoLine line;
  AddPrompt(example, options, /*weights=*/false,
            line.mutable_input()->mutable_messages());
  AddMessage("assistant", example.assistant_turn().text(),
             line.mutable_preferred_output());
  AddMessage("assistant", example.rejected_turn().text(),
             line.mutable_non_preferred_output());
  return ToJsonLine(line, /*preserve_proto_field_names=*/true);
}

}  // namespace

namespace {
constexpr std::pair<ExportFormat, absl::string_view> kFormatNames[] = {
    {ExportFormat::kOpenAiChat, "openai-chat"},
    {ExportFormat::kTrlSft, "trl-sft"},
    {ExportFormat::kTrlKto, "trl-kto"},
    {ExportFormat::kShareGpt, "sharegpt"},
    {ExportFormat::kTrlDpo, "trl-dpo"},
    {ExportFormat::kOpenAiDpo, "openai-dpo"},
    {ExportFormat::kFullJsonl, "full-jsonl"},
};
}  // namespace

absl::StatusOr<ExportFormat> ParseExportFormat(absl::string_view name) {
  std::vector<absl::string_view> names;
  for (const auto& [format, format_name] : kFormatNames) {
    if (name == format_name) return format;
    names.push_back(format_name);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown export format \"",
                                                 name, "\"; expected one of ",
                                                 absl::StrJoin(names, ", ")));
}

absl::string_view ExportFormatName(ExportFormat format) {
  for (const auto& [known, name] : kFormatNames) {
    if (known == format) return name;
  }
  return "unknown";
}

bool IsPairFormat(ExportFormat format) {
  return format == ExportFormat::kTrlDpo || format == ExportFormat::kOpenAiDpo;
}

std::string SystemContent(const v1::Example& example) {
  const v1::Turn& turn = example.assistant_turn();
  std::string content = turn.system_prompt();
  bool listed_any = false;
  for (const v1::Memory& memory : turn.memories()) {
    if (memory.text().empty() ||
        absl::StrContains(turn.system_prompt(), memory.text())) {
      continue;
    }
    if (!listed_any) {
      if (!content.empty()) content += "\n\n";
      content += "Memories:";
      listed_any = true;
    }
    absl::StrAppend(&content, "\n- ", memory.text());
  }
  return content;
}

bool HasExchange(const v1::Example& example) {
  return !IsBlankText(example.user_turn().text()) &&
         !IsBlankText(example.assistant_turn().text()) &&
         (!IsPair(example) || !IsBlankText(example.rejected_turn().text()));
}

absl::StatusOr<std::string> FormatExportLine(ExportFormat format,
                                             const v1::Example& example,
                                             const ExportOptions& options) {
  if (format != ExportFormat::kFullJsonl &&
      (IsPairFormat(format) != IsPair(example) || !HasExchange(example))) {
    return std::string();
  }
  switch (format) {
    case ExportFormat::kOpenAiChat:
      if (!IsPraisedSingle(example)) return std::string();
      return OpenAiChat(example, options);
    case ExportFormat::kTrlSft: {
      if (!IsPraisedSingle(example)) return std::string();
      v1::TrlSftLine line;
      AddPrompt(example, options, /*weights=*/false, line.mutable_messages());
      AddMessage("assistant", example.assistant_turn().text(),
                 line.mutable_messages());
      return ToJsonLine(line, /*preserve_proto_field_names=*/true);
    }
    case ExportFormat::kTrlKto: {
      v1::KtoLine line;
      AddPrompt(example, options, /*weights=*/false, line.mutable_prompt());
      AddMessage("assistant", example.assistant_turn().text(),
                 line.mutable_completion());
      line.set_label(IsPositiveExample(example));
      return ToJsonLine(line, /*preserve_proto_field_names=*/true);
    }
    case ExportFormat::kShareGpt:
      if (!IsPraisedSingle(example)) return std::string();
      return ShareGpt(example, options);
    case ExportFormat::kTrlDpo:
      return TrlDpo(example, options);
    case ExportFormat::kOpenAiDpo:
      return OpenAiDpo(example, options);
    case ExportFormat::kFullJsonl:
      return ToJsonLine(example, /*preserve_proto_field_names=*/false);
  }
  return absl::InvalidArgumentError("unknown export format");
}

ExportSplitter::ExportSplitter(double train_fraction, uint64_t seed)
    : threshold_(0), all_train_(false), seed_(seed) {
  if (!(train_fraction > 0)) return;  // also NaN: everything goes to test
  double scaled = std::ldexp(train_fraction, 64);
  if (scaled >= std::ldexp(1.0, 64)) {
    all_train_ = true;
  } else {
    threshold_ = static_cast<uint64_t>(scaled);
  }
}

bool ExportSplitter::IsTrain(const v1::Example& example) const {
  return all_train_ || StableHash64(example.id(), seed_) < threshold_;
}

std::pair<std::string, std::string> SplitOutputPaths(absl::string_view out) {
  size_t slash = out.rfind('/');
  size_t dot = out.rfind('.');
  bool has_extension = dot != absl::string_view::npos && dot > 0 &&
                       (slash == absl::string_view::npos || dot > slash + 1);
  if (!has_extension) {
    return {absl::StrCat(out, ".train"), absl::StrCat(out, ".test")};
  }
  absl::string_view stem = out.substr(0, dot);
  absl::string_view extension = out.substr(dot);
  return {absl::StrCat(stem, ".train", extension),
          absl::StrCat(stem, ".test", extension)};
}

absl::StatusOr<absl::Time> ParseTimeFlag(absl::string_view text) {
  std::string input(absl::StripAsciiWhitespace(text));
  absl::Time time;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, input, &time, &error)) return time;
  for (const char* format :
       {"%Y-%m-%dT%H:%M:%E*S", "%Y-%m-%d %H:%M:%E*S", "%Y-%m-%d"}) {
    if (absl::ParseTime(format, input, absl::UTCTimeZone(), &time, &error)) {
      return time;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("cannot parse time \"", text,
                   "\"; expected RFC 3339 (2025-11-28T17:09:14Z) or a date "
                   "(2025-11-28, UTC)"));
}

absl::StatusOr<v1::ReviewStatus> ParseReviewStatusFlag(absl::string_view text) {
  std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (name.empty() || name == "all") return v1::REVIEW_STATUS_UNSPECIFIED;
  if (name == "pending") return v1::REVIEW_STATUS_PENDING;
  if (name == "approved") return v1::REVIEW_STATUS_APPROVED;
  if (name == "rejected") return v1::REVIEW_STATUS_REJECTED;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown review status \"", text,
                   "\"; expected pending, approved, rejected or all"));
}

absl::StatusOr<v1::ExampleKind> ParseKindFlag(absl::string_view text) {
  std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (name.empty() || name == "all") return v1::EXAMPLE_KIND_UNSPECIFIED;
  if (name == "single") return v1::EXAMPLE_KIND_SINGLE;
  if (name == "pair") return v1::EXAMPLE_KIND_PAIR;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown kind \"", text, "\"; expected single, pair or all"));
}

absl::StatusOr<v1::Label> ParseLabelFlag(absl::string_view text) {
  std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (name.empty() || name == "all") return v1::LABEL_UNSPECIFIED;
  if (name == "positive") return v1::LABEL_POSITIVE;
  if (name == "negative") return v1::LABEL_NEGATIVE;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown label \"", text, "\"; expected positive, negative or all"));
}

absl::StatusOr<v1::Confidence> ParseConfidenceFlag(absl::string_view text) {
  std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (name.empty()) return v1::CONFIDENCE_UNSPECIFIED;
  if (name == "low") return v1::CONFIDENCE_LOW;
  if (name == "high") return v1::CONFIDENCE_HIGH;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown confidence \"", text, "\"; expected low or high"));
}

}  // namespace ftcapture
