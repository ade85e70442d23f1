"""Upscale and Director Tools calls against hostile answers of the stand-in (sandbox/novelai/hostile.py):
each is refused within the client's bounds, as a generation's answer is (tests/novelai/test_hostile_responses.py)."""

from __future__ import annotations

import tracemalloc

import pytest

from novelai import errors
from novelai.accounts import Account
from novelai.client import NovelAIClient
from novelai.limits import Limits
from novelai.tokens import TokenCache
from novelai.tool_calls import augment, upscale
from novelai.tools import ToolRequest, UpscaleRequest
from sandbox.novelai import TABLET_EMAIL, TABLET_PASSWORD, NovelAISandbox
from sandbox.novelai import hostile as hostile_answers
from tests.novelai.tool_images import png_of, ref_of

MIB = 1024 * 1024
INPUT = png_of(512, 768)
REF = ref_of(INPUT, 512, 768)


def client_for(sandbox: NovelAISandbox, limits: Limits | None = None) -> NovelAIClient:
    return NovelAIClient(api_url=sandbox.url, image_url=sandbox.url, token_cache=TokenCache(None, None, "tools"),
                         limits=limits)


def tablet() -> Account:
    return Account.from_password("tablet", TABLET_EMAIL, TABLET_PASSWORD)


def hostile(sandbox: NovelAISandbox, mode: str, size: int = 0) -> None:
    sandbox.faults.hostile.append(mode)
    sandbox.faults.hostile_bytes = float(size)


async def call(client: NovelAIClient, which: str) -> object:
    if which == "upscale":
        return await upscale(client, tablet(), UpscaleRequest(image=REF), INPUT)
    return await augment(client, tablet(), ToolRequest(tool="bg-removal", image=REF), INPUT)


@pytest.mark.parametrize("which", ["upscale", "augment"])
async def test_zip_bomb_is_refused_before_it_is_inflated(novelai_sandbox: NovelAISandbox, which: str) -> None:
    size = 256 * MIB
    hostile_answers.zip_bomb(size)  # built before measuring: only the client's memory counts
    hostile(novelai_sandbox, "zip_bomb", size)
    async with client_for(novelai_sandbox) as client:
        await client.token_for(tablet())  # logged in before measuring
        tracemalloc.start()
        try:
            with pytest.raises(errors.ArchiveTooLarge):
                await call(client, which)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 48 * MIB, f"{peak:,} bytes allocated: the bomb was inflated"


@pytest.mark.parametrize("which", ["upscale", "augment"])
@pytest.mark.parametrize(("mode", "size", "error"), [
    ("zip_members", 0, errors.ArchiveTooLarge),
    ("huge_png", 0, errors.ImageTooLarge),
    ("ztxt_bomb", 64 * MIB, errors.TextChunkTooLarge),
    ("retry_after", 0, errors.RateLimited),
])
async def test_hostile_answer_is_refused(novelai_sandbox: NovelAISandbox, which: str, mode: str, size: int,
                                         error: type[errors.NovelAIError]) -> None:
    hostile(novelai_sandbox, mode, size)
    async with client_for(novelai_sandbox) as client:
        with pytest.raises(error):
            await call(client, which)


@pytest.mark.parametrize("which", ["upscale", "augment"])
async def test_oversized_answer_is_refused_at_the_response_bound(novelai_sandbox: NovelAISandbox, which: str) -> None:
    hostile(novelai_sandbox, "huge_body", 256 * MIB)
    async with client_for(novelai_sandbox, Limits(max_response_bytes=16 * MIB)) as client:
        with pytest.raises(errors.ResponseTooLarge) as caught:
            await call(client, which)
    assert "larger than the 16 MiB this bot accepts" in caught.value.user_message
