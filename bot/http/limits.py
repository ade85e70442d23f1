"""Size limits on what a client sends, enforced before anything parses it (a pure ASGI middleware).

Why here, and not in the routes:

* **Headers.** Python 3.11.7's ``http.cookies._unquote`` (which Starlette's cookie parser calls)
  is quadratic in backslashes (CVE-2024-7592): one 60 KB ``Cookie`` header held the event loop,
  and so every request of the process, for 17 s. A route cannot protect itself, since the parsing
  may happen before it runs. So a ``Cookie`` over ``MAX_COOKIE_BYTES`` or headers over
  ``MAX_HEADER_BYTES`` in all are answered 431 here, before any of them is parsed. Below that cap
  a 4 KB cookie still costs tens of milliseconds, and FastAPI evaluates ``request.cookies`` for
  *every* route (``solve_dependencies``), so the cap alone is not enough: the API uses one cookie,
  the status page's session id, so only that one passes on to the application, and only if it
  has the shape of a session id (``bot.http.auth.session_id_in``, a linear parser), which has
  nothing to unquote. Every other cookie is dropped here.
* **Bodies.** Nothing in FastAPI bounds a body: a 100 MB body was buffered and JSON-parsed. Each
  path has a limit; it is checked when the application first *reads* the body, against
  ``Content-Length`` and then against the bytes that actually arrive (a chunked body has no
  length; a lying ``Content-Length`` is not trusted). Over it, the client gets 413 at once, the
  connection is closed (``Connection: close``: the rest is never read), and the application is
  told the client went away. Checking at the first read, not on arrival, is what lets a route
  authenticate first: an unauthenticated request is answered 401 without its body being read at all.

Refusals have the API's one error shape, ``{"error": ..., "problems": []}``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.http.auth import ADMIN_COOKIE, session_id_in
from bot.http.models import ErrorBody

log = logging.getLogger(__name__)

# Browsers cap a cookie at 4096 bytes; ours (the session id) is under 100.
MAX_COOKIE_BYTES = 4096
# nginx's default header buffer is 8 KB per line; a real client's headers are a few hundred bytes.
MAX_HEADER_BYTES = 16384


def header_problem(headers: list[tuple[bytes, bytes]]) -> str | None:
    """Why these headers are refused (431), or None. Linear: only lengths are looked at."""
    total = cookie = 0
    for name, value in headers:
        total += len(name) + len(value) + 4  # ": " and CRLF, as on the wire
        if name.lower() == b"cookie":
            cookie += len(value)
    if cookie > MAX_COOKIE_BYTES:
        return f"the Cookie header is too large (over {MAX_COOKIE_BYTES} bytes)"
    if total > MAX_HEADER_BYTES:
        return f"the request headers are too large (over {MAX_HEADER_BYTES} bytes)"
    return None


def only_our_cookie(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The headers with every ``Cookie`` replaced by the status page's session id alone (if one
    of them carries a well-formed one): nothing the quadratic unquoting could chew on is left."""
    cookies = [value for name, value in headers if name.lower() == b"cookie"]
    if not cookies:
        return headers
    kept = [(name, value) for name, value in headers if name.lower() != b"cookie"]
    for value in cookies:
        if (session := session_id_in(value.decode("latin-1"))) is not None:
            kept.append((b"cookie", f"{ADMIN_COOKIE}={session}".encode()))
            break
    return kept


def _declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def send_refusal(send: Send, status: int, message: str) -> None:
    """The API's error body, and ``Connection: close``: whatever else the client sends is never read."""
    body = json.dumps(ErrorBody(error=message).model_dump()).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class _BodyGuard:
    """One request's ``receive`` and ``send``, counting body bytes as the application reads them."""

    def __init__(self, receive: Receive, send: Send, limit: int, declared: int | None) -> None:
        self._receive, self._send, self.limit, self.declared = receive, send, limit, declared
        self.received = 0
        self.started = False
        self.refused = False

    async def receive(self) -> Message:
        if self.refused:
            return {"type": "http.disconnect"}
        if self.declared is not None and self.declared > self.limit:
            return await self._refuse()
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                return await self._refuse()
        return message

    async def _refuse(self) -> Message:
        self.refused = True
        if not self.started:  # a streaming response that has begun cannot become a 413
            self.started = True
            await send_refusal(self._send, 413, f"the request body is too large (the limit is {self.limit} bytes)")
        return {"type": "http.disconnect"}  # the ASGI way to tell the application to stop reading

    async def send(self, message: Message) -> None:
        if self.refused:
            return  # the client has its 413; the application's answer to "disconnected" goes nowhere
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


class RequestLimits:
    """ASGI middleware: 431 for oversized headers, 413 for a body over its path's limit."""

    def __init__(self, app: ASGIApp, *, body_bytes: int, body_bytes_by_path: Mapping[str, int] | None = None
                 ) -> None:
        self.app = app
        self.body_bytes = body_bytes
        self.body_bytes_by_path = dict(body_bytes_by_path or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        problem = header_problem(headers)
        if problem is not None:
            await send_refusal(send, 431, problem)
            return
        scope = {**scope, "headers": only_our_cookie(headers)}
        limit = self.body_bytes_by_path.get(scope["path"], self.body_bytes)
        guard = _BodyGuard(receive, send, limit, _declared_length(headers))
        try:
            await self.app(scope, guard.receive, guard.send)
        except Exception:
            if not guard.refused:
                raise
            # The application met the disconnect we reported (e.g. ClientDisconnect); the client
            # already has its 413, so there is nothing left to answer.
            log.debug("%s %s: body over %d bytes refused", scope.get("method"), scope["path"], limit)
