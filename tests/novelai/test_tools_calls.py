"""Upscale and Director Tools calls (novelai.tool_calls) against the NovelAI stand-in: which shape is
used and when it falls back, what comes back (and from which input), and what the account pays."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from novelai import errors
from novelai.accounts import Account
from novelai.client import NovelAIClient
from novelai.subscription import Subscription
from novelai.tokens import TokenCache
from novelai.tool_calls import UPSCALE_MODEL, augment, upscale
from novelai.tool_cost import tool_spend
from novelai.tools import ToolRequest, UpscaleRequest
from sandbox.novelai import OPUS_EMAIL, OPUS_PASSWORD, TABLET_EMAIL, TABLET_PASSWORD, NovelAISandbox
from sandbox.novelai.image_inputs import marker_colour, result_colour
from tests.novelai.tool_images import png_of, ref_of

INPUT = png_of(512, 768)
REF = ref_of(INPUT, 512, 768)


def client_for(sandbox: NovelAISandbox) -> NovelAIClient:
    return NovelAIClient(api_url=sandbox.url, image_url=sandbox.url, token_cache=TokenCache(None, None, "tools"))


def tablet() -> Account:
    return Account.from_password("tablet", TABLET_EMAIL, TABLET_PASSWORD)


def opus() -> Account:
    return Account.from_password("opus", OPUS_EMAIL, OPUS_PASSWORD)


def balance(sandbox: NovelAISandbox, email: str = TABLET_EMAIL) -> int:
    return next(account.anlas for account in sandbox.accounts if account.email == email)


def calls(sandbox: NovelAISandbox, path: str) -> list[dict[str, Any]]:
    return [r for r in sandbox.stats.requests if r["path"] == path]


async def subscription(client: NovelAIClient, account: Account) -> Subscription:
    return await client.subscription(account)


async def test_upscale_uses_the_image_host_shape_and_doubles_the_input(novelai_sandbox: NovelAISandbox) -> None:
    req = UpscaleRequest(image=REF)
    async with client_for(novelai_sandbox) as client:
        price = tool_spend(req, await subscription(client, tablet()), shape="image-host").cost
        before = balance(novelai_sandbox)
        [image] = await upscale(client, tablet(), req, INPUT)
    assert (image.width, image.height) == (1024, 1536)
    assert result_colour(image.png) == marker_colour(REF.sha256, "upscale")
    assert [(r["status"], r["model"]) for r in calls(novelai_sandbox, "/ai/upscale")] == [(200, UPSCALE_MODEL)]
    assert before - balance(novelai_sandbox) == price == 1


@pytest.mark.parametrize("status", [404, 400])
async def test_upscale_falls_back_to_the_legacy_shape_when_the_image_host_refuses(
        novelai_sandbox: NovelAISandbox, status: int) -> None:
    novelai_sandbox.switches.upscale_image_host_refusal = status
    req = UpscaleRequest(image=REF)
    async with client_for(novelai_sandbox) as client:
        sub = await subscription(client, tablet())
        before = balance(novelai_sandbox)
        [image] = await upscale(client, tablet(), req, INPUT)
    assert (image.width, image.height) == (1024, 1536)
    assert result_colour(image.png) == marker_colour(REF.sha256, "upscale")
    assert [(r["status"], r["model"]) for r in calls(novelai_sandbox, "/ai/upscale")] == [
        (status, UPSCALE_MODEL), (200, None)]
    # Charged the legacy price, which the unknown-shape price (the dearer) already covered.
    assert before - balance(novelai_sandbox) == tool_spend(req, sub, shape="legacy").cost == tool_spend(req, sub).cost


async def test_upscale_does_not_fall_back_on_other_errors(novelai_sandbox: NovelAISandbox) -> None:
    novelai_sandbox.switches.upscale_image_host_refusal = 500
    async with client_for(novelai_sandbox) as client:
        with pytest.raises(errors.ServerError):
            await upscale(client, tablet(), UpscaleRequest(image=REF), INPUT)
    assert [r["status"] for r in calls(novelai_sandbox, "/ai/upscale")] == [500]


async def test_upscale_above_one_megapixel_has_no_legacy_fallback(novelai_sandbox: NovelAISandbox) -> None:
    large = png_of(1024, 1536)
    novelai_sandbox.switches.upscale_image_host_refusal = 404
    async with client_for(novelai_sandbox) as client:
        with pytest.raises(errors.NovelAIError) as caught:
            await upscale(client, tablet(), UpscaleRequest(image=ref_of(large, 1024, 1536)), large)
    assert caught.value.status == 404
    assert [r["status"] for r in calls(novelai_sandbox, "/ai/upscale")] == [404]


async def test_upscale_above_one_megapixel_doubles_on_the_image_host(novelai_sandbox: NovelAISandbox) -> None:
    large = png_of(1024, 1536)
    async with client_for(novelai_sandbox) as client:
        before = balance(novelai_sandbox)
        [image] = await upscale(client, tablet(), UpscaleRequest(image=ref_of(large, 1024, 1536)), large)
    assert (image.width, image.height) == (2048, 3072)
    assert before - balance(novelai_sandbox) == 2


async def test_four_times_upscale_goes_to_the_legacy_shape_directly(novelai_sandbox: NovelAISandbox) -> None:
    req = UpscaleRequest(image=REF, scale=4)
    async with client_for(novelai_sandbox) as client:
        before = balance(novelai_sandbox)
        [image] = await upscale(client, tablet(), req, INPUT)
    assert (image.width, image.height) == (2048, 3072)
    assert [(r["status"], r["model"]) for r in calls(novelai_sandbox, "/ai/upscale")] == [(200, None)]
    assert before - balance(novelai_sandbox) == 2


async def test_bg_removal_gives_three_images_from_the_input(novelai_sandbox: NovelAISandbox) -> None:
    req = ToolRequest(tool="bg-removal", image=REF)
    async with client_for(novelai_sandbox) as client:
        price = tool_spend(req, await subscription(client, tablet())).cost
        before = balance(novelai_sandbox)
        images = await augment(client, tablet(), req, INPUT)
    assert [(i.index, i.width, i.height) for i in images] == [(0, 512, 768), (1, 512, 768), (2, 512, 768)]
    assert [result_colour(i.png) for i in images] == [
        marker_colour(REF.sha256, f"bg-removal:{part}") for part in ("masked", "generated", "blend")]
    assert before - balance(novelai_sandbox) == price == 65


@pytest.mark.parametrize(("tool", "fields"), [
    ("lineart", {}), ("sketch", {}), ("declutter", {}), ("declutter-keep-bubbles", {}),
    ("colorize", {"prompt": "red hair", "defry": 3}), ("emotion", {"emotion": "happy", "prompt": "tears", "defry": 1}),
])
async def test_each_tool_is_taken_by_the_stand_in_and_priced_as_it_charges(
        novelai_sandbox: NovelAISandbox, tool: str, fields: dict[str, Any]) -> None:
    req = ToolRequest(tool=tool, image=REF, **fields)
    async with client_for(novelai_sandbox) as client:
        price = tool_spend(req, await subscription(client, tablet())).cost
        before = balance(novelai_sandbox)
        [image] = await augment(client, tablet(), req, INPUT)
    assert result_colour(image.png) == marker_colour(REF.sha256, tool)
    assert before - balance(novelai_sandbox) == price == 20


async def test_small_tool_call_is_free_for_opus(novelai_sandbox: NovelAISandbox) -> None:
    req = ToolRequest(tool="emotion", image=REF, emotion="smug")
    async with client_for(novelai_sandbox) as client:
        verdict = tool_spend(req, await subscription(client, opus()))
        before = balance(novelai_sandbox, OPUS_EMAIL)
        await augment(client, opus(), req, INPUT)
    assert (verdict.cost, verdict.free) == (0, True)
    assert balance(novelai_sandbox, OPUS_EMAIL) == before


async def test_invalid_tool_request_is_refused_before_anything_is_sent(novelai_sandbox: NovelAISandbox) -> None:
    async with client_for(novelai_sandbox) as client:
        with pytest.raises(errors.InvalidRequest):
            await augment(client, tablet(), ToolRequest(tool="lineart", image=REF, prompt="x"), INPUT)
        with pytest.raises(errors.InvalidRequest):
            await upscale(client, tablet(), UpscaleRequest(image=REF, scale=3), INPUT)
    assert not calls(novelai_sandbox, "/ai/augment-image") and not calls(novelai_sandbox, "/ai/upscale")


async def test_calls_on_one_account_run_one_at_a_time(novelai_sandbox: NovelAISandbox) -> None:
    req = ToolRequest(tool="sketch", image=REF)
    async with client_for(novelai_sandbox) as client:
        results = await asyncio.gather(augment(client, tablet(), req, INPUT),
                                       upscale(client, tablet(), UpscaleRequest(image=REF), INPUT),
                                       augment(client, tablet(), req, INPUT))
    assert [len(images) for images in results] == [1, 1, 1]
    assert max(novelai_sandbox.stats.peak_concurrency.values()) == 1
