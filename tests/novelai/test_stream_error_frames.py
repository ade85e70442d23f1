"""In-stream ``error`` frames end a streamed generation with NovelAI's code and message, retryable only
as the same HTTP status would be; ``retry`` frames are skipped (docs/novelai-api.md §10.1)."""

from __future__ import annotations

import pytest

from novelai import errors
from novelai.accounts import Account
from novelai.request import GenerationRequest
from sandbox.novelai import OPUS_EMAIL, OPUS_PASSWORD, NovelAISandbox
from tests.fixtures.novelai_client import make_client

REQUEST = GenerationRequest(prompt="a cat", model="v4.5", width=512, height=512, steps=4, seed=7)


async def ignore(event: object, total: int) -> None:
    return None


async def generate_with(sandbox: NovelAISandbox, aredis, prefix: str, *frames: dict) -> list:
    for frame in frames:
        sandbox.stream_frames.add(frame)
    async with make_client(sandbox, aredis, prefix) as client:
        return await client.generate(Account.from_password("opus", OPUS_EMAIL, OPUS_PASSWORD), REQUEST,
                                     on_progress=ignore)


async def test_an_error_frame_ends_the_generation_with_novelais_code_and_message(
        novelai_sandbox, aredis, redis_prefix) -> None:
    with pytest.raises(errors.StreamError) as caught:
        await generate_with(novelai_sandbox, aredis, redis_prefix,
                            {"event_type": "error", "code": 500, "message": "GPU fell over", "at_step": 2})
    error = caught.value
    assert (error.code, error.novelai_message) == (500, "GPU fell over")
    assert error.user_message == "NovelAI stopped the generation (GPU fell over)"
    assert "0 of" not in str(error)


async def test_a_concurrency_error_frame_is_retryable_and_holds_the_account(
        novelai_sandbox, aredis, redis_prefix) -> None:
    with pytest.raises(errors.StreamError) as caught:
        await generate_with(novelai_sandbox, aredis, redis_prefix,
                            {"event_type": "error", "code": 429, "message": "Concurrent generation is locked"})
    assert caught.value.retryable and caught.value.holds_account


async def test_a_400_error_frame_is_not_retryable(novelai_sandbox, aredis, redis_prefix) -> None:
    with pytest.raises(errors.StreamError) as caught:
        await generate_with(novelai_sandbox, aredis, redis_prefix,
                            {"event_type": "error", "code": 400, "message": "prompt refused"})
    assert not caught.value.retryable and not caught.value.holds_account


async def test_a_retry_frame_is_skipped_and_the_images_arrive(novelai_sandbox, aredis, redis_prefix) -> None:
    images = await generate_with(novelai_sandbox, aredis, redis_prefix,
                                 {"event_type": "retry", "message": "retrying", "at_step": 1})
    assert [image.seed for image in images] == [7]


@pytest.mark.parametrize(("code", "retryable"), [(503, True), ("429", True), (402, False), (None, False),
                                                 ("oops", False)])
def test_an_error_frames_code_is_judged_as_the_same_http_status(code: object, retryable: bool) -> None:
    assert errors.StreamError(code, "message").retryable is retryable
