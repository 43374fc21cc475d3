"""Xero's rate limits, shared by every sandbox process through Redis (or the Django cache).

Per organisation: 5 calls in flight, 60 per minute, and the day limit of the calling app's tier
(1,000 on Starter, 5,000 above); per app: 10,000 per minute.
Windows are fixed and start at an organisation's first call, so they reset at different times
for each organisation. `XERO_SANDBOX_TIME_SCALE` shrinks the windows (10 → a minute lasts 6 s).
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache

IN_FLIGHT = 5
PER_MINUTE = 60
PER_DAY = 5000
APP_PER_MINUTE = 10_000
PREFIX = "xero-sandbox:rl:"

# Count and check in one step so concurrent workers cannot both take the last call.
ACQUIRE = """
local inflight = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
if inflight > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return {'concurrent', 0, 0, 0, 1000, 1000, 1000}
end
local m = redis.call('INCR', KEYS[2])
if m == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[5]) end
local d = redis.call('INCR', KEYS[3])
if d == 1 then redis.call('PEXPIRE', KEYS[3], ARGV[6]) end
local a = redis.call('INCR', KEYS[4])
if a == 1 then redis.call('PEXPIRE', KEYS[4], ARGV[5]) end
local problem = ''
if d > tonumber(ARGV[3]) then problem = 'day'
elseif m > tonumber(ARGV[2]) then problem = 'minute'
elseif a > tonumber(ARGV[4]) then problem = 'appminute' end
if problem ~= '' then redis.call('DECR', KEYS[1]) end
return {problem, m, d, a, redis.call('PTTL', KEYS[2]), redis.call('PTTL', KEYS[3]), redis.call('PTTL', KEYS[4])}
"""


@dataclass(frozen=True)
class Verdict:
    """The outcome of one call's admission: remaining budgets, and the problem when refused."""

    problem: str
    minute_remaining: int
    day_remaining: int
    app_minute_remaining: int
    retry_after: int

    def headers(self) -> dict[str, str]:
        values = {
            "X-MinLimit-Remaining": str(self.minute_remaining),
            "X-DayLimit-Remaining": str(self.day_remaining),
            "X-AppMinLimit-Remaining": str(self.app_minute_remaining),
        }
        if self.problem:
            values["X-Rate-Limit-Problem"] = self.problem
            values["Retry-After"] = str(self.retry_after)
        return values


def window_seconds(seconds: float) -> float:
    """Return a window's length in real seconds under the configured time scale."""
    return seconds / max(float(settings.XERO_SANDBOX_TIME_SCALE), 1e-6)


@lru_cache(maxsize=4)
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def _keys(tenant: str, app: str) -> list[str]:
    return [
        f"{PREFIX}{tenant}:inflight",
        f"{PREFIX}{tenant}:minute",
        f"{PREFIX}{tenant}:day",
        f"{PREFIX}app:{app}:minute",
    ]


def _verdict(problem: str, m: int, d: int, a: int, ttls: tuple[int, int, int], per_day: int) -> Verdict:
    ttl = {"minute": ttls[0], "day": ttls[1], "appminute": ttls[2]}.get(problem, 1000)
    return Verdict(
        problem=problem,
        minute_remaining=max(0, PER_MINUTE - m),
        day_remaining=max(0, per_day - d),
        app_minute_remaining=max(0, APP_PER_MINUTE - a),
        retry_after=max(1, math.ceil(max(ttl, 0) / 1000)),
    )


def acquire(*, tenant: str, app: str, per_day: int = PER_DAY) -> Verdict:
    """Admit one call of `app` to `tenant` or refuse it; an admitted call must be `release`d.

    `per_day` is the day limit of the app's tier (the organisation's day count is shared).
    """
    if not settings.XERO_SANDBOX_RATE_LIMITS:
        return Verdict("", PER_MINUTE, per_day, APP_PER_MINUTE, 0)
    minute_ms = max(1, int(window_seconds(60) * 1000))
    day_ms = max(1, int(window_seconds(86_400) * 1000))
    if settings.REDIS_URL:
        args = [IN_FLIGHT, PER_MINUTE, per_day, APP_PER_MINUTE, minute_ms, day_ms, 120_000]
        raw: Any = _redis(settings.REDIS_URL).eval(ACQUIRE, 4, *_keys(tenant, app), *args)
        problem = raw[0].decode() if isinstance(raw[0], bytes) else str(raw[0])
        ttls = (int(raw[4]), int(raw[5]), int(raw[6]))
        return _verdict(problem, int(raw[1]), int(raw[2]), int(raw[3]), ttls, per_day)
    return _acquire_cache(tenant=tenant, app=app, minute_ms=minute_ms, day_ms=day_ms, per_day=per_day)


def _cache_count(key: str, window_ms: int) -> tuple[int, int]:
    """Count a call in the current fixed window of `key`; return (count, ms left in the window)."""
    now_ms = int(time.time() * 1000)
    start = cache.get(f"{key}:start")
    if start is None or now_ms - int(start) >= window_ms:
        start = now_ms
        cache.set(f"{key}:start", start, timeout=window_ms / 1000 + 1)
        cache.set(key, 0, timeout=window_ms / 1000 + 1)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=window_ms / 1000 + 1)
        count = 1
    return count, window_ms - (now_ms - int(start))


def _acquire_cache(*, tenant: str, app: str, minute_ms: int, day_ms: int, per_day: int) -> Verdict:
    """Fallback without Redis (a local portal): the Django cache, good enough for one machine."""
    keys = _keys(tenant, app)
    cache.add(keys[0], 0, timeout=120)
    if cache.incr(keys[0]) > IN_FLIGHT:
        cache.decr(keys[0])
        return _verdict("concurrent", 0, 0, 0, (1000, 1000, 1000), per_day)
    m, m_ttl = _cache_count(keys[1], minute_ms)
    d, d_ttl = _cache_count(keys[2], day_ms)
    a, a_ttl = _cache_count(keys[3], minute_ms)
    problem = "day" if d > per_day else "minute" if m > PER_MINUTE else "appminute" if a > APP_PER_MINUTE else ""
    if problem:
        cache.decr(keys[0])
    return _verdict(problem, m, d, a, (m_ttl, d_ttl, a_ttl), per_day)


def release(*, tenant: str, app: str) -> None:
    """End an admitted call (frees its in-flight slot)."""
    if not settings.XERO_SANDBOX_RATE_LIMITS:
        return
    key = _keys(tenant, app)[0]
    if settings.REDIS_URL:
        client = _redis(settings.REDIS_URL)
        left: Any = client.decr(key)
        if int(left) < 0:
            client.set(key, 0, px=120_000)
        return
    with contextlib.suppress(ValueError):
        cache.decr(key)


def reset(*, tenant: str | None = None) -> None:
    """Forget counted calls: of one organisation (and every app), or all of them."""
    if settings.REDIS_URL:
        client = _redis(settings.REDIS_URL)
        patterns = [f"{PREFIX}{tenant}:*", f"{PREFIX}app:*"] if tenant else [f"{PREFIX}*"]
        for pattern in patterns:
            keys = list(client.scan_iter(match=pattern, count=500))
            if keys:
                client.delete(*keys)
        return
    cache.clear()


def day_calls_add(*, tenant: str, calls: int) -> None:
    """Count `calls` more in the organisation's current day window (stages a busy day for tests and drills)."""
    if calls < 1:
        return
    key = _keys(tenant, "")[2]
    day_ms = max(1, int(window_seconds(86_400) * 1000))
    if settings.REDIS_URL:
        client = _redis(settings.REDIS_URL)
        total: Any = client.incrby(key, calls)
        if int(total) == calls:  # a new window starts now, as at a first call
            client.pexpire(key, day_ms)
        return
    _cache_count(key, day_ms)  # counts one and opens the window when needed
    if calls > 1:
        cache.incr(key, calls - 1)


def storm_verdict(*, per_day: int = PER_DAY) -> Verdict:
    """Return the answer of a forced 429 storm: the minute limit, retry after a (scaled) minute."""
    return Verdict("minute", 0, per_day, APP_PER_MINUTE, max(1, math.ceil(window_seconds(60))))
