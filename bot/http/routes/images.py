"""Jobs that take images: ``POST /generate`` (text to image, img2img, inpainting, vibes, references),
``/enhance``, ``/variations`` (of a finished task of the caller's own, or an upload), ``/upscale`` and
``/tools/{type}`` (the Director Tools).

Each takes its settings as JSON, with images in base64 (``image_b64``...), or as ``multipart/form-data``
with a JSON part ``params`` and the images as file parts (``bot.http.image_models``). Bounds, before
anything is read whole: the request-size middleware caps each of these paths at what its parts can
lawfully weigh (``body_limits``: ``images.max_input_bytes`` in base64 per image part, plus the settings),
the multipart reader refuses a part past its own bound as it arrives (``bot.http.multipart``), a JSON
body is read under the same bound by the route itself, Content-Length first (``bot.http.json_body``),
and a base64 string is measured before it is decoded. Reading, preparing, checking and queueing are
``tasks.image_submit.ImageJobs``'s, the code the CLI and the chats use, so nothing is queued (or
stored) for a refused request.

Status codes beyond ``bot.http.routes.jobs``'s: 413 an image (or part) over its bound, 415 a file that
is not a PNG, JPEG or WebP, or a body that is neither JSON nor multipart.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect

from bot.http.auth import ApiIdentity, KeyFirstRoute, require_identity
from bot.http.deps import ApiState, api_state
from bot.http.image_models import (
    MAX_DATA_URL_HEADER,
    DerivedBody,
    EnhanceBody,
    ImageGenerateBody,
    ReferenceBody,
    ToolBody,
    UpscaleBody,
    VibeBody,
    base64_chars,
    component_schemas,
    request_body,
)
from bot.http.json_body import json_limit, read_json_body
from bot.http.models import ProblemOut, Submitted
from bot.http.multipart import MultipartRefused, Part, PartRule, boundary_of, read_parts
from bot.http.routes.history import remember_api_job
from bot.http.routes.jobs import ApiError, _errors, _rounded, _visible, caches, refused
from naibot.refusal import Refusal
from naibot.settings import Settings
from novelai.image_input import IMAGE_FORMAT, IMAGE_NOT_AN_IMAGE, IMAGE_TOO_LARGE
from novelai.inputs import MAX_REFERENCES, MAX_VIBES
from novelai.tools import TOOL_NAMES, ToolName
from tasks.image_submit import ImageJobs, JobImage, ReferenceUpload, Source, Upload, VibeUpload
from tasks.job import Job, Requester
from tasks.queue import QueueUnavailable

GENERATE_FILES = {"image": 1, "mask": 1, "vibe": MAX_VIBES, "reference": MAX_REFERENCES}
SOURCE_FILES = {"image": 1}


def lawful_images(files: dict[str, int]) -> int:
    """The most images a request with these file parts can lawfully carry: image, mask, and vibes or
    references (never both, see ``novelai.image_rules``)."""
    return files.get("image", 0) + files.get("mask", 0) + max(files.get("vibe", 0), files.get("reference", 0))


GENERATE_IMAGES = lawful_images(GENERATE_FILES)
UPLOAD_PATHS = ("/enhance", "/variations", "/upscale", *(f"/tools/{name}" for name in TOOL_NAMES))
# Refusals of a file that have their own status code (else 400).
_STATUS_OF_CODE = {IMAGE_TOO_LARGE: 413, "part_too_large": 413, IMAGE_FORMAT: 415, IMAGE_NOT_AN_IMAGE: 415}
_ERRORS = _errors(400, 401, 404, 413, 415, 429, 503)
_TASK_ID = PathParam(min_length=1, max_length=64, description="a finished task of yours")

router = APIRouter(route_class=KeyFirstRoute)
B = TypeVar("B", bound=BaseModel)
E = TypeVar("E", VibeBody, ReferenceBody)


def body_limits(settings: Settings) -> dict[str, int]:
    """The body cap of each path that takes images: its image parts at ``images.max_input_bytes`` in
    base64 (larger than the same file as a multipart part), plus the API's cap for the settings."""
    limits = {"/generate": json_limit(settings, GENERATE_IMAGES)}
    limits.update({path: json_limit(settings, lawful_images(SOURCE_FILES)) for path in UPLOAD_PATHS})
    return limits


def image_jobs(state: ApiState) -> ImageJobs:
    """The process's ``ImageJobs`` (its decode semaphore is per process), made on first use."""
    if state.image_jobs is None:
        state.image_jobs = ImageJobs(state.services.submitter, state.settings.images)
    jobs: ImageJobs = state.image_jobs
    return jobs


# -- reading a body: JSON or multipart -------------------------------------------------------------


@dataclass
class Form(Generic[B]):
    """A request's settings and its file parts by name (none for a JSON body)."""

    body: B
    files: dict[str, list[Part]] = field(default_factory=dict)
    max_bytes: int = 0

    def upload(self, name: str, b64: str | None, b64_field: str) -> Upload | None:
        """The image given as the part ``name`` or as base64 in ``b64_field``; never both."""
        parts = self.files.get(name, [])
        if parts and b64 is not None:
            raise _bad(b64_field, "image_twice", f"{name} is given twice: as a {name!r} part and as {b64_field}")
        if parts:
            return upload_of(parts[0])
        return None if b64 is None else decoded(b64, b64_field, self.max_bytes)

    def paired(self, name: str, entries: Sequence[E], listed: str, default: E) -> list[tuple[E, Upload]]:
        """Each entry with its image: its own base64, else the next ``name`` part in order; parts
        left over get the default settings."""
        parts = iter(self.files.get(name, []))
        paired: list[tuple[E, Upload]] = []
        for index, entry in enumerate(entries):
            if entry.image_b64 is not None:
                paired.append((entry, decoded(entry.image_b64, f"{listed}.{index}.image_b64", self.max_bytes)))
            elif (part := next(parts, None)) is not None:
                paired.append((entry, upload_of(part)))
            else:
                raise _bad(f"{listed}.{index}", "image_missing",
                           f"{listed}[{index}] has no image: give its image_b64, or a {name!r} part")
        paired += [(default, upload_of(part)) for part in parts]
        return paired


def _bad(field_name: str, code: str, message: str, status: int = 400) -> ApiError:
    return ApiError(status, message, [ProblemOut(field=field_name, code=code, message=message)])


def upload_of(part: Part) -> Upload:
    return Upload(part.data, part.filename or part.name)


def decoded(text: str, field_name: str, max_bytes: int) -> Upload:
    """A base64 image, its length checked against ``max_bytes`` before a byte is decoded."""
    if text.startswith("data:"):
        comma = text.find(",", 0, MAX_DATA_URL_HEADER)
        if comma < 0 or ";base64" not in text[:comma]:
            raise _bad(field_name, "base64_invalid", f"{field_name}: a data: URL must be base64 (data:...;base64,...)")
        text = text[comma + 1:]
    if len(text) > base64_chars(max_bytes) - MAX_DATA_URL_HEADER:
        raise _bad(field_name, IMAGE_TOO_LARGE, f"{field_name} is too large: at most {max_bytes} bytes once decoded",
                   413)
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _bad(field_name, "base64_invalid", f"{field_name} is not valid base64") from None
    return Upload(data, field_name)


def _validated(model: type[B], raw: bytes | bytearray, *where: str) -> B:
    """``raw`` as the model, or the API's 400 naming each field (``jobs._on_validation_error``)."""
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        errors = [{**error, "loc": ("body", *where, *error.get("loc", ()))} for error in
                  exc.errors(include_url=False, include_context=False, include_input=False)]
        raise RequestValidationError(errors) from None


async def read_form(request: Request, model: type[B], files: dict[str, int], settings: Settings) -> Form[B]:
    """The body as JSON, or as multipart with ``params`` and these file parts (name → how many)."""
    max_bytes = settings.images.max_input_bytes
    content_type = request.headers.get("content-type", "")
    mime = content_type.partition(";")[0].strip().lower()
    if mime == "multipart/form-data":
        boundary = boundary_of(content_type)
        if boundary is None:
            raise _bad("body", "multipart_invalid", "a multipart/form-data body needs a boundary parameter")
        rules = {"params": PartRule(1, settings.api.max_body_bytes),
                 **{name: PartRule(count, max_bytes) for name, count in files.items()}}
        try:
            parts = await read_parts(request.stream(), boundary, rules)
        except ClientDisconnect:
            raise _went_away() from None
        except MultipartRefused as exc:
            raise ApiError(exc.status, exc.message, [ProblemOut(field=exc.field, code=exc.code, message=exc.message)],
                           headers={"Connection": "close"} if exc.status == 413 else None) from None
        by_name: dict[str, list[Part]] = {}
        for part in parts:
            by_name.setdefault(part.name, []).append(part)
        params = by_name.pop("params", [])
        body = _validated(model, params[0].data if params else b"{}", "params")
        return Form(body, by_name, max_bytes)
    if mime and mime != "application/json" and not mime.endswith("+json"):
        raise _bad("body", "content_type", f"send application/json or multipart/form-data, not {mime[:60]}", 415)
    try:  # bounded on its own, as it streams in (not request.body(): see bot.http.json_body)
        raw = await read_json_body(request, json_limit(settings, lawful_images(files)))
    except ClientDisconnect:
        raise _went_away() from None
    return Form(_validated(model, raw), {}, max_bytes)


def _went_away() -> ApiError:
    """The body stopped coming (the client left, or the size middleware refused it and has answered):
    the answer goes nowhere, but it is ours, not a server error in the log."""
    return _bad("body", "body_incomplete", "the request body ended before it was complete")


# -- queueing ----------------------------------------------------------------------------------


def _refused(refusal: Refusal) -> ApiError:
    """``jobs.refused``, with 413 for a file too large and 415 for one that is no accepted image."""
    error = refused(refusal)
    statuses = [_STATUS_OF_CODE[p.code] for p in error.problems if p.code in _STATUS_OF_CODE]
    if statuses:
        error.status = max(statuses)  # 415 over 413: the file would be refused whatever its size
    return error


@dataclass(frozen=True)
class Caller:
    """Who submits, as the queue sees them, and at what priority and account."""

    requester: Requester
    account: str
    priority: int


def caller(identity: ApiIdentity, state: ApiState, priority: int | None) -> Caller:
    bot = state.settings.bot
    if priority is not None and priority > identity.max_priority:
        raise _bad("priority", "priority_above_limit", f"priority {priority} is above this API key's limit of "
                   f"{identity.max_priority}")
    chosen = priority if priority is not None else min(bot.default_priority, identity.max_priority)
    requester = Requester(platform="api", user_id=identity.name, display_name=identity.name, chat_id="", reply={})
    return Caller(requester, identity.account or bot.default_account, chosen)


async def _submitted(state: ApiState, queueing: Any) -> Submitted:
    """Await the submission; refusals in the API's shape; the answer /generate always gave."""
    try:
        job: Job = await queueing
        eta = await state.services.queue.estimated_wait(job)
    except QueueUnavailable:
        raise  # answered by the app-wide handler, with Retry-After
    except Refusal as refusal:
        raise _refused(refusal) from None
    caches(state).changed(job.id)
    await remember_api_job(state, job)  # GET /history lists it
    return Submitted(task_id=job.id, state=job.state.value, position=job.position, total=job.total,
                     eta_seconds=_rounded(eta), priority=job.priority)


async def _source(form: Form[Any], task_id: str | None, identity: ApiIdentity, state: ApiState) -> Source:
    """A derived job's image: a task of the caller's own (else 404, as for its status), or an upload."""
    body = form.body
    task_id = task_id or body.task_id
    upload = form.upload("image", body.image_b64, "image_b64")
    if task_id is not None and upload is not None:
        raise _bad("image", "source_twice", "give a task_id or an image, not both")
    if task_id is not None:
        job = await state.services.queue.get(task_id) if task_id.isascii() and task_id.isalnum() else None
        _visible(job, identity)
        return JobImage(task_id, body.index)
    if upload is None:
        raise _bad("image", "source_missing", "no image: give a task_id, image_b64 or an 'image' part")
    return upload


# -- the endpoints -----------------------------------------------------------------------------


@router.post("/generate", response_model=Submitted, responses=_errors(400, 401, 413, 415, 429, 503), tags=["jobs"],
             summary="queue a generation (text to image, or with images: img2img, inpainting, vibes, references)",
             openapi_extra=request_body(ImageGenerateBody, GENERATE_FILES))
async def generate(request: Request, identity: ApiIdentity = Depends(require_identity),
                   state: ApiState = Depends(api_state)) -> Submitted:
    form = await read_form(request, ImageGenerateBody, GENERATE_FILES, state.settings)
    body, who = form.body, caller(identity, state, form.body.priority)
    image = form.upload("image", body.image_b64, "image_b64")
    mask = form.upload("mask", body.mask_b64, "mask_b64")
    vibes = [VibeUpload(upload, entry.strength, entry.information_extracted)
             for entry, upload in form.paired("vibe", body.vibes, "vibes", VibeBody())]
    references = [ReferenceUpload(upload, entry.kind, entry.strength, entry.fidelity)
                  for entry, upload in form.paired("reference", body.references, "references", ReferenceBody())]

    async def queueing() -> Job:
        if image is None and mask is None and not vibes and not references:
            return await state.services.submitter.submit(body.to_request(), who.requester, account=who.account,
                                                         priority=who.priority)
        return await image_jobs(state).generate(body.to_request(), who.requester, account=who.account,
                                                priority=who.priority, image=image, mask=mask, vibes=vibes,
                                                references=references)

    return await _submitted(state, queueing())


async def _derived(what: str, request: Request, task_id: str | None, identity: ApiIdentity,
                   state: ApiState) -> Submitted:
    model: type[DerivedBody] = EnhanceBody if what == "enhance" else DerivedBody
    form = await read_form(request, model, {} if task_id else SOURCE_FILES, state.settings)
    body, who = form.body, caller(identity, state, form.body.priority)
    source = await _source(form, task_id, identity, state)
    jobs = image_jobs(state)
    if isinstance(body, EnhanceBody):
        return await _submitted(state, jobs.enhance(source, who.requester, account=who.account, factor=body.factor,
                                                    prompt=body.prompt, model=body.model, priority=who.priority))
    return await _submitted(state, jobs.variations(source, who.requester, account=who.account, prompt=body.prompt,
                                                   model=body.model, priority=who.priority))


_DERIVED_NOTE = (" The settings are the task's (or the file's NovelAI metadata, else `prompt` at the image's "
                 "shape); a new seed.")


@router.post("/enhance/{task_id}", response_model=Submitted, responses=_ERRORS, tags=["images"],
             summary="enhance an image of a finished task of yours (img2img at 1.5x or 1x)",
             description="JSON body optional: `index`, `factor`, `prompt`, `model`, `priority`." + _DERIVED_NOTE,
             openapi_extra=request_body(EnhanceBody, {}, required=False))
async def enhance_task(request: Request, task_id: str = _TASK_ID, identity: ApiIdentity = Depends(require_identity),
                       state: ApiState = Depends(api_state)) -> Submitted:
    return await _derived("enhance", request, task_id, identity, state)


@router.post("/enhance", response_model=Submitted, responses=_ERRORS, tags=["images"],
             summary="enhance an uploaded image (or a task's, by task_id)", description=_DERIVED_NOTE.strip(),
             openapi_extra=request_body(EnhanceBody, SOURCE_FILES))
async def enhance_upload(request: Request, identity: ApiIdentity = Depends(require_identity),
                         state: ApiState = Depends(api_state)) -> Submitted:
    return await _derived("enhance", request, None, identity, state)


@router.post("/variations/{task_id}", response_model=Submitted, responses=_ERRORS, tags=["images"],
             summary="variations of an image of a finished task of yours (same size, new seed)",
             description="JSON body optional: `index`, `prompt`, `model`, `priority`." + _DERIVED_NOTE,
             openapi_extra=request_body(DerivedBody, {}, required=False))
async def variations_task(request: Request, task_id: str = _TASK_ID,
                          identity: ApiIdentity = Depends(require_identity),
                          state: ApiState = Depends(api_state)) -> Submitted:
    return await _derived("variations", request, task_id, identity, state)


@router.post("/variations", response_model=Submitted, responses=_ERRORS, tags=["images"],
             summary="variations of an uploaded image (or a task's, by task_id)", description=_DERIVED_NOTE.strip(),
             openapi_extra=request_body(DerivedBody, SOURCE_FILES))
async def variations_upload(request: Request, identity: ApiIdentity = Depends(require_identity),
                            state: ApiState = Depends(api_state)) -> Submitted:
    return await _derived("variations", request, None, identity, state)


@router.post("/upscale", response_model=Submitted, responses=_ERRORS, tags=["images"],
             summary="upscale an image (an upload, or a task's by task_id and index)",
             openapi_extra=request_body(UpscaleBody, SOURCE_FILES))
async def upscale(request: Request, identity: ApiIdentity = Depends(require_identity),
                  state: ApiState = Depends(api_state)) -> Submitted:
    form = await read_form(request, UpscaleBody, SOURCE_FILES, state.settings)
    who = caller(identity, state, form.body.priority)
    source = await _source(form, None, identity, state)
    return await _submitted(state, image_jobs(state).upscale(source, who.requester, account=who.account,
                                                             scale=form.body.scale, priority=who.priority))


@router.post("/tools/{tool_name}", response_model=Submitted, responses=_ERRORS, tags=["images"],
             summary="a Director Tool on an image: " + ", ".join(TOOL_NAMES),
             description="`prompt` and `defry` for colorize and emotion; `emotion` (the mood) for emotion.",
             openapi_extra=request_body(ToolBody, SOURCE_FILES))
async def tool(request: Request, tool_name: ToolName = PathParam(description="which tool"),
               identity: ApiIdentity = Depends(require_identity), state: ApiState = Depends(api_state)) -> Submitted:
    form = await read_form(request, ToolBody, SOURCE_FILES, state.settings)
    body, who = form.body, caller(identity, state, form.body.priority)
    source = await _source(form, None, identity, state)
    return await _submitted(state, image_jobs(state).tool(source, tool_name, who.requester, account=who.account,
                                                          prompt=body.prompt, defry=body.defry, emotion=body.emotion,
                                                          priority=who.priority))


def install(app: FastAPI) -> None:
    """The router, and its request models in the OpenAPI components (its bodies are read by hand,
    JSON or multipart, so FastAPI does not add them itself). After ``jobs.install``."""
    app.include_router(router)
    described = app.openapi

    def openapi() -> dict[str, Any]:
        schema = described()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, definition in component_schemas().items():
            schemas.setdefault(name, definition)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

