"""NovelAI accounts: what we hold to act as one, and the encrypted store of named accounts.

An account is either a token (a persistent ``pst-`` API token, or a JWT a user pasted) or an
email with the *derived access key*. The password itself is never held: ``Account.from_password``
derives the key and drops it, so a token can be renewed later without anyone typing it again.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import redis.asyncio as aioredis

from naibot.secrets import SecretBox, SecretError
from novelai.accesskey import derive_access_key, normalize_email

ACCOUNT_NAME = re.compile(r"^[A-Za-z0-9_.:@-]{1,64}$")
DEFAULT_ACCOUNT_NAME = "default"


@dataclass(frozen=True)
class Account:
    """Credentials of one NovelAI account (secrets hidden from ``repr``)."""

    name: str
    token: str | None = field(default=None, repr=False)
    email: str | None = None
    access_key: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not ACCOUNT_NAME.match(self.name):
            raise ValueError("account names are 1-64 letters, digits or _ . : @ -")
        if not self.token and not self.access_key:
            raise ValueError("an account needs a token or an email with a password")

    @classmethod
    def from_password(cls, name: str, email: str, password: str) -> Account:
        """Derive the access key now; the password goes out of scope with this call."""
        email = normalize_email(email)
        return cls(name=name, email=email, access_key=derive_access_key(email, password))

    @classmethod
    def from_password_as_typed(cls, name: str, email: str, password: str) -> Account:
        """The second try of a login whose lower-cased email NovelAI refused: the key from the email
        exactly as typed (trimmed, case kept). Clients disagree on lower-casing (docs/novelai-api.md
        §2, §10.2), so an account made by one that does not needs this key."""
        email = email.strip()
        return cls(name=name, email=email, access_key=derive_access_key(email, password, normalize=False))

    @property
    def can_login(self) -> bool:
        return self.access_key is not None

    @property
    def kind(self) -> str:
        if self.can_login:
            return "email"
        return "persistent-token" if (self.token or "").startswith("pst-") else "token"

    @functools.cached_property
    def fingerprint(self) -> str:
        """Stable id of the NovelAI account behind the credentials, not of our name for it.

        Two names for the same NovelAI account share one fingerprint, so they also share the
        one-generation-at-a-time lock. Computed once per (frozen) object: the worker asks for it
        several times per job (locks, token cache), each a SHA-256 otherwise.
        """
        ident = normalize_email(self.email) if self.email else self.token or ""
        return hashlib.sha256(ident.encode("utf-8")).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def case_matters(email: str) -> bool:
    """Whether the email as typed differs from its lower-cased form: a refused login is then worth
    one more try with the email as typed (``Account.from_password_as_typed``)."""
    return email.strip() != normalize_email(email)


def jwt_expiry(token: str) -> float | None:
    """The ``exp`` of a JWT as a Unix time, or None for opaque tokens (``pst-``) and junk."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, json.JSONDecodeError):
        return None
    exp = payload.get("exp") if isinstance(payload, dict) else None
    return float(exp) if isinstance(exp, int | float) else None


class AccountStore:
    """Named accounts in Redis, each sealed with the deployment's secret key."""

    def __init__(self, redis: aioredis.Redis, box: SecretBox, prefix: str) -> None:
        self._redis = redis
        self._box = box
        self._prefix = prefix

    def _key(self, name: str) -> str:
        return f"{self._prefix}:nai:account:{name}"

    @property
    def _index(self) -> str:
        return f"{self._prefix}:nai:accounts"

    async def add(self, account: Account) -> None:
        key = self._key(account.name)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(key, self._box.seal_json(account.to_dict(), key))
            pipe.sadd(self._index, account.name)
            await pipe.execute()

    async def get(self, name: str) -> Account | None:
        """The account, or None if unknown. A record that no longer decrypts raises SecretError."""
        key = self._key(name)
        blob = await self._redis.get(key)
        if blob is None:
            return None
        data = self._box.open_json(blob, key)
        try:
            return Account(**data)
        except (TypeError, ValueError) as exc:
            raise SecretError(f"stored account {name!r} is malformed: {exc}") from None

    async def exists(self, name: str) -> bool:
        """Whether an account of that name is stored (no decryption: cheap enough for every command)."""
        return bool(await self._redis.exists(self._key(name)))

    async def names(self) -> list[str]:
        return sorted(m.decode() if isinstance(m, bytes) else m for m in await self._redis.smembers(self._index))

    async def remove(self, name: str, *extra_keys: str) -> bool:
        """Delete the account and any related keys (its cached token) in one transaction."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._key(name), *extra_keys)
            pipe.srem(self._index, name)
            deleted, _ = await pipe.execute()
        return bool(deleted)

