"""Who is calling the HTTP API: ``Authorization: Bearer <key>`` mapped to an identity from settings.

Keys are compared by their SHA-256 digest in constant time, and only the digest is kept in
memory, so neither a timing side channel nor a heap dump of the API process gives a key away.

The status page's cookie holds a session id, never a key (``bot.http.sessions``); it is read by
``admin_cookie``, a linear parser of our own, because Starlette's ``request.cookies`` goes through
``http.cookies._unquote``, quadratic on Python 3.11.7 (CVE-2024-7592). ``KeyFirstRoute`` checks the
key of a keyed route before FastAPI reads and parses its body, so no unauthenticated body is parsed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request, Response, status
from fastapi.routing import APIRoute

from naibot.logs import register_secret
from naibot.settings import ApiSettings

# The cookie the admin status page's login form sets: a random session id (``bot.http.sessions``).
ADMIN_COOKIE = "naibot_admin"
# What a session id looks like (``secrets.token_urlsafe``); anything else in the cookie is ignored.
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{16,128}")


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
        return self.identify_digest(_digest(key))

    def identify_digest(self, digest: bytes) -> ApiIdentity | None:
        """The identity whose key has this SHA-256 digest (what a session records), if still configured."""
        found = None
        for known, identity in self._by_digest:  # no early exit: the same work for every key
            if hmac.compare_digest(known, digest):
                found = identity
        return found


def key_digest(key: str) -> bytes:
    """What a session remembers of the key it was made with: its digest, never the key."""
    return _digest(key)


def session_id_in(cookie_header: str) -> str | None:
    """The status page's session id in one ``Cookie`` header, read in one linear pass (no
    unquoting: a session id is URL-safe base64, so a quoted or escaped value is not one of ours)."""
    prefix = ADMIN_COOKIE + "="
    for part in cookie_header.split(";"):
        part = part.strip()
        if part.startswith(prefix):
            value = part[len(prefix):]
            return value if _SESSION_ID.fullmatch(value) else None
    return None


def admin_cookie(request: Request) -> str | None:
    """The session id the request's cookies carry, if any (see ``session_id_in``)."""
    for header in request.headers.getlist("cookie"):
        if (found := session_id_in(header)) is not None:
            return found
    return None


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


async def require_admin(request: Request) -> ApiIdentity:
    """FastAPI dependency for admin routes: an admin key as Bearer, or the page's session cookie."""
    state = request.app.state.api
    identity: ApiIdentity | None = state.keys.identify(bearer_key(request))
    if identity is None and (session := admin_cookie(request)) is not None:
        identity = await state.sessions.identify(session)
    if identity is None:
        raise _unauthorized()
    if not identity.admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this API key is not an admin key")
    return identity


class KeyFirstRoute(APIRoute):
    """A route that refuses a missing or unknown key (401) before FastAPI reads its body.

    FastAPI reads and JSON-parses a body before it runs any dependency, so ``require_identity``
    alone came too late: an anonymous client could make the API buffer and parse whatever it sent.
    This is FastAPI's documented extension point for work around the handler (a custom
    ``route_class``); the dependency stays, so the handler still receives the identity."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if not any(d.call is require_identity for d in self.dependant.dependencies):
            return handler

        async def key_first(request: Request) -> Response:
            require_identity(request)  # 401 here: the body is never read
            return await handler(request)

        return key_first
