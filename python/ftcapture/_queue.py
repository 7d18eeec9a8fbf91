"""The bounded, per-session ordered queue behind the queued clients.

Invariants (the caller serializes every call; nothing here blocks):
  * Turns of one session leave in the order they were put, and a session is
    handed to at most one sender at a time (``claim`` .. ``release``), so a
    session's turns are sent one stream after another, never in parallel.
  * ``held`` = pending + in flight never exceeds ``max_turns`` after any call:
    when it would, the oldest pending turn of the least recently active
    session is dropped (and returned, so the caller counts and logs it).
    Turns in flight are never dropped: the server may already have them.
"""

import collections
import dataclasses
import typing


@dataclasses.dataclass
class Item:
  """One queued call: a turn for StreamTurns, or a feedback for RecordFeedback."""
  session_id: str
  turn_id: str
  kind: str  # "turn" or "feedback"
  payload: typing.Any  # what _requests builds the request from
  enqueued_at: float
  request: typing.Any = None  # built by the sender, kept for a resend
  problem: str = ""  # why the request could not be built


class _Session:
  __slots__ = ("pending", "claimed")

  def __init__(self):
    self.pending = collections.deque()
    self.claimed = False


class TurnQueue:
  """Pending turns per session, ordered by each session's last activity."""

  def __init__(self, max_turns: int):
    if max_turns < 1:
      raise ValueError("max_queue must be at least 1")
    self.max_turns = max_turns
    # Least recently active first: put() moves a session to the end.
    self._sessions: "collections.OrderedDict[str, _Session]" = (
        collections.OrderedDict())
    # Sessions with pending turns and no sender, in the order they got ready.
    self._ready: "collections.OrderedDict[str, None]" = (
        collections.OrderedDict())
    self.pending = 0
    self.in_flight = 0

  @property
  def held(self) -> int:
    return self.pending + self.in_flight

  def put(self, item: Item) -> typing.List[Item]:
    """Queues ``item``; returns the turns dropped to stay within the bound."""
    session = self._sessions.get(item.session_id)
    if session is None:
      session = self._sessions[item.session_id] = _Session()
    else:
      self._sessions.move_to_end(item.session_id)
    session.pending.append(item)
    self.pending += 1
    self._mark_ready(item.session_id, session)
    return self._trim()

  def claim(self) -> typing.Optional[str]:
    """The next session with pending turns that no sender holds, or None."""
    if not self._ready:
      return None
    session_id, _ = self._ready.popitem(last=False)
    self._sessions[session_id].claimed = True
    return session_id

  def peek(self, session_id: str) -> typing.Optional[Item]:
    """The claimed session's next pending item without taking it."""
    pending = self._sessions[session_id].pending
    return pending[0] if pending else None

  def take(self, session_id: str) -> typing.Optional[Item]:
    """Moves the claimed session's next pending item into flight."""
    pending = self._sessions[session_id].pending
    if not pending:
      return None
    self.pending -= 1
    self.in_flight += 1
    return pending.popleft()

  def done(self, count: int = 1) -> None:
    """``count`` items in flight were answered (or given up)."""
    self.in_flight -= count

  def requeue(self, session_id: str,
              items: typing.Sequence[Item]) -> typing.List[Item]:
    """Puts unanswered items back at the front of their (claimed) session."""
    session = self._sessions[session_id]
    session.pending.extendleft(reversed(items))
    self.in_flight -= len(items)
    self.pending += len(items)
    return self._trim()

  def release(self, session_id: str) -> None:
    """The sender is done with the session for now."""
    session = self._sessions[session_id]
    session.claimed = False
    if session.pending:
      self._mark_ready(session_id, session)
    else:
      self._forget_if_idle(session_id, session)

  def has_ready(self) -> bool:
    return bool(self._ready)

  def drain(self) -> typing.List[Item]:
    """Removes and returns every pending item (at close, when giving up)."""
    items = []
    for session_id, session in list(self._sessions.items()):
      items.extend(session.pending)
      session.pending.clear()
      if not session.claimed:
        del self._sessions[session_id]
    self.pending = 0
    self._ready.clear()
    return items

  def _mark_ready(self, session_id: str, session: _Session) -> None:
    if not session.claimed:
      self._ready[session_id] = None

  def _forget_if_idle(self, session_id: str, session: _Session) -> None:
    if not session.pending and not session.claimed:
      del self._sessions[session_id]
      self._ready.pop(session_id, None)

  def _trim(self) -> typing.List[Item]:
    dropped = []
    while self.held > self.max_turns and self.pending:
      for session_id, session in self._sessions.items():
        if session.pending:
          break
      dropped.append(session.pending.popleft())
      self.pending -= 1
      self._forget_if_idle(session_id, session)
    return dropped
