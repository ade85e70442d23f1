"""``/docs`` and ``/redoc`` work with no Internet (issue 14, finding 21): every script, stylesheet and
font comes from the API's own server, and in a real browser that may reach nothing else the pages
show the API. The admin login page says where an admin key comes from."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.fixtures.browser import BROWSER_TEST_TIMEOUT, CHROMIUM_ARGS, chromium_path
from tests.fixtures.deployment import Deployment
from tests.fixtures.http_e2e import serve, with_api

DOM_TIMEOUT_MS = 20_000
# src="...", href="...", spec-url="..." (ReDoc's) and the quoted URLs a page's start-up script
# passes (url: '/openapi.json').
_REFERENCE = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']|url\s*:\s*["']([^"']+)["']""")


@pytest_asyncio.fixture
async def docs_url(deployment: Deployment) -> AsyncIterator[str]:
    async with serve(with_api(deployment.settings, docs=True)) as url:
        yield url


def references(page: str) -> list[str]:
    return [a or b for a, b in _REFERENCE.findall(page)]


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_the_docs_pages_name_no_other_host_and_their_assets_are_served_here(docs_url: str,
                                                                                  path: str) -> None:
    async with httpx.AsyncClient(base_url=docs_url, timeout=10) as http:
        response = await http.get(path)
        assert response.status_code == 200
        page = response.text
        assert not re.search(r"(?i)\b(?:https?:)?//[a-z0-9.-]+", page), "the page names another host"
        csp = response.headers["content-security-policy"]
        assert "http" not in csp and "default-src 'none'" in csp
        used = references(page)
        assert "/openapi.json" in used and any(u.endswith(".js") for u in used)
        for url in used:
            assert url.startswith("/"), url
            asset = await http.get(url)
            assert asset.status_code == 200, url
            assert len(asset.content) > 1000, url  # the real file, not an error page
        # Only those files: nothing else of the package's folder, or beyond it.
        assert (await http.get("/docs/assets/__init__.py")).status_code == 404
        assert (await http.get("/docs/assets/..%2f__init__.py")).status_code == 404


@pytest.fixture
async def offline_page() -> AsyncIterator[tuple[Any, list[str]]]:
    """A browser page that can reach 127.0.0.1 only; every other request fails as it would offline,
    and is listed. Unlike ``open_page`` the pages' Content-Security-Policy holds, as it would for a
    visitor: a request it stops never leaves the browser (ReDoc's footer logo on cdn.redoc.ly)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
            blocked: list[str] = []

            async def only_local(route: Any) -> None:
                url = route.request.url
                if url.startswith("http://127.0.0.1:") or url.startswith(("data:", "blob:")):
                    await route.continue_()
                else:
                    blocked.append(url)
                    await route.abort("internetdisconnected")

            await page.route("**/*", only_local)
            yield page, blocked
        finally:
            await browser.close()


@pytest.mark.xdist_group("workers")
@pytest.mark.timeout(BROWSER_TEST_TIMEOUT)
async def test_swagger_ui_shows_the_endpoints_without_internet(docs_url: str,
                                                               offline_page: tuple[Any, list[str]]) -> None:
    page, blocked = offline_page
    await page.goto(docs_url + "/docs")
    generate = page.locator(".opblock-summary-path", has_text="/generate")
    await generate.first.wait_for(timeout=DOM_TIMEOUT_MS)
    assert await page.locator(".opblock").count() >= 5
    assert blocked == []


@pytest.mark.xdist_group("workers")
@pytest.mark.timeout(BROWSER_TEST_TIMEOUT)
async def test_redoc_shows_the_endpoints_without_internet(docs_url: str, offline_page: tuple[Any, list[str]]) -> None:
    page, blocked = offline_page
    await page.goto(docs_url + "/redoc")
    await page.get_by_role("heading", name="queue a generation").first.wait_for(timeout=DOM_TIMEOUT_MS)
    assert blocked == []


async def test_the_admin_login_page_says_where_an_admin_key_comes_from(docs_url: str) -> None:
    async with httpx.AsyncClient(base_url=docs_url, timeout=10) as http:
        page = (await http.get("/")).text
    assert "NAIBOT_API__KEYS" in page and '"admin": true' in page
    assert "settings.yaml" not in page
