"""ftcapture.Client: the synchronous client a chat backend calls per turn."""

import atexit
import threading
import time
import typing
import weakref

import grpc

from ftcapture.v1 import capture_pb2
from ftcapture.v1 import capture_pb2_grpc
from ftcapture import _base
from ftcapture import _core
from ftcapture import _requests
from ftcapture import _types
from ftcapture import errors

DEFAULT_STREAMS = 4
# How long a stream may take to answer one batch before it is retried.
STREAM_DEADLINE = 60.0


class Client(_base.ClientBase):
  """Sends every conversation turn to ftcapture.

  By default calls never wait for the network: ``user``, ``assistant`` and
  ``feedback`` put the turn into a bounded in-process queue and return at
  once; background threads send it over ``StreamTurns``, in order per
  session, reconnecting with backoff while the server is away. When the
  queue is full the oldest turns of the least recently active sessions are
  dropped and counted (``client_stats().dropped``); the caller never blocks
  and no error is raised into the chat (failures are logged through the
  ``ftcapture`` logger). Pending turns are flushed for up to
  ``flush_at_exit`` seconds when the interpreter exits.

  With ``blocking=True`` each call is a unary RPC that returns the server's
  answer (a TurnResult or FeedbackResult) and raises an
  ``ftcapture.errors.FtcaptureError`` subclass for a failed status.

  Args:
    server: host:port; default ``$FTCAPTURE_SERVER`` or 127.0.0.1:50051.
    token: sent as ``authorization: Bearer TOKEN``; default ``$FTCAPTURE_TOKEN``.
    tls_ca: CA certificate (PEM path or bytes) to use TLS; default
      ``$FTCAPTURE_TLS_CA``. ``tls_cert``/``tls_key`` add a client
      certificate (mTLS), ``tls_server_name`` overrides the name checked.
    blocking: one RPC per call, answers returned, errors raised.
    timeout: seconds for each blocking call.
    max_queue: most turns held (queued plus in flight) in queued mode.
    streams: sessions sent at the same time (one stream each).
    on_result: called on a sender thread with each TurnResult or
      FeedbackResult in queued mode (keep it quick).
    flush_at_exit: seconds to keep sending at interpreter exit.
  """

  def __init__(self, server: typing.Optional[str] = None, *,
               token: typing.Optional[str] = None, tls_ca=None, tls_cert=None,
               tls_key=None, tls_server_name: typing.Optional[str] = None,
               blocking: bool = False, timeout: float = _base.DEFAULT_TIMEOUT,
               max_queue: int = _base.DEFAULT_MAX_QUEUE,
               streams: int = DEFAULT_STREAMS,
               on_result: typing.Optional[typing.Callable] = None,
               flush_at_exit: float = 5.0):
    self._lock = threading.Lock()
    super().__init__(server, token, tls_ca, tls_cert, tls_key,
                     tls_server_name, blocking, timeout, max_queue, on_result,
                     self._lock)
    self._work = threading.Condition(self._lock)  # senders wait for turns
    self._idle = threading.Condition(self._lock)  # flush waits for none held
    if self._core is not None:
      self._core.idle_hook = self._idle.notify_all
      self._core.wake_hook = self._work.notify
    self._streams = max(1, int(streams))
    self._flush_at_exit = flush_at_exit
    self._channel = self._connection.channel()
    self._stub = capture_pb2_grpc.CaptureServiceStub(self._channel)
    self._senders: typing.List[threading.Thread] = []
    self._calls = set()  # active stream calls, cancelled by close()
    self._stopping = False
    self._closed = False
    self._flushed_at_close = True
    self._exit_hook = None

  # --- conversation turns ------------------------------------------------------

  def user(self, session_id: str, turn_id: str, text: str, *,
           metadata: typing.Optional[typing.Mapping[str, str]] = None
          ) -> typing.Optional[_types.TurnResult]:
    """Records what the user said. A praise ("Good one!") of the reply just
    given captures that exchange. Returns the TurnResult in blocking mode,
    None in queued mode."""
    return self._submit(self._user_item(session_id, turn_id, text, metadata))

  def assistant(self, session_id: str, turn_id: str, text: str, *,
                system_prompt: str = "",
                memories: typing.Optional[typing.Sequence] = None,
                reply_to: typing.Optional[str] = None,
                context: typing.Optional[typing.Sequence] = None,
                metadata: typing.Optional[typing.Mapping[str, str]] = None
               ) -> typing.Optional[_types.TurnResult]:
    """Records the model's reply with exactly the system prompt and the
    memories (str, ftcapture.Memory or dict) it was produced from.
    ``reply_to``: the user turn this reply answers (default the session's
    latest); two replies to one user turn are a regeneration, and praise of
    one after criticism of the other stores a preference pair.
    ``context``: the conversation the model saw before that user turn, oldest
    first, as {"role": "user"|"assistant", "content": str} dicts or (role,
    text) pairs, when the backend trims history itself; the example stores
    it instead of the server's own history."""
    return self._submit(
        self._assistant_item(session_id, turn_id, text, system_prompt,
                             memories, reply_to, context, metadata))

  def feedback(self, session_id: str, turn_id: typing.Optional[str] = None, *,
               positive: bool = True, note: typing.Optional[str] = None
              ) -> typing.Optional[_types.FeedbackResult]:
    """An explicit thumbs up (``positive=True``) or down for a reply, by
    default the session's latest; sent after the session's earlier turns."""
    return self._submit(
        self._feedback_item(session_id, turn_id, positive, note))

  # --- queue control -------------------------------------------------------------

  def flush(self, timeout: typing.Optional[float] = None) -> bool:
    """Waits until every queued turn is answered, at most ``timeout``
    seconds; True when nothing is left."""
    if self._core is None:
      return True
    deadline = None if timeout is None else time.monotonic() + timeout
    with self._lock:
      while self._core.queue.held:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
          return False
        self._idle.wait(remaining)
      return True

  def close(self, timeout: typing.Optional[float] = 5.0) -> bool:
    """Flushes for up to ``timeout`` seconds, then stops: turns still queued
    are dropped and counted. True when everything was sent."""
    if self._closed:
      return self._flushed_at_close
    flushed = self._flushed_at_close = self.flush(timeout)
    with self._lock:
      self._closed = True
      self._stopping = True
      if self._core is not None:
        self._core.closed = True
      calls = list(self._calls)
      self._work.notify_all()
    for call in calls:
      call.cancel()
    for sender in self._senders:
      sender.join(timeout=5.0)
    if self._core is not None:
      self._core.abandon_pending()
    self._channel.close()
    if self._exit_hook is not None:
      atexit.unregister(self._exit_hook)
    return flushed

  def __enter__(self):
    return self

  def __exit__(self, *exc_info):
    self.close()

  # --- reading the dataset (always blocking) ------------------------------------

  def stats(self) -> _types.Stats:
    """The server's counters and the latest examples."""
    response = self._unary(self._stub.GetStats, capture_pb2.GetStatsRequest())
    return _types.Stats.from_proto(response)

  def list(self, *, status: typing.Optional[str] = None,
           label: typing.Optional[str] = None,
           limit: typing.Optional[int] = None, page_size: int = 100
          ) -> typing.List[_types.Example]:
    """Stored examples, oldest first, following the pages up to ``limit``.
    ``status``: "pending", "approved" or "rejected"; ``label``: "positive" or
    "negative"; None means all."""
    pager = _requests.Pager(status, label, limit, page_size)
    while (request := pager.next_request()) is not None:
      pager.add(self._unary(self._stub.ListExamples, request))
    return pager.examples

  def export(self, format: str = "full-jsonl", out: typing.Optional[str] = None,
             *, status: typing.Optional[str] = None,
             label: typing.Optional[str] = None, since=None, until=None,
             kind: typing.Optional[str] = None,
             min_confidence: typing.Optional[str] = None,
             history: typing.Optional[int] = None
            ) -> _types.ExportResult:
    """The examples as the CLI's `export` writes them, in one of
    ftcapture.FORMATS: "openai-chat", "trl-sft" and "sharegpt" (positive
    single examples), "trl-kto" (every single example, labelled),
    "trl-dpo" and "openai-dpo" (preference pairs) or "full-jsonl" (every
    example). The filters are the CLI's: ``status`` "pending", "approved" or
    "rejected"; ``label`` "positive" or "negative"; ``kind`` "single" or
    "pair"; ``min_confidence`` "low" (weak negatives too) or "high" (None:
    all but weak negatives still pending); ``since``/``until`` datetimes.
    ``history`` keeps the last N earlier turns (None: all; 0: the shape from
    before history). Returns an ExportResult: with ``out`` a path, the file
    is replaced only once complete and ``.count`` lines were written to
    ``.path``; without, the lines are in ``.records`` as dicts."""
    # pylint: disable=redefined-builtin
    _requests.check_format(format, history)
    request = _requests.export_request(status, label, since, until, kind,
                                       min_confidence)
    stream = self._stub.ExportExamples(request, timeout=None,
                                       metadata=self._connection.metadata())

    def records():
      try:
        for example in stream:
          record = _requests.export_record(format, example, history)
          if record is not None:
            yield record
      except grpc.RpcError as error:
        raise errors.from_rpc_error(error) from None

    if out is None:
      rows = list(records())
      return _types.ExportResult(len(rows), None, rows)
    return _types.ExportResult(_requests.write_jsonl(out, records()), out)

  # --- private -----------------------------------------------------------------

  def _unary(self, method, request, session_id=None):
    try:
      return method(request, timeout=self.timeout,
                    metadata=self._connection.metadata(session_id))
    except grpc.RpcError as error:
      raise errors.from_rpc_error(error) from None

  def _submit(self, item):
    if self._core is None:
      return self._call_blocking(item)
    if not self._senders:
      self._start_senders()
    self._core.put(item)
    return None

  def _call_blocking(self, item):
    request, method = _base.item_request(item)
    response = self._unary(getattr(self._stub, method), request,
                           item.session_id)
    return _base.blocking_result(item, response)

  def _start_senders(self):
    with self._lock:
      if self._senders or self._stopping:
        return
      for index in range(self._streams):
        sender = threading.Thread(target=self._run_sender, daemon=True,
                                  name=f"ftcapture-sender-{index}")
        self._senders.append(sender)
        sender.start()
    # A weak reference, so the hook does not keep a dropped client alive.
    client = weakref.ref(self)

    def at_exit():
      live = client()
      if live is not None:
        live.close(live._flush_at_exit)  # pylint: disable=protected-access

    self._exit_hook = at_exit
    atexit.register(at_exit)

  def _run_sender(self):
    while True:
      with self._lock:
        while True:
          if self._stopping:
            return
          now = time.monotonic()
          if self._core.may_send(now):
            session_id = self._core.queue.claim()
            break
          wait = None
          if self._core.queue.has_ready():
            wait = max(self._core.retry_at - now, 0.001)
          self._work.wait(wait)
      try:
        self._send_session(session_id)
      finally:
        with self._lock:
          self._core.queue.release(session_id)
          if self._core.queue.has_ready():
            self._work.notify()

  def _send_session(self, session_id: str) -> None:
    """Sends the session's items until it is drained, a call fails, or its
    batch is used up."""
    if not self._core.connected and not self._wait_until_ready():
      self._core.not_ready(session_id)
      return
    while not self._stopping:
      with self._lock:
        item = self._core.queue.peek(session_id)
      if item is None:
        return
      if self._core.refuse_unbuildable(session_id):
        continue
      if item.kind == "feedback":
        sent = self._send_feedback(session_id)
      else:
        sent = self._stream_turns(session_id)
      if not sent:
        return

  def _wait_until_ready(self) -> bool:
    """Until the channel is connected (asking it to connect), at most
    READY_WAIT seconds."""
    ready = grpc.channel_ready_future(self._channel)
    try:
      ready.result(timeout=_core.READY_WAIT)
      return True
    except grpc.FutureTimeoutError:
      return False
    finally:
      ready.cancel()

  def _stream_turns(self, session_id: str) -> bool:
    batch = _core.StreamBatch(self._core, session_id)

    def requests():
      while True:
        request = batch.next_request()
        if request is None:
          return
        yield request

    call = self._stub.StreamTurns(
        requests(), timeout=STREAM_DEADLINE,
        metadata=self._connection.metadata(session_id))
    with self._lock:
      self._calls.add(call)
    try:
      for response in call:
        batch.answered(response)
    except Exception as error:  # pylint: disable=broad-except
      return batch.broken(error)
    finally:
      with self._lock:
        self._calls.discard(call)
    return batch.ended()

  def _send_feedback(self, session_id: str) -> bool:
    item = self._core.take_feedback(session_id)
    try:
      response = self._stub.RecordFeedback(
          item.payload, timeout=self.timeout,
          metadata=self._connection.metadata(session_id))
    except grpc.RpcError as error:
      return self._core.feedback_failed(item, error)
    self._core.feedback_answered(item, response)
    return True
