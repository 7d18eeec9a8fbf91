// Force-included first into every translation unit of a
// -DFTCAPTURE_SANITIZE=thread build (see CMakeLists.txt).
//
// Why: protobuf 3.21's map_field.h adds two members to MapFieldBase when
// __SANITIZE_THREAD__ is defined. Debian's libprotobuf is built without
// TSan, so our TSan-built code and the library would disagree on the layout
// of every message with a map field (Turn.metadata, Example.metadata) and
// crash or corrupt memory. We include map_field.h once with the macro
// hidden, so its include guard keeps the library's layout for the whole
// translation unit, and keep the macro for everything else: libstdc++ needs
// it for its shared_ptr TSan support and Abseil for its annotations, which
// is why they are included before it is hidden.

#ifndef FTCAPTURE_CMAKE_TSAN_PRELUDE_H_
#define FTCAPTURE_CMAKE_TSAN_PRELUDE_H_

#ifdef __cplusplus
#include <cstddef>

#include "absl/base/config.h"

#pragma push_macro("__SANITIZE_THREAD__")
#undef __SANITIZE_THREAD__
#include <google/protobuf/map_field.h>
#pragma pop_macro("__SANITIZE_THREAD__")

// Debian's gRPC and Abseil are not built with TSan either, so TSan cannot
// see the synchronization inside them (absl::Mutex and futexes) and reports
// their hand-offs between threads as races. These suppressions cover only
// reports whose innermost frame is in those libraries, accesses made by
// libc calls from them, and accesses inside the parts of gRPC's header code
// named below that only gRPC's own threads order; our code, and our code
// racing with our code, stays checked. Our own objects handed through gRPC
// are annotated instead (HandoffReleased in src/util/mutex.h). Weak, and
// defined in every translation unit of a TSan build, so every binary carries it
// without a TSAN_OPTIONS file.
extern "C" __attribute__((weak)) const char* __tsan_default_suppressions() {
  return "called_from_lib:libgrpc.so\n"
         "called_from_lib:libgrpc++.so\n"
         "called_from_lib:libgpr.so\n"
         "called_from_lib:libabsl_synchronization.so\n"
         "called_from_lib:libabsl_graphcycles_internal.so\n"
         // gRPC's internal threads copy through these (memcpy from them).
         "called_from_lib:libabsl_status.so\n"
         "called_from_lib:libabsl_cord.so\n"
         "called_from_lib:libabsl_cord_internal.so\n"
         "called_from_lib:libabsl_strings.so\n"
         "called_from_lib:libabsl_time.so\n"
         "called_from_lib:libabsl_time_zone.so\n"
         "called_from_lib:libabsl_str_format_internal.so\n"
         "called_from_lib:libabsl_random_internal_pool_urbg.so\n"
         "called_from_lib:libabsl_raw_hash_set.so\n"
         "called_from_lib:libabsl_hash.so\n"
         "called_from_lib:libabsl_base.so\n"
         "called_from_lib:libabsl_malloc_internal.so\n"
         "called_from_lib:libupb.so\n"
         // gRPC's TLS (OpenSSL), set up and freed from its threads.
         "called_from_lib:libssl.so\n"
         "called_from_lib:libcrypto.so\n"
         "race_top:libgrpc.so\n"
         "race_top:libgrpc++.so\n"
         "race_top:libgpr.so\n"
         "race_top:libupb.so\n"
         "race_top:libabsl_\n"
         // gRPC's C++ API is header code, compiled into our binaries with
         // TSan, while the completion queue that orders it runs inside
         // libgrpc. Its own fields (call ops, tags, interceptor state,
         // Status, ByteBuffer) are reported when the top frame is its code;
         // our reactor callbacks, called from those tags, stay checked.
         "race_top:^grpc::\n"
         "race_top:^grpc_core::\n"
         // A call's operations are started on one thread (FillOps: our
         // answer serialized, metadata sent) and completed, freed or reused
         // on another (FinalizeResult, then OnDone) after libgrpc's queue:
         // a report with either access inside them is that hand-off.
         "race:grpc::internal::CallOpSet*::FillOps\n"
         "race:grpc::internal::CallOpSet*::ContinueFillOpsAfterInterception\n"
         "race:grpc::internal::CallOpSet*::FinalizeResult\n"
         // A client's callback call: set up on the caller's thread, its
         // completion (and the callback) run on one of gRPC's.
         "race:grpc::internal::CallbackUnaryCallImpl\n"
         // The same hand-off for a server call: its answer's ops and tag
         // set (Finish, Set) on the thread that answers, its reference
         // count dropped and the call freed on another.
         "race:grpc::internal::CallbackUnaryHandler*::Finish\n"
         "race:grpc::internal::CallbackWithSuccessTag::Set\n"
         "race:grpc::internal::ServerCallbackCall::Unref\n"
         "race:grpc::internal::CallbackWithSuccessTag::Clear\n"
         // A reactor bound to its call after our handler returned it.
         "race:grpc::Server*Reactor*::InternalBind\n"
         // gRPC's timers, through Abseil header code our binary instantiates.
         "race:grpc_event_engine::\n";
}
#endif

#endif  // FTCAPTURE_CMAKE_TSAN_PRELUDE_H_
