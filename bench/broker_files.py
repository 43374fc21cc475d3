#!/usr/bin/env python
"""Benchmark of the local broker: processes that start at once on a fresh broker folder, as `make run`'s
web server, worker and beat do on a new checkout.

Not a test. Each round empties a broker folder, then starts `--processes` processes together;
each declares the task queue and a fan-out queue and publishes to both. It prints, per transport,
how many process starts failed and why (kombu's own filesystem transport creates a file empty and
then writes it, so a process that reads it in between gets `JSONDecodeError`), and the time to
pass `--messages` messages from 4 producers to 2 consumers.

    .venv/bin/python bench/broker_files.py
    .venv/bin/python bench/broker_files.py --rounds 100 --processes 8
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from kombu import Connection, Exchange, Queue

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TRANSPORTS = {"kombu filesystem": "kombu.transport.filesystem:Transport", "portal": "channels_portal.broker:Transport"}


def _options(folder: str) -> dict[str, object]:
    return {
        "data_folder_in": f"{folder}/queue",
        "data_folder_out": f"{folder}/queue",
        "processed_folder": f"{folder}/processed",
        "store_processed": False,
        "control_folder": f"{folder}/control",
    }


def _fresh(folder: str) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    for name in ("queue", "processed", "control"):
        os.makedirs(f"{folder}/{name}")


def _connection(transport: str, folder: str) -> Connection:
    return Connection("filesystem://", transport=transport, transport_options=_options(folder))


def _start(transport: str, folder: str, at: float, out: multiprocessing.Queue) -> None:
    while time.time() < at:
        pass
    try:
        with _connection(transport, folder) as connection:
            tasks = Queue("celery", Exchange("celery", type="direct"), routing_key="celery")
            fanout = Exchange("celery.pidbox", type="fanout")
            control = Queue(f"worker-{os.getpid()}.pidbox", fanout)
            producer = connection.Producer()
            producer.publish({"task": "sweep"}, exchange=tasks.exchange, routing_key="celery", declare=[tasks, control])
            producer.publish({"ping": 1}, exchange=fanout, declare=[control])
        out.put("ok")
    except Exception as exc:  # every failure is what the bench counts
        out.put(f"{type(exc).__name__}: {exc}"[:80])


def starts(transport: str, *, rounds: int, processes: int) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="bench-broker-") as folder:
        for _ in range(rounds):
            _fresh(folder)
            out: multiprocessing.Queue = multiprocessing.Queue()
            at = time.time() + 0.3
            started = [
                multiprocessing.Process(target=_start, args=(transport, folder, at, out)) for _ in range(processes)
            ]
            for process in started:
                process.start()
            for process in started:
                process.join()
            outcomes.update(out.get() for _ in started)
    return outcomes


def _produce(transport: str, folder: str, count: int) -> None:
    with _connection(transport, folder) as connection:
        queue = Queue("celery", Exchange("celery", type="direct"), routing_key="celery")
        producer = connection.Producer()
        for n in range(count):
            producer.publish({"n": n, "pad": "x" * 500}, exchange=queue.exchange, routing_key="celery", declare=[queue])


def _consume(transport: str, folder: str, until: float, total: int, received: Any) -> None:
    with _connection(transport, folder) as connection:
        tasks = Queue("celery", Exchange("celery", type="direct"), routing_key="celery")
        queue = connection.SimpleQueue(tasks)  # type: ignore[arg-type]  # kombu takes a Queue or its name
        while time.time() < until and received.value < total:
            try:
                queue.get(block=True, timeout=0.2).ack()
            except queue.Empty:
                continue
            with received.get_lock():
                received.value += 1


def throughput(transport: str, *, messages: int) -> tuple[float, int]:
    """Pass `messages` from 4 producers to 2 consumers; return (seconds until all were received, received)."""
    with tempfile.TemporaryDirectory(prefix="bench-broker-") as folder:
        _fresh(folder)
        received = multiprocessing.Value("i", 0)
        started = time.monotonic()
        consumers = [
            multiprocessing.Process(target=_consume, args=(transport, folder, time.time() + 120, messages, received))
            for _ in range(2)
        ]
        producers = [
            multiprocessing.Process(target=_produce, args=(transport, folder, messages // 4)) for _ in range(4)
        ]
        for process in [*consumers, *producers]:
            process.start()
        for process in [*producers, *consumers]:
            process.join()
        return time.monotonic() - started, int(received.value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--processes", type=int, default=6)
    parser.add_argument("--messages", type=int, default=4000)
    args = parser.parse_args()
    for label, transport in TRANSPORTS.items():
        outcomes = starts(transport, rounds=args.rounds, processes=args.processes)
        failed = sum(n for outcome, n in outcomes.items() if outcome != "ok")
        reasons = {outcome: n for outcome, n in outcomes.items() if outcome != "ok"}
        print(f"{label:17} starts: {args.rounds} rounds × {args.processes} processes, {failed} failed {reasons}")
        elapsed, received = throughput(transport, messages=args.messages)
        print(f"{label:17} {args.messages} messages, 4 producers, 2 consumers: {received} received in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
