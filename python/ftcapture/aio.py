"""ftcapture.AsyncClient: the same client for asyncio web frameworks."""

import asyncio
import collections
import contextlib
import time
import typing

import grpc

from ftcapture.v1 import capture_pb2
from ftcapture.v1 import capture_pb2_grpc
from ftcapture import _base
from ftcapture import _core
from ftcapture import _requests
from ftcapture import _types
from ftcapture import errors

DEFAULT_STREAMS = 4
STREAM_DEADLINE = 60.0


class AsyncClient(_base.ClientBase):
  """Client's methods as coroutines on ``grpc.aio``.

  In queued mode (the default) ``await capture.user(...)`` only queues the
  turn and returns at once; sender tasks on the running event loop send it
  over StreamTurns, in order per session, with the same bounded queue,
  dropping and backoff as ``Client``. Call ``await capture.close()`` when
  the app shuts down (an event loop cannot be run at interpreter exit).
  Arguments as for ``Client``.
  """

  def __init__(self, server: typing.Optional[str] = None, *,
               token: typing.Optional[str] = None, tls_ca=None, tls_cert=None,
               tls_key=None, tls_server_name: typing.Optional[str] = None,
               blocking: bool = False, timeout: float = _base.DEFAULT_TIMEOUT,
               max_queue: int = _base.DEFAULT_MAX_QUEUE,
               streams: int = DEFAULT_STREAMS,
               on_result: typing.Optional[typing.Callable] = None):
    # Only the event loop's thread touches the state: no lock is needed.
    super().__init__(server, token, tls_ca, tls_cert, tls_key,
                     tls_server_name, blocking, timeout, max_queue, on_result,
                     contextlib.nullcontext())
    self._streams = max(1, int(streams))
    self._channel = None
    self._stub = None
    self._senders: typing.List[asyncio.Task] = []
    self._wake = None
    self._idle = None
    self._stopping = False
    self._closed = False
    self._flushed_at_close = True

  async def user(self, session_id: str, turn_id: str, text: str, *,
                 metadata: typing.Optional[typing.Mapping[str, str]] = None
                ) -> typing.Optional[_types.TurnResult]:
    """As Client.user."""
    return await self._submit(
        self._user_item(session_id, turn_id, text, metadata))

  async def assistant(self, session_id: str, turn_id: str, text: str, *,
                      system_prompt: str = "",
                      memories: typing.Optional[typing.Sequence] = None,
                      reply_to: typing.Optional[str] = None,
                      context: typing.Optional[typing.Sequence] = None,
                      metadata: typing.Optional[typing.Mapping[str, str]] = None
                     ) -> typing.Optional[_types.TurnResult]:
    """As Client.assistant."""
    return await self._submit(
        self._assistant_item(session_id, turn_id, text, system_prompt,
                             memories, reply_to, context, metadata))

  async def feedback(self, session_id: str,
                     turn_id: typing.Optional[str] = None, *,
                     positive: bool = True, note: typing.Optional[str] = None
                    ) -> typing.Optional[_types.FeedbackResult]:
    """As Client.feedback."""
    return await self._submit(
        self._feedback_item(session_id, turn_id, positive, note))

  async def flush(self, timeout: typing.Optional[float] = None) -> bool:
    """As Client.flush."""
    if self._core is None:
      return True
    self._start()
    deadline = None if timeout is None else time.monotonic() + timeout
    while self._core.queue.held:
      remaining = None if deadline is None else deadline - time.monotonic()
      if remaining is not None and remaining <= 0:
        return False
      self._idle.clear()
      try:
        await asyncio.wait_for(self._idle.wait(), remaining)
      except asyncio.TimeoutError:
        pass
    return True

  async def close(self, timeout: typing.Optional[float] = 5.0) -> bool:
    """As Client.close."""
    if self._closed:
      return self._flushed_at_close
    flushed = self._flushed_at_close = await self.flush(timeout)
    self._closed = self._stopping = True
    if self._core is not None:
      self._core.closed = True
    for sender in self._senders:
      sender.cancel()
    await asyncio.gather(*self._senders, return_exceptions=True)
    if self._core is not None:
      self._core.abandon_pending()
    if self._channel is not None:
      await self._channel.close()
    return flushed

  async def __aenter__(self):
    return self

  async def __aexit__(self, *exc_info):
    await self.close()

  async def stats(self) -> _types.Stats:
    """As Client.stats."""
    response = await self._unary("GetStats", capture_pb2.GetStatsRequest())
    return _types.Stats.from_proto(response)

  async def list(self, *, status: typing.Optional[str] = None,
                 label: typing.Optional[str] = None,
                 limit: typing.Optional[int] = None, page_size: int = 100
                ) -> typing.List[_types.Example]:
    """As Client.list."""
    pager = _requests.Pager(status, label, limit, page_size)
    while (request := pager.next_request()) is not None:
      pager.add(await self._unary("ListExamples", request))
    return pager.examples

  async def export(self, format: str = "full-jsonl",
                   out: typing.Optional[str] = None, *,
                   status: typing.Optional[str] = None,
                   label: typing.Optional[str] = None, since=None, until=None,
                   kind: typing.Optional[str] = None,
                   min_confidence: typing.Optional[str] = None,
                   history: typing.Optional[int] = None
                  ) -> _types.ExportResult:
    """As Client.export (the file is written once every example arrived)."""
    # pylint: disable=redefined-builtin
    _requests.check_format(format, history)
    self._start()
    request = _requests.export_request(status, label, since, until, kind,
                                       min_confidence)
    rows = []
    try:
      async for example in self._stub.ExportExamples(
          request, metadata=self._connection.metadata()):
        record = _requests.export_record(format, example, history)
        if record is not None:
          rows.append(record)
    except grpc.RpcError as error:
      raise errors.from_rpc_error(error) from None
    if out is None:
      return _types.ExportResult(len(rows), None, rows)
    return _types.ExportResult(_requests.write_jsonl(out, rows), out)

  # --- private -----------------------------------------------------------------

  def _start(self) -> None:
    """Creates the channel, and the senders in queued mode, on the running
    loop the first time they are needed."""
    if self._channel is None:
      self._channel = self._connection.aio_channel()
      self._stub = capture_pb2_grpc.CaptureServiceStub(self._channel)
    if self._core is None or self._senders or self._stopping:
      return
    self._wake = asyncio.Event()
    self._idle = asyncio.Event()
    self._core.wake_hook = self._wake.set
    self._core.idle_hook = self._idle.set
    self._senders = [
        asyncio.get_running_loop().create_task(self._run_sender())
        for _ in range(self._streams)
    ]

  async def _unary(self, method: str, request, session_id=None):
    self._start()
    try:
      return await getattr(self._stub, method)(
          request, timeout=self.timeout,
          metadata=self._connection.metadata(session_id))
    except grpc.RpcError as error:
      raise errors.from_rpc_error(error) from None

  async def _submit(self, item):
    if self._core is None:
      request, method = _base.item_request(item)
      response = await self._unary(method, request, item.session_id)
      return _base.blocking_result(item, response)
    self._start()
    self._core.put(item)
    return None

  async def _run_sender(self):
    while not self._stopping:
      now = time.monotonic()
      if self._core.may_send(now):
        session_id = self._core.queue.claim()
        try:
          await self._send_session(session_id)
        finally:
          self._core.queue.release(session_id)
          if self._core.queue.has_ready():
            self._wake.set()
        continue
      wait = None
      if self._core.queue.has_ready():
        wait = max(self._core.retry_at - now, 0.001)
      self._wake.clear()
      try:
        await asyncio.wait_for(self._wake.wait(), wait)
      except asyncio.TimeoutError:
        pass

  async def _send_session(self, session_id: str) -> None:
    if not self._core.connected and not await self._wait_until_ready():
      self._core.not_ready(session_id)
      return
    while not self._stopping:
      item = self._core.queue.peek(session_id)
      if item is None:
        return
      if self._core.refuse_unbuildable(session_id):
        continue
      if item.kind == "feedback":
        sent = await self._send_feedback(session_id)
      else:
        sent = await self._stream_turns(session_id)
      if not sent:
        return

  async def _wait_until_ready(self) -> bool:
    """As Client._wait_until_ready."""
    try:
      await asyncio.wait_for(self._channel.channel_ready(), _core.READY_WAIT)
      return True
    except asyncio.TimeoutError:
      return False

  async def _stream_turns(self, session_id: str) -> bool:
    batch = _core.StreamBatch(self._core, session_id)

    async def requests():
      while True:
        request = batch.next_request()
        if request is None:
          return
        yield request

    call = self._stub.StreamTurns(
        requests(), timeout=STREAM_DEADLINE,
        metadata=self._connection.metadata(session_id))
    try:
      async for response in call:
        batch.answered(response)
    except Exception as error:  # pylint: disable=broad-except
      return batch.broken(error)
    except asyncio.CancelledError:
      batch.broken(RuntimeError("closed"))
      raise
    return batch.ended()

  async def _send_feedback(self, session_id: str) -> bool:
    item = self._core.take_feedback(session_id)
    try:
      response = await self._stub.RecordFeedback(
          item.payload, timeout=self.timeout,
          metadata=self._connection.metadata(session_id))
    except grpc.RpcError as error:
      return self._core.feedback_failed(item, error)
    except asyncio.CancelledError:
      self._core.failed(session_id, collections.deque([item]),
                        RuntimeError("closed"))
      raise
    self._core.feedback_answered(item, response)
    return True
