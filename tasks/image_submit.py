"""Uploaded bytes to a queued job: the one place every front end (CLI, HTTP API, the chats) does it.

A front end hands over what a person gave (``Upload``: bytes and the name they came with) and the
settings it parsed; ``ImageJobs`` reads each upload (``novelai.images.read_input``: bounded by the
``images:`` settings before anything is parsed, in a thread, at most ``DECODE_CONCURRENCY`` at a
time per process handle), prepares it for its use (img2img, mask, vibe, reference, tool input),
builds the request, checks it, stores the prepared PNGs under a new job's folder and queues it.

Order, and why: every refusal a person can get (a bad file, a broken rule, an unknown account, a
price nobody allowed) is raised BEFORE anything is stored or queued, so a refused request leaves no
trace. Only what the queue itself decides at the last moment (``QueueFull``, Redis away) comes after
the inputs were stored; those inputs are then deleted again (and retention would remove them anyway).

Images are decoded one after another and each decoded copy is dropped once prepared, so one
request holds at most one decoded upload plus the prepared PNGs, whatever it carries.

Derived jobs (enhance, variations, upscale, tools) take a ``Source``: an ``Upload``, or ``JobImage``
(a result of an earlier job). Enhance and variations need the settings the image was made with:
the earlier job's own request, else the NovelAI metadata in the file (``novelai.metadata``), else a
default request at the image's shape, which needs a ``prompt`` from the caller. The earlier job's
vibes and references are copied into the new job's folder (a job reads only its own inputs).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from naibot.settings import ImagesSettings
from novelai.derived import enhance_request, variations_request
from novelai.errors import InvalidRequest, Problem
from novelai.images import (
    DecodedImage,
    PreparedImage,
    enhance_size,
    prepare_img2img,
    prepare_mask,
    prepare_reference,
    prepare_tool_input,
    prepare_vibe,
    read_input,
    size_for_image,
)
from novelai.inputs import ImageRef, ReferenceInput, VibeInput
from novelai.metadata import read_metadata, settings_from_metadata
from novelai.request import GenerationRequest
from novelai.tools import ToolName, ToolRequest, UpscaleRequest
from tasks.image_sources import JobImage, SourceImage, load_job_image
from tasks.inputs import input_key, request_images
from tasks.job import DEFAULT_PRIORITY, AnyRequest, Job, Requester, new_job_id
from tasks.submit import Submitter, checked
from tasks.uploads import (
    PlannedJob,
    ReferenceUpload,
    Source,
    Upload,
    VibeUpload,
    check_uploads,
    relabelled,
    validation_refusal,
)

__all__ = ["DECODE_CONCURRENCY", "ImageJobs", "JobImage", "PlannedJob", "ReferenceUpload", "Source", "Upload",
           "VibeUpload"]

log = logging.getLogger(__name__)

# Decodes of uploads running at once per ``ImageJobs`` (a process's front end): each may take a
# 16 MP image's memory, and the machine's cores are few.
DECODE_CONCURRENCY = 2
class ImageJobs:
    """Turns uploads into queued jobs through a ``Submitter`` (see the module docstring)."""

    def __init__(self, submitter: Submitter, settings: ImagesSettings) -> None:
        self.submitter = submitter
        self.settings = settings
        self._decoding = asyncio.Semaphore(DECODE_CONCURRENCY)

    # -- reading ---------------------------------------------------------------------------------

    async def decode(self, upload: Upload, role: str = "image") -> DecodedImage:
        """An upload's pixels (``InvalidImage`` naming ``role`` and the file when refused)."""
        async with self._decoding:
            try:
                return await asyncio.to_thread(self._read, upload.data)
            except InvalidRequest as exc:
                raise relabelled(exc, role, upload) from exc

    def _read(self, data: bytes) -> DecodedImage:
        return read_input(data, max_bytes=self.settings.max_input_bytes, max_pixels=self.settings.max_input_pixels)

    async def _prepared(self, upload: Upload, role: str, prepare: Any, *args: Any) -> PreparedImage:
        """Decode, prepare (in a thread), drop the decoded copy."""
        decoded = await self.decode(upload, role)
        async with self._decoding:
            try:
                prepared: PreparedImage = await asyncio.to_thread(prepare, decoded, *args)
            except InvalidRequest as exc:
                raise relabelled(exc, role, upload) from exc
        del decoded
        return prepared

    async def source_image(self, source: Source) -> SourceImage:
        """The bytes and the earlier job (if any) of a derived job's source; refusals as ``InvalidRequest``."""
        if isinstance(source, JobImage):
            storage = self.submitter.storage
            if storage is None:
                raise RuntimeError("ImageJobs needs a Submitter with storage")
            return await load_job_image(self.submitter.queue, storage, source)
        return SourceImage(upload_data=source.data, name=source.label, job=None)

    # -- planning --------------------------------------------------------------------------------

    @staticmethod
    def _ref(job_id: str, created_at: float, image: PreparedImage) -> ImageRef:
        return ImageRef(key=input_key(job_id, created_at, image.sha256), sha256=image.sha256, width=image.width,
                        height=image.height)

    async def plan_generate(self, request: GenerationRequest, *, image: Upload | None = None,
                            mask: Upload | None = None, vibes: Sequence[VibeUpload] = (),
                            references: Sequence[ReferenceUpload] = ()) -> PlannedJob:
        """The generation with its inputs prepared and checked; nothing stored (``InvalidRequest``)."""
        check_uploads(vibes, references, has_mask=mask is not None, has_image=image is not None)
        job_id, created_at = new_job_id(), time.time()
        prepared: list[PreparedImage] = []
        update: dict[str, Any] = {}
        width, height = request.width, request.height
        if image is not None:
            decoded = await self.decode(image, "image")
            if not {"width", "height"} & request.model_fields_set:
                width, height = size_for_image(decoded.width, decoded.height)
            async with self._decoding:
                picture = await asyncio.to_thread(prepare_img2img, decoded, width, height)
            del decoded
            prepared.append(picture)
            update.update(image=self._ref(job_id, created_at, picture), width=width, height=height)
        if mask is not None:
            masked = await self._prepared(mask, "mask", prepare_mask, width, height)
            prepared.append(masked)
            update["mask"] = self._ref(job_id, created_at, masked)
        vibe_inputs = []
        for number, vibe in enumerate(vibes, 1):
            made = await self._prepared(vibe.upload, f"vibe {number}", prepare_vibe, request.model)
            prepared.append(made)
            vibe_inputs.append(VibeInput(image=self._ref(job_id, created_at, made), strength=vibe.strength,
                                         information_extracted=vibe.information_extracted))
        reference_inputs = []
        for number, reference in enumerate(references, 1):
            made = await self._prepared(reference.upload, f"reference {number}", prepare_reference, request.model)
            prepared.append(made)
            reference_inputs.append(ReferenceInput(image=self._ref(job_id, created_at, made), kind=reference.kind,
                                                   strength=reference.strength, fidelity=reference.fidelity))
        if vibe_inputs:
            update["vibes"] = tuple(vibe_inputs)
        if reference_inputs:
            update["references"] = tuple(reference_inputs)
        built = request.model_copy(update=update) if update else request
        return PlannedJob(checked(built), tuple(prepared), job_id, created_at)

    async def _source_request(self, source: SourceImage, decoded: DecodedImage, prompt: str | None,
                              model: str | None) -> GenerationRequest:
        """The settings an enhance or variations of this image runs with (see the module docstring)."""
        fields: dict[str, Any]
        if source.job is not None and isinstance(source.job.request, GenerationRequest):
            base = source.job.request
            fields = {}
        else:
            base = None
            fields = await asyncio.to_thread(self._metadata_settings, source.upload_data)
            if "width" not in fields:
                fields["width"], fields["height"] = size_for_image(decoded.width, decoded.height)
        if prompt:
            fields["prompt"] = prompt
        if model:
            fields["model"] = model
        if base is not None:
            return base.model_copy(update=fields) if fields else base
        if not fields.get("prompt"):
            raise InvalidRequest(Problem("prompt", f"{source.name!r} carries no NovelAI settings; give the prompt "
                                                   "to run it with", code="source_needs_prompt"))
        try:
            return GenerationRequest(**fields)
        except ValidationError:  # a record with values of the wrong shape: the prompt alone, at the image's shape
            width, height = size_for_image(decoded.width, decoded.height)
            return GenerationRequest(prompt=str(fields["prompt"]), width=width, height=height,
                                     **({"model": model} if model else {}))

    def _metadata_settings(self, data: bytes) -> dict[str, Any]:
        meta = read_metadata(data, max_bytes=self.settings.max_input_bytes, max_pixels=self.settings.max_input_pixels)
        return {} if meta is None else settings_from_metadata(meta)

    async def _copied_inputs(self, base: GenerationRequest, job_id: str,
                             created_at: float) -> tuple[dict[str, Any], list[PreparedImage]]:
        """The earlier job's vibes and references, as the new job's own inputs."""
        moved, copies = await self._moved_inputs(base.model_copy(update={"image": None, "mask": None}), job_id,
                                                 created_at)
        assert isinstance(moved, GenerationRequest)
        return {"vibes": moved.vibes, "references": moved.references}, copies

    async def _moved_inputs(self, request: AnyRequest, job_id: str,
                            created_at: float) -> tuple[AnyRequest, list[PreparedImage]]:
        """``request`` with every input image it names copied into the new job's folder (a job reads
        only its own inputs), checked against the SHA-256 it was stored with."""
        storage = self.submitter.storage
        refs = request_images(request)
        if not refs:
            return request, []
        if storage is None:
            raise RuntimeError("ImageJobs needs a Submitter with storage")
        copies: dict[str, PreparedImage] = {}
        for ref in refs:
            try:
                data = await asyncio.to_thread(storage.get, ref.key)
            except KeyError:
                raise InvalidRequest(Problem("source", "the earlier job's input images are no longer stored",
                                             code="source_inputs_gone")) from None
            if hashlib.sha256(data).hexdigest() != ref.sha256:
                raise InvalidRequest(Problem("source", "the earlier job's input images changed in storage",
                                             code="source_inputs_gone"))
            copies[ref.sha256] = PreparedImage(png=data, sha256=ref.sha256, width=ref.width, height=ref.height)

        def moved(ref: ImageRef) -> ImageRef:
            return self._ref(job_id, created_at, copies[ref.sha256])

        update: dict[str, Any] = {"image": moved(request.image)} if request.image is not None else {}
        if isinstance(request, GenerationRequest):
            if request.mask is not None:
                update["mask"] = moved(request.mask)
            update["vibes"] = tuple(v.model_copy(update={"image": moved(v.image)}) for v in request.vibes)
            update["references"] = tuple(r.model_copy(update={"image": moved(r.image)}) for r in request.references)
        return request.model_copy(update=update), list(copies.values())

    async def plan_again(self, job: Job, changes: Mapping[str, Any] | None = None) -> PlannedJob:
        """An earlier job once more, as a new job with its own copies of the inputs: a generation
        with a new seed (🔁 Again) or with ``changes`` over its settings (✏️ Edit & re-run: a new
        seed unless they name one), an upscale or a tool as it was. ``InvalidRequest`` when the
        inputs are gone (retention removed them) or the changes do not fit them (a size other than
        the input image's)."""
        job_id, created_at = new_job_id(), time.time()
        request, copies = await self._moved_inputs(job.request, job_id, created_at)
        if isinstance(request, GenerationRequest):
            request = request.model_copy(update={"seed": None, **(changes or {})}).resolved()
        elif changes:
            raise ValueError("only a generation's settings can be edited")  # callers offer Edit on generations only
        return PlannedJob(checked(request), tuple(copies), job_id, created_at)

    async def plan_derived(self, what: str, source: Source, *, factor: float = 1.5, prompt: str | None = None,
                           model: str | None = None) -> PlannedJob:
        """An enhance (``what="enhance"``) or variations of ``source``; nothing stored."""
        image = await self.source_image(source)
        decoded = await self.decode(Upload(image.upload_data, image.name), "source")
        base = await self._source_request(image, decoded, prompt, model)
        job_id, created_at = new_job_id(), time.time()
        update, copies = await self._copied_inputs(base, job_id, created_at)
        base = base.model_copy(update=update)
        size = enhance_size(base.width, base.height, factor) if what == "enhance" else (base.width, base.height)
        async with self._decoding:
            picture = await asyncio.to_thread(prepare_img2img, decoded, *size)
        del decoded
        ref = self._ref(job_id, created_at, picture)
        try:
            request = (enhance_request(base, ref, factor=factor) if what == "enhance"
                       else variations_request(base, ref))
        except ValueError as exc:
            raise InvalidRequest(Problem("factor", str(exc), code="enhance_factor")) from exc
        return PlannedJob(checked(request), (picture, *copies), job_id, created_at)

    async def plan_upscale(self, source: Source, *, scale: int = 2) -> PlannedJob:
        """An upscale of ``source`` at its own size (too large: refused by ``check_upscale``, never shrunk)."""
        image = await self.source_image(source)
        decoded = await self.decode(Upload(image.upload_data, image.name), "source")
        async with self._decoding:
            picture = await asyncio.to_thread(prepare_tool_input, decoded, max_pixels=decoded.width * decoded.height)
        del decoded
        job_id, created_at = new_job_id(), time.time()
        try:
            request = UpscaleRequest(image=self._ref(job_id, created_at, picture), scale=scale)
        except ValidationError:
            raise InvalidRequest(Problem("scale", f"upscale by 2 or 4, not {scale}", code="upscale_scale",
                                         params={"value": scale, "choices": (2, 4)})) from None
        return PlannedJob(checked(request), (picture,), job_id, created_at)

    async def plan_tool(self, source: Source, tool_name: ToolName, *, prompt: str = "", defry: int = 0,
                        emotion: str | None = None) -> PlannedJob:
        """A Director Tool on ``source`` (shrunk to the tools' pixel limit); nothing stored."""
        image = await self.source_image(source)
        picture = await self._prepared(Upload(image.upload_data, image.name), "source", prepare_tool_input)
        job_id, created_at = new_job_id(), time.time()
        try:
            request = ToolRequest(tool=tool_name, image=self._ref(job_id, created_at, picture), prompt=prompt,
                                  defry=defry, emotion=emotion)
        except ValidationError as exc:
            raise validation_refusal(exc, "tool") from None
        return PlannedJob(checked(request), (picture,), job_id, created_at)

    # -- queueing --------------------------------------------------------------------------------

    async def queue(self, plan: PlannedJob, requester: Requester, *, account: str, priority: int = DEFAULT_PRIORITY,
                    max_anlas: int | None = None, max_waiting: int | None = None) -> Job:
        """Store a plan's inputs and queue it; refusals of the account or price come before storing
        (``Submitter.submit`` checks both again; the subscription it reads is cached)."""
        await self.submitter.check_account_and_price(plan.request, account, max_anlas)
        stored: list[str] = []
        try:
            for image in plan.images:
                ref = await self.submitter.store_input(plan.job_id, plan.created_at, image)
                stored.append(ref.key)
            return await self.submitter.submit(plan.request, requester, account=account, priority=priority,
                                               max_anlas=max_anlas, job_id=plan.job_id, created_at=plan.created_at,
                                               max_waiting=max_waiting)
        except BaseException:
            await self._forget(stored)
            raise

    async def _forget(self, keys: list[str]) -> None:
        storage = self.submitter.storage
        for key in keys:
            try:
                await asyncio.to_thread(storage.delete, key)  # type: ignore[union-attr]
            except Exception as exc:  # retention removes it anyway
                log.warning("could not delete the input %s of a job that was not queued (%s)", key, exc)

    # -- the front ends' calls -------------------------------------------------------------------

    async def generate(self, request: GenerationRequest, requester: Requester, *, account: str,
                       priority: int = DEFAULT_PRIORITY, max_anlas: int | None = None, image: Upload | None = None,
                       mask: Upload | None = None, vibes: Sequence[VibeUpload] = (),
                       references: Sequence[ReferenceUpload] = (), max_waiting: int | None = None) -> Job:
        """Queue a generation with input images (img2img, inpainting, vibes, references)."""
        plan = await self.plan_generate(request, image=image, mask=mask, vibes=vibes, references=references)
        return await self.queue(plan, requester, account=account, priority=priority, max_anlas=max_anlas,
                                max_waiting=max_waiting)

    async def enhance(self, source: Source, requester: Requester, *, account: str, factor: float = 1.5,
                      prompt: str | None = None, model: str | None = None, priority: int = DEFAULT_PRIORITY,
                      max_anlas: int | None = None, max_waiting: int | None = None) -> Job:
        plan = await self.plan_derived("enhance", source, factor=factor, prompt=prompt, model=model)
        return await self.queue(plan, requester, account=account, priority=priority, max_anlas=max_anlas,
                                max_waiting=max_waiting)

    async def variations(self, source: Source, requester: Requester, *, account: str, prompt: str | None = None,
                         model: str | None = None, priority: int = DEFAULT_PRIORITY, max_anlas: int | None = None,
                         max_waiting: int | None = None) -> Job:
        plan = await self.plan_derived("variations", source, prompt=prompt, model=model)
        return await self.queue(plan, requester, account=account, priority=priority, max_anlas=max_anlas,
                                max_waiting=max_waiting)

    async def upscale(self, source: Source, requester: Requester, *, account: str, scale: int = 2,
                      priority: int = DEFAULT_PRIORITY, max_anlas: int | None = None,
                      max_waiting: int | None = None) -> Job:
        plan = await self.plan_upscale(source, scale=scale)
        return await self.queue(plan, requester, account=account, priority=priority, max_anlas=max_anlas,
                                max_waiting=max_waiting)

    async def tool(self, source: Source, tool_name: ToolName, requester: Requester, *, account: str,
                   prompt: str = "", defry: int = 0, emotion: str | None = None, priority: int = DEFAULT_PRIORITY,
                   max_anlas: int | None = None, max_waiting: int | None = None) -> Job:
        plan = await self.plan_tool(source, tool_name, prompt=prompt, defry=defry, emotion=emotion)
        return await self.queue(plan, requester, account=account, priority=priority, max_anlas=max_anlas,
                                max_waiting=max_waiting)
