"""The shared limiter in Redis: every decision one Lua script, so workers on any machine agree.

The minute windows are sliding and a call counts from when it is granted until a full window
after its answer arrived: Xero counts a call when it arrives, somewhere in between, so no window
of Xero's, whatever its phase, can see more than the limit. A refused call raises
`XeroBudgetExhausted` with the wait: callers reschedule, never sleep.
"""

from __future__ import annotations

import uuid
from functools import lru_cache

import redis

from accounting.access.limits import (
    IN_FLIGHT_WAIT,
    LEASE_SECONDS,
    LIMITS,
    day_seconds,
    limit_refusal_message,
    minute_seconds,
)
from accounting.providers.xero.errors import XeroAppLimitReached, XeroBudgetExhausted, XeroDayLimitReached

ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local token, window, day_window, lease = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local max_flight, max_min, max_day, max_app = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local in_wait = tonumber(ARGV[9])
local paused = tonumber(redis.call('GET', KEYS[4]) or '0')
if paused > now then return {0, tostring(paused - now), 'paused'} end
local app_paused = tonumber(redis.call('GET', KEYS[6]) or '0')
if app_paused > now then return {0, tostring(app_paused - now), 'app paused'} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= max_min then
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {0, tostring(math.max(tonumber(first[2]) - now, 0.01)), 'minute'}
end
if redis.call('ZCARD', KEYS[1]) >= max_flight then return {0, tostring(in_wait), 'in flight'} end
local day = tonumber(redis.call('GET', KEYS[3]) or '0')
if day >= max_day then
  return {0, tostring(math.max(redis.call('PTTL', KEYS[3]) / 1000, 0.01)), 'day'}
end
if redis.call('ZCARD', KEYS[5]) >= max_app then
  local first = redis.call('ZRANGE', KEYS[5], 0, 0, 'WITHSCORES')
  return {0, tostring(math.max(tonumber(first[2]) - now, 0.01)), 'app minute'}
end
redis.call('ZADD', KEYS[1], now + lease, token)
redis.call('ZADD', KEYS[2], now + lease + window, token)
redis.call('ZADD', KEYS[5], now + lease + window, token)
redis.call('PEXPIRE', KEYS[1], math.ceil((lease + window) * 1000))
redis.call('PEXPIRE', KEYS[2], math.ceil((lease + window) * 1000))
redis.call('PEXPIRE', KEYS[5], math.ceil((lease + window) * 1000))
if redis.call('INCR', KEYS[3]) == 1 then redis.call('PEXPIRE', KEYS[3], math.ceil(day_window * 1000)) end
return {1, '0', 'ok'}
"""

RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local token, window = ARGV[1], tonumber(ARGV[2])
redis.call('ZREM', KEYS[1], token)
redis.call('ZADD', KEYS[2], 'XX', now + window, token)
redis.call('ZADD', KEYS[3], 'XX', now + window, token)
return 1
"""

CANCEL = """
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('ZREM', KEYS[2], ARGV[1]) == 1 then
  if tonumber(redis.call('GET', KEYS[3]) or '0') > 0 then redis.call('DECR', KEYS[3]) end
end
redis.call('ZREM', KEYS[4], ARGV[1])
return 1
"""

PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local untill = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untill > current then
  redis.call('SET', KEYS[1], tostring(untill), 'PX', math.ceil(tonumber(ARGV[1]) * 1000) + 1000)
end
if ARGV[2] == '1' then redis.call('INCR', KEYS[2]) end
return 1
"""


DAY_USED = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
  else redis.call('SET', KEYS[1], ARGV[1], 'PX', math.ceil(tonumber(ARGV[2]) * 1000)) end
end
return 1
"""


@lru_cache(maxsize=4)
def _redis_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def _keys(tenant_id: str, app_key: str) -> dict[str, str]:
    org = f"xero-limit:org:{tenant_id}"
    app = f"xero-limit:app:{app_key}"
    return {
        "in_flight": f"{org}:in-flight",
        "minute": f"{org}:minute",
        "day": f"{org}:day",
        "pause": f"{org}:paused-until",
        "app_minute": f"{app}:minute",
        "app_pause": f"{app}:paused-until",
    }


STATS_429 = "xero-limit:stats:429"
# The typed refusal of each reason ACQUIRE gives (any other: XeroBudgetExhausted).
REFUSALS: dict[str, type[XeroBudgetExhausted]] = {
    "day": XeroDayLimitReached,
    "app minute": XeroAppLimitReached,
    "app paused": XeroAppLimitReached,
}


class RedisLimiter:
    """The limiter state in Redis, shared by every process that reaches the same server."""

    def __init__(self, url: str):
        self.redis = _redis_for(url)
        self._acquire = self.redis.register_script(ACQUIRE)
        self._release = self.redis.register_script(RELEASE)
        self._pause = self.redis.register_script(PAUSE)
        self._cancel = self.redis.register_script(CANCEL)
        self._day_used = self.redis.register_script(DAY_USED)

    def acquire(self, *, tenant_id: str, app_key: str, day_limit: int | None = None) -> str:
        """Return a permit for one call; raise XeroBudgetExhausted with the wait otherwise."""
        keys = _keys(tenant_id, app_key)
        token = uuid.uuid4().hex
        granted, wait, reason = self._acquire(
            keys=[keys["in_flight"], keys["minute"], keys["day"], keys["pause"], keys["app_minute"], keys["app_pause"]],
            args=[
                token,
                minute_seconds(),
                day_seconds(),
                LEASE_SECONDS,
                LIMITS.in_flight,
                LIMITS.per_minute,
                day_limit or LIMITS.per_day,
                LIMITS.app_per_minute,
                IN_FLIGHT_WAIT,
            ],
        )
        if not granted:
            reason_text = reason.decode() if isinstance(reason, bytes) else str(reason)
            refusal = REFUSALS.get(reason_text, XeroBudgetExhausted)
            raise refusal(limit_refusal_message(reason_text), retry_after=float(wait))
        return token

    def release(self, *, tenant_id: str, app_key: str, permit: str) -> None:
        keys = _keys(tenant_id, app_key)
        self._release(keys=[keys["in_flight"], keys["minute"], keys["app_minute"]], args=[permit, minute_seconds()])

    def cancel(self, *, tenant_id: str, app_key: str, permit: str) -> None:
        """Forget a permit that was never used for a call."""
        keys = _keys(tenant_id, app_key)
        self._cancel(keys=[keys["in_flight"], keys["minute"], keys["day"], keys["app_minute"]], args=[permit])

    def day_used(self, *, tenant_id: str, used: int) -> None:
        """Raise the organisation's day count to `used` (its day limit less Xero's remaining count)."""
        self._day_used(keys=[_keys(tenant_id, "")["day"]], args=[used, day_seconds()])

    def pause(self, *, tenant_id: str, app_key: str, seconds: float, app_wide: bool = False, count: bool) -> None:
        """Stop every worker from calling this organisation (or app) for `seconds`."""
        keys = _keys(tenant_id, app_key)
        key = keys["app_pause"] if app_wide else keys["pause"]
        self._pause(keys=[key, STATS_429], args=[max(seconds, 0.001), "1" if count else "0"])
