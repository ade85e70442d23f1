"""Discord's rate limits as discord.py meets them. Buckets are fixed windows (a count that resets fully at
``X-RateLimit-Reset``), which is the model discord.py's own limiter assumes: it reads the headers of
every answer and waits before the bucket runs dry. So one client alone is paced without refusals, as
against real Discord; 429s come when several clients (processes) share a bucket, or from the global
limit, which discord.py cannot see coming. A 429 carries ``retry_after`` in the body and the headers
discord.py reads, including ``Via`` (without it discord.py takes the 429 for a Cloudflare ban)."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.discord.state import RateLimits

GLOBAL_WINDOW = 1.0


@dataclass
class _Window:
    count: int
    reset_at: float


@dataclass(frozen=True)
class Bucket:
    """A rate-limit bucket: ``kind`` is "channel" or "webhook", ``key`` its major parameter."""

    kind: str
    key: str

    @property
    def hash(self) -> str:
        # Discord's bucket hashes are opaque and shared by every route in the bucket.
        return hashlib.sha1(self.kind.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Verdict:
    """Whether a call may proceed, and the headers (and on refusal the body fields) to answer with."""

    allowed: bool
    headers: dict[str, str]
    retry_after: float = 0.0
    is_global: bool = False

    def body(self) -> dict[str, object]:
        return {"message": "You are being rate limited.", "retry_after": self.retry_after,
                "global": self.is_global, "code": 0}


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[Bucket, _Window] = {}
        self._global: dict[str, _Window] = {}

    def reset(self) -> None:
        self._windows.clear()
        self._global.clear()

    def admit(self, limits: RateLimits, bucket: Bucket | None, *, counts_globally: bool) -> Verdict:
        """Charge the call to its bucket (and the global limit) or refuse it, charging nothing."""
        if not limits.enabled:
            return Verdict(True, {})
        now = self._clock()
        if counts_globally:
            window = self._current(self._global, "global", now, GLOBAL_WINDOW)
            if window.count >= limits.global_per_second:
                return self._refusal(window, now, limit=limits.global_per_second, bucket=None)
        headers: dict[str, str] = {}
        if bucket is not None:
            limit, length = _shape(limits, bucket)
            window = self._current(self._windows, bucket, now, length)
            if window.count >= limit:
                return self._refusal(window, now, limit=limit, bucket=bucket)
            window.count += 1
            headers = _bucket_headers(bucket, limit, limit - window.count, window.reset_at - now)
        if counts_globally:
            self._global["global"].count += 1
        return Verdict(True, headers)

    def _current(self, table: dict[Any, _Window], key: object, now: float, length: float) -> _Window:
        window = table.get(key)
        if window is None or now >= window.reset_at:
            window = table[key] = _Window(0, now + length)
        return window

    def _refusal(self, window: _Window, now: float, *, limit: int, bucket: Bucket | None) -> Verdict:
        # Rounded up, so a client that sleeps exactly this long finds the window reset.
        retry_after = math.ceil((window.reset_at - now) * 1000) / 1000
        headers = {"Retry-After": str(max(1, math.ceil(retry_after)))}
        if bucket is None:
            headers.update({"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"})
        else:
            headers.update(_bucket_headers(bucket, limit, 0, retry_after))
            headers["X-RateLimit-Scope"] = "user"
        return Verdict(False, headers, retry_after=max(retry_after, 0.001), is_global=bucket is None)


def _shape(limits: RateLimits, bucket: Bucket) -> tuple[int, float]:
    if bucket.kind == "channel":
        return limits.channel_per_5s, limits.channel_window
    return limits.webhook_per_2s, limits.webhook_window


def _bucket_headers(bucket: Bucket, limit: int, remaining: int, reset_after: float) -> dict[str, str]:
    reset_after = math.ceil(max(reset_after, 0.0) * 1000) / 1000
    return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(max(remaining, 0)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}", "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket.hash}
