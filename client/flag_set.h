#ifndef FTCAPTURE_CLIENT_FLAG_SET_H_
#define FTCAPTURE_CLIENT_FLAG_SET_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ftcapture {

// The flags of one CLI command. Each command declares its own, so two
// commands may use the same name with different types (`push --json=TURN`,
// `stats --json`), which process-wide absl flags cannot express.
//
// Accepted forms: --name=value, --name value, -name=value; booleans also
// --name, --noname, --name=true|false. "--" ends the flags; every other
// argument is positional. Values are written to the bound variables only
// by Parse(); a flag not given keeps the variable's initial value.
class FlagSet {
 public:
  using Parser = std::function<absl::Status(absl::string_view value)>;

  // `value_hint` names the value in Help(), e.g. "FILE".
  void String(absl::string_view name, std::string* value,
              absl::string_view help, absl::string_view value_hint = "STRING");
  void Bool(absl::string_view name, bool* value, absl::string_view help);
  void Int(absl::string_view name, int64_t* value, absl::string_view help);
  void Double(absl::string_view name, double* value, absl::string_view help);
  // A flag whose value `parse` interprets; `value_hint` names it in Help().
  void Custom(absl::string_view name, absl::string_view value_hint,
              Parser parse, absl::string_view help);

  // Parses `args` (no program or command name) and appends the positional
  // arguments to `positional`. InvalidArgument names the offending flag.
  absl::Status Parse(const std::vector<std::string>& args,
                     std::vector<std::string>* positional);

  // Whether Parse() saw the flag.
  bool IsSet(absl::string_view name) const;

  // One line per flag: "  --name=VALUE  help (default: ...)".
  std::string Help() const;

 private:
  struct Flag {
    std::string name;
    std::string value_hint;  // empty for booleans
    std::string default_text;
    std::string help;
    bool is_bool = false;
    Parser parse;
    bool set = false;
  };

  void Add(Flag flag);
  Flag* Find(absl::string_view name);
  const Flag* Find(absl::string_view name) const;

  std::vector<Flag> flags_;
};

}  // namespace ftcapture

#endif  // FTCAPTURE_CLIENT_FLAG_SET_H_
