"""The local portal's broker: kombu's filesystem transport, with every file it shares written whole.

`make run` needs no broker server: web, worker and beat pass messages as files in `.local/broker/`
(`CELERY_BROKER_URL=filesystem://`). Kombu's own transport writes a file in place (open, which
creates it empty, then write), so another process can read it in between: an empty or half-written
message or exchange table, and `JSONDecodeError` kills the reader. It happens most where the three
processes start at once on a fresh checkout (`bench/broker_files.py` measures it: 23 to 45 of 240
process starts failed with kombu's transport, none with this one). Here each file is written under a name
the readers ignore, then renamed into place, which is atomic on one file system: a reader sees the
whole file or none. Everything else is kombu's.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from pathlib import Path
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


def _write_whole(path: Path, data: bytes, *, replace: bool = True) -> bool:
    """Write `data` to `path` through a temporary name and a rename; with replace=False keep an
    existing file (return whether `data` was written)."""
    temporary = path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")
    temporary.write_bytes(data)
    try:
        if replace:
            os.replace(temporary, path)
            return True
        try:
            os.link(temporary, path)  # fails when the file exists: never overwrites
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: dict[str, Any], **kwargs: Any) -> None:  # type: ignore[override]
        """Put a message on `queue`: written whole under a name `_get` skips, then renamed."""
        name = f"{round(time.monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        try:
            _write_whole(Path(self.data_folder_out) / name, str_to_bytes(dumps(payload)))
        except OSError as exc:
            raise ChannelError(f"Cannot add file {name!r} to directory") from exc

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str | None, queue: str) -> None:
        """Create the exchange's table whole (empty) when missing; kombu then adds the binding
        under its file lock, as it updates an existing table."""
        file: Path = self._exchange_file(exchange)  # type: ignore[attr-defined]
        self.control_folder.mkdir(exist_ok=True)
        if not file.exists():
            _write_whole(file, str_to_bytes(dumps([])), replace=False)
        super()._queue_bind(exchange, routing_key, pattern, queue)


class Transport(filesystem.Transport):
    Channel = Channel
