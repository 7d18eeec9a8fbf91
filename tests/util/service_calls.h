// CaptureService calls that tests expect to succeed: a failure is a test
// failure (not a crash), and the caller gets an empty response.

#ifndef FTCAPTURE_TESTS_UTIL_SERVICE_CALLS_H_
#define FTCAPTURE_TESTS_UTIL_SERVICE_CALLS_H_

#include "ftcapture/v1/capture.pb.h"
#include "gtest/gtest.h"
#include "src/service/capture_service.h"

namespace ftcapture {

inline v1::RecordTurnResponse RecordOrFail(CaptureService& service,
                                           const v1::Turn& turn) {
  absl::StatusOr<v1::RecordTurnResponse> response = service.RecordTurn(turn);
  EXPECT_TRUE(response.ok()) << response.status();
  return response.ok() ? *response : v1::RecordTurnResponse();
}

inline v1::GetStatsResponse StatsOrFail(CaptureService& service) {
  absl::StatusOr<v1::GetStatsResponse> stats = service.GetStats();
  EXPECT_TRUE(stats.ok()) << stats.status();
  return stats.ok() ? *stats : v1::GetStatsResponse();
}

}  // namespace ftcapture

#endif  // FTCAPTURE_TESTS_UTIL_SERVICE_CALLS_H_
