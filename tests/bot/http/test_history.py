"""``GET /history``: an API identity's own recent tasks, newest first, paged by cursor, with images and
when each expires (its end + ``queue.retention_seconds``), on the real app, a real worker and the
NovelAI stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from tests.fixtures.deployment import Deployment, wait_until_finished
from tests.fixtures.http_e2e import ALICE_KEY, BOB_KEY, ApiWorld, auth, running_api, with_api

pytestmark = pytest.mark.xdist_group("workers")

RETENTION = 7200


@pytest_asyncio.fixture
async def api(deployment: Deployment) -> AsyncIterator[ApiWorld]:
    settings = with_api(deployment.settings)
    settings = settings.model_copy(update={"queue": settings.queue.model_copy(update={"retention_seconds": RETENTION})})
    async with running_api(settings) as world:
        yield world


async def test_history_lists_only_the_identitys_tasks_newest_first_with_images_and_expiry(
        api: ApiWorld, deployment: Deployment) -> None:
    await deployment.start_worker()
    alices = [(await api.submit(prompt=f"alice picture {n}", steps=8))["task_id"] for n in range(3)]
    bobs = (await api.submit(BOB_KEY, prompt="bob picture", steps=8))["task_id"]
    await wait_until_finished(api.state.services, [*alices, bobs], timeout=60)

    response = await api.client.get("/history", headers=auth(ALICE_KEY))
    assert response.status_code == 200, response.text
    body = response.json()
    assert [item["task_id"] for item in body["items"]] == alices[::-1], "newest first, Bob's not among them"
    assert body["next_before"] is None and body["retention_seconds"] == RETENTION
    newest = body["items"][0]
    assert (newest["state"], newest["kind"], newest["prompt"]) == ("done", "generate", "alice picture 2")
    assert newest["expires_at"] == pytest.approx(newest["finished_at"] + RETENTION)
    (image,) = newest["images"]
    picture = await api.client.get(image["url"])
    assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")
    assert (image["width"], image["height"]) == (512, 512)

    bob = (await api.client.get("/history", headers=auth(BOB_KEY))).json()
    assert [item["task_id"] for item in bob["items"]] == [bobs]


async def test_history_pages_by_cursor_and_refuses_bad_limits_and_missing_keys(api: ApiWorld) -> None:
    tasks = [(await api.submit(prompt=f"queued {n}"))["task_id"] for n in range(5)]  # no worker: they wait
    first = (await api.client.get("/history", params={"limit": 2}, headers=auth(ALICE_KEY))).json()
    assert [item["task_id"] for item in first["items"]] == tasks[:2:-1][:2] == [tasks[4], tasks[3]]
    assert first["items"][0]["expires_at"] is None and first["items"][0]["state"] == "queued"
    second = (await api.client.get("/history", params={"limit": 2, "before": first["next_before"]},
                                   headers=auth(ALICE_KEY))).json()
    assert [item["task_id"] for item in second["items"]] == [tasks[2], tasks[1]]
    last = (await api.client.get("/history", params={"limit": 2, "before": second["next_before"]},
                                 headers=auth(ALICE_KEY))).json()
    assert [item["task_id"] for item in last["items"]] == [tasks[0]] and last["next_before"] is None

    too_many = await api.client.get("/history", params={"limit": 61}, headers=auth(ALICE_KEY))
    assert too_many.status_code == 400 and too_many.json()["problems"][0]["field"] == "limit"
    unknown: httpx.Response = await api.client.get("/history")
    assert unknown.status_code == 401
