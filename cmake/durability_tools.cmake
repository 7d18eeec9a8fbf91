# Tools of the durability work (issue 4), kept in a snippet so the top-level
# CMakeLists stays shared:
#  - ftcapture-crash-driver: the separate client process tests/crash_test.cc
#    drives the real server with (tests/tools/crash_driver.cc).
#  - ftcapture-store-bench: append latency/throughput of ExampleStore per sync
#    policy, with and without group commit (bench/store_bench.cc).
if(BUILD_TESTING)
  add_executable(ftcapture-crash-driver tests/tools/crash_driver.cc)
  target_link_libraries(ftcapture-crash-driver PRIVATE ftcapture_grpc
    gRPC::grpc++ absl::flags absl::flags_parse absl::strings absl::str_format
    absl::time)
endif()

if(FTCAPTURE_BUILD_BENCHMARKS)
  add_executable(ftcapture-store-bench bench/store_bench.cc)
  target_link_libraries(ftcapture-store-bench PRIVATE ftcapture_storage
    absl::flags absl::flags_parse)
endif()

# The tests are defined after this snippet runs; once they are, give
# crash_test the driver's path and build the driver before it.
function(ftcapture_wire_crash_driver)
  if(TARGET crash_test)
    add_dependencies(crash_test ftcapture-crash-driver)
    target_compile_definitions(crash_test PRIVATE
      FTCAPTURE_CRASH_DRIVER_BIN="$<TARGET_FILE:ftcapture-crash-driver>")
  endif()
endfunction()
cmake_language(DEFER CALL ftcapture_wire_crash_driver)
