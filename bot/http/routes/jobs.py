"""The original naibot API's REST endpoints on our queue: task status, queue status, cancel, images
(``/generate`` and the other routes that take images are ``bot.http.routes.images``).

Every endpoint but ``/static/images`` needs an API key (``Authorization: Bearer``); jobs are
submitted through the same ``Submitter`` as the chat bots, as platform ``api`` with the key's
identity as the user, so limits, pricing and ordering are the same for everyone.

Status codes: 200 success; 400 a refused request (bad JSON, schema errors and our own validation
alike, always ``{"error": ..., "problems": [...]}``); 401 no or unknown key; 404 unknown task, or
another identity's (admin keys see and cancel every task); 409 cancel of a task that has started
or ended; 429 the identity has too many jobs waiting; 503 Redis (or the image store) is unreachable.

Polls are cheap: ``/task_status`` and ``/queue_status`` answers are shared for
``api.status_cache_seconds`` (``bot.http.status_cache``), and whatever this process changes (a submit, a
cancel) is read afresh at once. Changes made elsewhere (a worker starting the job) show up within
that time.

Images are served without a key, as the original API did, so ``<img src>`` and chat link previews work:
their keys (``YYYY/MM/DD/<job id>/<n>.png``) contain the job's random id (10 characters of 32, about
10^15 values) and nothing lists them, so only those who were given a task's answer can find them.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from redis.exceptions import RedisError
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.http.auth import ApiIdentity, KeyFirstRoute, bearer_key, require_identity
from bot.http.deps import ApiState, api_state
from bot.http.image_models import inputs_of
from bot.http.models import (
    Canceled,
    ErrorBody,
    ImageOut,
    JobErrorOut,
    ProblemOut,
    QueueStatus,
    TaskStatus,
)
from bot.http.status_cache import Caches, Snapshot, StatusCache
from naibot.refusal import Refusal
from novelai.errors import InvalidRequest
from storage.base import InvalidKey, StorageError
from storage.local import LocalStorage
from tasks.job import Job, JobState
from tasks.queue import Caller, QueueUnavailable

log = logging.getLogger(__name__)

# Images never change under their key (a new generation is a new job id): cache them for a year.
IMAGE_CACHE_CONTROL = "public, max-age=31536000, immutable"
STATIC_ROUTE = "/static/images/{key:path}"
_TASK_ID = PathParam(min_length=1, max_length=64, description="the task_id /generate answered")


class ApiError(Exception):
    """A refusal with its status code, answered as ``ErrorBody``."""

    def __init__(self, status: int, message: str, problems: list[ProblemOut] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.problems, self.headers = status, message, problems or [], headers


def refused(refusal: Refusal) -> ApiError:
    """Any refusal as this API answers it: its status, its sentence, and each problem of an
    invalid request (so a client can point at the field)."""
    problems = refusal.problems if isinstance(refusal, InvalidRequest) else []
    return ApiError(refusal.http_status, refusal.describe(),
                    [ProblemOut(field=p.field, code=p.code, message=p.message) for p in problems])


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {400: "refused: bad JSON, a schema error or an invalid request", 401: "no or unknown API key",
                    404: "no such task (or not yours)", 409: "the task has already started or ended",
                    413: "an image (or the body) is over its size limit",
                    415: "a file that is not a PNG, JPEG or WebP, or a body neither JSON nor multipart",
                    429: "too many of your jobs are waiting", 503: "the queue (Redis) is unreachable"}
    return {code: {"model": ErrorBody, "description": descriptions[code]} for code in codes}


# KeyFirstRoute: a keyed route answers 401 before FastAPI reads (and parses) its body.
router = APIRouter(route_class=KeyFirstRoute)
_AUTH = _errors(401, 503)


# -- what a status poll reads, cached --------------------------------------------------------


def caches(state: ApiState) -> Caches:
    """The process's caches, made on first use (so ApiState needs no knowledge of what they hold)."""
    if state.status_cache is None:
        queue = state.services.queue

        async def task(job_id: str) -> Snapshot | None:
            job = await queue.get(job_id)
            if job is None:
                return None
            eta = await queue.estimated_wait(job)
            # S3 presigning may ask the server for the bucket's region: not on the event loop.
            urls = await asyncio.to_thread(lambda: tuple(state.storage.url(image.key) for image in job.images))
            return Snapshot(job, eta, urls)

        async def overview(_: str) -> QueueStatus:
            depths = await queue.lane_depths()
            running = await queue.running_ids()
            average = await queue.average_duration()
            return QueueStatus(waiting=sum(depths.values()), running=len(running), lanes=depths,
                               average_seconds=None if average is None else round(average, 3))

        ttl = state.settings.api.status_cache_seconds
        state.status_cache = Caches(StatusCache(ttl, task), StatusCache(ttl, overview))
    return state.status_cache


def _not_found() -> ApiError:
    return ApiError(404, "no such task (unknown, expired, or not yours)")


def _visible(job: Job | None, identity: ApiIdentity) -> Job:
    """The job if this identity may see it; else 404 (never 403: whether it exists stays unknown)."""
    if job is None or not (identity.admin or job.requester.user_key == identity.user_key):
        raise _not_found()
    return job


def _absolute(url: str, public_url: str | None) -> str:
    """Local storage without ``public_base_url`` yields ``/static/images/...``: this server's, so
    under ``api.public_url`` when set, else left relative (to the URL the client called). Never
    built from the request's Host header, which the client chooses (a poisoned cache or link
    preview would send others elsewhere)."""
    return public_url.rstrip("/") + url if public_url and url.startswith("/") else url


# -- the endpoints ---------------------------------------------------------------------------


@router.get("/task_status/{task_id}", response_model=TaskStatus, responses=_errors(400, 401, 404, 503),
            tags=["jobs"], summary="a task's state, queue position, ETA, images or error")
async def task_status(task_id: str = _TASK_ID, identity: ApiIdentity = Depends(require_identity),
                      state: ApiState = Depends(api_state)) -> TaskStatus:
    snapshot, age = await caches(state).tasks.get(task_id)
    if snapshot is None:
        raise _not_found()
    job = _visible(snapshot.job, identity)
    eta = snapshot.eta
    if eta is not None and job.state is JobState.QUEUED:
        eta = max(0.0, eta - age)  # the cached estimate, brought up to now
    public_url = state.settings.api.public_url
    return TaskStatus(
        task_id=job.id, kind=job.kind, state=job.state.value, position=job.position, total=job.total,
        eta_seconds=_rounded(eta), priority=job.priority, created_at=job.created_at, started_at=job.started_at,
        finished_at=job.finished_at,
        images=[ImageOut(url=_absolute(url, public_url), seed=image.seed, width=image.width, height=image.height)
                for image, url in zip(job.images, snapshot.image_urls, strict=True)],
        inputs=inputs_of(job.request),
        error=JobErrorOut(kind=job.error.kind, message=job.error.message) if job.error else None,
    )


@router.get("/queue_status", response_model=QueueStatus, responses=_AUTH, tags=["queue"],
            summary="waiting and running jobs, lane depths, average generation time")
async def queue_status(identity: ApiIdentity = Depends(require_identity),
                       state: ApiState = Depends(api_state)) -> QueueStatus:
    return (await caches(state).queue.get(""))[0]


@router.post("/cancel_task/{task_id}", response_model=Canceled, responses=_errors(400, 401, 404, 409, 503),
             tags=["jobs"], summary="cancel a task that has not started yet")
async def cancel_task(task_id: str = _TASK_ID, identity: ApiIdentity = Depends(require_identity),
                      state: ApiState = Depends(api_state)) -> Canceled:
    queue = state.services.queue
    job = _visible(await queue.get(task_id), identity)
    current = job.state.value
    if job.state is JobState.QUEUED:
        outcome = await queue.cancel(task_id, Caller(user_key=identity.user_key, deployment_admin=identity.admin))
        caches(state).changed(task_id)
        if outcome.canceled:
            return Canceled(task_id=task_id, state=JobState.CANCELED.value, message=f"canceled {task_id}")
        if outcome.status in ("missing", "forbidden"):  # expired in between
            raise _not_found()
        current = outcome.status  # it started (or ended) between our read and the cancel
    if current == JobState.RUNNING.value:
        raise ApiError(409, f"task {task_id} is already running and cannot be canceled")
    raise ApiError(409, f"task {task_id} has already ended ({current})")


@router.get(STATIC_ROUTE, tags=["images"], summary="a generated image (local storage only)",
            response_class=FileResponse,
            responses={200: {"content": {"image/png": {}}, "description": "the image"},
                       304: {"description": "not modified (If-None-Match)"},
                       404: {"model": ErrorBody, "description": "no such image"}})
async def static_image(key: str, request: Request, state: ApiState = Depends(api_state)) -> Response:
    storage = state.storage
    if not isinstance(storage, LocalStorage):  # MinIO/S3 images are served by the bucket itself
        raise ApiError(404, "images are not served here (storage is not local)")
    try:
        # Starlette has decoded the path once; the key rules refuse "..", absolute paths, "%" (so a
        # double-encoded "%2e%2e"), and path_for refuses symlinks that lead out of the store.
        path = storage.path_for(key)
        stat = path.stat()
    except (InvalidKey, OSError):
        raise ApiError(404, "no such image") from None
    if not path.is_file():
        raise ApiError(404, "no such image")
    etag = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'
    headers = {"Cache-Control": IMAGE_CACHE_CONTROL, "ETag": etag, "X-Content-Type-Options": "nosniff"}
    if _matches(etag, request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media_type, headers=headers, stat_result=stat)


# HEAD too (link checkers, CDNs); kept out of the description, where it would only repeat GET.
router.add_api_route(STATIC_ROUTE, static_image, methods=["HEAD"], include_in_schema=False)


def _matches(etag: str, if_none_match: str) -> bool:
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",") if tag.strip()}
    return etag in tags or "*" in tags


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)


# -- errors: one JSON shape for every refusal --------------------------------------------------


def _needs_key(request: Request) -> bool:
    dependant = getattr(request.scope.get("route"), "dependant", None)
    return dependant is not None and any(d.call is require_identity for d in dependant.dependencies)


def _answer(status: int, message: str, problems: list[ProblemOut] | None = None,
            headers: Mapping[str, str] | None = None) -> JSONResponse:
    body = ErrorBody(error=message, problems=problems or [])
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(part) for part in loc[1:]] if loc and loc[0] in ("body", "path", "query") else [str(p) for p in loc]
    return ".".join(parts) or "body"


async def _on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    # FastAPI reads and checks the body before it runs dependencies: without this, a client with no
    # key would learn about our schema before being told it needs a key.
    if _needs_key(request) and request.app.state.api.keys.identify(bearer_key(request)) is None:
        return _answer(401, "missing or unknown API key", headers={"WWW-Authenticate": "Bearer"})
    problems = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            problems.append(ProblemOut(field="body", code="json_invalid", message="the body is not valid JSON"))
            continue
        field = _location(tuple(error.get("loc", ())))
        problems.append(ProblemOut(field=field, code=str(error.get("type", "invalid")),
                                   message=f"{field}: {error.get('msg', 'invalid')}"))
    summary = "; ".join(p.message for p in problems[:5]) + ("; ..." if len(problems) > 5 else "")
    return _answer(400, f"invalid request: {summary or 'the body does not match the schema'}", problems)


async def _on_api_error(request: Request, exc: ApiError) -> JSONResponse:
    return _answer(exc.status, exc.message, exc.problems, exc.headers)


async def _on_http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if exc.status_code < 400:
        return Response(status_code=exc.status_code, headers=exc.headers)
    return _answer(exc.status_code, str(exc.detail), headers=exc.headers)


async def _on_queue_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The one guard of the HTTP API: an outage of the queue anywhere in any route (the queue's own
    QueueUnavailable, or a Redis error or dead socket that reached a route unwrapped) is a 503 with
    Retry-After, never a 500."""
    if not isinstance(exc, QueueUnavailable):
        log.warning("%s %s met a queue outage: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
    return _answer(503, QueueUnavailable.user_message, headers={"Retry-After": "30"})


async def _on_storage_error(request: Request, exc: StorageError) -> JSONResponse:
    return _answer(503, "the image storage is unavailable right now, please try again in a minute",
                   headers={"Retry-After": "30"})


def install(app: FastAPI) -> None:
    """The router plus its error handlers (app-wide: one error shape for every endpoint), and an
    OpenAPI document that declares our 400s instead of FastAPI's 422s, which we never send."""
    app.include_router(router)
    # Starlette types a handler as taking any Exception; ours take the one class they are registered for.
    app.add_exception_handler(RequestValidationError, _on_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(ApiError, _on_api_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _on_http_error)  # type: ignore[arg-type]
    # The one outage answer, wherever it is met (redis-py wraps socket errors in its own; a bare
    # ConnectionError is a socket that reached us unwrapped).
    for outage in (QueueUnavailable, RedisError, ConnectionError):
        app.add_exception_handler(outage, _on_queue_unavailable)
    app.add_exception_handler(StorageError, _on_storage_error)  # type: ignore[arg-type]
    plain_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = plain_openapi()
            for path_item in schema.get("paths", {}).values():
                for operation in path_item.values():
                    responses = operation.get("responses", {})
                    if responses.pop("422", None) is not None and "400" not in responses:
                        responses["400"] = {"description": "bad JSON or a schema error",
                                            "content": {"application/json": {
                                                "schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
            schemas = schema.get("components", {}).get("schemas", {})
            if not _refers(schema.get("paths", {}), "HTTPValidationError"):
                schemas.pop("HTTPValidationError", None)
                schemas.pop("ValidationError", None)
            schemas.setdefault("ErrorBody", ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}"))
            app.openapi_schema = schema
        return app.openapi_schema

    # FastAPI's documented way to customise the document: replace the method on the instance.
    app.openapi = openapi  # type: ignore[method-assign]


def _refers(tree: object, name: str) -> bool:
    return f"/{name}\"" in str(tree).replace("'", '"')

