"""Does this process's ``NAIBOT_SECRET_KEY`` open what the deployment sealed? Asked once at start.

Every machine of a deployment must hold the same secret key (deploy/SCALING.md). Nothing checked it:
a worker or bot started with another key ran normally, failed the attempts of jobs on sealed
accounts as "something went wrong on our side" (retried, then failed for good), and sealed new
cached tokens and logins that the other machines could not open, spreading the damage. Found by
the two-machine test (tests/deploy/test_two_machines.py).

So the deployment keeps one sealed check value in Redis, ``<prefix>:secrets:check``: a fixed text
sealed by ``SecretBox`` with that Redis key as associated data, like every secret at rest. The first
process with a key records it (SET NX: processes starting together agree on one) once it has
opened a secret already sealed there, if there is any (a deployment older than the check); every
process then opens it at start. A key that cannot open it refuses to start with one line naming the
variable. ``naibot rotate-key`` re-seals it with the rest (it re-seals every string under the prefix
that the old key opens with its own Redis key as associated data), so a rotation keeps it valid.
"""

from __future__ import annotations

import asyncio
import enum

import redis.asyncio as aioredis

from naibot.secrets import SecretBox, SecretError, looks_sealed

CHECK_TEXT = b"naibot: the secret key of this deployment"
# Sealed records tried when there is no check value yet (see ``_opens_what_is_sealed``).
SAMPLE = 5


def check_key(prefix: str) -> str:
    return f"{prefix}:secrets:check"


class KeyVerdict(enum.Enum):
    RECORDED = "recorded"  # the first key of this deployment: now the one every process must hold
    MATCHES = "matches"
    DIFFERS = "differs"


class SecretKeyMismatch(Exception):
    """This process's secret key is not the deployment's; ``str()`` is one line, no secret in it."""

    def __init__(self, prefix: str) -> None:
        super().__init__(
            f"NAIBOT_SECRET_KEY is not the key this deployment's secrets are sealed with (it cannot open "
            f"{check_key(prefix)}): this process could not read the accounts people logged in with and would "
            "seal new ones the other processes cannot read. Use the same NAIBOT_SECRET_KEY as the other "
            "machines (copy their env file), or change it for all of them with `naibot rotate-key`.")


async def verify_secret_key(redis: aioredis.Redis, prefix: str, box: SecretBox) -> KeyVerdict:
    """Open the deployment's check value with ``box`` (recording it first if there is none).

    Redis errors propagate: a caller that cannot reach Redis decides whether to go on. The box's
    key derivation (scrypt, and the salt's first read from Redis) runs in a thread."""
    key = check_key(prefix)
    stored = await redis.get(key)
    if stored is None:
        # No check value yet (a deployment older than it, or whose secrets were sealed by the CLI
        # only): the secrets already sealed decide, so a wrong key is not recorded as the right one.
        if not await _opens_what_is_sealed(redis, prefix, box):
            return KeyVerdict.DIFFERS
        sealed = await asyncio.to_thread(box.seal, CHECK_TEXT, key)
        if await redis.set(key, sealed, nx=True):
            return KeyVerdict.RECORDED
        stored = await redis.get(key)  # another process recorded one first: open theirs
        if stored is None:
            return KeyVerdict.RECORDED  # deleted at once: nothing to disagree with
    try:
        opened = await asyncio.to_thread(box.open, stored, key)
    except SecretError:
        return KeyVerdict.DIFFERS
    return KeyVerdict.MATCHES if opened == CHECK_TEXT else KeyVerdict.DIFFERS


async def _opens_what_is_sealed(redis: aioredis.Redis, prefix: str, box: SecretBox) -> bool:
    """True if ``box`` opens one of the first ``SAMPLE`` sealed strings under the prefix (or there is
    none). More than one is tried so a single record under a third key (corrupt, or left from an
    old test) does not condemn a right key. One SCAN pass at most, once per deployment."""
    tried = 0
    async for name in redis.scan_iter(match=f"{prefix}:*", count=1000, _type="STRING"):
        blob = await redis.get(name)
        if not looks_sealed(blob):
            continue
        context = name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)
        try:
            await asyncio.to_thread(box.open, blob, context)
            return True
        except SecretError:
            tried += 1
            if tried >= SAMPLE:
                return False
    return tried == 0


async def refuse_another_key(redis: aioredis.Redis, prefix: str, box: SecretBox | None) -> KeyVerdict | None:
    """``verify_secret_key`` for a starting process: raises ``SecretKeyMismatch`` if the key differs;
    None without a key (nothing is sealed by this process then)."""
    if box is None:
        return None
    verdict = await verify_secret_key(redis, prefix, box)
    if verdict is KeyVerdict.DIFFERS:
        raise SecretKeyMismatch(prefix)
    return verdict
