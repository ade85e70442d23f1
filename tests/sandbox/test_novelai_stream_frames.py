"""The NovelAI stand-in sends in-stream ``error`` and ``retry`` frames on demand (control API), in the
stream's own wire format (docs/novelai-api.md §10.1)."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.fixtures.novelai_requests import anlas_of, decode_frames, stream_body, v45_body

CONCURRENCY = {"event_type": "error", "code": 429, "message": "Concurrent generation is locked", "at_step": 2}


async def queue_frames(client: httpx.AsyncClient, *frames: dict) -> httpx.Response:
    return await client.post("/_sandbox/stream-frames", json={"frames": list(frames)})


async def test_an_injected_error_frame_ends_the_msgpack_stream_without_images_or_charge(
        client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    assert (await queue_frames(client, CONCURRENCY)).status_code == 200
    before = await anlas_of(client, opus)
    body = stream_body(v45_body(steps=6, width=1216, height=1216))  # not free: priced in Anlas

    response = await client.post("/ai/generate-image-stream", json=body, headers=opus)

    frames = decode_frames(response.content)
    assert [frame["event_type"] for frame in frames] == ["intermediate", "intermediate", "error"]
    assert frames[-1] == {"event_type": "error", "code": 429, "message": "Concurrent generation is locked"}
    assert await anlas_of(client, opus) == before, "an error frame delivers no image and costs nothing"


async def test_an_injected_retry_frame_is_followed_by_the_whole_generation(
        client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    await queue_frames(client, {"event_type": "retry", "message": "retrying on another worker", "at_step": 1})

    response = await client.post("/ai/generate-image-stream", json=stream_body(v45_body(steps=3)), headers=opus)

    kinds = [frame["event_type"] for frame in decode_frames(response.content)]
    assert kinds == ["intermediate", "retry", "intermediate", "intermediate", "final"]


async def test_injected_frames_are_used_one_per_generation(client: httpx.AsyncClient, opus: dict[str, str]) -> None:
    await queue_frames(client, {**CONCURRENCY, "at_step": 0})
    body = stream_body(v45_body(steps=2))

    first = decode_frames((await client.post("/ai/generate-image-stream", json=body, headers=opus)).content)
    second = decode_frames((await client.post("/ai/generate-image-stream", json=body, headers=opus)).content)

    assert [frame["event_type"] for frame in first] == ["error"]
    assert second[-1]["event_type"] == "final"


async def test_an_error_frame_is_a_json_event_on_the_sse_stream(client: httpx.AsyncClient,
                                                                 opus: dict[str, str]) -> None:
    await queue_frames(client, {"event_type": "error", "code": 400, "message": "bad prompt"})

    response = await client.post("/ai/generate-image-stream", json=stream_body(v45_body(steps=2), "sse"),
                                 headers=opus)

    events = [json.loads(line[len("data: "):]) for line in response.text.split("\n\n") if line]
    assert events == [{"event_type": "error", "code": 400, "message": "bad prompt"}]


@pytest.mark.parametrize("frame", [{"event_type": "final"}, {"event_type": "error", "at_step": -1},
                                   {"event_type": "retry", "colour": "red"}])
async def test_an_unknown_frame_spec_is_refused_with_400(client: httpx.AsyncClient, frame: dict) -> None:
    response = await queue_frames(client, frame)

    assert response.status_code == 400
    assert (await client.post("/_sandbox/stream-frames", json={})).json() == {"pending": []}
