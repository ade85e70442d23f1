"""The client against hostile NovelAI answers (sandbox/novelai/hostile.py): each bound of novelai.limits
refuses its answer with a typed error, within bounded memory and time, and the answer is not retried."""

from __future__ import annotations

import asyncio
import contextlib
import io
import struct
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import msgpack
import pytest
from PIL import Image, PngImagePlugin

from naibot.settings import load_settings
from novelai import errors
from novelai.accounts import Account
from novelai.answers import error_from_response
from novelai.archive import _read_member
from novelai.client import NovelAIClient
from novelai.factory import client_from_settings
from novelai.limits import MIB, Limits, retry_after_seconds
from novelai.request import GenerationRequest
from novelai.response import read_png_info
from novelai.tokens import TokenCache
from sandbox.novelai import OPUS_TOKEN, NovelAISandbox
from sandbox.novelai import hostile as hostile_answers

SMALL = GenerationRequest(prompt="a cat", model="v4.5", width=512, height=512, steps=4, seed=42)
# A test that would hang on the code before the bounds fails after this long instead.
HANG = 30.0


def client_for(sandbox: NovelAISandbox, limits: Limits | None = None) -> NovelAIClient:
    return NovelAIClient(api_url=sandbox.url, image_url=sandbox.url, token_cache=TokenCache(None, None, "hostile"),
                         limits=limits)


def account() -> Account:
    return Account(name="opus", token=OPUS_TOKEN)


async def ignore_progress(*_: object) -> None:
    return None


async def generate(client: NovelAIClient, *, stream: bool) -> object:
    progress = ignore_progress if stream else None
    return await asyncio.wait_for(client.generate(account(), SMALL, on_progress=progress), HANG)


@contextlib.contextmanager
def peak_memory() -> Iterator[Callable[[], int]]:
    """The peak of Python allocations (bytes) inside the block: a bomb inflated shows here."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        yield lambda: tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def hostile(sandbox: NovelAISandbox, mode: str, size: int) -> None:
    sandbox.faults.hostile.append(mode)
    sandbox.faults.hostile_bytes = float(size)


def charged_once(sandbox: NovelAISandbox) -> bool:
    return sandbox.stats.started[OPUS_TOKEN] == 1


# --- ZIP --------------------------------------------------------------------------------------

async def test_zip_bomb_is_refused_before_inflating_past_the_image_bound(novelai_sandbox) -> None:
    size = 256 * MIB
    hostile_answers.zip_bomb(size)  # built before measuring: only the client's memory counts
    hostile(novelai_sandbox, "zip_bomb", size)
    async with client_for(novelai_sandbox) as client:
        with peak_memory() as peak, pytest.raises(errors.ArchiveTooLarge) as caught:
            await generate(client, stream=False)
        assert peak() < 32 * MIB, f"{peak():,} bytes allocated: the bomb was inflated"
    assert not caught.value.retryable and caught.value.kind == "response_refused"
    assert "unpacks to more than the 32 MiB" in caught.value.user_message
    assert charged_once(novelai_sandbox)


async def test_zip_with_too_many_members_is_refused(novelai_sandbox) -> None:
    hostile(novelai_sandbox, "zip_members", 0)
    async with client_for(novelai_sandbox) as client:
        with pytest.raises(errors.ArchiveTooLarge, match="4,096 members"):
            await generate(client, stream=False)


def test_inflated_bytes_are_counted_whatever_the_header_declares() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("image_0.png", bytes(3 * MIB))
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive, pytest.raises(errors.ArchiveTooLarge):
        _read_member(archive, archive.infolist()[0], MIB)


# --- whole answers ----------------------------------------------------------------------------

@pytest.mark.parametrize("stream", [False, True], ids=["zip", "stream"])
async def test_oversized_answer_is_refused_after_reading_at_most_the_bound(novelai_sandbox, stream: bool) -> None:
    hostile(novelai_sandbox, "huge_body", 512 * MIB)
    limits = Limits(max_response_bytes=16 * MIB, max_stream_frames=10_000)
    async with client_for(novelai_sandbox, limits) as client:
        with peak_memory() as peak, pytest.raises(errors.ResponseTooLarge) as caught:
            await generate(client, stream=stream)
        assert peak() < 64 * MIB, f"{peak():,} bytes allocated for a 16 MiB bound"
    assert not caught.value.retryable
    assert "larger than the 16 MiB this bot accepts" in caught.value.user_message


async def test_error_answer_message_is_cut_short() -> None:
    response = httpx.Response(500, json={"message": "x" * 100_000})
    error = error_from_response(response, Limits(max_message_chars=300))
    assert len(error.user_message) < 400 and error.user_message.endswith("…)")


# --- PNGs -------------------------------------------------------------------------------------

@pytest.mark.parametrize("stream", [False, True], ids=["zip", "stream"])
async def test_png_with_huge_dimensions_is_refused(novelai_sandbox, stream: bool) -> None:
    hostile(novelai_sandbox, "huge_png", 0)
    async with client_for(novelai_sandbox) as client:
        with pytest.raises(errors.ImageTooLarge, match="100000×100000") as caught:
            await generate(client, stream=stream)
    assert not caught.value.retryable


@pytest.mark.parametrize("stream", [False, True], ids=["zip", "stream"])
async def test_png_with_a_ztxt_bomb_is_refused_without_inflating_it(novelai_sandbox, stream: bool) -> None:
    size = 128 * MIB
    hostile(novelai_sandbox, "ztxt_bomb", size)
    async with client_for(novelai_sandbox) as client:
        with peak_memory() as peak, pytest.raises(errors.TextChunkTooLarge) as caught:
            await generate(client, stream=stream)
        assert peak() < 32 * MIB, f"{peak():,} bytes allocated: the text chunk was inflated"
    assert "text chunk larger than the 1 MiB" in caught.value.user_message


def test_png_text_chunks_within_the_bounds_are_read() -> None:
    out = io.BytesIO()
    Image.new("P", (512, 512)).save(out, "PNG")
    png = hostile_answers.ztxt_png(out.getvalue(), 64 * 1024)
    width, height, texts = read_png_info(png)
    assert (width, height) == (512, 512) and len(texts["Description"]) == 1024 * 1024  # whole MiBs


# --- the stream -------------------------------------------------------------------------------

async def test_oversized_stream_frame_is_refused_from_its_header(novelai_sandbox) -> None:
    # 48 MiB: above the 32 MiB frame bound, below the 64 MiB the client used to believe.
    hostile(novelai_sandbox, "big_frame", 48 * MIB)
    async with client_for(novelai_sandbox) as client:
        with peak_memory() as peak, pytest.raises(errors.StreamTooLarge, match="frame") as caught:
            await generate(client, stream=True)
        assert peak() < 16 * MIB, f"{peak():,} bytes allocated: the frame was buffered"
    assert not caught.value.retryable


async def test_endless_stream_is_refused_after_the_frame_bound(novelai_sandbox) -> None:
    hostile(novelai_sandbox, "endless_stream", 0)
    async with client_for(novelai_sandbox, Limits(max_stream_frames=200)) as client:
        with pytest.raises(errors.StreamTooLarge, match="200 frames"):
            await generate(client, stream=True)


async def test_endless_slow_stream_ends_at_the_generation_deadline(novelai_sandbox) -> None:
    novelai_sandbox.step_latency = 0.05
    hostile(novelai_sandbox, "endless_stream", 0)
    async with client_for(novelai_sandbox, Limits(generation_seconds=1.0)) as client:
        started = asyncio.get_running_loop().time()
        with pytest.raises(errors.DeadlineExceeded) as caught:
            await generate(client, stream=True)
        elapsed = asyncio.get_running_loop().time() - started
    assert elapsed < 5.0
    assert caught.value.kind == "deadline" and not caught.value.retryable and caught.value.holds_account
    assert "within 1 s" in caught.value.user_message


# --- Retry-After ------------------------------------------------------------------------------

@pytest.mark.parametrize("stream", [False, True], ids=["zip", "stream"])
async def test_huge_retry_after_is_capped(novelai_sandbox, stream: bool) -> None:
    hostile(novelai_sandbox, "retry_after", 0)
    async with client_for(novelai_sandbox, Limits(max_retry_after_seconds=120)) as client:
        with pytest.raises(errors.RateLimited) as caught:
            await generate(client, stream=stream)
    assert caught.value.retry_after == 120
    assert novelai_sandbox.stats.started[OPUS_TOKEN] == 0, "a 429 is answered before any generation"


@pytest.mark.parametrize(("header", "expected"), [
    ("1e12", 300.0), ("inf", 300.0), ("nan", None), ("-5", 0.0), ("12.5", 12.5), ("soon", None), (None, None),
    ("Fri, 31 Dec 9999 23:59:59 GMT", 300.0), ("Fri, 04 Dec 2026 12:00:30 GMT", 30.0),
])
def test_retry_after_is_read_within_bounds(header: str | None, expected: float | None) -> None:
    now = datetime(2026, 12, 4, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds(header, 300.0, now=now) == expected


def test_png_text_chunks_together_are_bounded() -> None:
    info = PngImagePlugin.PngInfo()
    for index in range(5):
        info.add_text(f"Note{index}", "x" * MIB)
    out = io.BytesIO()
    Image.new("P", (64, 64)).save(out, "PNG", pnginfo=info)
    with pytest.raises(errors.TextChunkTooLarge, match="text chunks"):
        read_png_info(out.getvalue())


async def test_stream_samples_not_asked_for_are_refused() -> None:
    def frame(event: dict[str, object]) -> bytes:
        packed = msgpack.packb(event, use_bin_type=True)
        return struct.pack(">I", len(packed)) + packed

    body = b"".join(frame({"event_type": "final", "samp_ix": index, "image": b"x"}) for index in (0, 7))
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    client = NovelAIClient(api_url="http://nai.test", image_url="http://nai.test",
                           token_cache=TokenCache(None, None, "hostile"), transport=transport)
    async with client:
        with pytest.raises(errors.StreamTooLarge, match="sample 7 of a request for 1"):
            await generate(client, stream=True)


def test_configured_limits_reach_the_client() -> None:
    settings = load_settings(env={"NAIBOT_SETTINGS": "/nonexistent/settings.yaml",
                                  "NAIBOT_NOVELAI__LIMITS__MAX_ZIP_MEMBERS": "3",
                                  "NAIBOT_NOVELAI__LIMITS__GENERATION_SECONDS": "42"})
    client = client_from_settings(settings)
    assert client.limits == Limits(max_zip_members=3, generation_seconds=42.0)
    assert settings.novelai.limits.model_dump() == {**vars(Limits()), "max_zip_members": 3,
                                                    "generation_seconds": 42.0}


async def test_the_client_asks_for_uncompressed_answers_so_no_gzip_inflates_past_the_bounds() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("accept-encoding", ""))
        return httpx.Response(200, json={"tier": 3})

    client = NovelAIClient(api_url="http://nai.test", image_url="http://nai.test",
                           token_cache=TokenCache(None, None, "identity"), transport=httpx.MockTransport(answer))
    try:
        await client._http.get("http://nai.test/user/subscription")
    finally:
        await client.aclose()
    assert seen == ["identity"]
