"""Re-encrypt every secret at rest from one secret key to another (``naibot rotate-key``).

Generic on purpose: rather than knowing each store (named accounts, per-user and per-group
accounts, cached tokens, whatever is added next), it scans every string under the deployment's
prefix and re-seals whatever the old key opens *with that value's own Redis key as associated
data* — exactly the records ``SecretBox`` sealed there. Everything else is left alone.

It also moves records of the first version's fixed-salt derivation to the deployment's salt
(see ``naibot.secrets``): a record counts as done only when the new box opens it *and* it is in
the format the new box seals. With the same passphrase on both sides (``--keep-key``) that is all
a rotation does.

Safe to interrupt and run again: a value already done is left alone, so a second run (or a run
after a crash halfway) only finishes what is left. Each value is rewritten under
WATCH, so a process writing the same key meanwhile wins and the rotation re-reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import redis.asyncio as aioredis
from redis.exceptions import WatchError

from naibot.secrets import SecretBox, SecretError, looks_sealed

# A key rewritten concurrently this many times in a row is reported instead of retried forever.
_MAX_ATTEMPTS = 5


@dataclass
class RotationReport:
    """What a rotation did, by Redis key (never values)."""

    rotated: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    # Sealed-looking values neither key opens (corrupt, moved, or under a third key): untouched.
    unreadable: list[str] = field(default_factory=list)
    # Keys that changed under us on every attempt.
    contended: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.unreadable and not self.contended


def _text(key: bytes | str) -> str:
    return key.decode("utf-8", "replace") if isinstance(key, bytes) else key


def _open_with_either(blob: bytes, context: str, old: SecretBox, new: SecretBox) -> bytes | None:
    """The plaintext, from the old key or (an old-format record already under the new key) the new."""
    for box in (old, new):
        try:
            return box.open(blob, context)
        except SecretError:
            continue
    return None


async def _rotate_one(redis: aioredis.Redis, key: bytes, old: SecretBox, new: SecretBox) -> str:
    """Re-seal one value; returns which list of the report the key belongs to."""
    context = _text(key)
    for _ in range(_MAX_ATTEMPTS):
        async with redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(key)
                blob = await pipe.get(key)
                if blob is None or not looks_sealed(blob):
                    return "skip"  # deleted or overwritten with something else since the scan
                if not new.needs_reseal(blob):
                    try:
                        new.open(blob, context)
                        return "already"
                    except SecretError:
                        pass
                plaintext = _open_with_either(blob, context, old, new)
                if plaintext is None:
                    return "unreadable"
                pipe.multi()
                # KEEPTTL: a cached token keeps expiring when it would have.
                pipe.set(key, new.seal(plaintext, context), keepttl=True)
                await pipe.execute()
                return "rotated"
            except WatchError:
                continue
    return "contended"


async def rotate_secrets(redis: aioredis.Redis, prefix: str, old: SecretBox, new: SecretBox) -> RotationReport:
    """Re-seal every value under ``<prefix>:`` that ``old`` opens with its key as context."""
    report = RotationReport()
    async for key in redis.scan_iter(match=f"{prefix}:*", count=1000, _type="string"):
        # One cheap read filters out the many plain values (job records, counters) before WATCH.
        blob = await redis.get(key)
        if blob is None or not looks_sealed(blob):
            continue
        outcome = await _rotate_one(redis, key, old, new)
        if outcome != "skip":
            getattr(report, outcome).append(_text(key))
    for keys in (report.rotated, report.already, report.unreadable, report.contended):
        keys.sort()
    return report
