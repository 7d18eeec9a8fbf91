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
#endif

#endif  // FTCAPTURE_CMAKE_TSAN_PRELUDE_H_
