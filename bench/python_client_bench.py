#!/usr/bin/env python3
"""What ftcapture's Python client costs the chat thread, per call.

Starts the built ftcapture-server on a free loopback port (fresh temp data
dir, --sync=always) and times each user()/assistant() call as the chat
thread sees it, in these runs:

  queued            the default client, server up, 1 chat thread
  queued x8         8 chat threads sharing one client
  queued, stopped   nothing listening (ftcapture stopped): queue fills,
                    oldest turns dropped
  blocking          blocking=True, one RPC per call (what calling inline costs)

Turns as in bench/turn_mix.h: user 40-300 bytes (2% praise), reply 100-800
bytes with a 2-4 KB system prompt and 3-8 memories. Each chat thread paces
its calls (sleeping --pace_us between calls, as a chat thread waits for the
model) so the sender threads run beside it, as in a real backend. Prints median, p99 and max per run.

  PYTHONPATH=build/python /usr/bin/python3 bench/python_client_bench.py \
      --server_bin=build/ftcapture-server [--turns=20000] [--pace_us=100]
"""

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import ftcapture

WORDS = ("garden kettle tulip bulb clay soil steam whistle brass sand grit "
         "drainage timmy answer question memory prompt helper friendly").split()


def text(rng, low, high):
  out, size, length = [], rng.randint(low, high), 0
  while length < size:
    out.append(rng.choice(WORDS))
    length += len(out[-1]) + 1
  return " ".join(out)


def make_turns(count, seed, sessions):
  """(session, turn_id, role, text, prompt, memories) in chat order."""
  rng = random.Random(seed)
  turns = []
  for n in range(count // 2):
    session = f"bench-{seed}-{n % sessions}"
    user = ("Good one, Timmy! " if rng.random() < 0.02 else "") + text(
        rng, 40, 300)
    turns.append((session, f"u{n}", "user", user, "", None))
    memories = [text(rng, 30, 120) for _ in range(rng.randint(3, 8))]
    turns.append((session, f"a{n}", "assistant", text(rng, 100, 800),
                  "You are Timmy. " + text(rng, 2000, 4000), memories))
  return turns


def chat(capture, turns, pace, samples):
  clock = time.perf_counter_ns
  for session, turn_id, role, body, prompt, memories in turns:
    start = clock()
    if role == "user":
      capture.user(session, turn_id, body)
    else:
      capture.assistant(session, turn_id, body, system_prompt=prompt,
                        memories=memories)
    samples.append(clock() - start)
    if pace:
      # The chat thread waits for the model or the network between turns,
      # which releases the GIL to the sender threads as sleep does.
      time.sleep(pace)


def run(name, capture, threads, turns_per_thread, pace, flush_timeout=60):
  samples = [[] for _ in range(threads)]
  workers = [
      threading.Thread(target=chat,
                       args=(capture, make_turns(turns_per_thread, t, 50),
                             pace, samples[t])) for t in range(threads)
  ]
  began = time.perf_counter()
  for worker in workers:
    worker.start()
  for worker in workers:
    worker.join()
  calls_done = time.perf_counter() - began
  flushed = capture.flush(flush_timeout) if not capture.blocking else True
  total = time.perf_counter() - began
  stats = capture.client_stats()
  capture.close(timeout=0.5)
  all_us = sorted(s / 1000 for per in samples for s in per)
  p99 = all_us[min(len(all_us) - 1, int(len(all_us) * 0.99))]
  print(f"{name:<18} calls={len(all_us):>6}  median={statistics.median(all_us):8.1f} us"
        f"  p99={p99:8.1f} us  max={all_us[-1]:9.1f} us  "
        f"calls {calls_done:5.2f} s, all sent {total:5.2f} s "
        f"(flushed={flushed})" + ("" if capture.blocking else
                                  f" sent={stats.sent} dropped={stats.dropped}"),
        flush=True)


def free_port():
  with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    return probe.getsockname()[1]


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--server_bin", default="build/ftcapture-server")
  parser.add_argument("--turns", type=int, default=20000,
                      help="calls per run (split among the chat threads)")
  parser.add_argument("--pace_us", type=float, default=100.0)
  args = parser.parse_args()
  pace = args.pace_us / 1e6

  data_dir = tempfile.mkdtemp(prefix="ftcapture-pybench-")
  address = f"127.0.0.1:{free_port()}"
  server = subprocess.Popen([args.server_bin, f"--listen={address}",
                             f"--data_dir={data_dir}"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
  try:
    if "listening on" not in server.stdout.readline():
      sys.exit("python_client_bench: ftcapture-server did not start")
    print(f"python {sys.version.split()[0]}, grpcio, {os.cpu_count()} CPUs; "
          f"{args.turns} calls per run, {args.pace_us:g} us between calls")
    run("queued", ftcapture.Client(address), 1, args.turns, pace)
    # The same offered rate from 8 threads: each waits 8x as long.
    run("queued x8", ftcapture.Client(address), 8, args.turns // 8, pace * 8)
    stopped = f"127.0.0.1:{free_port()}"
    run("queued, stopped", ftcapture.Client(stopped, max_queue=1000), 1,
        args.turns, pace, flush_timeout=1)
    run("blocking", ftcapture.Client(address, blocking=True), 1,
        min(args.turns, 4000), 0)
  finally:
    server.terminate()
    server.wait()
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
  main()
