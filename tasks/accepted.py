"""Whether NovelAI has ever accepted an account's credentials here, and what to say when it refuses.

A 401 means two different things: a token that worked and was revoked or expired ("log in again"),
or one that never worked: a typo in ``NOVELAI_TOKEN``, a token pasted from the wrong place ("check
the token"). The client cannot tell them apart, and the token cache it keeps is dropped at the
first 401, so the worker keeps its own record: ``<prefix>:accepted:<account>`` holds the
fingerprint of the credentials NovelAI last accepted (a generation, or the start-up check). Other
credentials under the same name (a new ``NOVELAI_TOKEN``) count as never accepted.
"""

from __future__ import annotations

import logging

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from novelai.accounts import DEFAULT_ACCOUNT_NAME, Account
from tasks.keys import Keys

log = logging.getLogger(__name__)
# Forgotten after this long without a success (a re-login after months still reads as "check it").
ACCEPTED_TTL_SECONDS = 90 * 24 * 3600
# The reason a refused-credentials JobError carries when they never worked (chat: error.auth_unverified).
NEVER_ACCEPTED = "unverified"


def never_accepted_message(name: str) -> str:
    """The job's English message (CLI, HTTP API, logs) for credentials NovelAI never accepted here."""
    if name == DEFAULT_ACCOUNT_NAME:
        where = "NOVELAI_TOKEN (or NOVELAI_EMAIL and NOVELAI_PASSWORD) of the deployment"
    else:
        where = (f"the token of account {name} (`naibot account add {name}` again), "
                 "or /login again for a personal account")
    return (f"NovelAI refused the credentials of account {name}, and they never worked here: check "
            f"{where}; `naibot account status {name}` tests them")


class AcceptedAccounts:
    """The record of accepted credentials; each process writes an account's at most once."""

    def __init__(self, redis: aioredis.Redis, prefix: str) -> None:
        self.redis = redis
        self.keys = Keys(prefix)
        self._written: set[tuple[str, str]] = set()

    async def record(self, account: Account) -> None:
        """NovelAI just accepted ``account``: remember it (best effort; Redis away costs nothing)."""
        marker = (account.name, account.fingerprint)
        if marker in self._written:
            return
        try:
            await self.redis.set(self.keys.accepted(account.name), account.fingerprint, ex=ACCEPTED_TTL_SECONDS)
        except (RedisError, OSError) as exc:
            log.debug("could not record that account %s works (%s)", account.name, exc)
            return
        self._written.add(marker)

    async def ever(self, account: Account) -> bool:
        """Did NovelAI accept these credentials before? Unknown (Redis away) counts as yes: the
        usual message ("log in again") is then the safe one."""
        if (account.name, account.fingerprint) in self._written:
            return True
        try:
            stored = await self.redis.get(self.keys.accepted(account.name))
        except (RedisError, OSError):
            return True
        if stored is None:
            return False
        return (stored.decode() if isinstance(stored, bytes) else str(stored)) == account.fingerprint
