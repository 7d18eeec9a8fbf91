#ifndef FTCAPTURE_BENCH_CAPTURE_MODEL_H_
#define FTCAPTURE_BENCH_CAPTURE_MODEL_H_

#include <string>

#include "bench/durable_capture_log.h"
#include "ftcapture/v1/capture.pb.h"

namespace ftcapture {
namespace bench {

// The example ftcapture-server stores when `praise` credits `reply` to
// `user` in a session without earlier turns: the turns as the server holds
// them (with the arrival time it adds), the rule's confidence, the history
// source in metadata, its id and capture time. The rule name is a typical
// one (the real one is known only from the answer).
v1::Example ModelExample(const v1::Turn& user, const v1::Turn& reply,
                         const v1::Turn& praise);

// What ftcapture's store appends for `example` written alone (a batch of
// one, as sequential captures are): the framed record, its Markdown block
// and the index entries (the record's and the Markdown state's).
CaptureBytes CaptureBytesOf(const v1::Example& example);

// `example` framed as one TFRecord.
std::string FramedRecord(const v1::Example& example);

}  // namespace bench
}  // namespace ftcapture

#endif  // FTCAPTURE_BENCH_CAPTURE_MODEL_H_
