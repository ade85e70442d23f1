"""``naibot info FILE.png [--json]``: what NovelAI recorded about an image, read back from the file.

The parameters come from the PNG's text chunks, or from the stealth copy in its alpha channel when a
site stripped the chunks (``novelai.metadata``). The file is bounded like any upload (the ``images:``
settings): its size is checked from the file system before a byte is read, and never more than the
bound is read, so pointing it at a 4 GB file or a decompression bomb answers at once and spends nothing.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bot.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, fail, refused
from naibot.settings import Settings
from novelai.errors import InvalidRequest
from novelai.limits import size_text
from novelai.metadata import NovelAIMetadata, read_metadata


def _read_bounded(path: Path, max_bytes: int) -> bytes | None:
    """At most ``max_bytes + 1`` bytes (one more tells "too large" even if the file grows meanwhile)."""
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    return None if len(data) > max_bytes else data


def describe(meta: NovelAIMetadata) -> dict[str, Any]:
    """The fields ``info`` shows, as JSON-ready values (None where the image did not record one)."""
    width, height = meta.size
    return {
        "prompt": meta.prompt,
        "negative": meta.negative,
        "model": meta.model,
        "source": meta.source,
        "width": width,
        "height": height,
        "steps": meta.steps,
        "scale": meta.scale,
        "sampler": meta.sampler,
        "seed": meta.seed,
        "characters": [{"prompt": c.prompt, "negative": c.negative,
                        "center": list(c.center) if c.center and meta.uses_coords else None}
                       for c in meta.characters],
        "from": "stealth" if meta.from_stealth else "text",
    }


def _plain(path: Path, info: dict[str, Any]) -> str:
    def shown(value: object) -> str:
        return "(not recorded)" if value is None or value == "" else str(value)

    found_in = "hidden copy in the alpha channel" if info["from"] == "stealth" else "text chunks"
    lines = [f"{path}: NovelAI metadata ({found_in})",
             f"prompt:    {shown(info['prompt'])}",
             f"negative:  {shown(info['negative'])}",
             f"model:     {shown(info['model'] or info['source'])}",
             f"size:      {info['width']}x{info['height']}",
             f"steps:     {shown(info['steps'])}",
             f"scale:     {shown(info['scale'])}",
             f"sampler:   {shown(info['sampler'])}",
             f"seed:      {shown(info['seed'])}"]
    for index, character in enumerate(info["characters"], start=1):
        where = "" if character["center"] is None else " @ {:.2f},{:.2f}".format(*character["center"])
        negative = f" | negative: {character['negative']}" if character["negative"] else ""
        lines.append(f"character {index}: {character['prompt']}{where}{negative}")
    return "\n".join(lines)


def _handle(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(args.file)
    limit = settings.images.max_input_bytes
    try:
        if not path.is_file():
            return fail(f"{path}: no such file", kind="not_found", code=EXIT_USAGE, json_out=args.json)
        if path.stat().st_size > limit:
            return fail(f"{path}: the file is larger than the {size_text(limit)} this bot reads "
                        f"(images.max_input_bytes)", kind="invalid", code=EXIT_USAGE, json_out=args.json)
        data = _read_bounded(path, limit)
    except OSError as exc:
        return fail(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})", kind="unreadable",
                    code=EXIT_FAILED, json_out=args.json)
    if data is None:
        return fail(f"{path}: the file grew past the {size_text(limit)} this bot reads", kind="invalid",
                    code=EXIT_USAGE, json_out=args.json)
    try:
        meta = read_metadata(data, max_bytes=limit, max_pixels=settings.images.max_input_pixels)
    except InvalidRequest as exc:
        return refused(exc, json_out=args.json)
    if meta is None:
        return fail(f"{path}: no NovelAI metadata (neither text chunks nor a hidden copy in the alpha channel)",
                    kind="no_metadata", code=EXIT_FAILED, json_out=args.json)
    info = describe(meta)
    print(json.dumps({"file": str(path), **info}, ensure_ascii=False) if args.json else _plain(path, info))
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("info", help="show the NovelAI generation settings recorded in an image",
                       description="Read the prompt, negative, model, size, steps, scale, sampler, seed and "
                                   "characters NovelAI recorded in a PNG: from its text chunks, or from the copy "
                                   "hidden in its alpha channel when the text was stripped.")
    p.add_argument("file", metavar="FILE.png", help="the image (PNG; WebP with alpha also works)")
    p.add_argument("--json", action="store_true", help="print one JSON object (errors too)")
    p.set_defaults(handler=_handle)
