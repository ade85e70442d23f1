"""A job's files in storage: its input images, stored once at submission and read again by every
attempt, and a result Redis could not take.

A job in Redis carries ``ImageRef``s only (key, SHA-256, size), never bytes, so a waiting job stays
small whatever it was given (and the key is not even stored: ``input_key`` derives it again, see
``tasks.stored_job``). The prepared PNGs (``novelai.images``) live in storage under the job's
own folder, ``YYYY/MM/DD/<job id>/input-<sha12>.png``, dated like ``storage.base.image_key`` by the
job's ``created_at`` (UTC): the folder that holds its results, so age-based clean-up removes the
inputs with them, and a retried or recovered attempt finds them under the same keys.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from datetime import UTC, datetime

from novelai.images import PreparedImage
from novelai.inputs import ImageInputs, ImageRef
from novelai.request import GenerationRequest
from storage.base import InvalidKey, Storage, validate_key
from tasks.job import AnyRequest, ImageResult, Job

log = logging.getLogger(__name__)

# Enough of the SHA-256 to tell a job's inputs apart (a job has at most a couple of dozen).
SHA_CHARS = 12


class InputMissing(Exception):
    """An input the job names is gone from storage (or is not what it was): the job cannot run."""


def job_folder(job_id: str, created_at: float) -> str:
    """``YYYY/MM/DD/<job id>``: the UTC date of the job's creation, as ``storage.base.image_key`` dates."""
    if not job_id or "/" in job_id:
        raise InvalidKey(f"job id must be a single key segment: {job_id!r}")
    day = datetime.fromtimestamp(created_at, UTC)
    return f"{day:%Y/%m/%d}/{job_id}"


def input_key(job_id: str, created_at: float, sha256: str) -> str:
    return validate_key(f"{job_folder(job_id, created_at)}/input-{sha256[:SHA_CHARS]}.png")


async def store_input(storage: Storage, job_id: str, created_at: float, image: PreparedImage) -> ImageRef:
    """Put a prepared image under the job's folder; the ``ImageRef`` to put in its request.

    ``created_at`` must be the job's own (pass the same value to ``Submitter.submit``), so the
    input lands in the folder of the day the job is dated."""
    if hashlib.sha256(image.png).hexdigest() != image.sha256:
        raise ValueError("the prepared image's SHA-256 does not match its bytes")
    key = input_key(job_id, created_at, image.sha256)
    stored = await asyncio.to_thread(storage.put, key, image.png, "image/png")
    return ImageRef(key=stored.key, sha256=image.sha256, width=image.width, height=image.height)


def request_images(request: AnyRequest) -> list[ImageRef]:
    """Every image a request names, each once (by SHA-256), in a stable order: image, mask, vibes,
    references, or the upscale/tool image."""
    if isinstance(request, GenerationRequest):
        refs = [ref for ref in (request.image, request.mask) if ref is not None]
        refs += [vibe.image for vibe in request.vibes] + [reference.image for reference in request.references]
    else:
        refs = [request.image]
    return list({ref.sha256: ref for ref in reversed(refs)}.values())[::-1]


def check_inputs_belong(request: AnyRequest, job_id: str | None, created_at: float | None) -> None:
    """Refuse a request whose images are not stored under this job's folder (ValueError).

    A job may only read its own inputs: a ref to another job's key would read someone else's
    image, and would not be removed with this job."""
    refs = request_images(request)
    if not refs:
        return
    if job_id is None or created_at is None:
        raise ValueError("a request with input images needs the job id and created_at its inputs were stored under")
    for ref in refs:
        if ref.key != input_key(job_id, created_at, ref.sha256):
            raise ValueError(f"input {ref.key!r} is not stored under job {job_id}'s folder")


async def load_inputs(storage: Storage, request: AnyRequest) -> ImageInputs:
    """The bytes of every image the request names, checked against their SHA-256 (``InputMissing``
    when one is gone or changed). Vibe encodings are added by ``tasks.vibe_cache``."""
    images: dict[str, bytes] = {}
    for ref in request_images(request):
        try:
            data = await asyncio.to_thread(storage.get, ref.key)
        except KeyError:
            raise InputMissing(f"the input image {ref.sha256[:SHA_CHARS]} is no longer stored") from None
        if hashlib.sha256(data).hexdigest() != ref.sha256:
            raise InputMissing(f"the input image {ref.sha256[:SHA_CHARS]} changed in storage")
        images[ref.sha256] = data
    return ImageInputs(images=images)


def result_key(job: Job) -> str:
    """Where a result that could not be recorded in Redis is kept in storage, next to its images:
    ``YYYY/MM/DD/<job id>/result.json`` (UTC date of the job's creation, so every attempt finds it)."""
    return validate_key(f"{job_folder(job.id, job.created_at or 0)}/result.json")


async def stored_result(storage: Storage, job: Job) -> list[ImageResult] | None:
    """The result an earlier attempt generated and stored but could not record, if there is one."""
    try:
        raw = await asyncio.to_thread(storage.get, result_key(job))
    except KeyError:
        return None
    return [ImageResult.model_validate(item) for item in json.loads(raw)]


async def keep_result(storage: Storage, job: Job, results: list[ImageResult]) -> bool:
    """Keep a result Redis could not take in storage (``tasks.worker.record_result``); False if that fails too."""
    payload = json.dumps([image.model_dump(mode="json") for image in results], separators=(",", ":")).encode()
    try:
        await asyncio.to_thread(storage.put, result_key(job), payload, "application/json")
    except Exception:
        log.exception("job %s: could not keep its result in storage either", job.id)
        return False
    return True
