"""The admin status page: ``GET /`` (or a login form), ``GET /admin/state`` (its JSON), log in and out.

Plain HTML, one stylesheet and one script shipped next to this module, no build step. The page
is strict about what it runs (a Content-Security-Policy with no inline scripts or styles) so
that even a bug in how user text is inserted could not run a prompt as code.

Logging in stores the admin key itself in an HttpOnly, SameSite=Strict cookie: ``require_admin``
accepts it there, so the page and ``curl -H 'Authorization: Bearer ...'`` see the same JSON.
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from redis.exceptions import RedisError

from bot.http.admin_state import TokenStatuses, queue_state
from bot.http.auth import ADMIN_COOKIE, ApiIdentity, ApiKeys, bearer_key, require_admin
from tasks.queue import QueueUnavailable

router = APIRouter()

_HERE = Path(__file__).parent.parent / "static"
_ASSETS = {"admin_page.css": "text/css; charset=utf-8", "admin_page.js": "text/javascript; charset=utf-8"}
_COOKIE_SECONDS = 7 * 24 * 3600
_LOGIN_BODY_LIMIT = 4096
# img-src allows other origins because S3 / MinIO images are served from the bucket's host.
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                               "img-src 'self' https: http: data:; form-action 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
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


def _admin_identity(request: Request) -> tuple[ApiIdentity | None, str | None]:
    """The logged-in admin, or why the login form is shown instead (None: simply not logged in)."""
    keys: ApiKeys = request.app.state.api.keys
    presented = bearer_key(request) or request.cookies.get(ADMIN_COOKIE)
    if not presented:
        return None, None
    identity = keys.identify(presented)
    if identity is None:
        return None, "That key is not known (any more); log in again."
    if not identity.admin:
        return None, "That API key is not an admin key."
    return identity, None


@router.get("/", include_in_schema=False)
async def status_page(request: Request) -> HTMLResponse:
    identity, problem = _admin_identity(request)
    if identity is None:
        return _login_form(problem)
    return _html(_asset("admin_page.html"))


@router.post("/login", include_in_schema=False)
async def login(request: Request) -> Response:
    body = await request.body()
    if len(body) > _LOGIN_BODY_LIMIT:
        return _login_form("That is not an API key.", 400)
    key = (parse_qs(body.decode("utf-8", "replace")).get("key") or [""])[0].strip()
    identity = request.app.state.api.keys.identify(key)
    if identity is None:
        return _login_form("Unknown API key.", 401)
    if not identity.admin:
        return _login_form("That API key is not an admin key.", 403)
    # 303: the browser follows with a GET, so reloading the page does not re-post the key.
    response = RedirectResponse("/", status_code=303, headers={"Cache-Control": "no-store"})
    response.set_cookie(ADMIN_COOKIE, key, max_age=_COOKIE_SECONDS, path="/", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


@router.post("/logout", include_in_schema=False)
async def logout() -> Response:
    response = RedirectResponse("/", status_code=303, headers={"Cache-Control": "no-store"})
    response.delete_cookie(ADMIN_COOKIE, path="/", httponly=True, samesite="strict")
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
