"""What the client puts on the wire: the token, x-session-id, TLS, the
environment. A small Python server of the same API records each call."""

import asyncio
import concurrent.futures
import os
import shutil
import subprocess
import tempfile
import threading
import unittest
from unittest import mock

import grpc

import ftcapture
from ftcapture import errors
from ftcapture.v1 import capture_pb2
from ftcapture.v1 import capture_pb2_grpc


class RecordingService(capture_pb2_grpc.CaptureServiceServicer):
  """Answers every call with an empty response and records its metadata."""

  def __init__(self):
    self.lock = threading.Lock()
    self.calls = []  # (method, metadata dict, session ids in the call)

  def _record(self, method, context, sessions):
    with self.lock:
      self.calls.append((method, dict(context.invocation_metadata()),
                         sessions))

  def StreamTurns(self, request_iterator, context):
    sessions = []
    for request in request_iterator:
      sessions.append(request.turn.session_id)
      yield capture_pb2.RecordTurnResponse()
    self._record("StreamTurns", context, sessions)

  def RecordTurn(self, request, context):
    self._record("RecordTurn", context, [request.turn.session_id])
    return capture_pb2.RecordTurnResponse()

  def RecordFeedback(self, request, context):
    self._record("RecordFeedback", context, [request.session_id])
    return capture_pb2.RecordFeedbackResponse()

  def GetStats(self, request, context):
    self._record("GetStats", context, [])
    return capture_pb2.GetStatsResponse(examples_total=7)


def make_certificate(directory):
  """A self-signed certificate for localhost, made with openssl."""
  key, cert = (os.path.join(directory, n) for n in ("key.pem", "cert.pem"))
  subprocess.run([
      "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
      key, "-out", cert, "-days", "1", "-subj", "/CN=localhost", "-addext",
      "subjectAltName=DNS:localhost"
  ], check=True, capture_output=True)
  with open(key, "rb") as k, open(cert, "rb") as c:
    return k.read(), c.read(), cert


class MetadataTest(unittest.TestCase):

  def start_server(self, credentials=None):
    self.service = RecordingService()
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(8))
    capture_pb2_grpc.add_CaptureServiceServicer_to_server(self.service, server)
    if credentials is None:
      port = server.add_insecure_port("127.0.0.1:0")
    else:
      port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    self.addCleanup(server.stop, None)
    return port

  def assert_every_call_carries(self, token):
    self.assertTrue(self.service.calls)
    for method, metadata, sessions in self.service.calls:
      self.assertEqual(metadata.get("authorization"), "Bearer " + token,
                       method)
      if sessions:
        # One session per call, named in x-session-id for nginx's hash.
        self.assertEqual(set(sessions), {metadata.get("x-session-id")},
                         method)

  def test_queued_and_blocking_calls_carry_token_and_session(self):
    port = self.start_server()
    queued = ftcapture.Client(f"127.0.0.1:{port}", token="s3cret")
    for n in range(20):
      queued.user(f"s{n % 4}", f"u{n}", "hello")
    queued.feedback("s1", positive=True)
    self.assertTrue(queued.flush(30))
    queued.close()
    blocking = ftcapture.Client(f"127.0.0.1:{port}", token="s3cret",
                                blocking=True)
    blocking.user("s9", "u1", "hello")
    blocking.feedback("s9", "a1", positive=False)
    self.assertEqual(blocking.stats().examples_total, 7)
    blocking.close()
    methods = {method for method, _, _ in self.service.calls}
    self.assertEqual(methods, {"StreamTurns", "RecordFeedback", "RecordTurn",
                               "GetStats"})
    self.assert_every_call_carries("s3cret")

  def test_async_client_carries_token_and_session(self):
    port = self.start_server()

    async def chat():
      async with ftcapture.AsyncClient(f"127.0.0.1:{port}",
                                       token="t0k") as capture:
        for n in range(10):
          await capture.user(f"s{n % 3}", f"u{n}", "hello")
        await capture.feedback("s2")
        self.assertTrue(await capture.flush(30))
        await capture.stats()

    asyncio.run(chat())
    self.assert_every_call_carries("t0k")

  def test_server_and_token_come_from_the_environment(self):
    port = self.start_server()
    env = {"FTCAPTURE_SERVER": f"127.0.0.1:{port}", "FTCAPTURE_TOKEN": "env"}
    with mock.patch.dict(os.environ, env):
      capture = ftcapture.Client(blocking=True)
    self.assertEqual(capture.server, f"127.0.0.1:{port}")
    capture.user("s", "u1", "hello")
    capture.close()
    self.assert_every_call_carries("env")

  def test_tls_with_a_ca(self):
    directory = tempfile.mkdtemp()
    self.addCleanup(shutil.rmtree, directory)
    key, cert, cert_path = make_certificate(directory)
    port = self.start_server(grpc.ssl_server_credentials([(key, cert)]))
    capture = ftcapture.Client(f"localhost:{port}", tls_ca=cert_path,
                               token="tls", blocking=True)
    self.addCleanup(capture.close)
    self.assertEqual(capture.stats().examples_total, 7)
    capture.user("s", "u1", "over TLS")
    self.assert_every_call_carries("tls")
    plaintext = ftcapture.Client(f"localhost:{port}", blocking=True,
                                 timeout=5)
    self.addCleanup(plaintext.close)
    with self.assertRaises(errors.Unavailable):
      plaintext.stats()


if __name__ == "__main__":
  unittest.main()
