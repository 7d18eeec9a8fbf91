"""Installs the ftcapture Python client: `pip install ./python`.

The modules generated from ../proto (ftcapture/v1/*_pb2.py and
*_pb2_grpc.py) are never committed: building the package runs protoc with
grpc_python_plugin (Debian: protobuf-compiler, protobuf-compiler-grpc) into
the build directory. Runtime needs only grpcio and protobuf (Debian:
python3-grpcio, python3-protobuf).
"""

import glob
import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_ROOT = os.environ.get("FTCAPTURE_PROTO_DIR",
                            os.path.join(HERE, os.pardir, "proto"))


def _tool(name: str, env: str) -> str:
  path = os.environ.get(env) or shutil.which(name)
  if not path:
    raise SystemExit(
        f"ftcapture: {name} not found; install protobuf-compiler and "
        f"protobuf-compiler-grpc (or set {env})")
  return path


class BuildWithProtos(build_py):
  """build_py, then the generated modules into the build's ftcapture/v1."""

  def run(self):
    super().run()
    protos = sorted(glob.glob(os.path.join(PROTO_ROOT, "ftcapture", "v1",
                                           "*.proto")))
    if not protos:
      raise SystemExit(f"ftcapture: no .proto files under {PROTO_ROOT} "
                       "(build from the repository, or set "
                       "FTCAPTURE_PROTO_DIR)")
    out = self.build_lib
    os.makedirs(os.path.join(out, "ftcapture", "v1"), exist_ok=True)
    subprocess.check_call([
        _tool("protoc", "PROTOC"), f"--proto_path={PROTO_ROOT}",
        f"--python_out={out}", f"--grpc_python_out={out}",
        "--plugin=protoc-gen-grpc_python=" +
        _tool("grpc_python_plugin", "GRPC_PYTHON_PLUGIN")
    ] + protos)


setup(
    name="ftcapture",
    version="0.1.0",
    description="Client for ftcapture: capture praised chatbot exchanges",
    packages=["ftcapture", "ftcapture.v1"],
    python_requires=">=3.9",
    install_requires=["grpcio>=1.51", "protobuf>=3.21"],
    cmdclass={"build_py": BuildWithProtos},
)
