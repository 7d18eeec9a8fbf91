# ftcapture: the server and the CLI on Debian bookworm, built from Debian's
# own packages.
#   docker build -t ftcapture .            (podman: add --format docker so
#                                           the HEALTHCHECK is kept)
#   docker run -p 50051:50051 -v ftcapture-data:/data ftcapture
#   docker run --rm ftcapture ftcapture help
# See README.md, "Running it in a container".
# Off loopback the server wants tokens (-e FTCAPTURE_AUTH_TOKENS=FILE with the
# file mounted) or --insecure when a proxy in front authenticates; see
# README "Running it safely".
FROM debian:bookworm AS build
# Build dependencies of the shipped binaries only: no GoogleTest, no Google
# Benchmark (-DBUILD_TESTING=OFF -DFTCAPTURE_BUILD_BENCHMARKS=OFF below).
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
      --no-install-recommends cmake ninja-build g++ pkg-config \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler \
      libabsl-dev libre2-dev prometheus-cpp-dev nlohmann-json3-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what the compile reads, so editing docs, tests, bench/ or docker/
# keeps the compile layer below cached.
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY proto/ proto/
COPY src/ src/
COPY server/ server/
COPY client/ client/
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DBUILD_TESTING=OFF -DFTCAPTURE_BUILD_BENCHMARKS=OFF \
      -DFTCAPTURE_BUILD_PYTHON=OFF \
    && cmake --build /build --target ftcapture-server ftcapture \
    && strip /build/ftcapture-server /build/ftcapture

FROM debian:bookworm-slim
# Runtime libraries only: the shared objects the two binaries link against.
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
      --no-install-recommends libgrpc++1.51 libgrpc29 libprotobuf32 \
      libabsl20220623 libre2-9 libprometheus-cpp-core1.0 \
      libprometheus-cpp-pull1.0 \
    && rm -rf /var/lib/apt/lists/*
# A pinned uid/gid, so a host directory for /data can be prepared for it
# (chown 10001:10001) and the entrypoint's drop is the same everywhere.
RUN groupadd --system --gid 10001 ftcapture \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data \
         --no-create-home --shell /usr/sbin/nologin ftcapture \
    && mkdir -p /data && chown ftcapture:ftcapture /data && chmod 700 /data
COPY --from=build /build/ftcapture-server /build/ftcapture /usr/local/bin/
COPY docker/entrypoint.sh /usr/local/bin/ftcapture-entrypoint
# The CLI in the container talks to the server in the container.
ENV FTCAPTURE_SERVER=127.0.0.1:50051
VOLUME /data
EXPOSE 50051 9464
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["ftcapture", "health", "--timeout=3"]
ENTRYPOINT ["ftcapture-entrypoint"]
CMD ["ftcapture-server"]
