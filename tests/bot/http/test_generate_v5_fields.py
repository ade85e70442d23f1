"""POST /generate takes V5's fields (transparent, quality_preset, up to 22 characters) onto the
queued request, and refuses them where the model lacks them, with the same codes as the CLI and chat."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.fixtures.deployment import Deployment
from tests.fixtures.http_e2e import ALICE_KEY, ApiWorld, auth, running_api, with_api


@pytest_asyncio.fixture
async def api(deployment: Deployment) -> AsyncIterator[ApiWorld]:
    async with running_api(with_api(deployment.settings)) as world:
        yield world


async def test_v5_fields_reach_the_queued_request(api: ApiWorld) -> None:
    answer = await api.submit(prompt="a fox", model="v5", transparent=True, quality_preset="light",
                              characters=[f"fox {i}@0.05,0.5" for i in range(22)])
    job = await api.state.services.queue.get(answer["task_id"])
    assert job is not None
    assert (job.request.transparent, job.request.quality_preset) == (True, "light")
    assert len(job.request.characters) == 22 and job.request.characters[0].center == (0.05, 0.5)


async def test_transparency_on_v4_5_is_refused_by_its_code(api: ApiWorld) -> None:
    response = await api.client.post("/generate", json={"prompt": "a fox", "model": "v4.5", "transparent": True},
                                     headers=auth(ALICE_KEY))
    assert response.status_code == 400
    assert [p["code"] for p in response.json()["problems"]] == ["transparency_not_on_model"]
    assert await api.state.services.queue.lane_depths() == {}
