"""The requests built from what the chat passes in, and the export formats."""

import json
import os
import tempfile
import time
import typing

from google.protobuf import json_format

from ftcapture.v1 import capture_pb2
from ftcapture.v1 import export_pb2
from ftcapture import _types

MemoryLike = typing.Union[str, _types.Memory, typing.Mapping[str, typing.Any]]


def check_text(name: str, value) -> None:
  """Cheap checks on the caller's thread, so a wrong call fails loudly there
  rather than being logged later from the sender."""
  if not isinstance(value, str):
    raise TypeError(f"{name} must be a str, not {type(value).__name__}")


def check_ids(session_id, turn_id, turn_id_required=True) -> None:
  """A turn needs its id: a turn resent after a broken stream is recognised
  by it (answered as a duplicate), never recorded twice."""
  check_text("session_id", session_id)
  if not session_id:
    raise ValueError("session_id must not be empty")
  if turn_id is not None or turn_id_required:
    check_text("turn_id", turn_id)
  if turn_id_required and not turn_id:
    raise ValueError("turn_id must not be empty")


def turn_payload(role: int, turn_id: str, text: str, metadata,
                 system_prompt: str = "", memories=None, reply_to: str = ""):
  """What the caller's thread keeps of a turn: a snapshot of the arguments
  (copied, so later changes to the caller's dict or list do not leak in) and
  the time it happened. The proto is built on the sender's thread."""
  check_text("text", text)
  check_text("system_prompt", system_prompt)
  check_text("reply_to", reply_to)
  return (role, turn_id, text, dict(metadata) if metadata else None,
          system_prompt, list(memories) if memories else None, reply_to,
          time.time())


def _memory(memory: MemoryLike, out) -> None:
  if isinstance(memory, str):
    out.text = memory
    return
  if isinstance(memory, _types.Memory):
    memory = {"text": memory.text, "category": memory.category,
              "importance": memory.importance, "created_at": memory.created_at}
  out.text = memory.get("text", "")
  out.category = memory.get("category", "")
  out.importance = int(memory.get("importance", 0))
  if memory.get("created_at") is not None:
    out.created_at.FromDatetime(memory["created_at"])


def turn_request(session_id: str, payload) -> capture_pb2.RecordTurnRequest:
  role, turn_id, text, metadata, system_prompt, memories, reply_to, at = (
      payload)
  request = capture_pb2.RecordTurnRequest()
  turn = request.turn
  turn.session_id = session_id
  turn.turn_id = turn_id
  turn.role = role
  turn.text = text
  seconds = int(at)
  turn.time.seconds = seconds
  turn.time.nanos = int((at - seconds) * 1e9)
  turn.system_prompt = system_prompt
  for memory in memories or ():
    _memory(memory, turn.memories.add())
  for key, value in (metadata or {}).items():
    turn.metadata[str(key)] = str(value)
  if reply_to:
    # The server keeps no separate field: the reply answers the session's
    # latest user turn. Recorded so readers of the example can check it.
    turn.metadata["reply_to"] = reply_to
  return request


def feedback_request(session_id: str, turn_id: typing.Optional[str],
                     positive: bool, note: str
                    ) -> capture_pb2.RecordFeedbackRequest:
  return capture_pb2.RecordFeedbackRequest(
      session_id=session_id, turn_id=turn_id or "", positive=bool(positive),
      note=note or "")


_REVIEW_STATUS = {
    None: capture_pb2.REVIEW_STATUS_UNSPECIFIED,
    "pending": capture_pb2.REVIEW_STATUS_PENDING,
    "approved": capture_pb2.REVIEW_STATUS_APPROVED,
    "rejected": capture_pb2.REVIEW_STATUS_REJECTED,
}
_LABEL = {
    None: capture_pb2.LABEL_UNSPECIFIED,
    "positive": capture_pb2.LABEL_POSITIVE,
    "negative": capture_pb2.LABEL_NEGATIVE,
}


def _choice(name: str, table, value) -> int:
  if value not in table:
    choices = ", ".join(repr(k) for k in table if k is not None)
    raise ValueError(f"{name} must be one of {choices} or None, not {value!r}")
  return table[value]


class Pager:
  """Follows ListExamples pages up to ``limit`` examples (None: all), for
  both clients: ``while (request := pager.next_request()) is not None:
  pager.add(response)``."""

  def __init__(self, status, label, limit, page_size):
    self._status = _choice("status", _REVIEW_STATUS, status)
    self._label = _choice("label", _LABEL, label)
    self._limit = limit
    self._page_size = page_size
    self._token = ""
    self._done = False
    self.examples = []

  def next_request(self):
    if self._done or (self._limit is not None and
                      len(self.examples) >= self._limit):
      return None
    return capture_pb2.ListExamplesRequest(
        page_size=self._page_size, page_token=self._token,
        status=self._status, label=self._label)

  def add(self, response) -> None:
    room = None if self._limit is None else self._limit - len(self.examples)
    self.examples.extend(
        _types.Example.from_proto(e) for e in response.examples[:room])
    self._token = response.next_page_token
    self._done = not self._token


def export_request(status, label, since, until):
  request = capture_pb2.ExportExamplesRequest(
      status=_choice("status", _REVIEW_STATUS, status),
      label=_choice("label", _LABEL, label))
  if since is not None:
    request.since.FromDatetime(since)
  if until is not None:
    request.until.FromDatetime(until)
  return request


# --- export formats: the same lines as `ftcapture export` -------------------

FORMATS = ("openai-chat", "trl-kto", "full-jsonl")


def check_format(name: str) -> None:
  if name not in FORMATS:
    raise ValueError(
        f"unknown export format {name!r}; expected one of {', '.join(FORMATS)}")


def _system_content(example) -> str:
  """The prompt, then the memories it does not already contain."""
  turn = example.assistant_turn
  content = turn.system_prompt
  listed = [m.text for m in turn.memories
            if m.text and m.text not in turn.system_prompt]
  if listed:
    content += ("\n\n" if content else "") + "Memories:"
    content += "".join("\n- " + text for text in listed)
  return content


def _prompt(example, messages) -> None:
  system = _system_content(example)
  if system:
    messages.add(role="system", content=system)
  messages.add(role="user", content=example.user_turn.text)


def export_record(format_name: str, example) -> typing.Optional[dict]:
  """One export line as a dict, or None when the format leaves it out."""
  positive = example.label != capture_pb2.LABEL_NEGATIVE
  if format_name == "openai-chat":
    if not positive:
      return None
    line = export_pb2.OpenAiChatLine()
    _prompt(example, line.messages)
    line.messages.add(role="assistant", content=example.assistant_turn.text)
    message, proto_names = line, True
  elif format_name == "trl-kto":
    line = export_pb2.KtoLine(label=positive)
    _prompt(example, line.prompt)
    line.completion.add(role="assistant", content=example.assistant_turn.text)
    message, proto_names = line, True
  else:
    message, proto_names = example, False
  return json_format.MessageToDict(
      message, including_default_value_fields=True,
      preserving_proto_field_name=proto_names)


def write_jsonl(path: str, records: typing.Iterable[dict]) -> int:
  """Writes the lines to a temporary file beside ``path`` and renames it
  over ``path`` only once complete, so a failed export leaves the old file."""
  directory = os.path.dirname(os.path.abspath(path))
  handle, temp = tempfile.mkstemp(prefix=".ftcapture-export-", dir=directory)
  count = 0
  try:
    with os.fdopen(handle, "w", encoding="utf-8") as out:
      for record in records:
        out.write(json.dumps(record, ensure_ascii=False,
                             separators=(",", ":")))
        out.write("\n")
        count += 1
    os.replace(temp, path)
  except BaseException:
    os.unlink(temp)
    raise
  return count
