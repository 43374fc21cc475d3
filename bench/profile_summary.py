#!/usr/bin/env python
"""Summarise py-spy raw (collapsed) stacks: the functions with the most samples.

    .venv/bin/python bench/profile_summary.py .local/profile/worker-*.txt [--top 25] [--match accounting/]

"inclusive" counts the samples where the function is anywhere on the stack (once per sample),
"own" those where it is the innermost frame. Percentages are of all samples of the files given.
Frames are shown as `function (path:line)` with the path from the site-packages or project root.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")


def short(frame: str) -> str:
    """Return a frame without its line number and with a short path."""
    match = FRAME.match(frame)
    if not match:
        return frame
    path = match["file"]
    for marker in ("site-packages/", "/perf/", "/main/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match['func']} ({path})"


def summarise(paths: list[Path]) -> tuple[int, Counter[str], Counter[str]]:
    total = 0
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for path in paths:
        for line in path.read_text().splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            frames = [short(f) for f in stack.split(";")]
            # The first frame is the thread ("process 123:..." / "thread (0x...)") when py-spy adds it.
            frames = [f for f in frames if not f.startswith(("process ", "thread "))]
            if not frames:
                continue
            total += count
            for frame in set(frames):
                inclusive[frame] += count
            own[frames[-1]] += count
    return total, inclusive, own


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", default="", help="list only frames containing this (e.g. accounting/)")
    args = parser.parse_args()
    total, inclusive, own = summarise(args.files)
    if not total:
        print("no samples")
        return
    print(f"{total} samples")
    print(f"\nTop {args.top} by inclusive samples:")
    chosen = [(frame, count) for frame, count in inclusive.most_common() if args.match in frame]
    for frame, count in chosen[: args.top]:
        print(f"{100 * count / total:5.1f}%  {frame}")
    print(f"\nTop {args.top} by own samples:")
    for frame, count in own.most_common(args.top):
        print(f"{100 * count / total:5.1f}%  {frame}")


if __name__ == "__main__":
    main()
