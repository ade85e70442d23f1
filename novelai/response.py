"""Decoding NovelAI's image responses: the ZIP of ``/ai/generate-image`` and the msgpack frames
of ``/ai/generate-image-stream``.

The original PNG bytes are kept untouched: NovelAI embeds the generation parameters (and a
signature) in text chunks and in the alpha channel, and any re-encoding would strip them.
Width, height and seed are read from the PNG header and the ``Comment`` chunk without decoding
pixels, so this costs microseconds, not a Pillow decode.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import msgpack

from novelai.errors import ServerError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ZIP_MAGIC = b"PK\x03\x04"
_FRAME_HEADER = struct.Struct(">I")
# A single msgpack frame carries at most one full-size PNG; anything bigger is a broken stream.
_MAX_FRAME = 64 * 1024 * 1024


@dataclass(frozen=True)
class GeneratedImage:
    """One generated image: the original PNG bytes and what we know about it."""

    index: int
    png: bytes
    width: int
    height: int
    seed: int | None
    metadata: dict[str, str] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class StreamEvent:
    """One frame of the streaming endpoint: a preview at a step, or a sample's final PNG."""

    event_type: str
    sample_index: int
    step_index: int | None
    sigma: float | None
    image: bytes

    @property
    def is_final(self) -> bool:
        return self.event_type == "final"


def read_png_info(png: bytes) -> tuple[int, int, dict[str, str]]:
    """Width, height and the tEXt/zTXt/iTXt chunks of a PNG, without decoding pixels."""
    if not png.startswith(PNG_MAGIC):
        raise ServerError("NovelAI sent an image that is not a PNG")
    width = height = 0
    texts: dict[str, str] = {}
    pos = len(PNG_MAGIC)
    while pos + 8 <= len(png):
        length, ctype = struct.unpack(">I4s", png[pos : pos + 8])
        start, pos = pos + 8, pos + 12 + length
        if ctype == b"IHDR":
            width, height = struct.unpack(">II", png[start : start + 8])
        elif ctype in (b"tEXt", b"zTXt", b"iTXt"):
            key, value = _text_chunk(ctype, png[start : start + length])
            texts[key] = value
        elif ctype == b"IEND":
            break
    if not width or not height:
        raise ServerError("NovelAI sent a PNG without a valid header")
    return width, height, texts


def _text_chunk(ctype: bytes, data: bytes) -> tuple[str, str]:
    key, _, rest = data.partition(b"\x00")
    if ctype == b"zTXt":
        rest = zlib.decompress(rest[1:])
    elif ctype == b"iTXt":
        compressed, rest = rest[0], rest[2:]
        _lang, _, rest = rest.partition(b"\x00")
        _tkey, _, rest = rest.partition(b"\x00")
        if compressed:
            rest = zlib.decompress(rest)
        return key.decode("latin-1"), rest.decode("utf-8", "replace")
    return key.decode("latin-1"), rest.decode("latin-1")


def _seed_from(texts: dict[str, str], fallback: int | None) -> int | None:
    try:
        seed = json.loads(texts.get("Comment", "")).get("seed")
    except (json.JSONDecodeError, AttributeError):
        return fallback
    return int(seed) if isinstance(seed, int | float) else fallback


def image_from_png(png: bytes, index: int, request_seed: int | None) -> GeneratedImage:
    """Wrap one PNG; image *i* of a request used seed + i unless its metadata says otherwise."""
    width, height, texts = read_png_info(png)
    fallback = request_seed + index if request_seed is not None else None
    return GeneratedImage(index, png, width, height, _seed_from(texts, fallback), texts)


def decode_images(body: bytes, request_seed: int | None) -> list[GeneratedImage]:
    """Decode a ``/ai/generate-image`` body, sniffing the format (the Content-Type has varied)."""
    if body.startswith(ZIP_MAGIC):
        return _decode_zip(body, request_seed)
    if body.startswith(PNG_MAGIC):
        return [image_from_png(body, 0, request_seed)]
    preview = body[:80].decode("utf-8", "replace")
    raise ServerError(f"NovelAI answered with neither a ZIP nor a PNG: {preview!r}")


def _decode_zip(body: bytes, request_seed: int | None) -> list[GeneratedImage]:
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            names = sorted(
                (n for n in archive.namelist() if n.lower().endswith(".png")), key=_image_number
            )
            pngs = [archive.read(name) for name in names]
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ServerError(f"NovelAI sent a broken ZIP: {exc}") from exc
    if not pngs:
        raise ServerError("NovelAI sent a ZIP without images")
    return [image_from_png(png, i, request_seed) for i, png in enumerate(pngs)]


def _image_number(name: str) -> tuple[int, str]:
    digits = "".join(ch for ch in name.rsplit("/", 1)[-1] if ch.isdigit())
    return (int(digits) if digits else 0, name)


def _stream_event(frame: dict[str, Any]) -> StreamEvent:
    sigma = frame.get("sigma")
    step = frame.get("step_ix")
    return StreamEvent(
        event_type=str(frame.get("event_type", "")),
        sample_index=int(frame.get("samp_ix", 0)),
        step_index=int(step) if step is not None else None,
        sigma=float(sigma) if sigma is not None else None,
        image=bytes(frame.get("image") or b""),
    )


async def iter_stream_events(chunks: AsyncIterator[bytes]) -> AsyncIterator[StreamEvent]:
    """Split a byte stream of length-prefixed msgpack maps into events as they arrive."""
    buffer = bytearray()
    async for chunk in chunks:
        buffer.extend(chunk)
        while len(buffer) >= _FRAME_HEADER.size:
            (length,) = _FRAME_HEADER.unpack_from(buffer)
            if length > _MAX_FRAME:
                raise ServerError(f"NovelAI stream frame of {length} bytes is not believable")
            end = _FRAME_HEADER.size + length
            if len(buffer) < end:
                break
            try:
                frame = msgpack.unpackb(bytes(buffer[_FRAME_HEADER.size : end]), raw=False)
            except (msgpack.UnpackException, ValueError) as exc:
                raise ServerError(f"NovelAI sent an unreadable stream frame: {exc}") from exc
            del buffer[:end]
            if isinstance(frame, dict):
                yield _stream_event(frame)
    if buffer:
        raise ServerError("NovelAI's stream ended in the middle of a frame")
