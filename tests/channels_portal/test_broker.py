"""The local broker (kombu's filesystem transport, files written whole): processes starting at once
on a fresh broker folder, as make run's web server, worker and beat do, all get through."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _bench():
    spec = importlib.util.spec_from_file_location("broker_files", ROOT / "bench" / "broker_files.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_processes_starting_together_on_a_fresh_broker_folder_all_get_through():
    bench = _bench()
    outcomes = bench.starts("channels_portal.broker:Transport", rounds=15, processes=6)
    assert dict(outcomes) == {"ok": 90}


def test_every_message_published_is_received_once():
    bench = _bench()
    _elapsed, received = bench.throughput("channels_portal.broker:Transport", messages=800)
    assert received == 800
