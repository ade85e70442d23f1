"""The CLI's image options: ``--image``, ``--mask``, ``--vibe``, ``--reference``, ``--from``, and a source given
as ``FILE`` or ``JOB[:index]``; files read from disk bounded by the ``images:`` settings.

A file is never read past ``images.max_input_bytes`` (its size is checked from the file system first,
and one byte more than the bound is all that is ever read), so a 4 GB file answers at once. What it
contains is judged by ``novelai.images.read_input`` (through ``tasks.image_submit``), like an upload in
a chat or the HTTP API.

Specs (colon-separated, values from the right, so a path may itself hold a colon):
``--vibe v.png[:strength[:information]]`` and
``--reference r.png[:character|style|both[:strength[:fidelity]]]``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from bot.chat.generate_options import ascii_float, ascii_int
from naibot.settings import ImagesSettings
from novelai.inputs import ReferenceKind
from novelai.limits import size_text
from tasks.image_submit import JobImage, ReferenceUpload, Source, Upload, VibeUpload
from tasks.job import DEFAULT_PRIORITY, MAX_PRIORITY, MIN_PRIORITY

# The words a reference kind is given by on the command line; "both" is NovelAI's "character&style".
REFERENCE_WORDS: dict[str, ReferenceKind] = {"character": "character", "style": "style", "both": "character&style",
                                             "character&style": "character&style"}
_JOB_SOURCE = re.compile(r"^(?P<job>[a-z0-9]{1,32})(?::(?P<index>[0-9]{1,3}))?$")
_NUMBER = re.compile(r"^[0-9]*\.?[0-9]+$")


class FileProblem(Exception):
    """A file the command cannot use: one line for the operator, its kind, exit status 2."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def add_image_options(parser: argparse.ArgumentParser) -> None:
    """``generate``'s image options (img2img, inpainting, vibes, references, re-running a file's settings)."""
    group = parser.add_argument_group("images in")
    group.add_argument("--image", metavar="FILE", help="img2img: redraw this image (PNG, JPEG or WebP)")
    group.add_argument("--strength", type=ascii_float, help="img2img: how far from the image, 0.01-0.99")
    group.add_argument("--noise", type=ascii_float, help="img2img: noise added to the image, 0-0.99")
    group.add_argument("--mask", metavar="FILE", help="inpainting: white = repaint (needs --image)")
    group.add_argument("--inpaint-strength", type=ascii_float,
                       help="inpainting: how much the masked part is repainted, 0.01-1 (default 0.85); sets its price")
    group.add_argument("--vibe", action="append", default=[], metavar="FILE[:STRENGTH[:INFORMATION]]",
                       help="vibe transfer (repeatable, V3 to V4.5)")
    group.add_argument("--reference", action="append", default=[],
                       metavar="FILE[:character|style|both[:STRENGTH[:FIDELITY]]]",
                       help="precise reference (repeatable, V4.5 and V5)")
    group.add_argument("--from", dest="from_file", metavar="FILE.png",
                       help="run the settings recorded in a NovelAI image again (options given win)")


def add_job_options(parser: argparse.ArgumentParser) -> None:
    """The options every queueing command shares with ``generate``."""
    parser.add_argument("--priority", type=ascii_int, default=DEFAULT_PRIORITY,
                        choices=range(MIN_PRIORITY, MAX_PRIORITY + 1), metavar=f"{MIN_PRIORITY}..{MAX_PRIORITY}")
    parser.add_argument("--account", default="default", help="the NovelAI account to run on")
    parser.add_argument("--max-anlas", type=ascii_int, help="the most Anlas this job may spend (default from settings)")
    parser.add_argument("--as", dest="as_user", help="submit on behalf of this user id")
    parser.add_argument("--wait", action="store_true", help="show position and progress until it ends")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--dry-run", action="store_true",
                        help="queue nothing: print the request, its Anlas cost and whether it would be free")


def uses_images(args: argparse.Namespace) -> bool:
    return bool(args.image or args.mask or args.vibe or args.reference or args.from_file)


def read_file(path_text: str, settings: ImagesSettings) -> bytes:
    """A file's bytes, never more than ``settings.max_input_bytes`` read (``FileProblem`` otherwise)."""
    path = Path(path_text)
    limit = settings.max_input_bytes
    try:
        if not path.is_file():
            raise FileProblem(f"{path_text}: no such file", "not_found")
        size = path.stat().st_size
        if size > limit:
            raise FileProblem(f"{path_text}: the file is {size_text(size)}, more than the {size_text(limit)} this "
                              f"bot reads (images.max_input_bytes)", "image_too_large")
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise FileProblem(f"{path_text}: cannot be read ({exc.strerror or type(exc).__name__})", "unreadable") \
            from exc
    if len(data) > limit:
        raise FileProblem(f"{path_text}: the file grew past the {size_text(limit)} this bot reads", "image_too_large")
    return data


def upload(path_text: str, settings: ImagesSettings) -> Upload:
    return Upload(read_file(path_text, settings), Path(path_text).name)


def _peel(spec: str, most: int, accept: Any) -> tuple[str, list[str]]:
    """Split ``spec`` into a path and up to ``most`` trailing values that ``accept`` takes (from the right)."""
    parts = spec.split(":")
    values: list[str] = []
    while len(parts) > 1 and len(values) < most and accept(len(values), parts[-1]):
        values.insert(0, parts.pop())
    return ":".join(parts), values


def _number(value: str, what: str, spec: str) -> float:
    if not _NUMBER.match(value):
        raise FileProblem(f"{spec}: the {what} must be a number like 0.6, not {value!r}", "invalid")
    return float(value)


def vibe_upload(spec: str, settings: ImagesSettings) -> VibeUpload:
    """``FILE[:STRENGTH[:INFORMATION]]``."""
    path, values = _peel(spec, 2, lambda _n, value: bool(_NUMBER.match(value)))
    numbers = [_number(v, what, spec) for v, what in zip(values, ("strength", "information"), strict=False)]
    fields = dict(zip(("strength", "information_extracted"), numbers, strict=False))
    return VibeUpload(upload(path, settings), **fields)


def reference_upload(spec: str, settings: ImagesSettings) -> ReferenceUpload:
    """``FILE[:character|style|both[:STRENGTH[:FIDELITY]]]``."""
    def accept(taken: int, value: str) -> bool:
        # Taken from the right: numbers first, then the kind, which must be the leftmost value.
        return value in REFERENCE_WORDS or (bool(_NUMBER.match(value)) and taken < 2)

    path, values = _peel(spec, 3, accept)
    fields: dict[str, Any] = {}
    if values and values[0] in REFERENCE_WORDS:
        fields["kind"] = REFERENCE_WORDS[values.pop(0)]
    elif values:
        raise FileProblem(f"{spec}: say the kind (character, style or both) before the strength", "invalid")
    if any(value in REFERENCE_WORDS for value in values):
        raise FileProblem(f"{spec}: one kind only, then the strength and the fidelity", "invalid")
    for value, what in zip(values, ("strength", "fidelity"), strict=False):
        fields[what] = _number(value, what, spec)
    return ReferenceUpload(upload(path, settings), **fields)


def source(text: str, settings: ImagesSettings) -> Source:
    """``FILE`` (a file that exists) or ``JOB[:index]`` (a result of an earlier job, numbered from 0)."""
    if Path(text).is_file():
        return upload(text, settings)
    match = _JOB_SOURCE.match(text)
    if match is None:
        raise FileProblem(f"{text}: no such file, and not a job id (JOB or JOB:index)", "not_found")
    return JobImage(match["job"], int(match["index"] or 0))
