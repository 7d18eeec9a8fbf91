# -DFTCAPTURE_CHECK_HEADERS=ON: every header of ours compiles on its own.
# One generated .cc per header includes only that header; the object
# library compiles them and is never linked. A header that leans on an
# include its users happen to make first fails here.
option(FTCAPTURE_CHECK_HEADERS "Compile every header on its own" OFF)
if(FTCAPTURE_CHECK_HEADERS)
  set(header_globs src/*.h server/*.h client/*.h)
  set(header_check_deps ftcapture_server ftcapture_client)
  if(BUILD_TESTING)
    list(APPEND header_globs tests/util/*.h)
    list(APPEND header_check_deps ftcapture_test_util)
  endif()
  if(FTCAPTURE_BUILD_BENCHMARKS)
    list(APPEND header_globs bench/*.h)
    list(APPEND header_check_deps ftcapture_turn_mix)
  endif()
  file(GLOB_RECURSE checked_headers CONFIGURE_DEPENDS
       RELATIVE ${CMAKE_SOURCE_DIR} ${header_globs})
  set(header_check_sources)
  foreach(header ${checked_headers})
    string(MAKE_C_IDENTIFIER ${header} id)
    set(source ${CMAKE_BINARY_DIR}/header_check/${id}.cc)
    file(CONFIGURE OUTPUT ${source}
         CONTENT "#include \"${header}\"  // and nothing before it\n")
    list(APPEND header_check_sources ${source})
  endforeach()
  add_library(ftcapture_header_check OBJECT ${header_check_sources})
  target_link_libraries(ftcapture_header_check PRIVATE ${header_check_deps})
endif()
