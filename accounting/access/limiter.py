"""The one rate limiter every Xero call of every worker passes (DESIGN invariant 5).

Per Xero organisation: 5 calls in flight, 60 per minute, and the day limit Xero's headers show
(1,000 on the Starter tier until an `X-DayLimit-Remaining` proves more; see `facts`); per Xero
app: 10,000 per minute. Xero's remaining count also corrects the day counter, so calls made by
other apps or processes on the same organisation are planned for. State lives in Redis and
every decision is one Lua script, so workers on any machine agree. A refused call raises
`XeroBudgetExhausted` with the wait: callers reschedule, never sleep.

The minute windows are sliding and a call counts from when it is granted until a full window
after its answer arrived: Xero counts a call when it arrives, somewhere in between, so no window
of Xero's, whatever its phase, can see more than the limit. Windows scale with
`settings.XERO_RATE_TIME_SCALE` (10 → a minute lasts 6 seconds), like the sandbox's.

The rules are in `limits`; the state lives in Redis (`limiter_redis`), or, without Redis
(`settings.REDIS_URL` empty, a local portal), in the database (`limiter_db`). This module is the
gate a client passes, and the choice between the two.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings

from accounting.access.facts import facts_day_report
from accounting.access.limiter_db import DatabaseLimiter
from accounting.access.limiter_redis import RedisLimiter
from accounting.access.limits import LIMITS, minute_seconds
from accounting.providers.xero.errors import XeroAppLimit, XeroRateLimited
from accounting.providers.xero.headers import RateHeaders


def remaining_pause(headers: Mapping[str, str] | RateHeaders) -> tuple[float, bool] | None:
    """Return (seconds, app_wide) to pause for when Xero says a budget is spent, else None.

    The minute budget needs no header: the sliding window above is already stricter than Xero's.
    """
    rates = headers if isinstance(headers, RateHeaders) else RateHeaders.of(headers)
    if rates.app_spent:
        return minute_seconds(), True
    if rates.day_spent:
        # Xero does not say when its day window ends; its next 429 carries the exact Retry-After.
        return minute_seconds(), False
    return None


class LimiterGate:
    """The client's view of the limiter for one organisation of one Xero app."""

    def __init__(self, *, limiter: Any, tenant_id: str, app_key: str, day_limit: int | None = None):
        """`day_limit`: the organisation's, as learnt from Xero (`facts.day_limit_of`)."""
        self.limiter = limiter
        self.tenant_id = tenant_id
        self.app_key = app_key
        self.day_limit = day_limit or LIMITS.per_day

    def acquire(self) -> object:
        return self.limiter.acquire(tenant_id=self.tenant_id, app_key=self.app_key, day_limit=self.day_limit)

    def release(self, permit: object, *, headers: Mapping[str, str]) -> None:
        self.limiter.release(tenant_id=self.tenant_id, app_key=self.app_key, permit=permit)
        rates = RateHeaders.of(headers)
        remaining = rates.day_remaining
        if remaining is not None:
            # Xero's count is the truth: it sees every app's calls to the organisation.
            minute = rates.minute_remaining
            self.day_limit = facts_day_report(tenant_id=self.tenant_id, remaining=remaining, minute_remaining=minute)
            self.limiter.day_used(tenant_id=self.tenant_id, used=self.day_limit - remaining)
        pause = remaining_pause(rates)
        if pause is not None:
            seconds, app_wide = pause
            self.limiter.pause(
                tenant_id=self.tenant_id, app_key=self.app_key, seconds=seconds, app_wide=app_wide, count=False
            )

    def cancel(self, permit: object) -> None:
        self.limiter.cancel(tenant_id=self.tenant_id, app_key=self.app_key, permit=permit)

    def pause(self, *, error: XeroRateLimited) -> None:
        """Stop every worker from calling the organisation (or, for an app limit, the app) for
        as long as Xero's 429 said."""
        app_wide = isinstance(error, XeroAppLimit)
        self.limiter.pause(
            tenant_id=self.tenant_id, app_key=self.app_key, seconds=error.retry_after, app_wide=app_wide, count=True
        )


def limiter() -> Any:
    """Return the limiter for this deployment: Redis when configured, else the database."""
    if settings.REDIS_URL:
        return RedisLimiter(settings.REDIS_URL)
    return DatabaseLimiter()
