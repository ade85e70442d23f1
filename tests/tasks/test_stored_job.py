"""A job's stored form (tasks.stored_job): small in Redis (a waiting job with 10 vibes under 2 KB), and
read back exactly, for every kind of request, for jobs stored before the compact form, and for an image
not kept under its job's folder."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from PIL import Image
from pydantic import TypeAdapter

from novelai.characters import CharacterPrompt
from novelai.inputs import ImageRef, ReferenceInput, VibeInput
from novelai.request import GenerationRequest
from novelai.tools import ToolRequest, UpscaleRequest
from tasks.image_submit import ImageJobs, Upload, VibeUpload
from tasks.inputs import input_key
from tasks.job import AnyRequest, JobRequest, Requester
from tasks.stored_job import dump_request, dump_requester, load_request
from tests.fixtures.deployment import Deployment

JOB_ID, CREATED = "abcdefghij", 1_764_892_800.25  # 2025-12-05 00:00:00.25 UTC
ANN = Requester(platform="test", user_id="ann", display_name="Ann", chat_id="chat1")
REQUESTS = TypeAdapter(JobRequest)


def image(n: int, width: int = 512, height: int = 512) -> ImageRef:
    sha = f"{n:02x}" * 32
    return ImageRef(key=input_key(JOB_ID, CREATED, sha), sha256=sha, width=width, height=height)


def round_trip(request: AnyRequest) -> tuple[AnyRequest, str]:
    """The request after storing and reading (through JSON text, as Redis holds it), and that text."""
    text = json.dumps(dump_request(request, JOB_ID, CREATED), separators=(",", ":"))
    return REQUESTS.validate_python(load_request(json.loads(text), JOB_ID, CREATED)), text


KINDS: dict[str, AnyRequest] = {
    "txt2img, all defaults": GenerationRequest(prompt="a cat"),
    "txt2img, resolved": GenerationRequest(prompt="a cat", model="v4.5", width=832, height=1216, steps=28).resolved(),
    "characters, v3 flags": GenerationRequest(
        prompt="two", characters=(CharacterPrompt(prompt="girl", center=(0.3, 0.5)),
                                  CharacterPrompt(prompt="boy", negative="hat")),
        smea=True, quality_tags=False, uc_preset=2, seed=0),
    "img2img": GenerationRequest(prompt="a cat", image=image(1, 832, 1216), strength=0.7, noise=0.0),
    "infill": GenerationRequest(prompt="a cat", image=image(1), mask=image(2), inpaint_strength=0.85,
                                add_original_image=False),
    "10 vibes": GenerationRequest(prompt="a cat", vibes=tuple(
        VibeInput(image=image(n), strength=0.6 if n % 2 else 0.35, information_extracted=1.0 if n % 3 else 0.5)
        for n in range(10))),
    "references": GenerationRequest(prompt="a cat", references=(ReferenceInput(image=image(3, 1024, 1536)),
                                                               ReferenceInput(image=image(4), kind="style",
                                                                              strength=0.5, fidelity=0.0))),
    "upscale": UpscaleRequest(image=image(5)),
    "upscale 4x": UpscaleRequest(image=image(5), scale=4),
    "tool": ToolRequest(tool="emotion", image=image(6), prompt="smile", defry=2, emotion="happy"),
    "tool, defaults": ToolRequest(tool="lineart", image=image(7)),
}


@pytest.mark.parametrize("name", KINDS)
def test_a_stored_request_reads_back_exactly(name: str) -> None:
    request = KINDS[name]
    loaded, _ = round_trip(request)
    assert type(loaded) is type(request)
    assert loaded == request


def test_the_stored_form_leaves_out_defaults_and_derivable_keys_but_keeps_the_kind() -> None:
    request = KINDS["10 vibes"]
    _, text = round_trip(request)
    stored = json.loads(text)
    assert stored["kind"] == "generate"
    assert {"negative", "quality_tags", "references", "image", "mask"}.isdisjoint(stored)
    assert "input-" not in text and request.vibes[0].image.sha256 not in text  # no key, no hex digest
    assert stored["vibes"][0] == {"image": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:512x512", "strength": 0.35,
                                  "information_extracted": 0.5}
    assert len(text) - len(round_trip(GenerationRequest(prompt="a cat"))[1]) < 10 * 100  # under 100 B a vibe
    for name in ("upscale", "tool, defaults"):
        assert json.loads(round_trip(KINDS[name])[1])["kind"] == KINDS[name].kind  # the union still tells them apart


def test_an_image_kept_outside_its_jobs_folder_is_stored_whole_with_its_key() -> None:
    elsewhere = ImageRef(key="2024/01/01/otherjob/input-000000000000.png", sha256="0" * 64, width=64, height=64)
    request = UpscaleRequest(image=elsewhere)
    loaded, text = round_trip(request)
    assert json.loads(text)["image"]["key"] == elsewhere.key
    assert loaded == request


def test_a_job_stored_before_the_compact_form_reads_as_it_was() -> None:
    request = KINDS["infill"]
    old = request.model_dump(mode="json")  # every field, every key, as jobs were stored until now
    assert REQUESTS.validate_python(load_request(old, JOB_ID, CREATED)) == request


def test_the_requester_is_stored_without_its_defaults() -> None:
    stored = dump_requester(Requester(platform="cli", user_id="root"))
    assert stored == {"platform": "cli", "user_id": "root"}
    assert Requester.model_validate(dump_requester(ANN)) == ANN


def _png(colour: tuple[int, int, int], size: int = 512) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(out, format="PNG")
    return out.getvalue()


async def test_a_waiting_job_with_ten_vibes_stays_under_2_kb_of_redis_and_reads_back_exactly(
        deployment: Deployment) -> None:
    """The benchmark's request (bench/image_jobs.py) with 10 vibes, queued through ImageJobs and no worker."""
    services = deployment.services()
    try:
        jobs = ImageJobs(services.submitter, deployment.settings.images)
        request = GenerationRequest(prompt="benchmark cat, scenery", model="v4.5", width=832, height=1216, steps=28)
        vibes = [VibeUpload(Upload(_png((n * 20, 255 - n * 20, 7)), f"vibe{n}.png")) for n in range(10)]
        job = await jobs.generate(request, ANN, account="default", max_anlas=1000, vibes=vibes)
        assert job.generation is not None and len(job.generation.vibes) == 10
        key = services.queue.keys.job(job.id)
        memory = await services.redis.memory_usage(key, samples=0)
        stored: dict[Any, Any] = await services.redis.hgetall(key)
        stored_bytes = sum(len(k) + len(v) for k, v in stored.items())
        print(f"a waiting job with 10 vibes: MEMORY USAGE {memory} B, {stored_bytes} B of fields and values")
        assert memory is not None and memory < 2048
        assert stored_bytes < 2048
        loaded = await services.queue.get(job.id)
        assert loaded is not None
        assert loaded.request == job.request
        assert (loaded.id, loaded.requester, loaded.account, loaded.priority, loaded.max_anlas, loaded.created_at) == (
            job.id, job.requester, job.account, job.priority, job.max_anlas, job.created_at)
        assert [vibe.image.key for vibe in loaded.generation.vibes] == [  # type: ignore[union-attr]
            input_key(job.id, job.created_at, vibe.image.sha256) for vibe in job.generation.vibes]
    finally:
        await services.aclose()
