"""What the sync and asyncio clients share in queued mode: the queue, the
counters, backoff and logging. It never waits or does I/O; the clients do.

Every method takes the client's lock itself (a threading.Lock for Client, a
no-op for AsyncClient, whose state only its event loop touches).
"""

import collections
import logging
import random
import time
import typing

import grpc

from ftcapture import _queue
from ftcapture import _requests
from ftcapture import _types
from ftcapture import errors

log = logging.getLogger("ftcapture")

# Turns sent on one stream before the session goes to the back of the line,
# so one chatty session cannot hold a sender forever.
STREAM_BATCH = 256
# Backoff after a failed stream or feedback call, doubled up to the maximum.
INITIAL_BACKOFF = 0.05
MAX_BACKOFF = 1.0
# How long a sender waits for a connection before it counts a failure. New
# calls on a channel that failed fail at once with the cached error until
# gRPC's next connection attempt succeeds; waiting for the channel to be
# ready finds a restarted server as soon as it is back.
READY_WAIT = 1.0
# A failing server is logged once, then at most this often.
LOG_INTERVAL = 30.0
# Feedback failures worth a retry; any other status is final for the call.
RETRYABLE = frozenset((grpc.StatusCode.UNAVAILABLE,
                       grpc.StatusCode.DEADLINE_EXCEEDED,
                       grpc.StatusCode.CANCELLED,
                       grpc.StatusCode.ABORTED,
                       grpc.StatusCode.UNKNOWN))


class QueueCore:
  """Bookkeeping of queued mode (see TurnQueue for the queue's invariants)."""

  def __init__(self, lock, max_queue: int, on_result, target: str):
    self.lock = lock
    self.queue = _queue.TurnQueue(max_queue)
    self.on_result = on_result
    self.target = target
    self.sent = 0
    self.dropped = 0
    self.errors = 0
    self.stream_failures = 0
    self.connected = False
    self.retry_at = 0.0
    self._backoff = INITIAL_BACKOFF
    self._failing_since = None
    self._last_failure_log = float("-inf")
    self._last_drop_log = float("-inf")
    self._drops_unlogged = 0
    self.closed = False
    # Called with the lock held whenever nothing is held any more (flush).
    self.idle_hook = lambda: None
    # Called with the lock held after a put, to wake a sender.
    self.wake_hook = lambda: None

  # --- the caller's thread ----------------------------------------------------

  def put(self, item: _queue.Item) -> None:
    with self.lock:
      if self.closed:
        dropped = [item]
      else:
        dropped = self.queue.put(item)
      if dropped:
        self._count_dropped(dropped, "queue full" if not self.closed else
                            "client closed")
      self.wake_hook()

  # --- the sender ---------------------------------------------------------------

  def may_send(self, now: float) -> bool:
    return self.queue.has_ready() and now >= self.retry_at

  def next_turn(self, session_id: str, in_flight, budget: typing.List[int]):
    """The next turn request for the session's stream, or None to end it:
    the session is drained, its next item is a feedback (sent after the
    stream) or a turn that cannot be built (refused after it, so results
    stay in order), or the batch is used up. The item joins ``in_flight``."""
    with self.lock:
      if budget[0] <= 0:
        return None
      item = self.queue.peek(session_id)
      if item is None or item.kind != "turn" or _build(item) is None:
        return None
      budget[0] -= 1
      in_flight.append(self.queue.take(session_id))
      return item.request

  def refuse_unbuildable(self, session_id: str) -> bool:
    """Refuses the session's next turn if it cannot be built (a memory or
    metadata value that does not fit the proto), as the server refuses a
    bad turn: counted, logged, reported, never raised into the chat."""
    with self.lock:
      item = self.queue.peek(session_id)
      if item is None or item.kind != "turn" or _build(item) is not None:
        return False
      self.queue.take(session_id)
      self._done()
      self.errors += 1
    self._refused(_types.TurnResult(item.session_id, item.turn_id),
                  errors.InvalidArgument(item.problem))
    return True

  def turn_answered(self, in_flight, response) -> None:
    with self.lock:
      item = in_flight.popleft()
      self._done()
      self._succeeded()
      if response.error_code:
        self.errors += 1
      else:
        self.sent += 1
    result = _types.TurnResult.from_proto(item.session_id, item.turn_id,
                                          response)
    if response.error_code:
      self._refused(result, errors.error_for_number(response.error_code,
                                                    response.error_message))
    else:
      self._report(result)

  def _refused(self, result, error: Exception) -> None:
    result.error = error
    log.warning("ftcapture: turn %s of session %s refused: %s",
                result.turn_id, result.session_id, error)
    self._report(result)

  def not_ready(self, session_id: str) -> None:
    """No connection within READY_WAIT: back off, turns stay queued."""
    self.failed(session_id, collections.deque(), errors.Unavailable(
        f"no connection to {self.target} within {READY_WAIT:g} s"))

  def take_feedback(self, session_id: str) -> _queue.Item:
    with self.lock:
      return self.queue.take(session_id)

  def feedback_failed(self, item, error: grpc.RpcError) -> bool:
    """Retryable statuses put the feedback back (False: back off); any other
    is final for it (True: go on with the session)."""
    if error.code() in RETRYABLE:
      self.failed(item.session_id, collections.deque([item]), error)
      return False
    self.feedback_answered(item, error=errors.from_rpc_error(error))
    return True

  def feedback_answered(self, item, response=None, error=None) -> None:
    with self.lock:
      self._done()
      if error is None:
        self._succeeded()
        self.sent += 1
      else:
        self.errors += 1
    result = _types.FeedbackResult(item.session_id, item.turn_id)
    if error is None:
      result.example_id = response.example_id
      result.not_captured_reason = response.not_captured_reason
    else:
      result.error = error
      log.warning("ftcapture: feedback on session %s refused: %s",
                  item.session_id, error)
    self._report(result)

  def failed(self, session_id: str, in_flight, error: Exception) -> None:
    """The stream (or feedback call) broke: its unanswered items go back to
    the front of their session and the sender backs off. Calls that close()
    cancelled are not worth a warning."""
    now = time.monotonic()
    with self.lock:
      unanswered = list(in_flight)
      in_flight.clear()
      dropped = self.queue.requeue(session_id, unanswered)
      if dropped:
        self._count_dropped(dropped, "queue full")
      self.stream_failures += 1
      self.connected = False
      delay = self._backoff * (0.5 + random.random() / 2)
      self.retry_at = now + delay
      self._backoff = min(self._backoff * 2, MAX_BACKOFF)
      held = self.queue.held
      first = self._failing_since is None
      if first:
        self._failing_since = now
      should_log = not self.closed and (
          first or now - self._last_failure_log >= LOG_INTERVAL)
      if should_log:
        self._last_failure_log = now
    if should_log:
      log.warning(
          "ftcapture: sending to %s failed (%s); %d turns held, retrying "
          "with backoff", self.target, _describe(error), held)

  def abandon_pending(self) -> None:
    """At close: what is still queued is dropped (and counted)."""
    with self.lock:
      dropped = self.queue.drain()
      if dropped:
        self._count_dropped(dropped, "client closed before they were sent")
      if self.queue.held == 0:
        self.idle_hook()

  def snapshot(self) -> _types.ClientStats:
    with self.lock:
      return _types.ClientStats(self.queue.pending, self.queue.in_flight,
                                self.sent, self.dropped, self.errors,
                                self.stream_failures, self.connected)

  # --- private (lock held) --------------------------------------------------

  def _done(self) -> None:
    self.queue.done()
    if self.queue.held == 0:
      self.idle_hook()

  def _succeeded(self) -> None:
    self.connected = True
    self._backoff = INITIAL_BACKOFF
    if self._failing_since is not None:
      log.info("ftcapture: %s reachable again after %.1f s", self.target,
               time.monotonic() - self._failing_since)
      self._failing_since = None

  def _count_dropped(self, dropped, why: str) -> None:
    """Counts; logs the first drop, then at most every LOG_INTERVAL, and
    everything unreported once the client is closed."""
    self.dropped += len(dropped)
    now = time.monotonic()
    if self.closed:
      self._report_drops("queue full")
      log.warning("ftcapture: dropped %d turns (%s; %d dropped in all)",
                  len(dropped), why, self.dropped)
      return
    self._drops_unlogged += len(dropped)
    if now - self._last_drop_log >= LOG_INTERVAL:
      self._report_drops(why)
      self._last_drop_log = now

  def _report_drops(self, why: str) -> None:
    if self._drops_unlogged:
      log.warning("ftcapture: dropped %d turns (%s; %d dropped in all)",
                  self._drops_unlogged, why, self.dropped)
      self._drops_unlogged = 0

  def _report(self, result) -> None:
    if self.on_result is None:
      return
    try:
      self.on_result(result)
    except Exception:  # pylint: disable=broad-except
      log.exception("ftcapture: on_result callback failed")


class StreamBatch:
  """One StreamTurns call's share of a session: the turns it took, in order,
  until each is answered (a response per request, in order)."""

  def __init__(self, core: QueueCore, session_id: str):
    self.core = core
    self.session_id = session_id
    self.in_flight = collections.deque()
    self.budget = [STREAM_BATCH]

  def next_request(self):
    """For the request iterator: the next turn, or None to half-close."""
    return self.core.next_turn(self.session_id, self.in_flight, self.budget)

  def answered(self, response) -> None:
    self.core.turn_answered(self.in_flight, response)

  def broken(self, error: Exception) -> bool:
    """grpc.RpcError, or a bug of ours: either way the turns are kept and
    sent again. False: the sender moves on."""
    self.budget[0] = 0  # the request iterator takes nothing more
    self.core.failed(self.session_id, self.in_flight, error)
    return False

  def ended(self) -> bool:
    """The stream closed cleanly; True when the sender may go on with the
    session (False after a used-up batch: back of the line)."""
    if self.in_flight:  # closed without answering them all
      return self.broken(RuntimeError("stream ended early"))
    return self.budget[0] > 0


def _build(item) -> typing.Any:
  """The item's request, built once; None (and ``item.problem``) when it
  cannot be built."""
  if item.request is None and not item.problem:
    try:
      item.request = _requests.turn_request(item.session_id, item.payload)
    except Exception as error:  # pylint: disable=broad-except
      item.problem = f"cannot build the turn: {error!r}"
  return item.request


def _describe(error: Exception) -> str:
  if isinstance(error, grpc.RpcError) and hasattr(error, "code"):
    return f"{error.code().name}: {error.details()}"
  return str(error)
