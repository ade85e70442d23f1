"""Who is calling the HTTP API: ``Authorization: Bearer <key>`` mapped to an identity from settings.

Keys are compared by their SHA-256 digest in constant time, and only the digest is kept in
memory, so neither a timing side channel nor a heap dump of the API process gives a key away.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from fastapi import HTTPException, Request, status

from naibot.logs import register_secret
from naibot.settings import ApiSettings

# The cookie the admin status page's login form sets (an admin key, never shown on the page).
ADMIN_COOKIE = "naibot_admin"


@dataclass(frozen=True)
class ApiIdentity:
    """An API client as the queue sees it: its jobs are submitted as platform ``api``."""

    name: str
    max_priority: int
    account: str | None
    admin: bool

    @property
    def user_key(self) -> str:
        return f"api:{self.name}"


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


class ApiKeys:
    def __init__(self, settings: ApiSettings) -> None:
        self._by_digest: list[tuple[bytes, ApiIdentity]] = []
        for entry in settings.keys:
            key = entry.key.get_secret_value()
            register_secret(key)
            identity = ApiIdentity(entry.identity, entry.max_priority, entry.account, entry.admin)
            self._by_digest.append((_digest(key), identity))

    def identify(self, key: str | None) -> ApiIdentity | None:
        if not key:
            return None
        digest = _digest(key)
        found = None
        for known, identity in self._by_digest:  # no early exit: the same work for every key
            if hmac.compare_digest(known, digest):
                found = identity
        return found


def bearer_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _unauthorized() -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, "missing or unknown API key",
                         headers={"WWW-Authenticate": "Bearer"})


def require_identity(request: Request) -> ApiIdentity:
    """FastAPI dependency: the caller's identity, or 401."""
    keys: ApiKeys = request.app.state.api.keys
    identity = keys.identify(bearer_key(request))
    if identity is None:
        raise _unauthorized()
    return identity


def require_admin(request: Request) -> ApiIdentity:
    """FastAPI dependency for admin routes: an admin key as Bearer or in the page's login cookie."""
    keys: ApiKeys = request.app.state.api.keys
    identity = keys.identify(bearer_key(request)) or keys.identify(request.cookies.get(ADMIN_COOKIE))
    if identity is None:
        raise _unauthorized()
    if not identity.admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this API key is not an admin key")
    return identity
