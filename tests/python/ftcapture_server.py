"""Runs the real ftcapture-server binary for the Python client's tests."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time


def free_port() -> int:
  with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    return probe.getsockname()[1]


class Server:
  """ftcapture-server on a fixed loopback port and a temporary data dir, so
  it can be killed and started again where the client expects it."""

  def __init__(self, *extra_flags):
    self.binary = os.environ["FTCAPTURE_SERVER_BIN"]
    self.port = free_port()
    self.address = f"127.0.0.1:{self.port}"
    self.data_dir = tempfile.mkdtemp(prefix="ftcapture-py-")
    self.extra_flags = list(extra_flags)
    self.process = None

  def start(self) -> "Server":
    deadline = time.monotonic() + 30
    while True:
      self.process = subprocess.Popen(
          [self.binary, f"--listen={self.address}",
           f"--data_dir={self.data_dir}"] + self.extra_flags,
          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
      line = self.process.stdout.readline()
      if "listening on" in line:
        return self
      # The port may still be held by the server just killed: try again.
      self.process.wait()
      if time.monotonic() > deadline:
        raise RuntimeError(f"ftcapture-server did not start: {line!r}")
      time.sleep(0.1)

  def kill(self) -> None:
    """SIGKILL: no clean shutdown, as in a crash."""
    self.process.send_signal(signal.SIGKILL)
    self.process.wait()
    self.process.stdout.close()

  def stop(self) -> None:
    if self.process is not None and self.process.poll() is None:
      self.process.send_signal(signal.SIGTERM)
      try:
        self.process.wait(timeout=30)
      except subprocess.TimeoutExpired:
        self.process.kill()
        self.process.wait()
      self.process.stdout.close()

  def close(self) -> None:
    self.stop()
    shutil.rmtree(self.data_dir, ignore_errors=True)
