"""Redis store: the ledger for many hosts, on the user's own redis-py (or compatible) client.

Reserve is ONE Lua script (``RESERVE_SCRIPT``): Redis runs a script atomically, so reading every
counter, checking it and recording the reservation cannot interleave with another client. Settle,
expire and usage are scripts too. Every key carries the hash tag ``{...}`` of the prefix, so all of a
ledger's keys live in one slot and the scripts also run on Redis Cluster.

Times come from the caller's clock (passed in ARGV), not Redis ``TIME``: the injected clock stays the
single source of truth; hosts sharing a ledger should run NTP.

The package never imports redis: the client is typed by a Protocol naming the two methods used,
and any error the client raises becomes a ``StateError`` (unreachable means refused, never "zero
spend").
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, List, Mapping, Protocol, Sequence, Tuple

from ...errors import StateError
from ..limits import Line
from .base import (
    EXPIRED_RETENTION,
    ReserveResult,
    SettleRecord,
    Store,
    UnknownReservationError,
    Usage,
    check_usage,
    decode_lines,
    encode_lines,
)

__all__ = ["RedisClient", "RedisStore", "RESERVE_SCRIPT", "SETTLE_SCRIPT", "EXPIRE_SCRIPT", "USAGE_SCRIPT"]


class RedisClient(Protocol):
    """The part of a redis-py client the store uses."""

    def eval(self, script: str, numkeys: int, *keys_and_args: Any) -> Any: ...  # noqa: E704

    def evalsha(self, sha: str, numkeys: int, *keys_and_args: Any) -> Any: ...  # noqa: E704


# Shared Lua: number formatting that round-trips doubles, counter reads with corruption checks,
# and the one way a charge is committed (fixed: add; sliding: timestamped member; bucket: drain+add).
_LUA_COMMON = r"""
local function fmt(x) return string.format('%.17g', x) end
local function corrupt(key) return redis.error_reply('CORRUPT ledger counter ' .. key) end
local function old_sum(z, cutoff)
  -- charges that have left the window but are still counted in the running sum
  local total = 0
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', z, '-inf', fmt(cutoff))) do
    local amount = tonumber(string.match(m, ':([^:]*)$'))
    if amount == nil then return nil end
    total = total + amount
  end
  return total
end
local function read(h, z, kind, param, now)
  local v = redis.call('HMGET', h, 'c', 'r', 's')
  local c, r, s = tonumber(v[1] or '0'), tonumber(v[2] or '0'), tonumber(v[3] or fmt(now))
  if c == nil or r == nil or s == nil then return nil end
  if kind == 'sliding' then
    local old = old_sum(z, now - param)
    if old == nil then return nil end
    c = c - old
    if c < 1e-9 and c > -1e-9 then c = 0 end
  elseif kind == 'bucket' and v[1] and now > s then
    c = math.max(0, c - param * (now - s))
  end
  if r < 1e-9 and r > -1e-9 then r = 0 end
  if not (c >= 0 and r >= 0 and c < math.huge and r < math.huge) then return nil end
  return {c, r, s}
end
local function commit(h, z, kind, param, amount, unreserve, now, member)
  local u = read(h, z, kind, param, now)
  if u == nil then return false end
  local r = u[2] - unreserve
  if r < 1e-9 and r > -1e-9 then r = 0 end
  if kind == 'sliding' then
    -- u[1] already excludes the charges leaving now: store it as the new running sum
    redis.call('ZREMRANGEBYSCORE', z, '-inf', fmt(now - param))
    -- a charge counter keeps members unique: a reservation id reused with the same amount would
    -- otherwise overwrite its earlier charge, which then never left the window
    local n = redis.call('HINCRBY', h, 'n', 1)
    redis.call('ZADD', z, fmt(now), member .. ':' .. n .. ':' .. fmt(amount))
    redis.call('HSET', h, 'c', fmt(u[1] + amount), 'r', fmt(r))
  elseif kind == 'bucket' then
    redis.call('HSET', h, 'c', fmt(u[1] + amount), 'r', fmt(r), 's', fmt(math.max(u[3], now)))
  else
    redis.call('HSET', h, 'c', fmt(u[1] + amount), 'r', fmt(r))
  end
  return true
end
"""

# KEYS: reservation hash, expiry zset, then per line its counter hash and sliding zset.
# ARGV: now, expires_at, lines json, line count, then per line kind, amount, cap, param.
RESERVE_SCRIPT = _LUA_COMMON + r"""
local now, expires, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])
if redis.call('EXISTS', KEYS[1]) == 1 then return {'dup'} end
local used, refused, out = {}, -1, {}
for i = 1, n do
  local a = 4 + (i - 1) * 4
  local kind, amount, cap, param = ARGV[a + 1], tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
  local u = read(KEYS[1 + 2 * i], KEYS[2 + 2 * i], kind, param, now)
  if u == nil then return corrupt(KEYS[1 + 2 * i]) end
  used[i] = u
  out[#out + 1] = fmt(u[1]); out[#out + 1] = fmt(u[2])
  if refused < 0 and amount > 0 and u[1] + u[2] + amount > cap then refused = i - 1 end
end
if refused >= 0 then return {'refused', tostring(refused), unpack(out)} end
for i = 1, n do
  local a = 4 + (i - 1) * 4
  local kind, amount = ARGV[a + 1], tonumber(ARGV[a + 2])
  local h, u = KEYS[1 + 2 * i], used[i]
  if kind == 'bucket' then
    redis.call('HSET', h, 'c', fmt(u[1]), 'r', fmt(u[2] + amount), 's', fmt(math.max(u[3], now)))
  else
    redis.call('HSET', h, 'r', fmt(u[2] + amount))
  end
end
redis.call('HSET', KEYS[1], 'l', ARGV[3], 'e', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], KEYS[1])
return {'ok', '-1', unpack(out)}
"""

# KEYS: reservation hash, expiry zset. ARGV: now, key prefix, actual json ({"usd": 0.01, ...}).
SETTLE_SCRIPT = _LUA_COMMON + r"""
local now, prefix = tonumber(ARGV[1]), ARGV[2]
local actual = cjson.decode(ARGV[3])
local v = redis.call('HMGET', KEYS[1], 'l', 'x')
if not v[1] then return {'unknown'} end
local ok, lines = pcall(cjson.decode, v[1])
if not ok then return redis.error_reply('CORRUPT reservation ' .. KEYS[1]) end
local expired = v[2] and true or false
local out = {expired and 'expired' or 'held', v[1]}
for i, l in ipairs(lines) do
  local key, kind, unit, amount, param = l[1], l[2], l[3], tonumber(l[4]), tonumber(l[5])
  local charge = actual[unit]
  if charge == nil then charge = amount end
  local unreserve = amount
  if expired then charge = math.max(0, charge - amount); unreserve = 0 end
  if not commit(prefix .. ':c:' .. key, prefix .. ':z:' .. key, kind, param, charge, unreserve, now,
                KEYS[1] .. ':' .. i .. ':s') then
    return corrupt(key)
  end
  out[#out + 1] = fmt(charge)
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], KEYS[1])
redis.call('ZREM', prefix .. ':gone', KEYS[1])
return out
"""

# KEYS: expiry zset, expired zset. ARGV: now, key prefix, forget-before, batch size.
EXPIRE_SCRIPT = _LUA_COMMON + r"""
local now, prefix = tonumber(ARGV[1]), ARGV[2]
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[4]))
for _, rid in ipairs(ids) do
  local payload = redis.call('HGET', rid, 'l')
  if payload then
    local ok, lines = pcall(cjson.decode, payload)
    if not ok then return redis.error_reply('CORRUPT reservation ' .. rid) end
    for i, l in ipairs(lines) do
      local key, amount = l[1], tonumber(l[4])
      if not commit(prefix .. ':c:' .. key, prefix .. ':z:' .. key, l[2], tonumber(l[5]), amount, amount,
                    now, rid .. ':' .. i .. ':e') then
        return corrupt(key)
      end
    end
    redis.call('HSET', rid, 'x', ARGV[1])
    redis.call('ZADD', KEYS[2], ARGV[1], rid)
  end
  redis.call('ZREM', KEYS[1], rid)
end
local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[3])
for _, rid in ipairs(old) do redis.call('DEL', rid) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[3])
return #ids
"""

# KEYS: per line counter hash and sliding zset. ARGV: now, then per line kind, param.
USAGE_SCRIPT = _LUA_COMMON + r"""
local now, out = tonumber(ARGV[1]), {}
for i = 1, #KEYS / 2 do
  local u = read(KEYS[2 * i - 1], KEYS[2 * i], ARGV[2 * i], tonumber(ARGV[2 * i + 1]), now)
  if u == nil then return corrupt(KEYS[2 * i - 1]) end
  out[#out + 1] = fmt(u[1]); out[#out + 1] = fmt(u[2])
end
return out
"""

_PREFIX = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
_EXPIRE_BATCH = 200


class RedisStore(Store):
    """Keep the ledger in Redis through the caller's client (``redis.Redis(...)``)."""

    def __init__(self, client: RedisClient, *, prefix: str = "antaris-budget") -> None:
        if not callable(getattr(client, "evalsha", None)) or not callable(getattr(client, "eval", None)):
            raise TypeError("RedisStore needs a redis-py compatible client (with eval and evalsha), "
                            f"got {type(client).__name__}")
        if not isinstance(prefix, str) or not _PREFIX.match(prefix):
            raise ValueError(f"prefix must be 1-64 characters of letters, digits, '_.:-', got {prefix!r}")
        self.client = client
        self.prefix = "{" + prefix + "}"  # hash tag: every key of this ledger in one cluster slot
        self._shas = {id(s): hashlib.sha1(s.encode("utf-8")).hexdigest()
                      for s in (RESERVE_SCRIPT, SETTLE_SCRIPT, EXPIRE_SCRIPT, USAGE_SCRIPT)}

    def __repr__(self) -> str:
        return f"RedisStore(prefix={self.prefix!r})"

    def _run(self, what: str, script: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """Run a script by SHA, loading it on NOSCRIPT; map every client error to StateError."""
        try:
            try:
                return self.client.evalsha(self._shas[id(script)], len(keys), *keys, *args)
            except Exception as exc:
                if "NOSCRIPT" not in str(exc) and "NoScript" not in type(exc).__name__:
                    raise
                return self.client.eval(script, len(keys), *keys, *args)  # EVAL also caches it
        except Exception as exc:
            text = str(exc)
            if "CORRUPT" in text:
                raise StateError(f"Redis budget ledger is corrupt ({text}); refusing rather than "
                                 "assuming zero spend") from exc
            raise StateError(f"Redis budget ledger: cannot {what}: {type(exc).__name__}: {text} "
                             "(requests are refused while the ledger is unreachable)") from exc

    def _line_keys(self, line: Line) -> Tuple[str, str]:
        return f"{self.prefix}:c:{line.key}", f"{self.prefix}:z:{line.key}"

    def reserve(self, reservation_id: str, lines: Sequence[Line], now: float,
                expires_at: float) -> ReserveResult:
        """Check and record in one Lua script."""
        keys: List[str] = [self._rkey(reservation_id), f"{self.prefix}:exp"]
        args: List[Any] = [repr(float(now)), repr(float(expires_at)), encode_lines(lines), len(lines)]
        for line in lines:
            keys.extend(self._line_keys(line))
            args.extend((line.kind, repr(line.amount), repr(line.cap), repr(line.param)))
        reply = [_text(item) for item in self._run("reserve", RESERVE_SCRIPT, keys, args)]
        if reply[0] == "dup":
            raise ValueError(f"reservation id {reservation_id!r} is already in use")
        usage = tuple(check_usage(line.key, float(reply[2 + 2 * i]), float(reply[3 + 2 * i]))
                      for i, line in enumerate(lines))
        return ReserveResult(int(reply[1]), usage)

    def settle(self, reservation_id: str, actual: Mapping[str, float], now: float) -> SettleRecord:
        """Charge and forget a reservation in one Lua script."""
        payload = json.dumps({unit: float(value) for unit, value in actual.items()})
        reply = [_text(item) for item in self._run(
            "settle", SETTLE_SCRIPT, [self._rkey(reservation_id), f"{self.prefix}:exp"],
            [repr(float(now)), self.prefix, payload])]
        if reply[0] == "unknown":
            raise UnknownReservationError(reservation_id)
        lines = decode_lines(reply[1], reservation_id)
        return SettleRecord(lines, tuple(float(x) for x in reply[2:]), reply[0] == "expired")

    def usage(self, lines: Sequence[Line], now: float) -> Tuple[Usage, ...]:
        """Read committed and reserved per line."""
        keys: List[str] = []
        args: List[Any] = [repr(float(now))]
        for line in lines:
            keys.extend(self._line_keys(line))
            args.extend((line.kind, repr(line.param)))
        reply = [_text(item) for item in self._run("read usage", USAGE_SCRIPT, keys, args)]
        return tuple(check_usage(line.key, float(reply[2 * i]), float(reply[2 * i + 1]))
                     for i, line in enumerate(lines))

    def expire(self, now: float) -> int:
        """Charge expired reservations in full, a batch per script call."""
        total = 0
        while True:
            count = int(self._run("expire reservations", EXPIRE_SCRIPT,
                                  [f"{self.prefix}:exp", f"{self.prefix}:gone"],
                                  [repr(float(now)), self.prefix, repr(float(now) - EXPIRED_RETENTION),
                                   _EXPIRE_BATCH]))
            total += count
            if count < _EXPIRE_BATCH:
                return total

    def _rkey(self, reservation_id: str) -> str:
        return f"{self.prefix}:r:{reservation_id}"


def _text(item: Any) -> str:
    return item.decode("utf-8") if isinstance(item, bytes) else str(item)
