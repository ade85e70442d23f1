"""``naibot generate|queue|status|cancel|worker``: the queue from the command line.

The CLI is the first front end: it submits through the same ``Submitter`` as the chat bots, so
a job queued here is ordered, limited, priced and announced exactly like one from a chat.
Exit status: 0 success, 1 the job failed or was canceled (or was not found), 2 bad input. With
``--json`` every answer is JSON on stdout, errors too (``{"error", "kind"}``, same exit status).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time
from typing import Any

from bot.chat.generate_options import ascii_float, ascii_int
from bot.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    AsyncHandler,
    Handler,
    fail,
    refuse_without_secret_key,
    refused,
    run_async,
)
from bot.cli.dry_run import dry_run
from bot.cli.format import format_duration, image_location, status_line
from bot.cli.image_options import add_image_options, add_job_options, uses_images
from bot.cli.image_run import generate_with_images
from bot.cli.job_output import job_json, submit_and_answer
from naibot.settings import Settings
from novelai.errors import InvalidRequest
from novelai.models import parse_size
from novelai.request import CharacterPrompt, GenerationRequest
from tasks.job import Job, Requester
from tasks.launch import worker_argv, worker_environment
from tasks.queue import Caller, QueueUnavailable
from tasks.services import QueueServices


def _no_job(job_id: str, json_out: bool, extra: dict[str, Any] | None = None) -> int:
    """A job id the queue does not know: the same words and exit status for status and cancel."""
    return fail(f"no job {job_id} (unknown, or finished and expired)", kind="not_found", json_out=json_out,
                extra=extra)


def build_request(args: argparse.Namespace, base: dict[str, Any] | None = None) -> GenerationRequest:
    """The request the options describe, over ``base`` (the settings ``--from FILE.png`` recorded): an option
    given wins. The size is set only when asked for, so an img2img without ``--size`` takes its image's."""
    fields: dict[str, Any] = {
        "prompt": args.prompt, "negative": args.negative, "model": args.model, "sampler": args.sampler,
        "steps": args.steps, "scale": args.scale, "n_samples": args.n, "seed": args.seed,
        "characters": tuple(CharacterPrompt.parse(c) for c in args.character) or None,
        "transparent": args.transparent or None, "quality_preset": args.quality_preset,
        "strength": getattr(args, "strength", None), "noise": getattr(args, "noise", None),
        "inpaint_strength": getattr(args, "inpaint_strength", None),
    }
    if args.size:
        fields["width"], fields["height"] = parse_size(args.size)
    return GenerationRequest(**{**(base or {}), **{k: v for k, v in fields.items() if v is not None}})


async def _generate(args: argparse.Namespace, settings: Settings) -> int:
    if uses_images(args):  # --image, --mask, --vibe, --reference or --from: uploads go through ImageJobs
        return await generate_with_images(args, settings, build_request)
    if args.prompt is None:
        return fail("a prompt is needed (or --from FILE.png to run an image's settings again)", kind="invalid",
                    code=EXIT_USAGE, json_out=args.json)
    try:
        request = build_request(args).resolved()
    except InvalidRequest as exc:
        return refused(exc, json_out=args.json)
    if args.dry_run:
        return await dry_run(args, settings, request)
    user = args.as_user or os.environ.get("USER") or getpass.getuser()
    requester = Requester(platform="cli", user_id=user, display_name=user)
    services = QueueServices.from_settings(settings)
    try:
        return await submit_and_answer(args, settings, services, lambda: services.submitter.submit(
            request, requester, account=args.account, priority=args.priority, max_anlas=args.max_anlas))
    finally:
        await services.aclose()


async def _status(args: argparse.Namespace, settings: Settings) -> int:
    services = QueueServices.from_settings(settings)
    try:
        job = await services.queue.get(args.job)
        if job is None:
            return _no_job(args.job, args.json)
        eta = await services.queue.estimated_wait(job)
    except QueueUnavailable as exc:
        return refused(exc, json_out=args.json)
    finally:
        await services.aclose()
    if args.json:
        print(json.dumps(job_json(job, settings, eta)))
        return EXIT_OK
    print(status_line(job, eta))
    for image in job.images:  # where to open them, one per line
        print(image_location(settings, image))
    return EXIT_OK


async def _cancel(args: argparse.Namespace, settings: Settings) -> int:
    user = args.as_user or os.environ.get("USER") or getpass.getuser()
    # The operator at the console is a deployment admin unless acting as someone.
    caller = Caller(user_key=f"cli:{user}", deployment_admin=args.as_user is None)
    services = QueueServices.from_settings(settings)
    try:
        outcome = await services.queue.cancel(args.job, caller)
    except QueueUnavailable as exc:
        return refused(exc, json_out=args.json)
    finally:
        await services.aclose()
    if outcome.status == "missing":
        return _no_job(args.job, args.json, {"job_id": args.job, "status": outcome.status})
    messages = {
        "canceled": f"canceled {args.job}",
        "running": f"{args.job} is already running and cannot be canceled",
        "forbidden": f"only the owner of {args.job} or an admin of its group may cancel it",
    }
    text = messages.get(outcome.status, f"{args.job} has already ended ({outcome.status})")
    if not outcome.canceled:
        return fail(text, kind=outcome.status, json_out=args.json,
                    extra={"job_id": args.job, "status": outcome.status, "message": text})
    print(json.dumps({"job_id": args.job, "status": outcome.status, "message": text}) if args.json else text)
    return EXIT_OK


async def _queue(args: argparse.Namespace, settings: Settings) -> int:
    services = QueueServices.from_settings(settings)
    queue = services.queue
    try:
        depths = await queue.lane_depths()
        running = await queue.get_many(await queue.running_ids())
        lanes: dict[str, tuple[int, list[Job]]] = {}  # account -> (waiting, the first `limit` of them)
        for account, depth in depths.items():
            lanes[account] = (depth, await queue.get_many(await queue.waiting_ids(account, args.limit)))
        average = await queue.average_duration()
    except QueueUnavailable as exc:
        return refused(exc, json_out=args.json)
    finally:
        await services.aclose()
    now = time.time()
    if args.json:
        print(json.dumps({
            "waiting": sum(depths.values()),
            "running": [job_json(j, settings) for j in running],
            "lanes": {a: {"depth": depth, "jobs": [job_json(j, settings) for j in jobs]}
                      for a, (depth, jobs) in lanes.items()},
            "average_seconds": average,
        }))
        return EXIT_OK
    print(f"{sum(depths.values())} waiting, {len(running)} running, average generation "
          f"{format_duration(average)}")
    for job in running:
        print(f"  running  {job.id}  {job.account}  {job.requester.display_name or job.requester.user_id}")
    for account, (depth, jobs) in lanes.items():
        print(f"lane {account}: {depth} waiting")
        for job in jobs:
            print(f"  #{job.position:<4} {job.id}  p{job.priority}  "
                  f"{job.requester.display_name or job.requester.user_id}  age {format_duration(now - job.created_at)}")
    return EXIT_OK


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    """Replace this process with Dramatiq's own CLI, configured from our settings."""
    if (refused := refuse_without_secret_key(settings)) is not None:
        return refused
    processes = args.processes or settings.worker.processes
    threads = args.threads or settings.worker.threads
    argv = worker_argv(settings.queue.dramatiq_queue, processes=processes, threads=threads)
    if args.settings_path:
        os.environ["NAIBOT_SETTINGS"] = args.settings_path
    os.environ.update(worker_environment(dict(os.environ), threads))
    os.execv(sys.executable, argv)
    return EXIT_FAILED  # pragma: no cover - execv does not return


def _async(fn: AsyncHandler) -> Handler:
    return lambda args, settings: run_async(lambda: fn(args, settings))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    gen = sub.add_parser("generate", help="queue a generation (like /generate in a chat)")
    gen.add_argument("prompt", nargs="?", help="what to draw (optional with --from)")
    gen.add_argument("--negative")
    gen.add_argument("--model", help="id or alias: v3, v4, v4.5, v5, ... (default nai-diffusion-4-5-full)")
    gen.add_argument("--sampler")
    gen.add_argument("--steps", type=ascii_int)
    gen.add_argument("--scale", type=ascii_float)
    gen.add_argument("--size", help="WxH or a preset: portrait, landscape, square, ...")
    gen.add_argument("--n", type=ascii_int, help="number of images")
    gen.add_argument("--seed", type=ascii_int)
    gen.add_argument("--transparent", action="store_true", help="a transparent background (V5)")
    gen.add_argument("--quality-preset", choices=("standard", "light"), help="quality tags (light: V5 full/curated)")
    gen.add_argument("--character", action="append", default=[], metavar="CAPTION[@C3][|NEGATIVE]",
                     help="a character prompt with its position (repeatable, V4 and later)")
    add_job_options(gen)
    add_image_options(gen)
    gen.set_defaults(handler=_async(_generate))

    queue = sub.add_parser("queue", help="what is waiting and running")
    queue.add_argument("--limit", type=int, default=20, help="jobs shown per lane")
    queue.add_argument("--json", action="store_true")
    queue.set_defaults(handler=_async(_queue))

    status = sub.add_parser("status", help="one job's state; for a finished job, where its images are")
    status.add_argument("job")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=_async(_status))

    cancel = sub.add_parser("cancel", help="cancel a job that has not started")
    cancel.add_argument("job")
    cancel.add_argument("--as", dest="as_user", help="act as this user id (owner check applies)")
    cancel.add_argument("--json", action="store_true")
    cancel.set_defaults(handler=_async(_cancel))

    worker = sub.add_parser("worker", help="run Dramatiq workers for the queue")
    worker.add_argument("--processes", type=int)
    worker.add_argument("--threads", type=int)
    worker.set_defaults(handler=_worker, settings_path=None)
