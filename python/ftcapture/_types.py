"""Typed results: plain dataclasses built from the API's protos."""

import dataclasses
import datetime
import typing

from ftcapture.v1 import capture_pb2


def _time(timestamp) -> typing.Optional[datetime.datetime]:
  """A set Timestamp as an aware UTC datetime, an unset one as None."""
  if not timestamp.seconds and not timestamp.nanos:
    return None
  return timestamp.ToDatetime(tzinfo=datetime.timezone.utc)


def _enum_name(enum_type, value: int, prefix: str) -> str:
  """VERDICT_PRAISE -> "praise"; the lower-case name people type."""
  name = enum_type.Name(value) if value in enum_type.values() else str(value)
  return name[len(prefix):].lower() if name.startswith(prefix) else name


@dataclasses.dataclass
class Memory:
  """A retrieved memory that was placed in the system prompt."""
  text: str
  category: str = ""
  importance: int = 0
  created_at: typing.Optional[datetime.datetime] = None

  @classmethod
  def from_proto(cls, proto) -> "Memory":
    return cls(proto.text, proto.category, proto.importance,
               _time(proto.created_at))


@dataclasses.dataclass
class Turn:
  """One conversation turn as stored in an example."""
  session_id: str
  turn_id: str
  role: str  # "user" or "assistant"
  text: str
  time: typing.Optional[datetime.datetime] = None
  system_prompt: str = ""
  memories: typing.List[Memory] = dataclasses.field(default_factory=list)
  metadata: typing.Dict[str, str] = dataclasses.field(default_factory=dict)
  reply_to: str = ""  # assistant turns: the user turn answered, if named

  @classmethod
  def from_proto(cls, proto) -> typing.Optional["Turn"]:
    if not proto.ByteSize():
      return None
    return cls(proto.session_id, proto.turn_id,
               _enum_name(capture_pb2.Role, proto.role, "ROLE_"), proto.text,
               _time(proto.time), proto.system_prompt,
               [Memory.from_proto(m) for m in proto.memories],
               dict(proto.metadata), proto.reply_to)


@dataclasses.dataclass
class TurnResult:
  """What the server answered for one turn (RecordTurnResponse).

  ``example_id`` is set once the exchange is stored; ``error`` is set (and
  the rest empty) when the server refused the turn. In queued mode results
  reach the ``on_result`` callback on the sender thread.
  """
  session_id: str
  turn_id: str
  praise: bool = False
  verdict: str = "none"  # "none", "praise" or "criticism"
  rule: str = ""
  example_id: str = ""
  not_captured_reason: str = ""
  duplicate: bool = False
  veto: str = ""
  error: typing.Optional[Exception] = None
  # A preference pair stored by this turn (praise of a regenerated reply).
  pair_example_id: str = ""
  late: bool = False  # older than the session's latest turn: credits nothing

  @property
  def captured(self) -> bool:
    return bool(self.example_id)

  @classmethod
  def from_proto(cls, session_id: str, turn_id: str, proto) -> "TurnResult":
    return cls(session_id, turn_id, proto.praise,
               _enum_name(capture_pb2.Verdict, proto.verdict, "VERDICT_"),
               proto.rule, proto.example_id, proto.not_captured_reason,
               proto.duplicate, proto.veto, None, proto.pair_example_id,
               proto.late)


@dataclasses.dataclass
class FeedbackResult:
  """What the server answered for an explicit thumbs up/down."""
  session_id: str
  turn_id: str
  example_id: str = ""
  not_captured_reason: str = ""
  error: typing.Optional[Exception] = None

  @property
  def captured(self) -> bool:
    return bool(self.example_id)


@dataclasses.dataclass
class Example:
  """One captured exchange: the user message (n-3), the reply with the prompt
  and memories it was produced from (n-1, n-2) and the praise (n)."""
  id: str
  captured_at: typing.Optional[datetime.datetime]
  session_id: str
  user_turn: typing.Optional[Turn]
  assistant_turn: typing.Optional[Turn]
  praise_turn: typing.Optional[Turn]
  praise_text: str
  rule: str
  metadata: typing.Dict[str, str]
  label: str  # "positive" or "negative"
  source: str  # "implicit", "explicit" or "imported"
  status: str  # "pending", "approved" or "rejected"
  review_note: str = ""
  reviewed_at: typing.Optional[datetime.datetime] = None
  # The conversation before user_turn, oldest first, as the model saw it.
  history: typing.List[Turn] = dataclasses.field(default_factory=list)
  # Preference pairs only: the reply the user liked less.
  rejected_turn: typing.Optional[Turn] = None

  @classmethod
  def from_proto(cls, proto) -> "Example":
    label = _enum_name(capture_pb2.Label, proto.label, "LABEL_")
    status = _enum_name(capture_pb2.ReviewStatus, proto.status,
                        "REVIEW_STATUS_")
    return cls(
        id=proto.id, captured_at=_time(proto.captured_at),
        session_id=proto.session_id,
        user_turn=Turn.from_proto(proto.user_turn),
        assistant_turn=Turn.from_proto(proto.assistant_turn),
        praise_turn=Turn.from_proto(proto.praise_turn),
        praise_text=proto.praise_text, rule=proto.rule,
        metadata=dict(proto.metadata),
        # Unset label and status read as the server treats them.
        label="positive" if label == "unspecified" else label,
        source=_enum_name(capture_pb2.Source, proto.source, "SOURCE_"),
        status="pending" if status == "unspecified" else status,
        review_note=proto.review_note, reviewed_at=_time(proto.reviewed_at),
        history=[Turn.from_proto(t) for t in proto.history],
        rejected_turn=Turn.from_proto(proto.rejected_turn))


@dataclasses.dataclass
class Stats:
  """The server's counters (GetStats)."""
  examples_total: int
  positive_examples: int
  negative_examples: int
  imported_examples: int
  pending_examples: int
  approved_examples: int
  rejected_examples: int
  turns_seen: int
  user_turns_seen: int
  assistant_turns_seen: int
  praise_seen: int
  praise_uncredited: int
  criticism_seen: int
  live_sessions: int
  dataset_bytes: int
  markdown_bytes: int
  markdown_lines: int
  started_at: typing.Optional[datetime.datetime]
  first_example_at: typing.Optional[datetime.datetime]
  last_example_at: typing.Optional[datetime.datetime]
  examples_per_day: typing.Dict[str, int]
  recent_examples: typing.List[Example]

  @classmethod
  def from_proto(cls, proto) -> "Stats":
    counters = {
        f.name: getattr(proto, f.name)
        for f in dataclasses.fields(cls)
        if f.type is int
    }
    return cls(
        **counters, started_at=_time(proto.started_at),
        first_example_at=_time(proto.first_example_at),
        last_example_at=_time(proto.last_example_at),
        examples_per_day={d.date: d.examples for d in proto.examples_per_day},
        recent_examples=[Example.from_proto(e) for e in proto.recent_examples])


@dataclasses.dataclass
class ClientStats:
  """This client's own counters (queued mode).

  ``sent`` counts turns the server acknowledged; ``dropped`` those pushed out
  of the full queue or abandoned at close; ``errors`` those the server
  refused; ``stream_failures`` broken streams whose turns were resent.
  """
  queued: int
  in_flight: int
  sent: int
  dropped: int
  errors: int
  stream_failures: int
  connected: bool


@dataclasses.dataclass
class ExportResult:
  """What export() wrote: ``count`` lines, to ``path`` or in ``records``."""
  count: int
  path: typing.Optional[str] = None
  records: typing.Optional[typing.List[dict]] = None
