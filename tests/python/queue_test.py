"""The queued clients' TurnQueue: order per session, the bound, what drops."""

import unittest

from ftcapture import _queue


def item(session_id, turn_id, kind="turn"):
  return _queue.Item(session_id, turn_id, kind, None, 0.0)


def ids(items):
  return [(i.session_id, i.turn_id) for i in items]


class TurnQueueTest(unittest.TestCase):

  def test_turns_of_a_session_leave_in_order_and_one_sender_at_a_time(self):
    queue = _queue.TurnQueue(100)
    for n in range(3):
      queue.put(item("a", f"a{n}"))
      queue.put(item("b", f"b{n}"))
    first = queue.claim()
    second = queue.claim()
    self.assertEqual({first, second}, {"a", "b"})
    self.assertIsNone(queue.claim(), "a claimed session is not handed out")
    taken = [queue.take("a").turn_id for _ in range(3)]
    self.assertEqual(taken, ["a0", "a1", "a2"])
    self.assertIsNone(queue.take("a"))
    queue.put(item("a", "a3"))
    self.assertIsNone(queue.claim(), "still claimed by its sender")
    queue.release("a")
    self.assertEqual(queue.claim(), "a")
    self.assertEqual(queue.take("a").turn_id, "a3")

  def test_full_queue_drops_oldest_turn_of_least_recently_active_session(self):
    queue = _queue.TurnQueue(4)
    for session_id, turn_id in [("quiet", "q1"), ("busy", "b1"),
                                ("quiet", "q2"), ("busy", "b2")]:
      self.assertEqual(queue.put(item(session_id, turn_id)), [])
    # "quiet" was last active before "busy": its oldest turn goes first.
    self.assertEqual(ids(queue.put(item("busy", "b3"))), [("quiet", "q1")])
    self.assertEqual(ids(queue.put(item("busy", "b4"))), [("quiet", "q2")])
    # Only "busy" is left: its own oldest turn goes.
    self.assertEqual(ids(queue.put(item("busy", "b5"))), [("busy", "b1")])
    self.assertEqual(queue.held, 4)
    self.assertEqual(queue.claim(), "busy")
    self.assertEqual([queue.take("busy").turn_id for _ in range(4)],
                     ["b2", "b3", "b4", "b5"])

  def test_turns_in_flight_count_but_are_never_dropped(self):
    queue = _queue.TurnQueue(2)
    queue.put(item("a", "a1"))
    queue.put(item("a", "a2"))
    self.assertEqual(queue.claim(), "a")
    queue.take("a")
    queue.take("a")
    # Both held turns are in flight: the new one is the only one droppable.
    self.assertEqual(ids(queue.put(item("b", "b1"))), [("b", "b1")])
    self.assertEqual((queue.pending, queue.in_flight), (0, 2))

  def test_requeued_turns_go_back_in_front_in_order(self):
    queue = _queue.TurnQueue(10)
    for n in range(4):
      queue.put(item("a", f"a{n}"))
    queue.claim()
    in_flight = [queue.take("a"), queue.take("a")]
    queue.put(item("a", "a4"))
    self.assertEqual(queue.requeue("a", in_flight), [])
    queue.release("a")
    self.assertEqual(queue.claim(), "a")
    self.assertEqual([queue.take("a").turn_id for _ in range(5)],
                     ["a0", "a1", "a2", "a3", "a4"])

  def test_dropped_sessions_are_forgotten(self):
    queue = _queue.TurnQueue(1)
    for n in range(1000):
      queue.put(item(f"s{n}", "t"))
    # Only the newest session is left; nothing else is kept around.
    self.assertEqual(len(queue._sessions), 1)  # pylint: disable=protected-access
    self.assertEqual(queue.claim(), "s999")
    self.assertIsNone(queue.claim())

  def test_drain_returns_pending_and_keeps_in_flight(self):
    queue = _queue.TurnQueue(10)
    queue.put(item("a", "a1"))
    queue.put(item("a", "a2"))
    queue.put(item("b", "b1"))
    queue.claim()
    queue.claim()
    queue.take("a")
    self.assertEqual(sorted(ids(queue.drain())), [("a", "a2"), ("b", "b1")])
    self.assertEqual((queue.pending, queue.in_flight), (0, 1))


if __name__ == "__main__":
  unittest.main()
