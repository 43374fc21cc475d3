"""Celery beat's scheduler: the persistent one, starting afresh from a schedule file it cannot read.

Beat keeps only the last run time of each entry in its schedule file (a shelve). A beat killed
while writing it (Ctrl-C or a kill during start-up) can leave the file half-written; Celery's
own scheduler then stops with `EOFError: Ran out of input` on every later start until the
file is deleted by hand. This one deletes it and starts again from the configured schedule:
the worst that follows is that each entry runs once at start-up, which every task here allows.
"""

from __future__ import annotations

import logging
import shelve  # nosec B403  # celery beat's own schedule file under .local/, written by this process only
from contextlib import suppress
from pathlib import Path
from typing import Any

from celery.beat import PersistentScheduler

logger = logging.getLogger(__name__)


class RecoveringPersistentScheduler(PersistentScheduler):
    """PersistentScheduler that replaces an unreadable schedule file instead of exiting."""

    # Set by PersistentScheduler (absent from its type stubs).
    schedule_filename: str
    _store: shelve.Shelf[Any] | None

    def setup_schedule(self) -> None:
        try:
            super().setup_schedule()
        except Exception as exc:
            logger.warning(
                "Beat's schedule file %s could not be read (%r): it is replaced by a new one.",
                self.schedule_filename,
                exc,
            )
            if self._store is not None:
                with suppress(Exception):
                    self._store.close()
            self._store = None
            for suffix in self.known_suffixes:  # the shelve's files: "", ".db", ".dat", ".dir", ...
                Path(self.schedule_filename + suffix).unlink(missing_ok=True)
            super().setup_schedule()
