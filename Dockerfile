# ftcapture: build and run on Debian bookworm with Debian's own packages.
#   docker build -t ftcapture .
#   docker run -p 50051:50051 -v ftcapture-data:/data \
#     -v $PWD/tokens:/etc/ftcapture/tokens:ro \
#     -e FTCAPTURE_AUTH_TOKENS=/etc/ftcapture/tokens ftcapture
# (see README "Running it safely"; without tokens it refuses to serve
# 0.0.0.0 unless given --insecure)
FROM debian:bookworm AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
      --no-install-recommends cmake ninja-build g++ pkg-config \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler \
      libabsl-dev libre2-dev libgtest-dev libgmock-dev libbenchmark-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DBUILD_TESTING=OFF \
    && cmake --build /build --target ftcapture-server ftcapture

FROM debian:bookworm-slim
# Runtime libraries only: the shared objects the two binaries link against.
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
      --no-install-recommends libgrpc++1.51 libgrpc29 libprotobuf32 \
      libabsl20220623 libre2-9 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/ftcapture-server /build/ftcapture /usr/local/bin/
COPY docker/entrypoint.sh /usr/local/bin/ftcapture-entrypoint
RUN useradd --system --home /data ftcapture && mkdir -p /data \
    && chown ftcapture /data && chmod 700 /data
USER ftcapture
VOLUME /data
EXPOSE 50051
ENTRYPOINT ["ftcapture-entrypoint"]
