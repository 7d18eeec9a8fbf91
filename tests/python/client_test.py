"""ftcapture.Client and AsyncClient against the real ftcapture-server."""

import asyncio
import collections
import json
import logging
import os
import subprocess
import sys
import threading
import time
import unittest

import ftcapture
from ftcapture import errors

from ftcapture_server import Server
from ftcapture_server import free_port

PRAISE = "Good one, Timmy! And question {}?"


class Recorder:
  """Collects on_result callbacks (they arrive on sender threads)."""

  def __init__(self):
    self.lock = threading.Lock()
    self.results = []

  def __call__(self, result):
    with self.lock:
      self.results.append(result)

  def by_session(self):
    with self.lock:
      grouped = collections.defaultdict(list)
      for result in self.results:
        grouped[result.session_id].append(result)
      return grouped


def converse(capture, session_id, rounds, pause=0.0):
  """rounds x (user turn, reply); every user turn after the first praises
  the reply before it, so each praise captures (u_i, a_i, u_i+1)."""
  for n in range(rounds):
    text = f"question {n}" if n == 0 else PRAISE.format(n)
    capture.user(session_id, f"u{n}", text)
    capture.assistant(session_id, f"a{n}", f"answer {n} for {session_id}",
                      system_prompt=f"You are Timmy. prompt {session_id} {n}",
                      memories=[f"memory {session_id} {n}"])
    if pause:
      time.sleep(pause)
  capture.user(session_id, f"u{rounds}", PRAISE.format(rounds))


class ServerTestCase(unittest.TestCase):

  def setUp(self):
    self.server = Server().start()
    self.addCleanup(self.server.close)

  def assert_examples_credit_their_own_replies(self, sessions, rounds):
    """One example per praise, each with the reply, prompt and user message
    of its own round: what breaks when turns are lost or reordered."""
    reader = ftcapture.Client(self.server.address, blocking=True)
    self.addCleanup(reader.close)
    examples = reader.list()
    seen = set()
    for example in examples:
      round_number = int(example.assistant_turn.turn_id[1:])
      session = example.session_id
      self.assertEqual(example.user_turn.turn_id, f"u{round_number}")
      self.assertEqual(example.praise_turn.turn_id, f"u{round_number + 1}")
      self.assertEqual(example.assistant_turn.system_prompt,
                       f"You are Timmy. prompt {session} {round_number}")
      self.assertEqual(example.assistant_turn.memories[0].text,
                       f"memory {session} {round_number}")
      self.assertNotIn((session, round_number), seen, "captured twice")
      seen.add((session, round_number))
    expected = {(s, n) for s in sessions for n in range(rounds)}
    self.assertEqual(seen, expected)


class QueuedClientTest(ServerTestCase):

  def test_praised_conversation_is_captured(self):
    recorder = Recorder()
    capture = ftcapture.Client(self.server.address, on_result=recorder)
    capture.user("garden-7", "u1", "How deep should I plant tulip bulbs?",
                 metadata={"channel": "web"})
    capture.assistant(
        "garden-7", "a1", "About 15-20 cm, pointy end up.",
        system_prompt="You are Timmy, a friendly garden helper.",
        memories=[ftcapture.Memory("The user gardens on clay soil.",
                                   "garden", 4)],
        reply_to="u1")
    capture.user("garden-7", "u2", "Good one, Timmy! Should I add sand?")
    self.assertTrue(capture.flush(30))
    results = recorder.by_session()["garden-7"]
    self.assertEqual([r.turn_id for r in results], ["u1", "a1", "u2"])
    praise = results[2]
    self.assertTrue(praise.praise)
    self.assertEqual(praise.verdict, "praise")
    self.assertTrue(praise.example_id.startswith("ex-"))
    stats = capture.client_stats()
    self.assertEqual((stats.sent, stats.dropped, stats.errors), (3, 0, 0))
    self.assertTrue(capture.close())

    reader = ftcapture.Client(self.server.address, blocking=True)
    self.addCleanup(reader.close)
    [example] = reader.list()
    self.assertEqual(example.id, praise.example_id)
    self.assertEqual(example.user_turn.text,
                     "How deep should I plant tulip bulbs?")
    self.assertEqual(example.assistant_turn.system_prompt,
                     "You are Timmy, a friendly garden helper.")
    self.assertEqual(example.assistant_turn.memories,
                     [ftcapture.Memory("The user gardens on clay soil.",
                                       "garden", 4)])
    self.assertEqual(example.assistant_turn.reply_to, "u1")
    self.assertEqual(example.praise_turn.text,
                     "Good one, Timmy! Should I add sand?")
    self.assertEqual((example.label, example.source, example.status),
                     ("positive", "implicit", "pending"))
    self.assertEqual(reader.stats().examples_total, 1)
    rows = reader.export("openai-chat").records
    self.assertEqual(rows[0]["messages"][2]["content"],
                     "About 15-20 cm, pointy end up.")

  def test_order_kept_per_session_under_50_concurrent_sessions(self):
    recorder = Recorder()
    capture = ftcapture.Client(self.server.address, on_result=recorder)
    sessions = [f"chat-{n}" for n in range(50)]
    rounds = 4
    threads = [threading.Thread(target=converse, args=(capture, s, rounds))
               for s in sessions]
    for thread in threads:
      thread.start()
    for thread in threads:
      thread.join()
    self.assertTrue(capture.flush(60))
    capture.close()
    expected = [f"{kind}{n}" for n in range(rounds) for kind in "ua"]
    expected.append(f"u{rounds}")
    for session, results in recorder.by_session().items():
      self.assertEqual([r.turn_id for r in results], expected, session)
      self.assertEqual([r.error for r in results if r.error], [])
    self.assertEqual(len(recorder.by_session()), 50)
    self.assert_examples_credit_their_own_replies(sessions, rounds)
    reader = ftcapture.Client(self.server.address, blocking=True)
    self.addCleanup(reader.close)
    self.assertEqual(len(reader.list(limit=150, page_size=40)), 150)
    self.assertEqual(len(reader.list(page_size=30)), 200)

  def test_server_killed_mid_stream_loses_no_acknowledged_turn(self):
    recorder = Recorder()
    capture = ftcapture.Client(self.server.address, on_result=recorder)
    sessions = [f"crash-{n}" for n in range(50)]
    rounds = 6
    threads = [
        threading.Thread(target=converse, args=(capture, s, rounds, 0.02))
        for s in sessions
    ]
    for thread in threads:
      thread.start()
    while len(recorder.results) < 100:  # some turns acknowledged ...
      time.sleep(0.005)
    self.server.kill()  # ... and the rest still coming
    acknowledged_before_kill = len(recorder.results)
    time.sleep(0.5)
    self.server.start()
    for thread in threads:
      thread.join()
    self.assertTrue(capture.flush(60))
    stats = capture.client_stats()
    capture.close()
    self.assertGreater(stats.stream_failures, 0, "the kill went unnoticed")
    self.assertEqual(stats.dropped, 0)
    self.assertGreater(stats.sent, acknowledged_before_kill)
    for session, results in recorder.by_session().items():
      # Every turn acknowledged, in order; a turn resent after the kill may
      # be acknowledged twice (the second time as a duplicate).
      turn_ids = list(dict.fromkeys(r.turn_id for r in results))
      self.assertEqual(len(turn_ids), 2 * rounds + 1, session)
      self.assertEqual([r.error for r in results if r.error], [])
    self.assert_examples_credit_their_own_replies(sessions, rounds)

  def test_refused_turn_is_counted_and_logged_not_raised(self):
    recorder = Recorder()
    capture = ftcapture.Client(self.server.address, on_result=recorder)
    with self.assertLogs("ftcapture", logging.WARNING) as logs:
      capture.user("s", "u1", "x" * (2 << 20))  # over --max_turn_bytes
      capture.user("s", "u2", "fine")
      # Not a proto's int: refused on the sender, not raised into the chat.
      capture.assistant("s", "a2", "reply", memories=[{"importance": "high"}])
      capture.assistant("s", "a3", "reply", memories=["fine"])
      self.assertTrue(capture.flush(30))
    self.assertIn("INVALID_ARGUMENT", "\n".join(logs.output))
    self.assertEqual([r.turn_id for r in recorder.results],
                     ["u1", "u2", "a2", "a3"])
    first, second, third, fourth = recorder.results
    self.assertIsInstance(first.error, errors.InvalidArgument)
    self.assertIsNone(second.error)
    self.assertIsInstance(third.error, errors.InvalidArgument)
    self.assertIsNone(fourth.error)
    stats = capture.client_stats()
    self.assertEqual((stats.sent, stats.errors), (2, 2))
    capture.close()

  def test_feedback_follows_the_turns_before_it(self):
    recorder = Recorder()
    capture = ftcapture.Client(self.server.address, on_result=recorder)
    capture.user("fb", "u1", "What is a carburettor?")
    capture.assistant("fb", "a1", "A kind of sandwich.",
                      system_prompt="You are Timmy.")
    capture.feedback("fb", positive=False, note="wrong")
    self.assertTrue(capture.flush(30))
    capture.close()
    feedback = recorder.results[-1]
    self.assertIsInstance(feedback, ftcapture.FeedbackResult)
    self.assertTrue(feedback.example_id, feedback.not_captured_reason)
    reader = ftcapture.Client(self.server.address, blocking=True)
    self.addCleanup(reader.close)
    [example] = reader.list(label="negative")
    self.assertEqual(example.assistant_turn.turn_id, "a1")
    self.assertEqual(example.source, "explicit")

  def test_pending_turns_are_flushed_at_interpreter_exit(self):
    script = (
        "import ftcapture\n"
        "c = ftcapture.Client()\n"
        "c.user('exit', 'u1', 'hello')\n"
        "c.assistant('exit', 'a1', 'hi there', system_prompt='p')\n"
        "c.user('exit', 'u2', 'Good one, Timmy!')\n")
    env = dict(os.environ, FTCAPTURE_SERVER=self.server.address)
    subprocess.run([sys.executable, "-c", script], env=env, check=True,
                   timeout=60)
    reader = ftcapture.Client(self.server.address, blocking=True)
    self.addCleanup(reader.close)
    self.assertEqual(reader.stats().examples_total, 1)


class FullQueueTest(unittest.TestCase):

  def test_full_queue_drops_and_counts_instead_of_blocking(self):
    port = free_port()  # nothing listens here yet
    capture = ftcapture.Client(f"127.0.0.1:{port}", max_queue=10)
    with self.assertLogs("ftcapture", logging.WARNING) as logs:
      for n in range(100):  # would hang here if a call waited for the server
        capture.user(f"s{n % 20}", f"u{n}", f"message {n}")
      stats = capture.client_stats()
      self.assertEqual(stats.dropped, 90)
      self.assertEqual(stats.queued + stats.in_flight, 10)
      self.assertFalse(capture.flush(0.2))
    self.assertIn("dropped", "\n".join(logs.output))

    server = Server()
    server.port, server.address = port, f"127.0.0.1:{port}"
    server.start()
    self.addCleanup(server.close)
    self.assertTrue(capture.flush(60))
    stats = capture.client_stats()
    self.assertEqual((stats.sent, stats.dropped, stats.queued), (10, 90, 0))
    reader = ftcapture.Client(server.address, blocking=True)
    self.addCleanup(reader.close)
    self.assertEqual(reader.stats().turns_seen, 10)
    capture.close()

  def test_close_with_the_server_away_drops_and_counts_what_is_left(self):
    capture = ftcapture.Client(f"127.0.0.1:{free_port()}")
    for n in range(5):
      capture.user("s", f"u{n}", "hello")
    with self.assertLogs("ftcapture", logging.WARNING):
      self.assertFalse(capture.close(timeout=0.2))
    stats = capture.client_stats()
    self.assertEqual((stats.sent, stats.dropped, stats.queued,
                      stats.in_flight), (0, 5, 0, 0))
    capture.user("s", "late", "after close")  # dropped, never raised
    self.assertEqual(capture.client_stats().dropped, 6)


class BlockingClientTest(ServerTestCase):

  def test_answers_are_returned_and_errors_raised(self):
    capture = ftcapture.Client(self.server.address, blocking=True)
    self.addCleanup(capture.close)
    self.assertEqual(capture.user("b", "u1", "Why do kettles whistle?").verdict,
                     "none")
    capture.assistant("b", "a1", "Steam through a small hole.",
                      system_prompt="You are Timmy.")
    result = capture.user("b", "u2", "That was excellent, Timmy!")
    self.assertTrue(result.praise)
    self.assertTrue(result.example_id)
    again = capture.user("b", "u2", "That was excellent, Timmy!")
    self.assertTrue(again.duplicate)
    self.assertEqual(again.example_id, result.example_id)
    with self.assertRaises(ValueError):  # checked before anything is sent
      capture.user("b", "", "no id")
    for blank in ("", " \n\t"):
      with self.assertRaises(ValueError):
        capture.assistant("b", "a9", blank, system_prompt="You are Timmy.")
    with self.assertRaises(errors.InvalidArgument) as raised:
      capture.user("b", "u3", "x" * (2 << 20))
    self.assertIn("max_turn_bytes", str(raised.exception))
    feedback = capture.feedback("b", positive=False, note="too short")
    self.assertIsInstance(feedback, ftcapture.FeedbackResult)
    self.assertFalse(feedback.captured)  # a1 was credited by the praise
    self.assertIn("already credited", feedback.not_captured_reason)
    with self.assertRaises(errors.NotFound):
      capture.feedback("nobody", positive=True)

  def test_context_and_regeneration_are_stored(self):
    capture = ftcapture.Client(self.server.address, blocking=True)
    self.addCleanup(capture.close)
    capture.user("r", "u1", "Name a bird.")
    with self.assertRaises(ValueError):  # checked in the caller's thread
      capture.assistant("r", "a0", "x", context=[{"role": "system",
                                                   "content": "no"}])
    seen = [{"role": "user", "content": "Hi Timmy."},
            ("assistant", "Hello! Ask me anything.")]
    capture.assistant("r", "a1", "A rock.", system_prompt="P1", context=seen)
    self.assertEqual(capture.user("r", "c1", "That is wrong, Timmy.").verdict,
                     "criticism")
    capture.assistant("r", "a2", "A robin.", system_prompt="P2",
                      reply_to="u1", context=seen)
    praise = capture.user("r", "p1", "Good one, Timmy!")
    self.assertTrue(praise.pair_example_id)
    [pair] = [e for e in capture.list() if e.id == praise.pair_example_id]
    self.assertEqual(pair.assistant_turn.text, "A robin.")
    self.assertEqual(pair.assistant_turn.reply_to, "u1")
    self.assertEqual(pair.rejected_turn.text, "A rock.")
    [example] = [e for e in capture.list() if e.id == praise.example_id]
    self.assertEqual([(t.role, t.text) for t in example.history],
                     [("user", "Hi Timmy."),
                      ("assistant", "Hello! Ask me anything.")])
    rows = capture.export("trl-dpo").records
    self.assertEqual(len(rows), 1)
    self.assertEqual(rows[0]["chosen"][-1]["content"], "A robin.")
    self.assertEqual(rows[0]["rejected"][-1]["content"], "A rock.")
    self.assertExportsAsTheCli(capture)

  def assertExportsAsTheCli(self, capture):
    """Every format, with and without a history limit, gives the same lines
    as `ftcapture export` on the same server."""
    for format_name in ftcapture.FORMATS:
      for history in (None, 0, 1):
        args = [os.environ["FTCAPTURE_CLIENT_BIN"], "export",
                f"--server={self.server.address}", f"--format={format_name}",
                "--out=-"]
        if history is not None:
          args.append(f"--history={history}")
        cli = subprocess.run(args, check=True, capture_output=True, text=True)
        expected = [json.loads(line) for line in cli.stdout.splitlines()]
        with self.subTest(format=format_name, history=history):
          self.assertTrue(expected)
          self.assertEqual(
              capture.export(format_name, history=history).records, expected)

  def test_server_away_raises_unavailable(self):
    capture = ftcapture.Client(f"127.0.0.1:{free_port()}", blocking=True,
                               timeout=5)
    self.addCleanup(capture.close)
    with self.assertRaises(errors.Unavailable):
      capture.user("s", "u1", "hello")

  def test_export_writes_the_cli_formats(self):
    capture = ftcapture.Client(self.server.address, blocking=True)
    self.addCleanup(capture.close)
    converse(capture, "exp", 2)
    out = os.path.join(self.server.data_dir, "kto.jsonl")
    result = capture.export("trl-kto", out)
    self.assertEqual(result.count, 2)
    with open(out, encoding="utf-8") as lines:
      self.assertEqual(len(lines.readlines()), 2)
    full = capture.export("full-jsonl", status="pending").records
    self.assertEqual({r["sessionId"] for r in full}, {"exp"})
    with self.assertRaises(ValueError):
      capture.export("csv")

  def test_export_filters_are_the_cli_filters(self):
    """kind= and min_confidence= pick what --kind and --min_confidence do."""
    capture = ftcapture.Client(self.server.address, blocking=True)
    self.addCleanup(capture.close)
    capture.user("f", "u1", "Name a bird.")
    capture.assistant("f", "a1", "A rock.", system_prompt="P1")
    capture.user("f", "c1", "That is wrong, Timmy.")
    capture.assistant("f", "a2", "A robin.", system_prompt="P2", reply_to="u1")
    praise = capture.user("f", "p1", "Good one, Timmy!")
    self.assertTrue(praise.pair_example_id)
    capture.user("w", "u1", "When did the bakery open?")
    capture.assistant("w", "a1", "In 2018.", system_prompt="P")
    weak = capture.user("w", "u2", "Wrong year, it was 2019.")
    self.assertEqual(weak.verdict, "criticism")
    self.assertTrue(weak.example_id)

    def ids(**filters):
      return {r["id"] for r in capture.export("full-jsonl", **filters).records}

    self.assertEqual(ids(kind="pair"), {praise.pair_example_id})
    self.assertNotIn(praise.pair_example_id, ids(kind="single"))
    self.assertNotIn(weak.example_id, ids())  # weak negatives wait for review
    self.assertIn(weak.example_id, ids(min_confidence="low"))
    self.assertNotIn(weak.example_id, ids(min_confidence="high"))
    for kind in (None, "single", "pair"):
      for confidence in (None, "low", "high"):
        args = [os.environ["FTCAPTURE_CLIENT_BIN"], "export",
                f"--server={self.server.address}", "--format=full-jsonl",
                "--out=-"]
        if kind:
          args.append(f"--kind={kind}")
        if confidence:
          args.append(f"--min_confidence={confidence}")
        cli = subprocess.run(args, check=True, capture_output=True, text=True)
        with self.subTest(kind=kind, min_confidence=confidence):
          self.assertEqual(ids(kind=kind, min_confidence=confidence),
                           {json.loads(line)["id"]
                            for line in cli.stdout.splitlines()})
    with self.assertRaises(ValueError):
      capture.export("full-jsonl", kind="triple")
    with self.assertRaises(ValueError):
      capture.export("full-jsonl", min_confidence="medium")


class AsyncClientTest(ServerTestCase):

  def test_queued_conversation_is_captured(self):
    recorder = Recorder()

    async def chat():
      async with ftcapture.AsyncClient(self.server.address,
                                       on_result=recorder) as capture:
        await asyncio.gather(*(self.async_converse(capture, f"aio-{n}", 3)
                               for n in range(20)))
        self.assertTrue(await capture.flush(60))
        stats = await capture.stats()
        return capture.client_stats(), stats

    client_stats, stats = asyncio.run(chat())
    self.assertEqual(client_stats.sent, 20 * 7)
    self.assertEqual(stats.examples_total, 20 * 3)
    self.assert_examples_credit_their_own_replies(
        [f"aio-{n}" for n in range(20)], 3)

  def test_blocking_mode_returns_results(self):

    async def chat():
      async with ftcapture.AsyncClient(self.server.address,
                                       blocking=True) as capture:
        await capture.user("ab", "u1", "hello")
        await capture.assistant("ab", "a1", "hi", system_prompt="p")
        praise = await capture.user("ab", "u2", "Good one, Timmy!")
        examples = await capture.list()
        with self.assertRaises(errors.InvalidArgument):
          await capture.user("ab", "u3", "x" * (2 << 20))
        return praise, examples

    praise, examples = asyncio.run(chat())
    self.assertTrue(praise.example_id)
    self.assertEqual([e.id for e in examples], [praise.example_id])

  @staticmethod
  async def async_converse(capture, session_id, rounds):
    for n in range(rounds):
      text = f"question {n}" if n == 0 else PRAISE.format(n)
      await capture.user(session_id, f"u{n}", text)
      await asyncio.sleep(0)
      await capture.assistant(
          session_id, f"a{n}", f"answer {n}",
          system_prompt=f"You are Timmy. prompt {session_id} {n}",
          memories=[f"memory {session_id} {n}"])
    await capture.user(session_id, f"u{rounds}", PRAISE.format(rounds))


if __name__ == "__main__":
  unittest.main()
