"""``naibot enhance|variations|upscale|tool``: jobs made from an image already there.

The source is a file (PNG, JPEG or WebP) or ``JOB[:index]``, a result of an earlier job numbered from 0
like its stored files. Enhance and variations run with the settings the image was made with: the earlier
job's request, or what NovelAI recorded in the file; a file with neither needs ``--prompt``. Each
command takes ``generate``'s ``--wait``, ``--json``, ``--dry-run``, ``--account``, ``--priority``,
``--max-anlas`` and ``--as``; exit statuses as ``generate``'s (2: a bad file or option, nothing queued).
"""

from __future__ import annotations

import argparse

from bot.chat.generate_options import ascii_float, ascii_int
from bot.cli.common import EXIT_USAGE, Handler, fail, run_async
from bot.cli.image_options import FileProblem, add_job_options, source
from bot.cli.image_run import Planner, run_image_job
from naibot.settings import Settings
from novelai.derived import ENHANCE_FACTORS
from novelai.tools import EMOTION_MOODS, MAX_DEFRY, TOOL_NAMES, UPSCALE_SCALES


def _planner(args: argparse.Namespace, settings: Settings) -> Planner:
    """What the subcommand asks ``ImageJobs`` to plan (FileProblem for a source that cannot be read)."""
    given = source(args.source, settings.images)
    if args.command in ("enhance", "variations"):
        what = args.command
        return lambda jobs: jobs.plan_derived(what, given, factor=getattr(args, "factor", 1.5), prompt=args.prompt,
                                              model=args.model)
    if args.command == "upscale":
        return lambda jobs: jobs.plan_upscale(given, scale=args.scale)
    return lambda jobs: jobs.plan_tool(given, args.tool, prompt=args.prompt or "", defry=args.defry,
                                       emotion=args.emotion)


def _handler() -> Handler:
    def handle(args: argparse.Namespace, settings: Settings) -> int:
        try:
            planner = _planner(args, settings)
        except FileProblem as exc:
            return fail(str(exc), kind=exc.kind, code=EXIT_USAGE, json_out=args.json)
        return run_async(lambda: run_image_job(args, settings, planner))

    return handle


def _source_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="FILE|JOB[:index]",
                        help="an image file, or a result of an earlier job (index from 0, default 0)")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name, text in (("enhance", "redraw an image bigger and sharper (img2img at 1.5x, the website's Enhance)"),
                       ("variations", "new images of the same composition (img2img, new seed)")):
        p = sub.add_parser(name, help=text)
        _source_argument(p)
        if name == "enhance":
            p.add_argument("--factor", type=ascii_float, default=1.5, choices=ENHANCE_FACTORS,
                           help="1.5 (bigger, the default) or 1 (same size)")
        p.add_argument("--prompt", help="the prompt to use (needed for a file without NovelAI settings)")
        p.add_argument("--model", help="another model than the image's")
        add_job_options(p)
        p.set_defaults(handler=_handler())

    up = sub.add_parser("upscale", help="make an image 2x (or 4x, up to 1 MP) bigger")
    _source_argument(up)
    up.add_argument("--scale", type=ascii_int, default=2, choices=UPSCALE_SCALES)
    add_job_options(up)
    up.set_defaults(handler=_handler())

    tool = sub.add_parser("tool", help="a Director Tool: line art, sketch, colorize, emotion, declutter, "
                                       "background removal")
    tool.add_argument("tool", choices=TOOL_NAMES)
    _source_argument(tool)
    tool.add_argument("--prompt", help="colorize and emotion: what to add")
    tool.add_argument("--defry", type=ascii_int, default=0, choices=range(MAX_DEFRY + 1), metavar=f"0..{MAX_DEFRY}",
                      help="colorize and emotion: how far from the image")
    tool.add_argument("--emotion", choices=EMOTION_MOODS, metavar="MOOD",
                      help=f"emotion: one of {', '.join(EMOTION_MOODS)}")
    add_job_options(tool)
    tool.set_defaults(handler=_handler())
