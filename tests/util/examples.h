// Stored examples for tests of the storage layer.

#ifndef FTCAPTURE_TESTS_UTIL_EXAMPLES_H_
#define FTCAPTURE_TESTS_UTIL_EXAMPLES_H_

#include <string>

#include "ftcapture/v1/capture.pb.h"

namespace ftcapture {

// The texts of an example's exchange.
struct ExampleTexts {
  std::string question;       // the user turn's
  std::string reply;          // the assistant turn's
  std::string system_prompt;  // the assistant turn's
};

// An example as the store holds one: id `id`, a fixed capture time,
// session "session-ID", turns "u-ID" and "a-ID" holding `texts`, and a
// praise ("good_one", positive) or a criticism ("wrong", negative).
v1::Example TestExample(const std::string& id, bool positive,
                        const ExampleTexts& texts);

}  // namespace ftcapture

#endif  // FTCAPTURE_TESTS_UTIL_EXAMPLES_H_
