#ifndef FTCAPTURE_SERVER_PROCESS_TUNING_H_
#define FTCAPTURE_SERVER_PROCESS_TUNING_H_

namespace ftcapture {

// Process-wide settings for a serving binary, called first thing in main()
// by ftcapture-server and by bench/'s no-op server alike, so the benchmark
// compares like with like:
//  - Abseil's mutex deadlock detection off. Debian's Abseil leaves it on,
//    and then every lock, ours and gRPC's, updates a global lock graph
//    (1-2% of the server's CPU under load). It is a debugging aid; the
//    sanitizer builds of the tests do not depend on it.
//  - glibc malloc arenas capped at the core count. A turn is allocated by
//    whichever gRPC thread received it and freed by another one much later;
//    with glibc's default of 8 arenas per core the session windows'
//    memory fragments across them (peak RSS at 10 000 sessions about a
//    third higher, see docs/benchmarks.md).
void TuneProcessForServing();

}  // namespace ftcapture

#endif  // FTCAPTURE_SERVER_PROCESS_TUNING_H_
