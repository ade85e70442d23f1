"""The admin status page: ``GET /`` (or a login form), ``GET /admin/state`` (its JSON), log in and out.

Plain HTML, one stylesheet and one script shipped next to this module, no build step. The page
is strict about what it runs (a Content-Security-Policy with no inline scripts or styles) so
that even a bug in how user text is inserted could not run a prompt as code.

Logging in makes a server-side session (``bot.http.sessions``): the cookie holds its random id,
never the key, and is HttpOnly, SameSite=Strict and Secure (``api.cookie_secure``, on unless a
plain-http demo turns it off); logout revokes it. ``require_admin`` accepts the session or an admin
key as Bearer, so the page and ``curl -H 'Authorization: Bearer ...'`` see the same JSON.

``/login`` and ``/logout`` refuse a POST from another origin (``Origin``: the page itself or
``api.public_url``), and failed logins are throttled per address and overall
(``bot.http.login_throttle``). Their bodies are bounded by ``BODY_LIMITS`` (``bot.http.limits``).
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from redis.exceptions import RedisError

from bot.http.admin_state import TokenStatuses, queue_state
from bot.http.auth import ADMIN_COOKIE, ApiIdentity, admin_cookie, bearer_key, key_digest, require_admin
from bot.http.deps import ApiState
from tasks.queue import QueueUnavailable

router = APIRouter()

_HERE = Path(__file__).parent.parent / "static"
_ASSETS = {"admin_page.css": "text/css; charset=utf-8", "admin_page.js": "text/javascript; charset=utf-8"}
# The largest bodies read (``bot.http.limits``): a login form holds one key; a logout, nothing.
BODY_LIMITS = {"/login": 4096, "/logout": 1024}
# img-src allows other origins because S3 / MinIO images are served from the bucket's host.
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                               "img-src 'self' https: http: data:; form-action 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: with no-referrer, browsers send "Origin: null" on the page's own
    # form posts, and /login and /logout could not tell them from a cross-site one.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@cache
def _asset(name: str) -> str:
    return (_HERE / name).read_text(encoding="utf-8")


def _html(body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status_code, headers=_SECURITY_HEADERS)


def _login_form(message: str | None = None, status_code: int = 200) -> HTMLResponse:
    shown = f'<p class="message" role="alert">{html.escape(message)}</p>' if message else ""
    return _html(_asset("admin_login.html").replace("{message}", shown), status_code)


async def _admin_identity(request: Request) -> tuple[ApiIdentity | None, str | None]:
    """The logged-in admin, or why the login form is shown instead (None: simply not logged in)."""
    api: ApiState = request.app.state.api
    key, session = bearer_key(request), admin_cookie(request)
    if key is not None:
        identity = api.keys.identify(key)
    elif session is not None:
        identity = await api.sessions.identify(session)
    else:
        return None, None
    if identity is None:
        return None, "Your session has ended (or that key is not known); log in again."
    if not identity.admin:
        return None, "That API key is not an admin key."
    return identity, None


@router.get("/", include_in_schema=False)
async def status_page(request: Request) -> HTMLResponse:
    identity, problem = await _admin_identity(request)
    if identity is None:
        return _login_form(problem)
    return _html(_asset("admin_page.html"))


def _origin(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin(request: Request, public_url: str | None) -> bool:
    """Whether a POST comes from our own page (CSRF): its ``Origin`` is this site, as the browser
    addressed it (``Host``), or ``api.public_url``. Browsers send ``Origin`` on every POST (the
    pages' same-origin referrer policy keeps it from being "null"); a client that sends none is
    not a browser, unless ``Sec-Fetch-Site`` says the request crossed sites."""
    origin = request.headers.get("origin")
    if origin is None:
        return request.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")
    if public_url and _origin(origin) == _origin(public_url):
        return True
    parts = urlsplit(origin)
    host = request.headers.get("host", "")
    return parts.scheme in ("http", "https") and bool(host) and parts.netloc.lower() == host.lower()


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _no_store_redirect() -> RedirectResponse:
    # 303: the browser follows with a GET, so reloading the page does not re-post the form.
    # A relative Location: never built from the Host header.
    return RedirectResponse("/", status_code=303, headers={"Cache-Control": "no-store"})


def _locked_out(seconds: int) -> HTMLResponse:
    refusal = _login_form(f"Too many failed logins; try again in {seconds} seconds.", 429)
    refusal.headers["Retry-After"] = str(seconds)
    return refusal


@router.post("/login", include_in_schema=False)
async def login(request: Request) -> Response:
    api: ApiState = request.app.state.api
    if not same_origin(request, api.settings.api.public_url):
        return _login_form("This login form was not sent from this site.", 403)
    address = _address(request)
    if (wait := await api.logins.locked_for(address)) > 0:  # before the body is even read
        return _locked_out(wait)
    body = await request.body()  # at most BODY_LIMITS["/login"] bytes (bot.http.limits)
    key = (parse_qs(body.decode("utf-8", "replace")).get("key") or [""])[0].strip()
    if (wait := await api.logins.locked_for(address, key)) > 0:  # this key is locked out everywhere
        return _locked_out(wait)
    identity = api.keys.identify(key)
    if identity is None or not identity.admin:
        await api.logins.failed(address, key)
        if identity is None:
            return _login_form("Unknown API key.", 401)
        return _login_form("That API key is not an admin key.", 403)
    await api.logins.succeeded(address)
    if (previous := admin_cookie(request)) is not None:
        await api.sessions.revoke(previous)  # a login replaces the session it was made in
    session = await api.sessions.create(key_digest(key))
    response = _no_store_redirect()
    response.set_cookie(ADMIN_COOKIE, session, max_age=api.sessions.seconds, path="/", httponly=True,
                        samesite="strict", secure=api.settings.api.cookie_secure)
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request) -> Response:
    api: ApiState = request.app.state.api
    if not same_origin(request, api.settings.api.public_url):
        return _login_form("This logout was not sent from this site.", 403)
    if (session := admin_cookie(request)) is not None:
        await api.sessions.revoke(session)  # a copy of the cookie dies too
    response = _no_store_redirect()
    response.delete_cookie(ADMIN_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=api.settings.api.cookie_secure)
    return response


@router.get("/admin/assets/{name}", include_in_schema=False)
async def asset(name: str) -> Response:
    if name not in _ASSETS:
        return Response(status_code=404)
    return Response(_asset(name), media_type=_ASSETS[name],
                    headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


def _token_statuses(request: Request) -> TokenStatuses:
    """One per API process, made on first use: its cache is what keeps NovelAI out of each poll."""
    state = request.app.state
    if getattr(state, "admin_tokens", None) is None:
        api = state.api
        state.admin_tokens = TokenStatuses(api.settings, api.services.client, api.services.redis)
    tokens: TokenStatuses = state.admin_tokens
    return tokens


@router.get("/admin/state", summary="The admin status page's data (admin key)")
async def admin_state(request: Request, response: Response, _admin: ApiIdentity = Depends(require_admin)
                      ) -> dict[str, Any]:
    """Lanes with their waiting jobs, running jobs with progress, recent results, token status, totals."""
    api = request.app.state.api
    response.headers["Cache-Control"] = "no-store"
    try:
        state = await queue_state(api.services.redis, api.settings, api.storage)
    except (RedisError, OSError) as exc:  # the API's outage answer: 503 with Retry-After
        raise QueueUnavailable(str(exc)) from exc
    state["accounts"] = await _token_statuses(request).get()
    return state
