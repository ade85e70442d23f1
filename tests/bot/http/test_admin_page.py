"""The admin status page: login, its JSON, what it must never show, and the page in a real Chromium.

Every test serves the real application (``create_app``) with uvicorn on a free port, on top of a
test deployment (the NovelAI stand-in and, where jobs must really run, a Dramatiq worker).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.http import admin_state
from bot.http.auth import ADMIN_COOKIE
from sandbox.novelai import OPUS_EMAIL, OPUS_PASSWORD
from tasks.job import ImageResult, Job
from tests.fixtures.admin_site import ADMIN_KEY, USER_KEY, Site, admin, png_bytes, submit
from tests.fixtures.browser import BROWSER_TEST_TIMEOUT, open_page

SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "admin-page.png"
DOM_TIMEOUT_MS = 30_000


async def state(site: Site) -> dict[str, Any]:
    response = await site.http.get("/admin/state", headers=admin())
    assert response.status_code == 200, response.text
    return response.json()


# -- login and access ----------------------------------------------------------------------------

async def test_page_without_login_is_the_login_form(site: Site) -> None:
    response = await site.http.get("/")
    assert response.status_code == 200
    assert '<form class="card login" method="post" action="/login">' in response.text
    assert "admin_page.js" not in response.text


async def test_state_without_a_key_is_401(site: Site) -> None:
    response = await site.http.get("/admin/state")
    assert response.status_code == 401


async def test_state_with_a_non_admin_key_is_403(site: Site) -> None:
    response = await site.http.get("/admin/state", headers=admin(USER_KEY))
    assert response.status_code == 403


async def test_state_with_an_admin_bearer_key_is_200(site: Site) -> None:
    assert (await state(site))["totals"]["waiting"] == 0


async def test_login_with_a_wrong_key_shows_the_form_again_with_a_message(site: Site) -> None:
    response = await site.http.post("/login", data={"key": "not-a-key-at-all-1234"})
    assert response.status_code == 401
    assert "Unknown API key." in response.text
    assert 'action="/login"' in response.text
    assert ADMIN_COOKIE not in response.headers.get("set-cookie", "")


async def test_login_with_a_non_admin_key_is_refused(site: Site) -> None:
    response = await site.http.post("/login", data={"key": USER_KEY})
    assert response.status_code == 403
    assert "not an admin key" in response.text
    assert ADMIN_COOKIE not in response.headers.get("set-cookie", "")


async def test_login_sets_an_httponly_strict_cookie_that_opens_the_page_and_the_state(site: Site) -> None:
    response = await site.http.post("/login", data={"key": ADMIN_KEY})
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith(f"{ADMIN_COOKIE}=")
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    page = await site.http.get("/")
    assert "/admin/assets/admin_page.js" in page.text
    assert (await site.http.get("/admin/state")).status_code == 200


async def test_logout_clears_the_cookie(site: Site) -> None:
    await site.http.post("/login", data={"key": ADMIN_KEY})
    response = await site.http.post("/logout")
    assert response.status_code == 303
    assert f'{ADMIN_COOKIE}=""' in response.headers["set-cookie"] or "max-age=0" in response.headers[
        "set-cookie"].lower()
    assert ADMIN_COOKIE not in site.http.cookies
    assert 'action="/login"' in (await site.http.get("/")).text
    assert (await site.http.get("/admin/state")).status_code == 401


async def test_page_forbids_inline_scripts_and_framing(site: Site) -> None:
    response = await site.http.get("/", headers=admin())
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "<script>" not in response.text  # the only script is the external, same-origin one


# -- what the state says -------------------------------------------------------------------------

@pytest.fixture
async def busy_queue(site: Site) -> dict[str, Job]:
    """One finished job (with a stored image), one running at step 3 of 28, two waiting. No worker:
    the test plays the worker's part, so every state is exactly where the test puts it."""
    queue, storage_dir = site.services.queue, site.deployment.storage_dir
    finished = await submit(site.services, "a finished castle", "Fin", platform="discord")
    owner = "test-worker"
    assert await queue.acquire_lane("default", owner)
    popped = await queue.pop("default", owner)
    assert popped.job_id == finished.id
    key = f"2026/01/01/{finished.id}/0.png"
    (storage_dir / key).parent.mkdir(parents=True)
    (storage_dir / key).write_bytes(png_bytes())
    await queue.complete(popped.job, [ImageResult(key=key, url="ignored", seed=1, width=8, height=8)], seconds=2.5)
    running = await submit(site.services, "a running dragon", "Run")
    popped = await queue.pop("default", owner)
    assert popped.job_id == running.id
    await queue.emit("progress", job=running.id, account="default", step=3, total=28)
    first = await submit(site.services, "first in line", "Alice", priority=7)
    second = await submit(site.services, "second in line", "bob@example.com", platform="discord")
    return {"finished": finished, "running": running, "first": first, "second": second}


async def test_state_lists_waiting_jobs_with_position_owner_priority_and_age(site: Site, busy_queue) -> None:
    lanes = (await state(site))["lanes"]
    assert [lane["account"] for lane in lanes] == ["default"]
    waiting = lanes[0]["waiting"]
    assert [(j["id"], j["position"], j["priority"]) for j in waiting] == [
        (busy_queue["first"].id, 1, 7), (busy_queue["second"].id, 2, 5)]
    assert waiting[0]["owner"] == {"platform": "telegram", "name": "Alice"}
    assert waiting[0]["prompt"] == "first in line"
    assert all(0 <= j["age_seconds"] < 60 for j in waiting)
    assert lanes[0]["depth"] == 2 and lanes[0]["more"] == 0


async def test_state_lists_a_bounded_number_of_waiting_jobs_per_lane_and_counts_the_rest(site: Site) -> None:
    shown = admin_state.WAITING_PER_LANE
    for i in range(shown + 5):
        await submit(site.services, f"job {i}", "Many")
    lane = (await state(site))["lanes"][0]
    assert len(lane["waiting"]) == shown
    assert [j["position"] for j in lane["waiting"]] == list(range(1, shown + 1))
    assert (lane["depth"], lane["more"]) == (shown + 5, 5)


async def test_state_shows_running_jobs_with_their_latest_progress(site: Site, busy_queue) -> None:
    await site.services.queue.emit("progress", job=busy_queue["running"].id, account="default", step=5, total=28)
    running = (await state(site))["running"]
    assert [(j["id"], j["step"], j["steps"]) for j in running] == [(busy_queue["running"].id, 5, 28)]
    assert running[0]["owner"] == {"platform": "telegram", "name": "Run"}


async def test_state_shows_recent_results_with_image_urls(site: Site, busy_queue) -> None:
    recent = (await state(site))["recent"]
    job = busy_queue["finished"]
    assert [r["id"] for r in recent] == [job.id]
    url = recent[0]["images"][0]["url"]
    assert url == f"/static/images/2026/01/01/{job.id}/0.png"  # from storage.url, not the stored field
    assert recent[0]["owner"] == {"platform": "discord", "name": "Fin"}


async def test_state_totals_count_waiting_running_and_lanes(site: Site, busy_queue) -> None:
    totals = (await state(site))["totals"]
    assert (totals["waiting"], totals["running"], totals["lanes"]) == (2, 1, 1)
    assert totals["average_seconds"] == 2.5


async def test_state_shows_each_accounts_token_status(site: Site) -> None:
    accounts = (await state(site))["accounts"]
    assert [a["name"] for a in accounts] == ["default"]
    default = accounts[0]
    assert default["tier"] == "Opus"
    assert isinstance(default["anlas"], int)
    assert default["days_left"] is not None
    assert default["error"] is None
    assert default["login"] == OPUS_EMAIL[0] + "***@" + OPUS_EMAIL.split("@")[1]


async def test_state_shows_the_opus_v5_allowance(site: Site) -> None:
    """The page's account block says how many free V5 images the Opus allowance still covers (§9.5)."""
    [default] = (await state(site))["accounts"]
    assert default["v5_allowance"] == "≈ 1730 free V5 images left (100%), full"
    assert default["v5_allowance_percent"] == 100


async def test_token_status_is_cached_between_polls(site: Site) -> None:
    def subscription_calls() -> int:
        return sum(1 for r in site.deployment.sandbox.stats.requests if r["path"] == "/user/subscription")

    await state(site)
    before = subscription_calls()
    for _ in range(5):
        await state(site)
    assert subscription_calls() == before


async def test_state_never_contains_keys_tokens_or_full_emails(site: Site, busy_queue) -> None:
    await submit(site.services, "draw carol@example.org please", "Carol")
    text = json.dumps(await state(site))
    for secret in (ADMIN_KEY, USER_KEY, OPUS_EMAIL, OPUS_PASSWORD, "bob@example.com", "carol@example.org"):
        assert secret not in text
    assert "b***@example.com" in text
    assert "c***@example.org" in text


# -- the page in a real browser ------------------------------------------------------------------

@pytest.fixture
async def browser_page() -> AsyncIterator[Any]:
    async with open_page() as page:
        yield page


XSS_PROMPT = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
XSS_NAME = "<b>Mallory</b><script>window.__xss=3</script>"


async def log_in(page: Any, url: str) -> None:
    await page.goto(url + "/")
    await page.fill("#key", ADMIN_KEY)
    await page.click("button[type=submit]")
    await page.wait_for_selector("#totals", timeout=DOM_TIMEOUT_MS)


@pytest.mark.xdist_group("workers")
@pytest.mark.timeout(BROWSER_TEST_TIMEOUT)
async def test_browser_shows_user_text_as_text_and_runs_none_of_it(site: Site, browser_page: Any) -> None:
    page = browser_page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    await site.deployment.hold_lane()
    job = await submit(site.services, XSS_PROMPT, XSS_NAME, user_id="mallory")
    await log_in(page, site.url)
    row = page.locator(f'#lanes tr[data-job="{job.id}"]')
    await row.wait_for(timeout=DOM_TIMEOUT_MS)
    text = await row.inner_text()
    assert XSS_PROMPT in text
    assert XSS_NAME in text
    assert await page.evaluate("window.__xss") is None
    assert await page.locator("#lanes b, #lanes script, #lanes img").count() == 0
    assert dialogs == []


@pytest.mark.xdist_group("workers")
@pytest.mark.timeout(BROWSER_TEST_TIMEOUT)
async def test_browser_page_shows_the_queue_and_updates_itself_as_jobs_finish(site: Site, browser_page: Any,
                                                                              tmp_path: Path) -> None:
    page, deployment = browser_page, site.deployment
    await deployment.hold_lane()
    await deployment.start_worker()
    owners = [("telegram", "Alice"), ("discord", "Bob"), ("telegram", "Chen"), ("discord", "Dana")]
    prompts = ["1girl, silver hair, night city", "a red fox in snow", "watercolor harbor at dawn",
               "isometric cozy library"]
    jobs = [await submit(site.services, prompt, name, platform=platform)
            for (platform, name), prompt in zip(owners, prompts, strict=True)]

    await log_in(page, site.url)
    rows = page.locator("#lanes tr[data-job]")
    await page.wait_for_function("document.querySelectorAll('#lanes tr[data-job]').length === 4",
                                 timeout=DOM_TIMEOUT_MS)
    assert [await rows.nth(i).get_attribute("data-job") for i in range(4)] == [j.id for j in jobs]
    assert [await rows.nth(i).locator(".position").inner_text() for i in range(4)] == ["#1", "#2", "#3", "#4"]
    for i, (platform, name) in enumerate(owners):
        owner_text = await rows.nth(i).inner_text()
        assert platform in owner_text and name in owner_text

    # Slow generations so the page is caught with one job done, one running and two waiting.
    deployment.sandbox.step_latency = 0.12
    await deployment.release_lane()
    first = jobs[0].id
    await page.locator(f'#recent figure[data-job="{first}"] img').wait_for(timeout=DOM_TIMEOUT_MS)
    assert await page.locator(f'#lanes tr[data-job="{first}"]').count() == 0
    await page.wait_for_function(
        "[...document.querySelectorAll('#running .step')].some(n => n.textContent.startsWith('step '))",
        timeout=DOM_TIMEOUT_MS)
    await page.wait_for_function(  # the thumbnail has actually loaded, for the screenshot
        f"document.querySelector('#recent figure[data-job=\"{first}\"] img').naturalWidth > 0",
        timeout=DOM_TIMEOUT_MS)
    shot = tmp_path / "admin-page.png"
    await page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("NAIBOT_UPDATE_SCREENSHOT") or not SCREENSHOT.exists():
        SCREENSHOT.parent.mkdir(exist_ok=True)
        SCREENSHOT.write_bytes(shot.read_bytes())

    deployment.sandbox.step_latency = 0.0
    await page.wait_for_function("document.querySelectorAll('#recent figure[data-job]').length === 4",
                                 timeout=DOM_TIMEOUT_MS)
    await page.locator("#lanes .empty").wait_for(timeout=DOM_TIMEOUT_MS)
    assert await page.locator("#error").is_hidden()
    assert "updated" in await page.locator("#updated").inner_text()


@pytest.mark.xdist_group("workers")
@pytest.mark.timeout(BROWSER_TEST_TIMEOUT)
async def test_browser_shows_an_error_banner_while_the_state_cannot_be_fetched(site: Site, browser_page: Any
                                                                               ) -> None:
    page = browser_page
    await log_in(page, site.url)
    await page.wait_for_function("document.getElementById('updated').textContent.startsWith('updated')",
                                 timeout=DOM_TIMEOUT_MS)
    await page.route("**/admin/state", lambda route: route.abort())
    banner = page.locator("#error")
    await banner.wait_for(state="visible", timeout=DOM_TIMEOUT_MS)
    assert "Could not refresh" in await banner.inner_text()
    await page.unroute("**/admin/state")
    await banner.wait_for(state="hidden", timeout=DOM_TIMEOUT_MS)
