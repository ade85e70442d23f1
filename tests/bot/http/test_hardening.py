"""Smaller findings of issue 13 on the HTTP API: the Host header is never reflected (L7), email
masking is linear (L9), and ``/docs`` (third-party script) is off unless asked for (L10)."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from bot.http import admin_state
from naibot.settings import ApiSettings
from tasks.job import ImageResult, Job
from tests.fixtures.admin_site import ADMIN_KEY, Site, admin, api_settings, png_bytes, served, submit
from tests.fixtures.deployment import Deployment

EVIL_HOST = "evil.example"


async def finished_job(site: Site) -> Job:
    """One job done with one stored image; the test plays the worker."""
    queue = site.services.queue
    job = await submit(site.services, "a castle", "Fin")
    assert await queue.acquire_lane("default", "test-worker")
    popped = await queue.pop("default", "test-worker")
    key = f"2026/01/01/{job.id}/0.png"
    (site.deployment.storage_dir / key).parent.mkdir(parents=True)
    (site.deployment.storage_dir / key).write_bytes(png_bytes())
    await queue.complete(popped.job, [ImageResult(key=key, url="ignored", seed=1, width=8, height=8)], seconds=1.0)
    return job


# -- L7: the Host header --------------------------------------------------------------------------


async def test_image_urls_do_not_reflect_the_host_header(site: Site) -> None:
    job = await finished_job(site)
    response = await site.http.get(f"/task_status/{job.id}", headers={**admin(), "Host": EVIL_HOST})
    (image,) = response.json()["images"]
    assert EVIL_HOST not in image["url"]
    assert image["url"] == f"/static/images/2026/01/01/{job.id}/0.png"
    assert (await site.http.get(image["url"])).status_code == 200


async def test_image_urls_use_the_configured_public_url(deployment: Deployment) -> None:
    settings = api_settings(deployment)
    settings = settings.model_copy(update={"api": settings.api.model_copy(update={"public_url": "https://bot.example"})})
    async with served(settings) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        site = Site(url, http, deployment.services(), deployment)
        try:
            job = await finished_job(site)
            response = await http.get(f"/task_status/{job.id}", headers={**admin(), "Host": EVIL_HOST})
        finally:
            await site.services.aclose()
    (image,) = response.json()["images"]
    assert image["url"] == f"https://bot.example/static/images/2026/01/01/{job.id}/0.png"


async def test_a_trailing_slash_is_not_redirected_to_the_host_header(site: Site) -> None:
    response = await site.http.get("/queue_status/", headers={**admin(), "Host": EVIL_HOST})
    assert EVIL_HOST not in response.headers.get("location", "")
    assert response.status_code == 404


async def test_login_and_logout_redirect_to_a_relative_location(site: Site) -> None:
    login = await site.http.post("/login", data={"key": ADMIN_KEY}, headers={"Host": EVIL_HOST})
    assert (login.status_code, login.headers["location"]) == (303, "/")
    logout = await site.http.post("/logout", headers={"Host": EVIL_HOST})
    assert (logout.status_code, logout.headers["location"]) == (303, "/")


# -- L9: email masking ------------------------------------------------------------------------------

# The masking before the fix, to compare outputs with.
_UNANCHORED = re.compile(r"[^\s@<>\"']+@[^\s@<>\"']+\.[A-Za-z]{2,}")


@pytest.mark.parametrize("text", [
    "a" * 20_000,  # one long spaceless prompt (the reported case)
    "a@" * 10_000,
    "a.b@c" * 5_000,
    "x" * 10_000 + "@" + "y" * 10_000,
    ("word " * 4_000) + "z" * 10_000,
])
def test_masking_a_long_prompt_takes_linear_time(text: str) -> None:
    started = time.perf_counter()
    admin_state.redact(text)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"{elapsed:.2f} s"  # generous: unanchored, "a" * 20000 took about 6 s


@pytest.mark.parametrize("text", [
    "mail bob@example.com now", "<carol@example.org>", "x'dave@ex.co'y", "a@b@c.de", "e@f.g", "h@i.jk.lm",
    "no email here", "two: a@b.cd and e@f.gh", "tab\tt@u.vw\n", "@x.yz", "q@.rs",
])
def test_masking_finds_the_same_addresses_as_before(text: str) -> None:
    from novelai.account_status import mask_email

    assert admin_state.redact(text) == _UNANCHORED.sub(lambda m: mask_email(m.group()), text)


# -- L10: /docs ---------------------------------------------------------------------------------------


async def test_docs_are_off_by_default(site: Site) -> None:
    assert (await site.http.get("/docs")).status_code == 404
    assert (await site.http.get("/redoc")).status_code == 404
    assert (await site.http.get("/openapi.json")).status_code == 200  # the description itself stays


async def test_docs_can_be_turned_on(deployment: Deployment) -> None:
    settings = api_settings(deployment)
    settings = settings.model_copy(update={"api": ApiSettings(keys=settings.api.keys, docs=True)})
    async with served(settings) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        assert (await http.get("/docs")).status_code == 200
