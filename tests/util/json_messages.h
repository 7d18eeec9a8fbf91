// Protobuf messages from the JSON lines the CLI prints, for tests.

#ifndef FTCAPTURE_TESTS_UTIL_JSON_MESSAGES_H_
#define FTCAPTURE_TESTS_UTIL_JSON_MESSAGES_H_

#include <string>

#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace ftcapture {

// Strict: an unknown field is an error (a test failure), so the line has
// exactly the shape of `Message`.
template <typename Message>
Message ParseJson(const std::string& json) {
  Message message;
  auto status = google::protobuf::util::JsonStringToMessage(json, &message);
  EXPECT_TRUE(status.ok()) << status.ToString() << " in: " << json;
  return message;
}

}  // namespace ftcapture

#endif  // FTCAPTURE_TESTS_UTIL_JSON_MESSAGES_H_
