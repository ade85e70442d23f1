"""Running a queueing command whose job takes images: read the files, plan the job through
``tasks.image_submit.ImageJobs`` (decoded, prepared, checked; nothing stored), then either show what it
would send and cost (``--dry-run``) or store its inputs and queue it (``bot.cli.job_output`` answers).

A bad file (unreadable, too large, not PNG/JPEG/WebP, damaged, a bomb) is one line and exit status 2,
and nothing is stored or queued: every refusal comes from the plan, before ``ImageJobs.queue``.

The dry run's body is the one the worker would send, with each image's base64 replaced by a short
description (a 10 MB image is no help on a terminal), and a vibe encoding the worker would make first
named as such: the stand-in of NovelAI alone can make one, and the price already counts it.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
from collections.abc import Awaitable, Callable
from typing import Any

from bot.cli.common import EXIT_OK, EXIT_USAGE, fail, refused
from bot.cli.dry_run import AccountNotFound, account_subscription
from bot.cli.image_options import FileProblem, read_file, reference_upload, upload, vibe_upload
from bot.cli.job_output import submit_and_answer
from naibot.refusal import Refusal
from naibot.settings import Settings
from novelai.cost import SpendVerdict, would_spend
from novelai.errors import InvalidRequest
from novelai.image_payload import b64, vibe_keys
from novelai.inputs import ImageInputs
from novelai.metadata import read_metadata, settings_from_metadata
from novelai.payload import build_payload
from novelai.request import GenerationRequest
from novelai.tool_calls import augment_payload, upscale_payload
from novelai.tool_cost import tool_spend
from novelai.tools import UpscaleRequest
from tasks.image_submit import ImageJobs, PlannedJob
from tasks.job import Requester
from tasks.services import QueueServices

Planner = Callable[[ImageJobs], Awaitable[PlannedJob]]


def requester(args: argparse.Namespace) -> Requester:
    user = args.as_user or os.environ.get("USER") or getpass.getuser()
    return Requester(platform="cli", user_id=user, display_name=user)


async def run_image_job(args: argparse.Namespace, settings: Settings, planner: Planner) -> int:
    """Plan the job, then dry-run it or queue it and answer (``--wait``, ``--json``)."""
    services = QueueServices.from_settings(settings)
    try:
        jobs = ImageJobs(services.submitter, settings.images)
        if args.dry_run:
            try:
                plan = await planner(jobs)
                uncached = (await services.submitter.uncached_vibes(plan.request)
                            if isinstance(plan.request, GenerationRequest) else 0)
            except Refusal as exc:
                return refused(exc, json_out=args.json)
            return await plan_dry_run(args, settings, plan, uncached)

        async def submit() -> Any:
            plan = await planner(jobs)
            return await jobs.queue(plan, requester(args), account=args.account, priority=args.priority,
                                    max_anlas=args.max_anlas)

        return await submit_and_answer(args, settings, services, submit)
    finally:
        await services.aclose()


async def generate_with_images(args: argparse.Namespace, settings: Settings,
                               build_request: Callable[[argparse.Namespace, dict[str, Any] | None],
                                                       GenerationRequest]) -> int:
    """``naibot generate`` with ``--image``, ``--mask``, ``--vibe``, ``--reference`` or ``--from``."""
    images = settings.images
    try:
        base = recorded_settings(args.from_file, settings) if args.from_file else None
        if args.prompt is None and base is None:
            return fail("a prompt is needed (or --from FILE.png to run an image's settings again)", kind="invalid",
                        code=EXIT_USAGE, json_out=args.json)
        request = build_request(args, base)
        image = upload(args.image, images) if args.image else None
        mask = upload(args.mask, images) if args.mask else None
        vibes = [vibe_upload(spec, images) for spec in args.vibe]
        references = [reference_upload(spec, images) for spec in args.reference]
    except FileProblem as exc:
        return fail(str(exc), kind=exc.kind, code=EXIT_USAGE, json_out=args.json)
    except InvalidRequest as exc:
        return refused(exc, json_out=args.json)
    return await run_image_job(args, settings, lambda jobs: jobs.plan_generate(
        request, image=image, mask=mask, vibes=vibes, references=references))


def recorded_settings(path: str, settings: Settings) -> dict[str, Any]:
    """The generation settings NovelAI recorded in a file (``--from``); FileProblem when it has none."""
    data = read_file(path, settings.images)
    meta = read_metadata(data, max_bytes=settings.images.max_input_bytes,
                         max_pixels=settings.images.max_input_pixels)
    if meta is None:
        raise FileProblem(f"{path}: no NovelAI settings recorded in it (neither text chunks nor a hidden copy in "
                          "the alpha channel)", "no_metadata")
    return settings_from_metadata(meta)


def _elided(value: Any, names: dict[str, str]) -> Any:
    """The body with every known base64 image or encoding replaced by its description."""
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, list):
        return [_elided(item, names) for item in value]
    if isinstance(value, dict):
        return {key: _elided(item, names) for key, item in value.items()}
    return value


def _body(plan: PlannedJob, settings: Settings) -> tuple[str, dict[str, Any]]:
    """(endpoint, body) the worker would send, images described rather than spelled out."""
    pngs = {image.sha256: image for image in plan.images}
    names = {b64(image.png): f"<PNG {image.width}x{image.height}, {len(image.png):,} bytes, sha256 "
                             f"{image.sha256[:12]}>" for image in plan.images}
    request = plan.request
    if isinstance(request, GenerationRequest):
        encodings = {key: f"vibe-encoding:{key.sha256}:{key.information_extracted}".encode()
                     for key in vibe_keys(request)}
        names |= {b64(data): f"<vibe encoding of {key.sha256[:12]}, made by the worker first>"
                  for key, data in encodings.items()}
        inputs = ImageInputs(images={sha: image.png for sha, image in pngs.items()}, vibe_encodings=encodings)
        stream = settings.queue.stream_progress
        body = build_payload(request, stream=stream, inputs=inputs)
        return ("/ai/generate-image-stream" if stream else "/ai/generate-image"), _elided(body, names)
    png = pngs[request.image.sha256].png
    if isinstance(request, UpscaleRequest):
        return "/ai/upscale", _elided(upscale_payload(request, png), names)
    return "/ai/augment-image", _elided(augment_payload(request, png), names)


async def plan_dry_run(args: argparse.Namespace, settings: Settings, plan: PlannedJob, uncached_vibes: int) -> int:
    """Print what the planned job would send and cost on ``args.account``; exit 0 (nothing stored)."""
    try:
        subscription, problem = await account_subscription(settings, args.account)
    except AccountNotFound:
        return fail(f"there is no NovelAI account named {args.account!r}; add it with: "
                    f"naibot account add {args.account} --token", kind="unknown_account", code=EXIT_USAGE,
                    json_out=args.json)
    request = plan.request
    verdict: SpendVerdict = (would_spend(request, subscription, uncached_vibes=uncached_vibes)
                             if isinstance(request, GenerationRequest) else tool_spend(request, subscription))
    endpoint, body = _body(plan, settings)
    allowed = settings.queue.max_anlas_per_job if args.max_anlas is None else args.max_anlas
    report = {
        "dry_run": True, "kind": request.kind, "account": args.account, "endpoint": endpoint, "body": body,
        "inputs": [{"sha256": i.sha256, "width": i.width, "height": i.height, "bytes": len(i.png)}
                   for i in plan.images],
        "uncached_vibes": uncached_vibes, "anlas": verdict.cost, "free": verdict.free,
        "subscription": "unknown" if subscription is None else "read", "subscription_problem": problem,
        "balance": verdict.balance, "max_anlas": allowed, "within_limit": verdict.cost <= allowed,
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return EXIT_OK
    cost = "free" if verdict.cost == 0 else f"{verdict.cost} Anlas"
    why = (f"subscription unknown: {problem}; treated as paid" if subscription is None
           else "Opus free" if verdict.free else f"balance {verdict.balance}")
    what = (f"{request.kind} {request.model}, {request.width}x{request.height}"
            if isinstance(request, GenerationRequest) else
            f"{request.kind} {getattr(request, 'tool', '')} of a {request.image.width}x{request.image.height} image")
    print("\n".join([
        "dry run: nothing queued, nothing stored",
        f"{what}; {len(plan.images)} input image(s)"
        + (f", {uncached_vibes} vibe encoding(s) to make" if uncached_vibes else ""),
        f"cost on account {args.account}: {cost} ({why})",
        "limit: " + ("within" if verdict.cost <= allowed else "over, so it would be refused:")
        + f" the limit of {allowed} Anlas per job",
        f"would send: POST {endpoint} (--json shows the body)",
    ]))
    return EXIT_OK
