"""The rate-limit headers of Xero's answers, read once into a typed value.

Every answer carries `X-DayLimit-Remaining`, `X-MinLimit-Remaining` and `X-AppMinLimit-Remaining`
(some also `X-AppLimit-Remaining`); header names compare case-insensitively. A count that is
absent or not a number is None: nothing is known of that budget.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

DAY_REMAINING = "X-DayLimit-Remaining"
MINUTE_REMAINING = "X-MinLimit-Remaining"
APP_MINUTE_REMAINING = "X-AppMinLimit-Remaining"
APP_REMAINING = "X-AppLimit-Remaining"
_COUNT = re.compile(r"[+-]?\d+")


def _count(lowered: Mapping[str, str], name: str) -> int | None:
    raw = lowered.get(name.lower())
    if raw is None or not _COUNT.fullmatch(raw.strip()):
        return None
    return max(int(raw), 0)


@dataclass(frozen=True)
class RateHeaders:
    """The calls Xero says remain (None: not said) for the organisation today and this minute,
    and for the whole app this minute."""

    day_remaining: int | None = None
    minute_remaining: int | None = None
    app_minute_remaining: int | None = None
    app_remaining: int | None = None

    @classmethod
    def of(cls, headers: Mapping[str, str]) -> RateHeaders:
        """Return the counts of an answer's headers."""
        lowered = {name.lower(): value for name, value in headers.items()}
        return cls(
            day_remaining=_count(lowered, DAY_REMAINING),
            minute_remaining=_count(lowered, MINUTE_REMAINING),
            app_minute_remaining=_count(lowered, APP_MINUTE_REMAINING),
            app_remaining=_count(lowered, APP_REMAINING),
        )

    @property
    def day_spent(self) -> bool:
        """Return whether Xero says the organisation's day budget is spent."""
        return self.day_remaining == 0

    @property
    def app_spent(self) -> bool:
        """Return whether Xero says the app's budget (across every organisation) is spent."""
        return 0 in (self.app_remaining, self.app_minute_remaining)

    def shown(self) -> dict[str, int | None]:
        """Return the counts a person reads, by label: today, this minute, this minute for the app."""
        return {
            "today": self.day_remaining,
            "this minute": self.minute_remaining,
            "this minute for the whole app": self.app_minute_remaining,
        }
