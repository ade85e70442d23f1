"""A JSON body to the image paths is read under its own bound as it arrives (bot.http.json_body): a declared
length over the bound is refused before a byte is read, a body without one at the first chunk past it, in
the API's error shape (413, ``body_too_large``), never read whole."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from starlette.requests import Request
from starlette.types import Message

from bot.http.image_models import MAX_DATA_URL_HEADER
from bot.http.json_body import json_limit, read_json_body
from bot.http.routes.images import GENERATE_IMAGES, body_limits
from bot.http.routes.jobs import ApiError
from naibot.settings import ImagesSettings, Settings
from tests.fixtures.deployment import Deployment
from tests.fixtures.http_e2e import ALICE_KEY, ApiWorld, auth, running_api, with_api

CHUNK = 65536
SMALLEST_IMAGES = ImagesSettings(max_input_bytes=64 * 1024)  # the bound small enough to pass it quickly


@pytest_asyncio.fixture
async def api(deployment: Deployment) -> AsyncIterator[ApiWorld]:
    settings = with_api(deployment.settings).model_copy(update={"images": SMALLEST_IMAGES})
    async with running_api(settings) as world:
        yield world


class Counted:
    """A JSON body of ``total`` bytes that counts what the server pulled of it."""

    def __init__(self, total: int) -> None:
        self.total, self.sent = total, 0

    async def chunks(self) -> AsyncIterator[bytes]:
        yield b'{"prompt": "a cat", "negative_prompt": "'
        self.sent = 40  # the head above
        while self.sent < self.total:
            self.sent += CHUNK
            yield b"x" * CHUNK
        yield b'"}'


def test_the_json_bound_is_the_image_paths_cap_derived_from_the_images_settings() -> None:
    settings = Settings().model_copy(update={"images": SMALLEST_IMAGES})
    assert body_limits(settings)["/generate"] == json_limit(settings, GENERATE_IMAGES) == (
        settings.api.max_body_bytes + 12 * (4 * 21846 + MAX_DATA_URL_HEADER))  # 12 images in base64, a data: URL each
    assert body_limits(settings)["/upscale"] == json_limit(settings, 1)


async def test_a_json_body_declared_over_the_bound_is_refused_413_before_it_is_read(api: ApiWorld) -> None:
    limit = json_limit(api.state.settings, GENERATE_IMAGES)
    body = Counted(50 * 1024 * 1024)
    response = await api.client.post("/generate", content=body.chunks(), headers={
        **auth(ALICE_KEY), "Content-Type": "application/json", "Content-Length": str(body.total + 35)})
    assert response.status_code == 413, response.text
    answer = response.json()
    assert answer["error"] == f"the request body is too large (the limit is {limit} bytes)"
    assert [(p["field"], p["code"]) for p in answer["problems"]] == [("body", "body_too_large")]
    assert response.headers["connection"] == "close"
    assert body.sent <= CHUNK  # at most what the transport pulled before the route answered, never 50 MB
    assert await api.state.services.queue.lane_depths() == {}


async def test_a_json_body_streamed_without_a_length_is_refused_413_at_the_bound(api: ApiWorld) -> None:
    limit = json_limit(api.state.settings, GENERATE_IMAGES)
    body = Counted(50 * 1024 * 1024)
    response = await api.client.post("/generate", content=body.chunks(), headers={
        **auth(ALICE_KEY), "Content-Type": "application/json"})
    assert response.status_code == 413, response.text
    assert "too large" in response.json()["error"] and str(limit) in response.json()["error"]
    assert body.sent < limit + 2 * CHUNK  # the bound and a chunk, never 50 MB
    assert await api.state.services.queue.lane_depths() == {}


async def test_a_json_body_under_the_bound_is_queued(api: ApiWorld) -> None:
    response = await api.client.post("/generate", headers=auth(ALICE_KEY), json={
        "prompt": "a cat", "negative_prompt": "x" * 1900, "width": 512, "height": 512})
    assert response.status_code == 200, response.text
    assert await api.state.services.queue.lane_depths() == {"default": 1}


def _request(chunks: list[bytes], pulled: list[int], headers: list[tuple[bytes, bytes]]) -> Request:
    """A Starlette request whose body comes in ``chunks``, counting in ``pulled`` how many were read."""
    async def receive() -> Message:
        pulled[0] += 1
        index = pulled[0] - 1
        return {"type": "http.request", "body": chunks[index], "more_body": index + 1 < len(chunks)}

    return Request({"type": "http", "method": "POST", "path": "/generate", "headers": headers}, receive)


@pytest.mark.parametrize("declared", [False, True], ids=["streamed", "content-length"])
async def test_the_reader_stops_at_the_bound_without_any_middleware(declared: bool) -> None:
    chunks, pulled = [b"x" * 1000] * 100, [0]
    headers = [(b"content-length", b"100000")] if declared else []
    with pytest.raises(ApiError) as refused:
        await read_json_body(_request(chunks, pulled, headers), 4500)
    assert (refused.value.status, refused.value.problems[0].code) == (413, "body_too_large")
    assert pulled[0] == (0 if declared else 5)  # nothing, or up to the first chunk past 4,500 bytes


async def test_the_reader_returns_a_body_within_the_bound_whole() -> None:
    pulled = [0]
    assert await read_json_body(_request([b'{"a":', b' 1}'], pulled, [(b"content-length", b"8")]), 8) == b'{"a": 1}'
