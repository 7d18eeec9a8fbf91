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


_CONTEXT_ROLES = {"user": capture_pb2.ROLE_USER,
                  "assistant": capture_pb2.ROLE_ASSISTANT}


def context_messages(context) -> typing.Optional[typing.List[tuple]]:
  """The conversation the model saw, as (role, text) pairs. Accepts
  {"role": "user"|"assistant", "content"|"text": str} dicts (the shape chat
  APIs use) or (role, text) pairs; anything else is a ValueError here, in
  the caller's thread, rather than an INVALID_ARGUMENT later."""
  if context is None:
    return None
  messages = []
  for i, message in enumerate(context):
    if isinstance(message, dict):
      role = message.get("role")
      text = message.get("content", message.get("text"))
    else:
      role, text = message
    if role not in _CONTEXT_ROLES:
      raise ValueError(f"context[{i}]: role must be 'user' or 'assistant', "
                       f"not {role!r}")
    if not isinstance(text, str) or not text:
      raise ValueError(f"context[{i}]: text must be a non-empty str")
    check_text(f"context[{i}]", text)
    messages.append((_CONTEXT_ROLES[role], text))
  return messages


def turn_payload(role: int, turn_id: str, text: str, metadata,
                 system_prompt: str = "", memories=None, reply_to: str = "",
                 context=None):
  """What the caller's thread keeps of a turn: a snapshot of the arguments
  (copied, so later changes to the caller's dict or list do not leak in) and
  the time it happened. The proto is built on the sender's thread."""
  check_text("text", text)
  if not text.strip():
    # The server refuses it (INVALID_ARGUMENT); say so in the caller's
    # thread instead of logging it later from the sender.
    raise ValueError("text must not be empty or only whitespace")
  check_text("system_prompt", system_prompt)
  check_text("reply_to", reply_to)
  return (role, turn_id, text, dict(metadata) if metadata else None,
          system_prompt, list(memories) if memories else None, reply_to,
          context_messages(context), time.time())


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
  (role, turn_id, text, metadata, system_prompt, memories, reply_to, context,
   at) = payload
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
  turn.reply_to = reply_to
  for message_role, message_text in context or ():
    turn.context_messages.add(role=message_role, text=message_text)
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


_KIND = {
    None: capture_pb2.EXAMPLE_KIND_UNSPECIFIED,
    "single": capture_pb2.EXAMPLE_KIND_SINGLE,
    "pair": capture_pb2.EXAMPLE_KIND_PAIR,
}
# None: the server's default, every example but weak negatives still pending.
_CONFIDENCE = {
    None: capture_pb2.CONFIDENCE_UNSPECIFIED,
    "low": capture_pb2.CONFIDENCE_LOW,
    "high": capture_pb2.CONFIDENCE_HIGH,
}


def export_request(status, label, since, until, kind=None,
                   min_confidence=None):
  """The ExportExamplesRequest of `ftcapture export` with the same filters
  (--status, --label, --since, --until, --kind, --min_confidence)."""
  request = capture_pb2.ExportExamplesRequest(
      status=_choice("status", _REVIEW_STATUS, status),
      label=_choice("label", _LABEL, label),
      kind=_choice("kind", _KIND, kind),
      min_confidence=_choice("min_confidence", _CONFIDENCE, min_confidence))
  if since is not None:
    request.since.FromDatetime(since)
  if until is not None:
    request.until.FromDatetime(until)
  return request


# --- export formats: the same lines as `ftcapture export` -------------------

FORMATS = ("openai-chat", "trl-sft", "trl-kto", "sharegpt", "trl-dpo",
           "openai-dpo", "full-jsonl")
PAIR_FORMATS = ("trl-dpo", "openai-dpo")


def check_format(name: str, history: typing.Optional[int] = None) -> None:
  if name not in FORMATS:
    raise ValueError(
        f"unknown export format {name!r}; expected one of {', '.join(FORMATS)}")
  if history is not None and history < 0:
    raise ValueError("history must not be negative")


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


def _role_name(role: int) -> str:
  return "assistant" if role == capture_pb2.ROLE_ASSISTANT else "user"


def _history(example, limit: typing.Optional[int]):
  """The last ``limit`` turns of the example's history (None: all)."""
  if limit is None:
    return list(example.history)
  return list(example.history)[max(0, len(example.history) - limit):]


def _prompt(example, messages, history: typing.Optional[int],
            weights: bool = False) -> None:
  """System, the earlier conversation, then the user message n-3; with
  ``weights`` earlier assistant messages get weight 0 (shown, not learned)."""
  system = _system_content(example)
  if system:
    messages.add(role="system", content=system)
  for turn in _history(example, history):
    message = messages.add(role=_role_name(turn.role), content=turn.text)
    if weights and turn.role == capture_pb2.ROLE_ASSISTANT:
      message.weight.value = 0
  messages.add(role="user", content=example.user_turn.text)


def _share_gpt(example, history):
  line = export_pb2.ShareGptLine(system=_system_content(example))
  turns = [(t.role, t.text) for t in _history(example, history)]
  turns += [(capture_pb2.ROLE_USER, example.user_turn.text),
            (capture_pb2.ROLE_ASSISTANT, example.assistant_turn.text)]
  for role, text in turns:
    line.conversations.add(
        value=text, **{"from": "gpt" if role == capture_pb2.ROLE_ASSISTANT
                       else "human"})
  return line


def _line(format_name: str, example, history: typing.Optional[int]):
  """The export message of one example, as the CLI builds it."""
  reply = example.assistant_turn.text
  if format_name in ("openai-chat", "trl-sft"):
    # --history=0 is the shape from before history: no weights at all.
    weights = format_name == "openai-chat" and history != 0
    line = (export_pb2.OpenAiChatLine() if format_name == "openai-chat"
            else export_pb2.TrlSftLine())
    _prompt(example, line.messages, history, weights)
    message = line.messages.add(role="assistant", content=reply)
    if weights:
      message.weight.value = 1
    return line
  if format_name == "trl-kto":
    line = export_pb2.KtoLine(label=example.label != capture_pb2.LABEL_NEGATIVE)
    _prompt(example, line.prompt, history)
    line.completion.add(role="assistant", content=reply)
    return line
  if format_name == "sharegpt":
    return _share_gpt(example, history)
  rejected = example.rejected_turn.text
  if format_name == "trl-dpo":
    line = export_pb2.TrlDpoLine()
    _prompt(example, line.prompt, history)
    line.chosen.add(role="assistant", content=reply)
    line.rejected.add(role="assistant", content=rejected)
    return line
  line = export_pb2.OpenAiDpoLine()
  _prompt(example, line.input.messages, history)
  line.preferred_output.add(role="assistant", content=reply)
  line.non_preferred_output.add(role="assistant", content=rejected)
  return line


def _exported(format_name: str, example) -> bool:
  """Which examples a format holds: pairs only in the pair formats; single
  praised replies in the SFT formats; every single example in trl-kto."""
  if format_name == "full-jsonl":
    return True
  is_pair = example.HasField("rejected_turn")
  if (format_name in PAIR_FORMATS) != is_pair:
    return False
  if format_name in ("openai-chat", "trl-sft", "sharegpt"):
    return example.label != capture_pb2.LABEL_NEGATIVE
  return True


def export_record(format_name: str, example,
                  history: typing.Optional[int] = None) -> typing.Optional[dict]:
  """One export line as a dict (the same as `ftcapture export` writes), or
  None when the format leaves the example out. ``history`` limits the
  earlier turns (None: all; 0: the shape from before history)."""
  if not _exported(format_name, example):
    return None
  if format_name == "full-jsonl":
    return json_format.MessageToDict(example,
                                     including_default_value_fields=True)
  return json_format.MessageToDict(_line(format_name, example, history),
                                   including_default_value_fields=True,
                                   preserving_proto_field_name=True)


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
