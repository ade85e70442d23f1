"""ImageJobs: uploads to queued jobs, against real Redis, local storage, the NovelAI stand-in and (for the
end-to-end kinds) a real Dramatiq worker. Every refusal leaves nothing stored and nothing queued."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from novelai.errors import InvalidRequest
from novelai.images import InvalidImage, enhance_size, prepare_img2img, read_input, size_for_image
from novelai.request import GenerationRequest
from novelai.tools import UpscaleRequest
from sandbox.novelai.image_inputs import marker_colour, result_colour
from storage.factory import storage_from_settings
from tasks.image_submit import ImageJobs, JobImage, ReferenceUpload, Upload, VibeUpload
from tasks.job import Job, JobState, Requester
from tasks.queue import QueueFull
from tasks.services import QueueServices
from tasks.spending import SpendRefused
from tasks.submit import UnknownAccount
from tests.fixtures.deployment import Deployment, wait_until_finished

pytestmark = pytest.mark.xdist_group("workers")

ANN = Requester(platform="test", user_id="ann", display_name="Ann", chat_id="chat1")


def png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def stored_files(deployment: Deployment) -> list[Path]:
    return [p for p in Path(deployment.storage_dir).rglob("*") if p.is_file()]


def inputs_stored(deployment: Deployment) -> list[str]:
    return sorted(p.name for p in stored_files(deployment) if p.name.startswith("input-"))


def nothing_written(deployment: Deployment) -> bool:
    """Not a folder made in storage: refused before anything was stored (a stored then deleted input leaves
    its job's folder)."""
    return not any(Path(deployment.storage_dir).rglob("*"))


async def nothing_queued(services: QueueServices) -> bool:
    return sum((await services.queue.lane_depths()).values()) == 0


@pytest.fixture
async def jobs(deployment: Deployment):  # type: ignore[no-untyped-def]
    services = deployment.services()
    try:
        yield ImageJobs(services.submitter, deployment.settings.images), services
    finally:
        await services.aclose()


async def finished(deployment: Deployment, services: QueueServices, job: Job) -> Job:
    if not deployment.workers:
        await deployment.start_worker()
    return (await wait_until_finished(services, [job.id]))[job.id]


async def test_an_img2img_upload_runs_at_its_own_shape_and_the_result_comes_from_it(
        deployment: Deployment, jobs: tuple[ImageJobs, QueueServices]) -> None:
    image_jobs, services = jobs
    upload = png(600, 900, (200, 40, 40))
    request = GenerationRequest(prompt="a cat", model="v4.5", steps=23, strength=0.6)
    job = await image_jobs.generate(request, ANN, account="default", image=Upload(upload, "cat.png"))
    width, height = size_for_image(600, 900)
    assert isinstance(job.request, GenerationRequest) and job.request.image is not None
    assert (job.request.width, job.request.height) == (width, height)
    expected = prepare_img2img(read_input(upload, max_bytes=10**7, max_pixels=10**7), width, height)
    assert job.request.image.sha256 == expected.sha256
    done = await finished(deployment, services, job)
    assert done.state is JobState.DONE, done.error
    result = storage_from_settings(deployment.settings).get(done.images[0].key)
    assert result_colour(result) == marker_colour(expected.sha256)
    (record,) = deployment.sandbox.inputs_seen.last(1)
    assert [i["sha256"] for i in record["inputs"]] == [expected.sha256]


async def test_an_explicit_size_is_kept_for_img2img(jobs: tuple[ImageJobs, QueueServices]) -> None:
    image_jobs, _services = jobs
    request = GenerationRequest(prompt="a cat", model="v4.5", width=512, height=512, steps=8)
    job = await image_jobs.generate(request, ANN, account="default", image=Upload(png(600, 900, (1, 2, 3))))
    assert isinstance(job.request, GenerationRequest) and job.request.image is not None
    assert (job.request.image.width, job.request.image.height) == (512, 512)


async def test_an_enhance_of_an_earlier_result_keeps_its_prompt_at_the_enhanced_size(
        deployment: Deployment, jobs: tuple[ImageJobs, QueueServices]) -> None:
    image_jobs, services = jobs
    first = await services.submitter.submit(
        GenerationRequest(prompt="a red fox", model="v4.5", width=512, height=512, steps=8), ANN, account="default")
    first = await finished(deployment, services, first)
    job = await image_jobs.enhance(JobImage(first.id, 0), ANN, account="default", max_anlas=100)
    assert isinstance(job.request, GenerationRequest) and job.request.image is not None
    assert job.request.prompt.startswith("a red fox")
    assert (job.request.width, job.request.height) == enhance_size(512, 512, 1.5)
    assert job.request.image.key.split("/")[3] == job.id  # stored under the new job's own folder
    done = await finished(deployment, services, job)
    assert done.state is JobState.DONE, done.error
    result = storage_from_settings(deployment.settings).get(done.images[0].key)
    assert result_colour(result) == marker_colour(job.request.image.sha256)


async def test_variations_of_a_file_take_the_settings_recorded_in_it(
        deployment: Deployment, jobs: tuple[ImageJobs, QueueServices]) -> None:
    image_jobs, services = jobs
    first = await services.submitter.submit(
        GenerationRequest(prompt="a blue bird", model="v4.5", width=512, height=768, steps=9), ANN,
        account="default")
    first = await finished(deployment, services, first)
    data = storage_from_settings(deployment.settings).get(first.images[0].key)
    job = await image_jobs.variations(Upload(data, "bird.png"), ANN, account="default")
    assert isinstance(job.request, GenerationRequest)
    assert "a blue bird" in job.request.prompt
    assert (job.request.width, job.request.height, job.request.steps) == (512, 768, 9)


async def test_a_file_without_settings_needs_a_prompt_for_variations(
        deployment: Deployment, jobs: tuple[ImageJobs, QueueServices]) -> None:
    image_jobs, services = jobs
    with pytest.raises(InvalidRequest) as refused:
        await image_jobs.variations(Upload(png(640, 640, (9, 9, 9)), "plain.png"), ANN, account="default")
    assert refused.value.problems[0].code == "source_needs_prompt"
    assert nothing_written(deployment) and await nothing_queued(services)
    job = await image_jobs.variations(Upload(png(640, 640, (9, 9, 9))), ANN, account="default", prompt="a hill")
    assert isinstance(job.request, GenerationRequest) and job.request.prompt == "a hill"


@pytest.mark.parametrize("data, code", [
    (b"just text, not a picture", "image_not_an_image"),
    (b"GIF89a" + b"\0" * 64, "image_format"),
    (png(64, 64, (1, 1, 1))[:60], "image_corrupt"),
])
async def test_a_bad_file_is_refused_with_nothing_stored_or_queued(
        deployment: Deployment, jobs: tuple[ImageJobs, QueueServices], data: bytes, code: str) -> None:
    image_jobs, services = jobs
    with pytest.raises(InvalidImage) as refused:
        await image_jobs.generate(GenerationRequest(prompt="a cat"), ANN, account="default",
                                  image=Upload(data, "in.png"))
    assert refused.value.code == code
    assert "image: in.png: " in str(refused.value)
    assert nothing_written(deployment) and await nothing_queued(services)


async def test_a_broken_rule_found_after_decoding_stores_nothing(
        deployment: Deployment, jobs: tuple[ImageJobs, QueueServices]) -> None:
    image_jobs, services = jobs
    vibe = VibeUpload(Upload(png(300, 300, (5, 5, 5)), "v.png"))
    reference = ReferenceUpload(Upload(png(300, 300, (6, 6, 6)), "r.png"), kind="character")
    with pytest.raises(InvalidRequest) as refused:
        await image_jobs.generate(GenerationRequest(prompt="a cat", model="v4.5"), ANN, account="default",
                                  vibes=[vibe], references=[reference])
    assert "vibes_with_references" in [p.code for p in refused.value.problems]
    assert nothing_written(deployment) and await nothing_queued(services)


async def test_a_vibe_setting_out_of_range_is_refused_before_any_file_is_read(
        jobs: tuple[ImageJobs, QueueServices]) -> None:
    image_jobs, _services = jobs
    vibe = VibeUpload(Upload(b"not even an image", "v.png"), strength=1.5)
    with pytest.raises(InvalidRequest) as refused:
        await image_jobs.generate(GenerationRequest(prompt="a cat"), ANN, account="default", vibes=[vibe])
    assert [p.field for p in refused.value.problems] == ["vibe 1 strength"]


async def test_an_unknown_account_is_refused_before_inputs_are_stored(
        deployment: Deployment, jobs: tuple[ImageJobs, QueueServices]) -> None:
    image_jobs, services = jobs
    with pytest.raises(UnknownAccount):
        await image_jobs.upscale(Upload(png(256, 256, (3, 3, 3))), ANN, account="nobody")
    assert nothing_written(deployment) and await nothing_queued(services)


async def test_a_price_nobody_allowed_is_refused_before_inputs_are_stored(
        deployment: Deployment, jobs: tuple[ImageJobs, QueueServices]) -> None:
    image_jobs, services = jobs
    with pytest.raises(SpendRefused):  # the image host's upscale is never free
        await image_jobs.upscale(Upload(png(256, 256, (3, 3, 3))), ANN, account="default", max_anlas=0)
    assert nothing_written(deployment) and await nothing_queued(services)


async def test_a_full_queue_leaves_no_input_behind(deployment: Deployment,
                                                   jobs: tuple[ImageJobs, QueueServices]) -> None:
    image_jobs, _services = jobs
    await deployment.hold_lane()
    first = await image_jobs.tool(Upload(png(256, 256, (4, 4, 4))), "lineart", ANN, account="default",
                                  max_waiting=1)
    before = inputs_stored(deployment)
    assert len(before) == 1 and first.request.kind == "tool"
    with pytest.raises(QueueFull):
        await image_jobs.tool(Upload(png(256, 256, (8, 8, 8))), "sketch", ANN, account="default", max_waiting=1)
    assert inputs_stored(deployment) == before


async def test_an_upscale_is_not_shrunk_so_a_too_large_4x_is_refused(
        deployment: Deployment, jobs: tuple[ImageJobs, QueueServices]) -> None:
    image_jobs, services = jobs
    with pytest.raises(InvalidRequest) as refused:
        await image_jobs.upscale(Upload(png(1100, 1100, (2, 2, 2))), ANN, account="default", scale=4)
    assert refused.value.problems[0].code == "upscale_4x_too_large"
    job = await image_jobs.upscale(Upload(png(1100, 1100, (2, 2, 2))), ANN, account="default", max_anlas=10)
    assert isinstance(job.request, UpscaleRequest) and (job.request.image.width, job.request.image.height) == \
        (1100, 1100)
    assert inputs_stored(deployment) != [] and not await nothing_queued(services)


async def test_the_emotion_tool_without_a_mood_is_refused(deployment: Deployment,
                                                          jobs: tuple[ImageJobs, QueueServices]) -> None:
    image_jobs, services = jobs
    with pytest.raises(InvalidRequest) as refused:
        await image_jobs.tool(Upload(png(256, 256, (4, 4, 4))), "emotion", ANN, account="default")
    assert refused.value.problems[0].code == "emotion_required"
    assert nothing_written(deployment) and await nothing_queued(services)


@pytest.mark.parametrize("source, code", [
    (JobImage("nosuchjob", 0), "source_job_missing"),
    (JobImage("../../etc", 0), "source_job_id"),
])
async def test_an_earlier_job_that_is_not_there_is_refused(jobs: tuple[ImageJobs, QueueServices],
                                                           source: JobImage, code: str) -> None:
    image_jobs, _services = jobs
    with pytest.raises(InvalidRequest) as refused:
        await image_jobs.enhance(source, ANN, account="default")
    assert refused.value.problems[0].code == code


async def test_a_result_index_past_the_end_is_refused(deployment: Deployment,
                                                      jobs: tuple[ImageJobs, QueueServices]) -> None:
    image_jobs, services = jobs
    first = await services.submitter.submit(
        GenerationRequest(prompt="a cat", model="v4.5", width=512, height=512, steps=8), ANN, account="default")
    first = await finished(deployment, services, first)
    with pytest.raises(InvalidRequest) as refused:
        await image_jobs.upscale(JobImage(first.id, 1), ANN, account="default")
    assert refused.value.problems[0].code == "source_index"
