# The modules generated from proto/ftcapture/v1/*.proto land here at build
# time (CMake in the build tree, setup.py when installing); never edit them.
