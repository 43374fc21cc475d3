"""The limiter's rules kept in the database, for a portal without Redis (a local `make run`).

Same limits and the same sliding windows as `limiter_redis.RedisLimiter`; each decision runs in a
transaction holding the scope's row lock (PostgreSQL), or SQLite's single writer lock.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.utils import timezone

from accounting.access import limits as rules
from accounting.providers.xero.errors import XeroAppLimitReached, XeroBudgetExhausted, XeroDayLimitReached
from accounting.sync.models import LimiterCall, LimiterScope


def _locked_scope(scope: str) -> LimiterScope:
    LimiterScope.objects.get_or_create(scope=scope)
    return LimiterScope.objects.select_for_update().get(scope=scope)


def _seconds(value: float) -> dt.timedelta:
    return dt.timedelta(seconds=value)


class DatabaseLimiter:
    """Per organisation and per app limits, decided under a row lock."""

    def acquire(self, *, tenant_id: str, app_key: str, day_limit: int | None = None) -> str:
        org, app = f"org:{tenant_id}", f"app:{app_key}"
        with transaction.atomic():
            now = timezone.now()
            org_row, app_row = _locked_scope(org), _locked_scope(app)
            LimiterCall.objects.filter(counts_until__lte=now).delete()
            for row, refusal in ((org_row, XeroBudgetExhausted), (app_row, XeroAppLimitReached)):
                if row.paused_until and row.paused_until > now:
                    raise refusal("Xero limit: paused.", retry_after=(row.paused_until - now).total_seconds())
            self._check(org=org, app=app, now=now)
            if org_row.day_started_at is None or now - org_row.day_started_at >= _seconds(rules.day_seconds()):
                org_row.day_started_at, org_row.day_count = now, 0
            if org_row.day_count >= (day_limit or rules.LIMITS.per_day):
                wait = org_row.day_started_at + _seconds(rules.day_seconds()) - now
                raise XeroDayLimitReached(rules.limit_refusal_message("day"), retry_after=wait.total_seconds())
            org_row.day_count += 1
            org_row.save(update_fields=["day_started_at", "day_count"])
            token = uuid.uuid4().hex
            lease = now + _seconds(rules.LEASE_SECONDS)
            until = lease + _seconds(rules.minute_seconds())
            LimiterCall.objects.bulk_create(
                [LimiterCall(scope=s, token=token, in_flight_until=lease, counts_until=until) for s in (org, app)]
            )
            return token

    def _check(self, *, org: str, app: str, now: dt.datetime) -> None:
        live = LimiterCall.objects.filter(counts_until__gt=now)
        minute = live.filter(scope=org).order_by("counts_until")
        if minute.count() >= rules.LIMITS.per_minute:
            first = minute.first()
            wait = (first.counts_until - now).total_seconds() if first else rules.IN_FLIGHT_WAIT
            raise XeroBudgetExhausted(rules.limit_refusal_message("minute"), retry_after=max(wait, 0.01))
        if live.filter(scope=org, in_flight_until__gt=now).count() >= rules.LIMITS.in_flight:
            raise XeroBudgetExhausted(rules.limit_refusal_message("in flight"), retry_after=rules.IN_FLIGHT_WAIT)
        if live.filter(scope=app).count() >= rules.LIMITS.app_per_minute:
            raise XeroAppLimitReached(rules.limit_refusal_message("app minute"), retry_after=1.0)

    def release(self, *, tenant_id: str, app_key: str, permit: object) -> None:
        now = timezone.now()
        LimiterCall.objects.filter(token=str(permit)).update(
            in_flight_until=None, counts_until=now + _seconds(rules.minute_seconds())
        )

    def cancel(self, *, tenant_id: str, app_key: str, permit: object) -> None:
        with transaction.atomic():
            row = _locked_scope(f"org:{tenant_id}")
            if LimiterCall.objects.filter(token=str(permit)).delete()[0] and row.day_count:
                row.day_count -= 1
                row.save(update_fields=["day_count"])

    def day_used(self, *, tenant_id: str, used: int) -> None:
        """Raise the organisation's day count to `used` (its day limit less Xero's remaining count)."""
        with transaction.atomic():
            row = _locked_scope(f"org:{tenant_id}")
            now = timezone.now()
            if row.day_started_at is None or now - row.day_started_at >= _seconds(rules.day_seconds()):
                row.day_started_at, row.day_count = now, 0
            if used > row.day_count:
                row.day_count = used
                row.save(update_fields=["day_started_at", "day_count"])

    def pause(self, *, tenant_id: str, app_key: str, seconds: float, app_wide: bool = False, count: bool) -> None:
        scope = f"app:{app_key}" if app_wide else f"org:{tenant_id}"
        with transaction.atomic():
            row = _locked_scope(scope)
            until = timezone.now() + _seconds(seconds)
            if row.paused_until is None or row.paused_until < until:
                row.paused_until = until
                row.save(update_fields=["paused_until"])
