"""The limits every Xero call of every worker keeps (DESIGN invariant 5), and their windows.

Per Xero organisation: 5 calls in flight, 60 per minute, and the day limit Xero's headers show
(1,000 on the Starter tier until an `X-DayLimit-Remaining` proves more; see `facts`); per Xero
app: 10,000 per minute. Windows scale with `settings.XERO_RATE_TIME_SCALE` (10 → a minute lasts
6 seconds), like the sandbox's. Both limiters (`limiter_redis`, `limiter_db`) keep these rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Limits:
    in_flight: int = 5
    per_minute: int = 60
    per_day: int = 1000  # until Xero's headers say otherwise (accounting.sync.facts)
    app_per_minute: int = 10_000


LIMITS = Limits()
# How long a granted call may stay in flight before its slot is presumed lost (a dead worker).
LEASE_SECONDS = 120.0
# How soon to look again when only the in-flight limit refused (a call ends in well under a second).
IN_FLIGHT_WAIT = 0.3


def limit_refusal_message(reason: str) -> str:
    """The message of a limiter's refusal: `reason` is "day", "minute", "in flight", "app minute"…"""
    return f"Xero {reason} limit: waiting."


def minute_seconds() -> float:
    return 60.0 / float(settings.XERO_RATE_TIME_SCALE)


def day_seconds() -> float:
    return 86400.0 / float(settings.XERO_RATE_TIME_SCALE)
