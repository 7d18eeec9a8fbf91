"""Argument handling both clients share, so Client and AsyncClient differ
only in how they wait."""

import time
import typing

from ftcapture.v1 import capture_pb2
from ftcapture import _channel
from ftcapture import _core
from ftcapture import _queue
from ftcapture import _requests
from ftcapture import _types

DEFAULT_MAX_QUEUE = 10000
DEFAULT_TIMEOUT = 10.0


class ClientBase:
  """Connection settings, mode and the queue core (queued mode only)."""

  def __init__(self, server, token, tls_ca, tls_cert, tls_key,
               tls_server_name, blocking, timeout, max_queue, on_result, lock):
    self._connection = _channel.Connection.resolve(
        server, token, tls_ca, tls_cert, tls_key, tls_server_name)
    self.blocking = bool(blocking)
    self.timeout = timeout
    self._core = None
    if not self.blocking:
      self._core = _core.QueueCore(lock, max_queue, on_result,
                                   self._connection.target)

  @property
  def server(self) -> str:
    """The host:port this client talks to."""
    return self._connection.target

  @staticmethod
  def _user_item(session_id, turn_id, text, metadata) -> _queue.Item:
    _requests.check_ids(session_id, turn_id)
    payload = _requests.turn_payload(capture_pb2.ROLE_USER, turn_id,
                                     text, metadata)
    return _queue.Item(session_id, turn_id, "turn", payload, payload[-1])

  @staticmethod
  def _assistant_item(session_id, turn_id, text, system_prompt, memories,
                      reply_to, context, metadata) -> _queue.Item:
    _requests.check_ids(session_id, turn_id)
    payload = _requests.turn_payload(capture_pb2.ROLE_ASSISTANT,
                                     turn_id, text, metadata,
                                     system_prompt or "", memories,
                                     reply_to or "", context)
    return _queue.Item(session_id, turn_id, "turn", payload, payload[-1])

  @staticmethod
  def _feedback_item(session_id, turn_id, positive, note) -> _queue.Item:
    _requests.check_ids(session_id, turn_id, turn_id_required=False)
    if note is not None:
      _requests.check_text("note", note)
    request = _requests.feedback_request(session_id, turn_id, positive, note)
    return _queue.Item(session_id, turn_id or "", "feedback", request,
                       time.time())

  def client_stats(self):
    """This client's counters: queued, in flight, sent, dropped, errors
    (queued mode; all zero in blocking mode)."""
    if self._core is None:
      return _types.ClientStats(0, 0, 0, 0, 0, 0, True)
    return self._core.snapshot()


def item_request(item: _queue.Item):
  """The request of an item for a blocking call, and the method's name."""
  if item.kind == "turn":
    return _requests.turn_request(item.session_id, item.payload), "RecordTurn"
  return item.payload, "RecordFeedback"


def blocking_result(item: _queue.Item, response):
  """The TurnResult or FeedbackResult a blocking call returns."""
  if item.kind == "turn":
    return _types.TurnResult.from_proto(item.session_id, item.turn_id,
                                        response)
  return _types.FeedbackResult(item.session_id, item.turn_id,
                               response.example_id,
                               response.not_captured_reason)
