"""How much the client accepts from NovelAI, and the bounded readers that enforce it.

Everything NovelAI sends is untrusted: a bug on its side, a compromised CDN or a man in the middle
can answer a generation with a ZIP bomb, a PNG whose text chunk inflates to gigabytes, a body or
stream that never ends, or ``Retry-After: 1e12``. Each bound below is far above anything NovelAI
really sends (its largest image is 3,145,728 pixels, a PNG of about 10 MB, at most 8 per request)
and far below what would hurt a worker; crossing one raises a ``ResponseRefused`` subclass, which
the queue does not retry. ``generation_seconds`` is the wall-clock deadline of a whole generation.

Kept free of httpx and of the settings, so the readers are tested on plain bytes.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from novelai.errors import ResponseRefused, ResponseTooLarge

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The bounds of one client; ``naibot.settings.NovelAILimits`` holds the configured values."""

    # A whole answer: the ZIP, a bare PNG, or every byte of a stream (previews included).
    max_response_bytes: int = 64 * MIB
    # An error answer (4xx/5xx): only its message is used, and that is cut to max_message_chars.
    max_error_bytes: int = 64 * 1024
    max_message_chars: int = 300
    # ZIP members, whatever their names (NovelAI sends one PNG per sample, at most 8).
    max_zip_members: int = 16
    # One PNG, as stored in the ZIP (inflated) or sent in a final stream frame.
    max_image_bytes: int = 32 * MIB
    # Width × height by the PNG header: 2048², a third above NovelAI's largest size.
    max_image_pixels: int = 2048 * 2048
    # One tEXt/zTXt/iTXt chunk, inflated (Pillow's own MAX_TEXT_CHUNK), and all of one PNG's together.
    max_text_chunk_bytes: int = 1 * MIB
    max_text_bytes: int = 4 * MIB
    # One msgpack frame of the stream (a final frame carries one PNG), and frames per stream
    # (a request sends steps × samples previews plus one final per sample: at most 408).
    max_frame_bytes: int = 32 * MIB + 64 * 1024
    max_stream_frames: int = 1000
    # The longest wait a 429's Retry-After may impose on a lane.
    max_retry_after_seconds: float = 300.0
    # A whole generation, from sending to the last byte: ends a stream that never ends or trickles
    # (``Timeouts.generate`` bounds each read only). Above that read timeout, so a NovelAI that says
    # nothing at all still gives the retryable Timeout; far above a real generation (under a minute).
    generation_seconds: float = 300.0


DEFAULT_LIMITS = Limits()


async def read_bounded(chunks: AsyncIterator[bytes], limit: int, what: str = "NovelAI's answer", *,
                       truncate: bool = False) -> bytes:
    """Join ``chunks`` but stop as soon as more than ``limit`` bytes have arrived: raise, or with
    ``truncate`` (error answers, whose status matters more than their text) keep the first ``limit``.

    The bytes past the limit are never kept: memory stays within the limit plus one chunk.
    """
    body = bytearray()
    async for chunk in chunks:
        if len(body) + len(chunk) > limit:
            if truncate:
                body.extend(chunk[: limit - len(body)])
                break
            raise ResponseTooLarge(f"{what} is larger than {limit:,} bytes; stopped reading",
                                   user_message=f"{what} was larger than the {size_text(limit)} this bot accepts")
        body.extend(chunk)
    return bytes(body)


async def count_bytes(chunks: AsyncIterator[bytes], limit: int, what: str = "NovelAI's stream"
                      ) -> AsyncIterator[bytes]:
    """Pass ``chunks`` through, raising once their total passes ``limit`` (for streams read piecewise)."""
    total = 0
    async for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise ResponseTooLarge(f"{what} is larger than {limit:,} bytes; stopped reading",
                                   user_message=f"{what} was larger than the {size_text(limit)} this bot accepts")
        yield chunk


def inflate_bounded(data: bytes, limit: int, *, wbits: int = zlib.MAX_WBITS, what: str = "a PNG text chunk",
                    error: type[ResponseRefused] = ResponseRefused) -> bytes:
    """zlib-decompress ``data`` to at most ``limit`` bytes; raise ``error`` if it would inflate further.

    ``max_length`` makes zlib stop producing output at the bound, so a bomb costs ``limit`` bytes of
    memory, not what it would inflate to.
    """
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise error(f"{what} is not valid zlib data: {exc}", user_message=f"NovelAI sent {what} that is corrupt"
                    ) from exc
    if len(out) > limit or inflater.unconsumed_tail:
        raise error(f"{what} inflates to more than {limit:,} bytes",
                    user_message=f"NovelAI sent {what} larger than the {size_text(limit)} this bot accepts")
    return out


def retry_after_seconds(value: str | None, cap: float, *, now: datetime | None = None) -> float | None:
    """A 429's ``Retry-After`` (seconds or an HTTP date) as seconds within 0..``cap``; None if absent
    or unreadable. ``1e12``, ``inf`` and dates in the year 9999 all become ``cap``; ``nan`` is ignored."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), cap)


def size_text(limit: int) -> str:
    """A byte count in words people read: "64 MiB", "300 KiB"."""
    if limit >= MIB:
        return f"{limit / MIB:g} MiB"
    if limit >= 1024:
        return f"{limit / 1024:g} KiB"
    return f"{limit} bytes"

