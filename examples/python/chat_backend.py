#!/usr/bin/env python3
"""A minimal chat backend wired to ftcapture.

The "model" is a stand-in that echoes; everything around it is what a real
backend does: build the system prompt from retrieved memories, call the
model, reply, and hand every turn to ftcapture without waiting for it.
Praise the reply ("Good one, Timmy!") and ftcapture stores the exchange.

  FTCAPTURE_SERVER=127.0.0.1:50051 python3 examples/python/chat_backend.py
  you> How deep should I plant tulip bulbs?
  timmy> You asked: "How deep should I plant tulip bulbs?" ...
  you> Good one, Timmy!

Ctrl-D ends the chat; turns still queued are sent at exit. With ftcapture
stopped the chat goes on as before: turns wait in the queue (the oldest of
idle sessions are dropped once it is full) and a warning is logged.
"""

import itertools
import logging
import sys
import uuid

import ftcapture

PERSONA = "Timmy"
MEMORIES = ["The user gardens on clay soil.", "The user has a brass kettle."]


def system_prompt(memories):
  return (f"You are {PERSONA}, a friendly helper. Keep answers short.\n"
          "What you remember about the user:\n" +
          "\n".join(f"- {m}" for m in memories))


def model(prompt: str, message: str) -> str:
  """Stand-in for the LLM call: echoes the message."""
  del prompt
  return f'You asked: "{message}" I am only an echo, but I try my best.'


def main():
  logging.basicConfig(level=logging.INFO, format="%(message)s")
  capture = ftcapture.Client()  # FTCAPTURE_SERVER / FTCAPTURE_TOKEN
  session_id = f"chat-{uuid.uuid4().hex[:8]}"
  for n in itertools.count(1):
    try:
      message = input("you> ")
    except EOFError:
      break
    capture.user(session_id, f"u{n}", message, metadata={"channel": "cli"})
    prompt = system_prompt(MEMORIES)
    reply = model(prompt, message)
    print(f"{PERSONA.lower()}> {reply}")
    capture.assistant(session_id, f"a{n}", reply, system_prompt=prompt,
                      memories=MEMORIES, reply_to=f"u{n}")
  sent = capture.close(timeout=5)
  stats = capture.client_stats()
  print(f"\nsession {session_id}: {stats.sent} turns sent, "
        f"{stats.dropped} dropped{'' if sent else ' (ftcapture unreachable)'}",
        file=sys.stderr)


if __name__ == "__main__":
  main()
