#include "client/flag_set.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ftcapture {
namespace {

absl::Status BadValue(absl::string_view name, absl::string_view value,
                      absl::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("--", name, ": '", value, "' is not ", expected));
}

}  // namespace

void FlagSet::Add(Flag flag) { flags_.push_back(std::move(flag)); }

FlagSet::Flag* FlagSet::Find(absl::string_view name) {
  for (Flag& flag : flags_) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

const FlagSet::Flag* FlagSet::Find(absl::string_view name) const {
  for (const Flag& flag : flags_) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

void FlagSet::String(absl::string_view name, std::string* value,
                     absl::string_view help, absl::string_view value_hint) {
  Add({std::string(name), std::string(value_hint),
       value->empty() ? "" : absl::StrCat("\"", *value, "\""),
       std::string(help), false, [value](absl::string_view text) {
         *value = std::string(text);
         return absl::OkStatus();
       }});
}

void FlagSet::Bool(absl::string_view name, bool* value,
                   absl::string_view help) {
  std::string flag_name(name);
  Add({flag_name, "", *value ? "true" : "", std::string(help), true,
       [value, flag_name](absl::string_view text) {
         std::string lower = absl::AsciiStrToLower(text);
         if (lower == "true" || lower == "1" || lower == "yes") {
           *value = true;
         } else if (lower == "false" || lower == "0" || lower == "no") {
           *value = false;
         } else {
           return BadValue(flag_name, text, "true or false");
         }
         return absl::OkStatus();
       }});
}

void FlagSet::Int(absl::string_view name, int64_t* value,
                  absl::string_view help) {
  std::string flag_name(name);
  Add({flag_name, "N", *value == 0 ? "" : absl::StrCat(*value),
       std::string(help), false, [value, flag_name](absl::string_view text) {
         if (!absl::SimpleAtoi(text, value)) {
           return BadValue(flag_name, text, "an integer");
         }
         return absl::OkStatus();
       }});
}

void FlagSet::Double(absl::string_view name, double* value,
                     absl::string_view help) {
  std::string flag_name(name);
  Add({flag_name, "X", *value == 0 ? "" : absl::StrCat(*value),
       std::string(help), false, [value, flag_name](absl::string_view text) {
         if (!absl::SimpleAtod(text, value)) {
           return BadValue(flag_name, text, "a number");
         }
         return absl::OkStatus();
       }});
}

void FlagSet::Custom(absl::string_view name, absl::string_view value_hint,
                     Parser parse, absl::string_view help) {
  Add({std::string(name), std::string(value_hint), "", std::string(help), false,
       std::move(parse)});
}

absl::Status FlagSet::Parse(const std::vector<std::string>& args,
                            std::vector<std::string>* positional) {
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--") {
      positional->insert(positional->end(), args.begin() + i + 1, args.end());
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      positional->push_back(args[i]);
      continue;
    }
    arg.remove_prefix(arg[1] == '-' ? 2 : 1);
    absl::string_view name = arg;
    absl::string_view value;
    bool has_value = false;
    if (size_t eq = arg.find('='); eq != absl::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    Flag* flag = Find(name);
    if (flag == nullptr && !has_value && absl::StartsWith(name, "no")) {
      Flag* negated = Find(name.substr(2));
      if (negated != nullptr && negated->is_bool) {
        negated->set = true;
        if (absl::Status s = negated->parse("false"); !s.ok()) return s;
        continue;
      }
    }
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    if (!has_value) {
      if (flag->is_bool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " needs a value"));
      }
    }
    flag->set = true;
    if (absl::Status s = flag->parse(value); !s.ok()) return s;
  }
  return absl::OkStatus();
}

bool FlagSet::IsSet(absl::string_view name) const {
  const Flag* flag = Find(name);
  return flag != nullptr && flag->set;
}

std::string FlagSet::Help() const {
  std::string out;
  for (const Flag& flag : flags_) {
    std::string spec = absl::StrCat("--", flag.name);
    if (!flag.is_bool) absl::StrAppend(&spec, "=", flag.value_hint);
    absl::StrAppendFormat(&out, "  %-30s %s", spec, flag.help);
    if (!flag.default_text.empty()) {
      absl::StrAppend(&out, " (default: ", flag.default_text, ")");
    }
    absl::StrAppend(&out, "\n");
  }
  return out;
}

}  // namespace ftcapture
