"""The NovelAI stand-in's V5 price and Opus allowance (docs/novelai-api.md §9.4, §9.5), over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from novelai.cost import cost_of
from novelai.payload import build_payload
from novelai.request import GenerationRequest
from novelai.subscription import Subscription
from sandbox.novelai import OPUS_EMAIL, TABLET_EMAIL, NovelAISandbox, SandboxAccount, pricing
from sandbox.novelai.accounts import subscription_json


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def body(model: str = "nai-diffusion-5-full", **fields: Any) -> dict[str, Any]:
    """What the client sends for this request (so the test follows the request shape the client uses)."""
    fields = {"prompt": "1girl", "seed": 3, "width": 832, "height": 1216, "steps": 28, **fields}
    return build_payload(GenerationRequest(model=model, **fields).resolved())


def opus_account(sandbox: NovelAISandbox) -> SandboxAccount:
    return next(a for a in sandbox.accounts if a.email == OPUS_EMAIL)


async def subscription(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    answer = await client.get("/user/subscription", headers=headers)
    assert answer.status_code == 200
    return answer.json()


async def set_allowance(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    answer = await client.post("/_sandbox/allowance", json={"account": OPUS_EMAIL, **fields})
    assert answer.status_code == 200, answer.text
    return answer.json()


def anlas(sub: dict[str, Any]) -> int:
    return sub["trainingStepsLeft"]["fixedTrainingStepsLeft"] + sub["trainingStepsLeft"]["purchasedTrainingSteps"]


@pytest.mark.parametrize(("model", "width", "height", "steps", "price"), [
    ("nai-diffusion-5-curated", 832, 1216, 30, 32), ("nai-diffusion-5-full", 1024, 1536, 23, 39),
    ("nai-diffusion-5-full-medium", 1024, 1536, 14, 26), ("nai-diffusion-4-5-full", 832, 1216, 30, 21),
])
def test_the_stand_in_charges_the_v5_price(model: str, width: int, height: int, steps: int, price: int) -> None:
    assert pricing.price(width, height, steps, 1, tier=1, model=model).total == price


async def test_a_tablet_pays_the_v5_price(novelai_sandbox: NovelAISandbox, client: httpx.AsyncClient) -> None:
    novelai_sandbox.add_account(SandboxAccount(email=TABLET_EMAIL, password="x", tier=1, anlas=100))
    tablet = bearer(novelai_sandbox.issue_token(TABLET_EMAIL))
    sent = body("nai-diffusion-5-curated", steps=30)
    assert (await client.post("/ai/generate-image", json=sent, headers=tablet)).status_code == 200
    assert anlas(await subscription(client, tablet)) == 100 - 32


async def test_opus_subscription_reports_the_allowance_and_others_none(
        novelai_sandbox: NovelAISandbox, client: httpx.AsyncClient) -> None:
    opus = bearer(novelai_sandbox.issue_token(OPUS_EMAIL))
    assert (await subscription(client, opus))["usage"] == {"percent": 100, "isNegative": False,
                                                           "timeUntilNextPercent": 0}
    novelai_sandbox.add_account(SandboxAccount(email=TABLET_EMAIL, password="x", tier=1))
    assert "usage" not in await subscription(client, bearer(novelai_sandbox.issue_token(TABLET_EMAIL)))


async def test_a_free_v5_image_drains_the_allowance_and_costs_no_anlas(
        novelai_sandbox: NovelAISandbox, client: httpx.AsyncClient) -> None:
    opus = bearer(novelai_sandbox.issue_token(OPUS_EMAIL))
    await set_allowance(client, percent=50, refill_per_minute=0)
    assert (await client.post("/ai/generate-image", json=body(), headers=opus)).status_code == 200
    sub = await subscription(client, opus)
    assert anlas(sub) == 1000
    assert sub["usage"]["percent"] == 49  # 50 − 1/17.3 %, reported in whole percent (down)
    assert opus_account(novelai_sandbox).allowance == pytest.approx(50 - 1 / 17.3)


async def test_an_empty_allowance_makes_v5_cost_anlas_while_v4_5_stays_free(
        novelai_sandbox: NovelAISandbox, client: httpx.AsyncClient) -> None:
    opus = bearer(novelai_sandbox.issue_token(OPUS_EMAIL))
    answer = await set_allowance(client, percent=0, refill_per_minute=0)
    assert answer["usage"] == {"percent": 0, "isNegative": False, "timeUntilNextPercent": 0}
    assert (await client.post("/ai/generate-image", json=body(), headers=opus)).status_code == 200
    assert anlas(await subscription(client, opus)) == 1000 - 30
    assert (await client.post("/ai/generate-image", json=body("nai-diffusion-4-5-full"),
                              headers=opus)).status_code == 200
    assert anlas(await subscription(client, opus)) == 1000 - 30


async def test_the_image_that_overdraws_the_allowance_is_free_and_then_it_reads_negative(
        novelai_sandbox: NovelAISandbox, client: httpx.AsyncClient) -> None:
    opus = bearer(novelai_sandbox.issue_token(OPUS_EMAIL))
    await set_allowance(client, percent=0.01, refill_per_minute=0)
    assert (await client.post("/ai/generate-image", json=body(), headers=opus)).status_code == 200
    sub = await subscription(client, opus)
    assert anlas(sub) == 1000
    assert sub["usage"]["isNegative"] is True and sub["usage"]["percent"] == -1


async def test_an_empty_allowance_and_no_anlas_is_402(novelai_sandbox: NovelAISandbox,
                                                      client: httpx.AsyncClient) -> None:
    opus_account(novelai_sandbox).anlas = 10
    opus = bearer(novelai_sandbox.issue_token(OPUS_EMAIL))
    await set_allowance(client, percent=-2, refill_per_minute=0)
    answer = await client.post("/ai/generate-image", json=body(), headers=opus)
    assert answer.status_code == 402 and answer.json()["statusCode"] == 402
    assert anlas(await subscription(client, opus)) == 10


def test_the_allowance_refills_per_minute_up_to_full() -> None:
    account = SandboxAccount(token="pst-refill", allowance=10.0, allowance_refill_per_minute=0.5)
    account.allowance_at -= 120  # two minutes ago
    assert account.allowance_now() == pytest.approx(11.0)
    account.allowance_at -= 10 * 86400
    assert account.allowance_now() == 100.0
    usage = account.usage_json()
    assert (usage["percent"], usage["timeUntilNextPercent"]) == (100, 0)


def test_time_until_next_percent_follows_the_refill_rate() -> None:
    account = SandboxAccount(token="pst-refill", allowance=10.5, allowance_refill_per_minute=1.0)
    assert account.usage_json()["timeUntilNextPercent"] == 30


async def test_the_control_api_refuses_an_unknown_account(client: httpx.AsyncClient) -> None:
    answer = await client.post("/_sandbox/allowance", json={"account": "nobody@example.com", "percent": 0})
    assert answer.status_code == 404


@pytest.mark.parametrize("percent", [-3.0, 0.0, 0.5, 50.0])
@pytest.mark.parametrize("model", ["nai-diffusion-5-full", "nai-diffusion-5-full-medium", "nai-diffusion-4-5-full"])
def test_the_client_never_expects_free_what_the_stand_in_charges(model: str, percent: float) -> None:
    """The stand-in's allowance rule vs. the client's, read from the stand-in's own subscription JSON: the
    client may ask about an image the stand-in would still give free (a fraction of a percent left,
    reported as 0), never the other way round."""
    account = SandboxAccount(token="pst-grid", tier=3, allowance=percent, allowance_refill_per_minute=0)
    sub = Subscription.from_api(subscription_json(account))
    for steps, n_samples in ((None, 1), (None, 2), (28, 1), (29, 1)):
        if steps is not None and "medium" in model:
            continue  # Medium runs its own fixed steps
        request = GenerationRequest(prompt="1girl", model=model, steps=steps, n_samples=n_samples, width=832,
                                    height=1216, seed=1).resolved()
        charged = pricing.price(832, 1216, request.steps or 0, n_samples, tier=3, model=model,
                                allowance=account.allowance_now()).total
        expected = cost_of(request, sub)
        assert expected >= charged, (steps, n_samples)
        if percent != 0.5:
            assert expected == charged, (steps, n_samples)
