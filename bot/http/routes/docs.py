"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), served whole from this process, when ``api.docs`` is on.

FastAPI's own pages load Swagger UI and ReDoc from cdn.jsdelivr.net (and ReDoc its fonts from Google):
offline, or where the network blocks them, the page stays blank white. Here the pages are FastAPI's
(``get_swagger_ui_html``, ``get_redoc_html``) pointed at copies of the same scripts that a package
ships (``fastapi-offline``: Swagger UI 5, which reads the OpenAPI 3.1 FastAPI writes, and ReDoc 2),
served under ``/docs/assets/``. A Content-Security-Policy that names no other origin backs that up: a
page that still tries to load something from elsewhere is stopped by the browser, not by luck (ReDoc's
footer asks for its logo from cdn.redoc.ly; the logo is simply not shown).

Off by default (``api.docs``): the pages run third-party scripts on the status page's origin, where
an admin's session cookie lives, so a deployment opts in. No key is needed to read them, as for
``/openapi.json``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

DOCS_URL, REDOC_URL, ASSETS_URL = "/docs", "/redoc", "/docs/assets"
# The shipped files this serves, and nothing else under the folder.
_ASSETS = {"swagger-ui-bundle.js": "text/javascript; charset=utf-8", "swagger-ui.css": "text/css; charset=utf-8",
           "redoc.standalone.js": "text/javascript; charset=utf-8", "favicon.png": "image/png"}
# Both pages have an inline start-up script and inline styles (React, styled-components); ReDoc runs
# its search in a worker made from a blob. Everything else comes from this origin or nowhere.
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self' 'unsafe-inline'; "
                               "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
                               "connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# The scripts change only with the package's version: a day in caches is plenty.
_ASSET_HEADERS = {"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}


def _assets_dir() -> Path:
    return Path(str(files("fastapi_offline") / "static"))


def install(app: FastAPI) -> None:
    """Add the two pages and their assets to ``app`` (call only when ``api.docs`` is on)."""
    router = APIRouter(include_in_schema=False)
    title = app.title
    openapi_url = app.openapi_url or "/openapi.json"
    directory = _assets_dir()

    @router.get(DOCS_URL)
    async def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=openapi_url, title=f"{title} · Swagger UI",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js", swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            # No spec validator: Swagger UI would send our description to validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None})
        page.headers.update(_PAGE_HEADERS)
        return page

    @router.get(REDOC_URL)
    async def redoc() -> HTMLResponse:
        page = get_redoc_html(openapi_url=openapi_url, title=f"{title} · ReDoc",
                              redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
                              redoc_favicon_url=f"{ASSETS_URL}/favicon.png", with_google_fonts=False)
        page.headers.update(_PAGE_HEADERS)
        return page

    @router.get(ASSETS_URL + "/{name}")
    async def asset(name: str) -> FileResponse:
        media_type = _ASSETS.get(name)
        if media_type is None:
            raise HTTPException(404, "no such file")
        return FileResponse(directory / name, media_type=media_type, headers=_ASSET_HEADERS)

    app.include_router(router)
