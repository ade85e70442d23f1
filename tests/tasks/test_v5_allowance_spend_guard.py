"""The spend guard and the Opus V5 allowance end to end: real Dramatiq workers, Redis, the NovelAI stand-in.

Issue 15's "done means": an Opus account whose free V5 allowance is used up gets "this would cost N Anlas"
instead of NovelAI silently charging it; with allowance left the same job runs free.
"""

from __future__ import annotations

import httpx
import pytest

from bot.chat.texts.jobs import error_text
from novelai.request import GenerationRequest
from sandbox.novelai import OPUS_EMAIL
from tasks.job import JobState, Requester
from tasks.spending import AllowanceRefused
from tests.fixtures.deployment import Deployment, wait_until_finished

pytestmark = pytest.mark.xdist_group("workers")

# Inside the Opus free size: 832×1216 at 23 steps costs ceil(17 × 1.5) = 26 Anlas on V5 when not free.
V5_FREE_SIZED = GenerationRequest(prompt="a cat", model="v5", width=832, height=1216, steps=23)
V5_PRICE = 26
ANN = Requester(platform="test", user_id="ann", display_name="Ann", chat_id="chat1")


async def set_allowance(deployment: Deployment, percent: float) -> None:
    """Through the stand-in's control API, as a test in another process would; no refill meanwhile."""
    async with httpx.AsyncClient(base_url=deployment.sandbox.url, timeout=10) as http:
        answer = await http.post("/_sandbox/allowance",
                                 json={"account": OPUS_EMAIL, "percent": percent, "refill_per_minute": 0})
    assert answer.status_code == 200, answer.text


def opus_anlas(deployment: Deployment) -> int:
    return next(a for a in deployment.sandbox.accounts if a.email == OPUS_EMAIL).anlas


async def test_an_empty_v5_allowance_is_refused_with_the_cost_instead_of_charged(deployment: Deployment) -> None:
    await set_allowance(deployment, 0)
    services = deployment.services()
    try:
        with pytest.raises(AllowanceRefused) as refused:
            await services.submitter.submit(V5_FREE_SIZED, ANN, account="default")
        assert refused.value.cost == V5_PRICE
        assert refused.value.user_message.startswith(
            f"this would cost {V5_PRICE} Anlas and only free generations are allowed: this Opus account's free "
            "V5 allowance is used up")
        assert await services.queue.lane_depths() == {}
        assert opus_anlas(deployment) == 1000
        assert deployment.sandbox.stats.generations_started() == 0
    finally:
        await services.aclose()


async def test_with_v5_allowance_left_the_job_runs_free(deployment: Deployment) -> None:
    await set_allowance(deployment, 5)
    services = deployment.services()
    try:
        job = await services.submitter.submit(V5_FREE_SIZED, ANN, account="default")
        await deployment.start_worker()
        done = (await wait_until_finished(services, [job.id]))[job.id]
        assert done.state is JobState.DONE
        assert opus_anlas(deployment) == 1000
        allowance = next(a for a in deployment.sandbox.accounts if a.email == OPUS_EMAIL).allowance
        assert allowance == pytest.approx(5 - 1 / 17.3)
    finally:
        await services.aclose()


async def test_the_worker_refuses_a_queued_v5_job_once_the_allowance_ran_out(deployment: Deployment) -> None:
    """Queued while the allowance lasted, run after it emptied: the worker's own check refuses it."""
    await set_allowance(deployment, 5)
    services = deployment.services()
    try:
        job = await services.submitter.submit(V5_FREE_SIZED, ANN, account="default")
        await set_allowance(deployment, 0)
        await deployment.start_worker()
        failed = (await wait_until_finished(services, [job.id]))[job.id]
        assert (failed.state, failed.error.kind) == (JobState.FAILED, "spend_refused")
        assert failed.error.refusal_key == "error.spend_refused_allowance_empty"
        # The chat says the refusal's own words, not "NovelAI would not charge the account".
        said = error_text(failed.error, "en")
        assert said.startswith(f"This would cost {V5_PRICE} Anlas") and "allowance is used up" in said, said
        assert "would not charge" not in said
        assert failed.error.message.startswith(f"this would cost {V5_PRICE} Anlas")
        assert opus_anlas(deployment) == 1000
        assert deployment.sandbox.stats.generations_started() == 0
    finally:
        await services.aclose()
