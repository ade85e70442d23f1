"""How every queueing subcommand (generate, enhance, variations, upscale, tool) answers once it has a job.

One place so each says the same: the status line (or ``--json``'s object) right away, or with ``--wait``
the progress on stderr and the image paths on stdout; refusals as one line with their exit status.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable
from typing import Any

from bot.cli.common import EXIT_FAILED, EXIT_OK, REDIS_AWAY, fail, redis_unavailable, refused
from bot.cli.format import image_location, status_line
from bot.cli.watch import watch
from naibot.refusal import Refusal
from naibot.settings import Settings
from tasks.job import Job, JobState
from tasks.services import QueueServices
from tasks.submit import UnknownAccount


def job_json(job: Job, settings: Settings, eta: float | None = None) -> dict[str, Any]:
    return {
        "job_id": job.id,
        "kind": job.kind,
        "state": job.state.value,
        "position": job.position,
        "total": job.total,
        "eta_seconds": None if eta is None else round(eta, 1),
        "account": job.account,
        "priority": job.priority,
        "attempts": job.attempts,
        "images": [{"url": i.url, "key": i.key, "path": image_location(settings, i), "seed": i.seed,
                    "width": i.width, "height": i.height} for i in job.images],
        "error": job.error.model_dump() if job.error else None,
    }


def unknown_account(args: argparse.Namespace, exc: UnknownAccount) -> int:
    """At the command line the operator is the admin the chat wording would send them to."""
    return fail(f"there is no NovelAI account named {args.account!r}; add it with: "
                f"naibot account add {args.account} --token", kind="unknown_account", code=exc.exit_code,
                json_out=args.json)


async def submit_and_answer(args: argparse.Namespace, settings: Settings, services: QueueServices,
                            submit: Callable[[], Awaitable[Job]]) -> int:
    """Run ``submit`` (which queues the job) and answer as the command was asked to (see the module
    docstring). ``services`` stay open: the caller closes them."""
    try:
        after = await services.queue.last_event_id()
        job = await submit()
        if not args.wait:
            eta = await services.queue.estimated_wait(job)
            print(json.dumps(job_json(job, settings, eta)) if args.json else status_line(job, eta))
            return EXIT_OK
        job = await watch(services, settings, job, after, quiet=args.json)
    except UnknownAccount as exc:
        return unknown_account(args, exc)
    except Refusal as exc:
        return refused(exc, json_out=args.json)
    except REDIS_AWAY as exc:  # the watch reads the event stream directly
        return redis_unavailable(exc, json_out=args.json)
    if args.json:
        print(json.dumps(job_json(job, settings)))
    elif job.state is JobState.DONE:  # how it ended is on stderr already (watch); stdout has the paths
        for image in job.images:
            print(image_location(settings, image))
    return EXIT_OK if job.state is JobState.DONE else EXIT_FAILED
