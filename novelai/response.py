"""Decoding NovelAI's image responses: the ZIP of ``/ai/generate-image`` and the msgpack frames
of ``/ai/generate-image-stream``.

The original PNG bytes are kept untouched: NovelAI embeds the generation parameters (and a
signature) in text chunks and in the alpha channel, and any re-encoding would strip them.
Width, height and seed are read from the PNG header and the ``Comment`` chunk without decoding
pixels, so this costs microseconds, not a Pillow decode. Nothing here trusts the bytes: every size
is checked against ``novelai.limits.Limits`` before the memory it would cost is spent (Pillow's
guards, ``Image.MAX_IMAGE_PIXELS`` and ``PngImagePlugin.MAX_TEXT_CHUNK``, never see these PNGs:
no code of ours opens them with Pillow, so the same bounds are applied here).
"""

from __future__ import annotations

import json
import logging
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import msgpack

from novelai.archive import read_zip_pngs
from novelai.errors import ImageTooLarge, ServerError, StreamError, StreamTooLarge, TextChunkTooLarge
from novelai.limits import DEFAULT_LIMITS, Limits, inflate_bounded, size_text

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ZIP_MAGIC = b"PK\x03\x04"
_FRAME_HEADER = struct.Struct(">I")

log = logging.getLogger(__name__)


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


def read_png_info(png: bytes, limits: Limits = DEFAULT_LIMITS) -> tuple[int, int, dict[str, str]]:
    """Width, height and the tEXt/zTXt/iTXt chunks of a PNG, without decoding pixels, within ``limits``."""
    if not png.startswith(PNG_MAGIC):
        raise ServerError("NovelAI sent an image that is not a PNG")
    if len(png) > limits.max_image_bytes:
        raise ImageTooLarge(f"NovelAI sent a PNG of {len(png):,} bytes, more than {limits.max_image_bytes:,}",
                            user_message=f"NovelAI sent an image larger than the "
                                         f"{size_text(limits.max_image_bytes)} this bot accepts")
    width = height = 0
    texts: dict[str, str] = {}
    text_bytes = 0
    pos = len(PNG_MAGIC)
    while pos + 8 <= len(png):
        length, ctype = struct.unpack(">I4s", png[pos : pos + 8])
        start, pos = pos + 8, pos + 12 + length
        if ctype == b"IHDR":
            width, height = struct.unpack(">II", png[start : start + 8])
            _check_pixels(width, height, limits)
        elif ctype in (b"tEXt", b"zTXt", b"iTXt"):
            key, value = _text_chunk(ctype, png[start : start + length], limits.max_text_chunk_bytes)
            text_bytes += len(value)
            if text_bytes > limits.max_text_bytes:
                raise TextChunkTooLarge(
                    f"NovelAI sent a PNG with more than {limits.max_text_bytes:,} bytes of text chunks",
                    user_message=f"NovelAI sent an image with more than the "
                                 f"{size_text(limits.max_text_bytes)} of metadata this bot accepts")
            texts[key] = value
        elif ctype == b"IEND":
            break
    if not width or not height:
        raise ServerError("NovelAI sent a PNG without a valid header")
    return width, height, texts


def _check_pixels(width: int, height: int, limits: Limits) -> None:
    """A PNG's header may claim any size: refuse more pixels than NovelAI ever makes."""
    if width * height > limits.max_image_pixels:
        raise ImageTooLarge(f"NovelAI sent a PNG of {width}×{height} pixels, more than {limits.max_image_pixels:,}",
                            user_message=f"NovelAI sent an image of {width}×{height} pixels, more than the "
                                         f"{limits.max_image_pixels:,} this bot accepts")


def _text_chunk(ctype: bytes, data: bytes, limit: int) -> tuple[str, str]:
    """One text chunk's key and text; compressed text is inflated to at most ``limit`` bytes."""
    key, _, rest = data.partition(b"\x00")
    if len(rest) > limit:
        raise TextChunkTooLarge(f"NovelAI sent a PNG text chunk of {len(rest):,} bytes, more than {limit:,}",
                                user_message=f"NovelAI sent an image with a text chunk larger than the "
                                             f"{size_text(limit)} this bot accepts")
    if ctype == b"zTXt":
        rest = inflate_bounded(rest[1:], limit, error=TextChunkTooLarge)
    elif ctype == b"iTXt":
        compressed, rest = rest[:1] == b"\x01", rest[2:]
        _lang, _, rest = rest.partition(b"\x00")
        _tkey, _, rest = rest.partition(b"\x00")
        if compressed:
            rest = inflate_bounded(rest, limit, error=TextChunkTooLarge)
        return key.decode("latin-1"), rest.decode("utf-8", "replace")
    return key.decode("latin-1"), rest.decode("latin-1")


def _seed_from(texts: dict[str, str], fallback: int | None) -> int | None:
    try:
        seed = json.loads(texts.get("Comment", "")).get("seed")
    except (json.JSONDecodeError, AttributeError):
        return fallback
    return int(seed) if isinstance(seed, int | float) else fallback


def image_from_png(png: bytes, index: int, request_seed: int | None, limits: Limits = DEFAULT_LIMITS
                   ) -> GeneratedImage:
    """Wrap one PNG; image *i* of a request used seed + i unless its metadata says otherwise."""
    width, height, texts = read_png_info(png, limits)
    fallback = request_seed + index if request_seed is not None else None
    return GeneratedImage(index, png, width, height, _seed_from(texts, fallback), texts)


def decode_images(body: bytes, request_seed: int | None, limits: Limits = DEFAULT_LIMITS) -> list[GeneratedImage]:
    """Decode a ``/ai/generate-image`` body, sniffing the format (the Content-Type has varied)."""
    if body.startswith(ZIP_MAGIC):
        return _decode_zip(body, request_seed, limits)
    if body.startswith(PNG_MAGIC):
        return [image_from_png(body, 0, request_seed, limits)]
    preview = body[:80].decode("utf-8", "replace")
    raise ServerError(f"NovelAI answered with neither a ZIP nor a PNG: {preview!r}")


def _decode_zip(body: bytes, request_seed: int | None, limits: Limits) -> list[GeneratedImage]:
    pngs = read_zip_pngs(body, limits)
    if not pngs:
        raise ServerError("NovelAI sent a ZIP without images")
    return [image_from_png(png, i, request_seed, limits) for i, png in enumerate(pngs)]


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


async def iter_stream_events(chunks: AsyncIterator[bytes], limits: Limits = DEFAULT_LIMITS
                             ) -> AsyncIterator[StreamEvent]:
    """Split a byte stream of length-prefixed msgpack maps into events as they arrive.

    A frame longer than ``limits.max_frame_bytes`` is refused from its 4-byte header, before its
    body is buffered; the ``limits.max_stream_frames``-th frame and beyond are refused too.
    An ``error`` frame ends the stream as a ``StreamError`` (NovelAI's code and message); a
    ``retry`` frame (NovelAI retrying on its side) is logged and skipped.
    """
    buffer = bytearray()
    frames = 0
    async for chunk in chunks:
        buffer.extend(chunk)
        while len(buffer) >= _FRAME_HEADER.size:
            (length,) = _FRAME_HEADER.unpack_from(buffer)
            if length > limits.max_frame_bytes:
                raise StreamTooLarge(f"NovelAI stream frame of {length:,} bytes, more than {limits.max_frame_bytes:,}",
                                     user_message=f"NovelAI sent a stream frame larger than the "
                                                  f"{size_text(limits.max_frame_bytes)} this bot accepts")
            end = _FRAME_HEADER.size + length
            if len(buffer) < end:
                break
            frames += 1
            if frames > limits.max_stream_frames:
                raise StreamTooLarge(f"NovelAI's stream went past {limits.max_stream_frames:,} frames",
                                     user_message=f"NovelAI's stream went on past the {limits.max_stream_frames:,} "
                                                  f"updates this bot accepts")
            try:
                frame = msgpack.unpackb(bytes(buffer[_FRAME_HEADER.size : end]), raw=False)
            except (msgpack.UnpackException, ValueError) as exc:
                raise ServerError(f"NovelAI sent an unreadable stream frame: {exc}") from exc
            del buffer[:end]
            if not isinstance(frame, dict):
                continue
            event_type = frame.get("event_type")
            if event_type == "error":
                # NovelAI gave up on the generation: its code and message, not "0 of N images" (§10.1).
                raise StreamError(frame.get("code"), frame.get("message"))
            if event_type == "retry":
                # NovelAI is retrying on its side and the stream goes on: nothing for us to do (§10.1).
                log.info("NovelAI is retrying the generation: %.200s", frame.get("message"))
                continue
            yield _stream_event(frame)
    if buffer:
        raise ServerError("NovelAI's stream ended in the middle of a frame")
