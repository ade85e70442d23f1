"""Jobs with images in, end to end: real Dramatiq workers, Redis, storage and the NovelAI stand-in.

The stand-in frames each result in a colour derived from its input's SHA-256 (for tools also from the
tool) and records the inputs it decoded, so a test knows which stored input a result came from.
"""

from __future__ import annotations

from typing import Any

import pytest
from PIL import Image

from novelai.images import PreparedImage
from novelai.inputs import ImageRef, VibeInput
from novelai.request import GenerationRequest
from novelai.tools import ToolRequest, UpscaleRequest
from sandbox.novelai import OPUS_EMAIL
from sandbox.novelai.image_inputs import marker_colour, result_colour
from storage.factory import storage_from_settings
from tasks.job import Job, JobState, Requester, new_job_id
from tasks.services import QueueServices
from tests.fixtures.deployment import Deployment, wait_until_finished

pytestmark = pytest.mark.xdist_group("workers")

ANN = Requester(platform="test", user_id="ann", display_name="Ann", chat_id="chat1")
WIDTH, HEIGHT = 512, 768
CREATED = 1_764_892_800.0  # 2025-12-05 00:00 UTC: the inputs' folder is that day's


def prepared(width: int, height: int, colour: tuple[int, int, int]) -> PreparedImage:
    return PreparedImage.of(Image.new("RGB", (width, height), colour))


def opus_anlas(deployment: Deployment) -> int:
    return next(a for a in deployment.sandbox.accounts if a.email == OPUS_EMAIL).anlas


def calls(deployment: Deployment, path: str) -> list[dict[str, Any]]:
    return [r for r in deployment.sandbox.stats.requests if r["path"] == path]


def result_png(deployment: Deployment, job: Job, index: int = 0) -> bytes:
    return storage_from_settings(deployment.settings).get(job.images[index].key)


async def store(services: QueueServices, job_id: str, image: PreparedImage) -> ImageRef:
    return await services.submitter.store_input(job_id, CREATED, image)


async def run(deployment: Deployment, services: QueueServices, request: Any, *, job_id: str,
              max_anlas: int = 0) -> Job:
    job = await services.submitter.submit(request, ANN, account="default", job_id=job_id, created_at=CREATED,
                                          max_anlas=max_anlas)
    if not deployment.workers:
        await deployment.start_worker()
    return (await wait_until_finished(services, [job.id]))[job.id]


async def test_an_img2img_job_makes_its_result_from_the_stored_input(deployment: Deployment) -> None:
    services = deployment.services()
    try:
        job_id = new_job_id()
        picture = prepared(WIDTH, HEIGHT, (200, 40, 40))
        ref = await store(services, job_id, picture)
        assert ref.key == f"2025/12/05/{job_id}/input-{picture.sha256[:12]}.png"
        request = GenerationRequest(prompt="a cat", image=ref, strength=0.7, width=WIDTH, height=HEIGHT, steps=23)
        done = await run(deployment, services, request, job_id=job_id)
        assert done.state is JobState.DONE, done.error
        assert result_colour(result_png(deployment, done)) == marker_colour(picture.sha256)
        (record,) = deployment.sandbox.inputs_seen.last(1)
        assert record["action"] == "img2img"
        assert [i["sha256"] for i in record["inputs"]] == [picture.sha256]
    finally:
        await services.aclose()


async def test_an_upscale_job_doubles_its_stored_input(deployment: Deployment) -> None:
    services = deployment.services()
    try:
        job_id = new_job_id()
        picture = prepared(WIDTH, HEIGHT, (20, 90, 160))
        ref = await store(services, job_id, picture)
        done = await run(deployment, services, UpscaleRequest(image=ref), job_id=job_id, max_anlas=1)
        assert done.state is JobState.DONE, done.error
        assert [(image.width, image.height) for image in done.images] == [(2 * WIDTH, 2 * HEIGHT)]
        assert result_colour(result_png(deployment, done)) == marker_colour(picture.sha256, "upscale")
        assert opus_anlas(deployment) == 1000 - 1  # the image host's upscale is never free
    finally:
        await services.aclose()


async def test_a_tool_job_runs_the_tool_on_its_stored_input(deployment: Deployment) -> None:
    services = deployment.services()
    try:
        job_id = new_job_id()
        picture = prepared(WIDTH, HEIGHT, (240, 200, 10))
        ref = await store(services, job_id, picture)
        done = await run(deployment, services, ToolRequest(tool="lineart", image=ref), job_id=job_id)
        assert done.state is JobState.DONE, done.error
        assert len(done.images) == 1
        assert result_colour(result_png(deployment, done)) == marker_colour(picture.sha256, "lineart")
        assert [r["status"] for r in calls(deployment, "/ai/augment-image")] == [200]
        assert opus_anlas(deployment) == 1000  # free on Opus up to 1 MP
    finally:
        await services.aclose()


async def test_a_vibe_is_encoded_once_and_the_next_job_reuses_it(deployment: Deployment) -> None:
    services = deployment.services()
    try:
        vibe_image = prepared(448, 448, (10, 200, 10))
        jobs: list[Job] = []
        for _ in range(2):
            job_id = new_job_id()
            vibe = VibeInput(image=await store(services, job_id, vibe_image), information_extracted=0.8)
            request = GenerationRequest(prompt="a cat", model="v4.5", width=WIDTH, height=HEIGHT, steps=23,
                                        vibes=(vibe,))
            # At submission the price knows what is cached: 1 encoding to make, then none.
            assert await services.submitter.uncached_vibes(request.resolved()) == (1 if not jobs else 0)
            jobs.append(await run(deployment, services, request, job_id=job_id, max_anlas=2))
            assert jobs[-1].state is JobState.DONE, jobs[-1].error
            assert opus_anlas(deployment) == 1000 - 2  # the one encoding, paid by the first job only
        assert len(calls(deployment, "/ai/encode-vibe")) == 1
        records = deployment.sandbox.inputs_seen.last(2)
        assert [[(i["kind"], i["sha256"]) for i in r["inputs"] if i["kind"] == "vibe_encoding"] for r in records] \
            == [[("vibe_encoding", vibe_image.sha256)]] * 2
    finally:
        await services.aclose()


async def test_a_retried_job_reads_its_inputs_again(deployment: Deployment) -> None:
    services = deployment.services()
    try:
        await deployment.start_worker()
        deployment.sandbox.faults.forced.append(500)  # the first attempt's first NovelAI call fails
        job_id = new_job_id()
        picture = prepared(WIDTH, HEIGHT, (90, 10, 120))
        ref = await store(services, job_id, picture)
        request = GenerationRequest(prompt="a cat", image=ref, strength=0.5, width=WIDTH, height=HEIGHT, steps=23)
        # Enough Anlas allowed that the worker need not ask the subscription: the 500 meets the generation.
        done = await run(deployment, services, request, job_id=job_id, max_anlas=100)
        assert done.state is JobState.DONE, done.error
        assert done.attempts == 2
        assert result_colour(result_png(deployment, done)) == marker_colour(picture.sha256)
    finally:
        await services.aclose()


async def test_a_job_whose_input_is_gone_fails_without_calling_novelai(deployment: Deployment) -> None:
    services = deployment.services()
    try:
        job_id = new_job_id()
        ref = await store(services, job_id, prepared(WIDTH, HEIGHT, (1, 2, 3)))
        storage_from_settings(deployment.settings).delete(ref.key)
        failed = await run(deployment, services, UpscaleRequest(image=ref), job_id=job_id, max_anlas=1)
        assert (failed.state, failed.error and failed.error.kind) == (JobState.FAILED, "input_missing")
        assert calls(deployment, "/ai/upscale") == []
        assert opus_anlas(deployment) == 1000
    finally:
        await services.aclose()


async def test_the_worker_refuses_a_queued_tool_job_whose_price_is_not_allowed(deployment: Deployment) -> None:
    """Queued past the submitter's check (as a job queued under an older limit would be): the worker's own
    check refuses it before anything reaches NovelAI."""
    services = deployment.services()
    try:
        job_id = new_job_id()
        ref = await store(services, job_id, prepared(WIDTH, HEIGHT, (4, 4, 4)))
        job = Job(id=job_id, request=UpscaleRequest(image=ref), requester=ANN, account="default", max_anlas=0,
                  created_at=CREATED)
        await services.queue.submit(job)
        await services.submitter.waker.wake("default")
        await deployment.start_worker()
        failed = (await wait_until_finished(services, [job_id]))[job_id]
        assert (failed.state, failed.error and failed.error.kind) == (JobState.FAILED, "spend_refused")
        assert failed.error is not None and failed.error.refusal_hint == "error.tool_free_hint"
        assert calls(deployment, "/ai/upscale") == []
        assert opus_anlas(deployment) == 1000
    finally:
        await services.aclose()


async def test_v3_vibes_go_as_images_without_an_encoding(deployment: Deployment) -> None:
    services = deployment.services()
    try:
        job_id = new_job_id()
        vibe_image = prepared(448, 448, (30, 60, 90))
        vibe = VibeInput(image=await store(services, job_id, vibe_image))
        request = GenerationRequest(prompt="a cat", model="v3", width=WIDTH, height=HEIGHT, steps=23, vibes=(vibe,))
        done = await run(deployment, services, request, job_id=job_id)
        assert done.state is JobState.DONE, done.error
        assert calls(deployment, "/ai/encode-vibe") == []
        (record,) = deployment.sandbox.inputs_seen.last(1)
        assert [i["sha256"] for i in record["inputs"]] == [vibe_image.sha256]
    finally:
        await services.aclose()
