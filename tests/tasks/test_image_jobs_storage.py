"""Jobs with images in, without a worker: where inputs are kept, what a job hash holds, how old jobs load,
what a submission refuses, how the vibe cache counts, and how an upscale or a tool job is shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from redis.asyncio import Redis

from bot.chat.texts.jobs import caption, queue_text, status_text
from bot.rules.groups import GroupConfig
from bot.rules.quotas import QuotaExceeded
from naibot.settings import Settings
from novelai.images import PreparedImage
from novelai.inputs import VibeInput, VibeKey
from novelai.request import GenerationRequest
from novelai.tools import ToolRequest, UpscaleRequest
from storage.local import LocalStorage
from tasks.inputs import InputMissing, load_inputs, request_images, store_input
from tasks.job import ImageResult, Job, JobState, Requester, duration_class, new_job_id, quota_images
from tasks.services import QueueServices
from tasks.spending import ToolSpendRefused
from tasks.vibe_cache import VibeCache
from tests.fixtures.deployment import Deployment
from tests.fixtures.policies import ANN as MEMBER
from tests.fixtures.policies import make_policy

ANN = Requester(platform="test", user_id="ann", display_name="Ann", chat_id="chat1")
CREATED = 1_764_892_800.0  # 2025-12-05 00:00 UTC
WIDTH, HEIGHT = 512, 768


def prepared(width: int, height: int, colour: tuple[int, int, int]) -> PreparedImage:
    return PreparedImage.of(Image.new("RGB", (width, height), colour))


async def _hash_size(services: QueueServices, vibes: int) -> tuple[int, bytes]:
    """Submit an infill with ``vibes`` vibes; the size of its job hash and its joined values."""
    job_id = new_job_id()
    submitter = services.submitter
    image = await submitter.store_input(job_id, CREATED, prepared(WIDTH, HEIGHT, (9, 9, 9)))
    mask = await submitter.store_input(job_id, CREATED, prepared(WIDTH, HEIGHT, (255, 255, 255)))
    vibe_inputs = tuple([VibeInput(image=await submitter.store_input(job_id, CREATED, prepared(448, 448, (i, 0, 0))))
                         for i in range(vibes)])
    request = GenerationRequest(prompt="1girl, red hair, beach, sunset, " * 4, model="v4.5", image=image,
                                mask=mask, width=WIDTH, height=HEIGHT, steps=23, vibes=vibe_inputs)
    job = await submitter.submit(request, ANN, account="default", job_id=job_id, created_at=CREATED, max_anlas=100)
    raw = await services.redis.hgetall(services.queue.keys.job(job.id))
    values = [v if isinstance(v, bytes) else v.encode() for v in raw.values()]
    return sum(len(k) + len(v) for k, v in raw.items()), b"".join(values)


async def test_a_waiting_job_holds_keys_of_its_images_never_their_bytes(deployment: Deployment) -> None:
    """An infill (image and mask, a 128-character prompt) stays under 2 KB; each vibe adds one small ref."""
    services = deployment.services()
    try:
        infill, infill_values = await _hash_size(services, 0)
        with_vibes, vibe_values = await _hash_size(services, 10)
        print(f"job hash: infill {infill} bytes, with 10 vibes {with_vibes} bytes")
        assert infill < 2048
        assert (with_vibes - infill) / 10 < 100  # its SHA-256 and size in one string, no key (tasks.stored_job)
        assert b"\x89PNG" not in infill_values + vibe_values
    finally:
        await services.aclose()


async def test_a_job_stored_without_a_kind_loads_as_a_generation(deployment: Deployment) -> None:
    services = deployment.services()
    try:
        job = await services.submitter.submit(GenerationRequest(prompt="a cat"), ANN, account="default")
        key = services.queue.keys.job(job.id)
        stored = await services.redis.hget(key, "data")
        assert stored is not None
        data = json.loads(stored)
        del data["request"]["kind"]  # as jobs queued before images came in were stored
        for field in ("image", "mask", "vibes", "references", "strength", "noise"):
            data["request"].pop(field, None)
        await services.redis.hset(key, "data", json.dumps(data))
        loaded = await services.queue.get(job.id)
        assert loaded is not None and isinstance(loaded.request, GenerationRequest)
        assert (loaded.kind, loaded.request.prompt) == ("generate", "a cat")
    finally:
        await services.aclose()


async def test_a_request_naming_another_jobs_input_is_refused(deployment: Deployment) -> None:
    services = deployment.services()
    try:
        mine, theirs = new_job_id(), new_job_id()
        ref = await services.submitter.store_input(theirs, CREATED, prepared(WIDTH, HEIGHT, (1, 1, 1)))
        with pytest.raises(ValueError, match="not stored under job"):
            await services.submitter.submit(UpscaleRequest(image=ref), ANN, account="default", job_id=mine,
                                            created_at=CREATED, max_anlas=10)
        with pytest.raises(ValueError, match="needs the job id"):
            await services.submitter.submit(UpscaleRequest(image=ref), ANN, account="default", max_anlas=10)
        assert await services.queue.lane_depths() == {}
    finally:
        await services.aclose()


async def test_a_tool_job_over_the_allowed_anlas_is_refused_at_submission(deployment: Deployment) -> None:
    services = deployment.services()
    try:
        job_id = new_job_id()
        ref = await services.submitter.store_input(job_id, CREATED, prepared(WIDTH, HEIGHT, (1, 1, 1)))
        with pytest.raises(ToolSpendRefused) as refused:  # the image host's upscale is never free
            await services.submitter.submit(UpscaleRequest(image=ref), ANN, account="default", job_id=job_id,
                                            created_at=CREATED)
        assert (refused.value.cost, refused.value.allowed) == (1, 0)
        assert "smaller image" in refused.value.user_message
        assert await services.queue.lane_depths() == {}
    finally:
        await services.aclose()


async def test_an_input_changed_in_storage_is_not_used(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    ref = await store_input(storage, "job1", CREATED, prepared(64, 64, (5, 5, 5)))
    storage.put(ref.key, prepared(64, 64, (6, 6, 6)).png)
    with pytest.raises(InputMissing, match="changed"):
        await load_inputs(storage, UpscaleRequest(image=ref))


async def test_each_image_of_a_request_is_loaded_once(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    image = await store_input(storage, "job1", CREATED, prepared(WIDTH, HEIGHT, (5, 5, 5)))
    vibe = await store_input(storage, "job1", CREATED, prepared(448, 448, (7, 7, 7)))
    request = GenerationRequest(prompt="x", image=image, width=WIDTH, height=HEIGHT,
                                vibes=(VibeInput(image=vibe), VibeInput(image=vibe, strength=0.2)))
    assert request_images(request) == [image, vibe]
    assert set((await load_inputs(storage, request)).images) == {image.sha256, vibe.sha256}


async def test_a_vibe_pointer_whose_file_is_gone_counts_as_not_cached(deployment: Deployment, tmp_path: Path
                                                                     ) -> None:
    settings: Settings = deployment.settings
    services = QueueServices.from_settings(settings)
    try:
        cache = VibeCache(services.redis, settings.redis.prefix, 60)
        storage = LocalStorage(tmp_path)
        key = VibeKey("ab" * 32, 0.7, "nai-diffusion-4-5-full")
        assert await cache.uncached([key, key]) == 1
        stored = await cache.record(storage, key, b"encoding", "job1", CREATED)
        assert stored == f"2025/12/05/job1/vibe-{'ab' * 6}-0p7-nai-diffusion-4-5-full.bin"
        assert 0 < await services.redis.ttl(cache.redis_key(key)) <= 60
        assert await cache.uncached([key]) == 0
        assert await cache.cached(storage, [key]) == {key: b"encoding"}
        storage.delete(stored)
        assert await cache.cached(storage, [key]) == {}
    finally:
        await services.aclose()


def test_an_upscale_or_a_tool_call_counts_as_one_image_for_quotas() -> None:
    ref = prepared(8, 8, (0, 0, 0))
    image = {"key": "k", "sha256": ref.sha256, "width": 8, "height": 8}
    assert quota_images(ToolRequest.model_validate({"tool": "bg-removal", "image": image})) == 1
    assert quota_images(UpscaleRequest.model_validate({"image": image, "scale": 4})) == 1
    assert quota_images(GenerationRequest(prompt="x", n_samples=3)) == 3


@pytest.mark.parametrize(("lang", "upscale_words", "tool_words"),
                         [("en", "Upscale ×2", "Director Tool: line art"), ("zh", "放大 ×2", "Director 工具：线稿")])
def test_an_upscale_and_a_tool_job_say_what_they_are(lang: str, upscale_words: str, tool_words: str) -> None:
    ref = {"key": "2025/12/05/j/input-x.png", "sha256": "0" * 64, "width": WIDTH, "height": HEIGHT}
    result = ImageResult(key="2025/12/05/j/0.png", url="u", seed=None, width=2 * WIDTH, height=2 * HEIGHT)
    upscale = Job(request={"kind": "upscale", "image": ref}, requester=ANN, account="a", state=JobState.DONE,
                  images=[result])
    tool = Job(request={"kind": "tool", "tool": "lineart", "image": ref}, requester=ANN, account="a",
               state=JobState.QUEUED, position=1, total=1)
    assert f"{upscale_words} · {2 * WIDTH}×{2 * HEIGHT}" in caption(upscale, lang, image_index=0)
    assert f"{tool_words} · {WIDTH}×{HEIGHT}" in caption(tool, lang)
    assert tool_words in queue_text(lang, [tool], [], 1, None, {})
    failed = upscale.model_copy(update={"state": JobState.FAILED, "error": {"kind": "input_missing", "message": ""}})
    assert status_text(failed, lang)  # no generation fields needed


def test_upscale_and_tool_durations_are_averaged_apart_from_generations() -> None:
    ref = {"key": "k", "sha256": "0" * 64, "width": WIDTH, "height": HEIGHT}
    assert duration_class(UpscaleRequest.model_validate({"image": ref})) == ("upscale", WIDTH, HEIGHT)
    sketch = ToolRequest.model_validate({"tool": "sketch", "image": ref})
    assert duration_class(sketch) == ("tool-sketch", WIDTH, HEIGHT)
    generation = GenerationRequest(prompt="x", width=WIDTH, height=HEIGHT).resolved()
    assert duration_class(generation) == (generation.model, WIDTH, HEIGHT)


async def test_a_bg_removal_job_uses_one_image_of_a_members_daily_quota(aredis: Redis, redis_prefix: str) -> None:
    """bg-removal answers with three images, but it is one call on one image: it counts as one."""
    policy = make_policy(aredis, redis_prefix)
    config = GroupConfig.model_validate({"quota": {"images_per_day": 2}})
    funding = await policy.fund(MEMBER, config)
    image = {"key": "k", "sha256": "0" * 64, "width": WIDTH, "height": HEIGHT}
    bg_removal = ToolRequest.model_validate({"tool": "bg-removal", "image": image})
    for _ in range(2):
        await policy.charge(MEMBER, funding, config, bg_removal)
    with pytest.raises(QuotaExceeded):
        await policy.charge(MEMBER, funding, config, bg_removal)
