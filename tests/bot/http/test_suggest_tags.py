"""``GET /suggest-tags`` on the real app (lifespan included) against the NovelAI stand-in and Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.fixtures.deployment import Deployment
from tests.fixtures.http_e2e import ALICE_KEY, BOB_KEY, ApiWorld, auth, running_api, with_api


@pytest_asyncio.fixture
async def api(deployment: Deployment) -> AsyncIterator[ApiWorld]:
    async with running_api(with_api(deployment.settings)) as world:
        yield world


async def test_suggest_tags_completes_the_last_tag_of_a_prompt(api: ApiWorld) -> None:
    response = await api.client.get("/suggest-tags", params={"prompt": "masterpiece, {blue e", "model": "v4.5"},
                                    headers=auth(ALICE_KEY))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["model"], body["typed"], body["source"]) == ("nai-diffusion-4-5-full", "blue e", "novelai")
    assert body["tags"] == [{"tag": "blue eyes", "count": 10_000, "confidence": body["tags"][0]["confidence"],
                             "prompt": "masterpiece, {blue eyes}"}]
    again = (await api.client.get("/suggest-tags", params={"prompt": "blue_e", "model": "nai-diffusion-4-5-full"},
                                  headers=auth(BOB_KEY))).json()
    assert again["source"] == "cache" and [t["tag"] for t in again["tags"]] == ["blue eyes"]


async def test_suggest_tags_needs_a_key_and_bounds_the_prompt(api: ApiWorld) -> None:
    assert (await api.client.get("/suggest-tags", params={"prompt": "blue"})).status_code == 401
    too_long = await api.client.get("/suggest-tags", params={"prompt": "a" * 2001}, headers=auth(ALICE_KEY))
    assert too_long.status_code == 400
    empty = (await api.client.get("/suggest-tags", params={"prompt": "1girl, "}, headers=auth(ALICE_KEY))).json()
    assert (empty["source"], empty["tags"]) == ("none", [])


async def test_with_novelai_slow_suggest_tags_answers_from_the_cache_or_empty(api: ApiWorld,
                                                                             deployment: Deployment) -> None:
    warm = await api.client.get("/suggest-tags", params={"prompt": "smi"}, headers=auth(ALICE_KEY))
    assert warm.json()["source"] == "novelai"
    deployment.sandbox.faults.slow_seconds = 6
    narrowed = (await api.client.get("/suggest-tags", params={"prompt": "smil"}, headers=auth(ALICE_KEY))).json()
    assert (narrowed["source"], [t["tag"] for t in narrowed["tags"]]) == ("shorter", ["smile"])
    cold = (await api.client.get("/suggest-tags", params={"prompt": "scen"}, headers=auth(ALICE_KEY))).json()
    assert (cold["source"], cold["tags"]) == ("none", [])
