"""Hostile answers on demand: what a broken NovelAI, a compromised CDN or a man in the middle could send.

``Faults.hostile`` lists modes, one consumed per generation (ZIP or stream) or tool request (upscale,
augment-image: their ZIP; encode-vibe: any mode but ``retry_after`` is a huge body), so a test
proves the client's bounds (``novelai.limits``) against real bytes on a real socket:

* ``zip_bomb``: one ``image_0.png`` that inflates to ``Faults.hostile_bytes`` (1 GiB) from ~1 MiB;
* ``zip_members``: a ZIP of 4,096 members;
* ``huge_body``: a body (ZIP endpoint) or a stream of 4 MiB frames that goes on to ``hostile_bytes``;
* ``huge_png``: a PNG whose header says 100,000 × 100,000 pixels;
* ``ztxt_bomb``: a real PNG with a zTXt chunk that inflates to ``hostile_bytes``;
* ``big_frame``: a stream frame whose length prefix says ``hostile_bytes`` (and whose body follows);
* ``endless_stream``: preview frames forever, one per ``step_latency``, until the client goes away;
* ``retry_after``: 429 with ``Retry-After: 1e12`` (31,700 years).

Every mode but ``retry_after`` is charged like a real generation: NovelAI answers after it has
generated, so a client that retries such an answer pays twice. Bombs are built once per size by
repeating one fully flushed DEFLATE block, so 1 GiB costs a fraction of a second, not a compression.
"""

from __future__ import annotations

import asyncio
import functools
import io
import struct
import zipfile
import zlib
from collections.abc import Callable

from aiohttp import web

from sandbox.novelai.state import Refusal
from sandbox.novelai.stream import encode_event

HOSTILE_MODES = frozenset({"zip_bomb", "zip_members", "huge_body", "huge_png", "ztxt_bomb", "big_frame",
                           "endless_stream", "retry_after"})
# Modes that replace the final PNG (in the ZIP or in the stream's final frames).
PNG_MODES = frozenset({"huge_png", "ztxt_bomb"})
GIB = 1024 * 1024 * 1024
ZIP_MEMBERS = 4096
HUGE_SIDE = 100_000
RETRY_AFTER = "1e12"
_BLOCK = 1024 * 1024
_STREAM_FRAME = 4 * 1024 * 1024
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _blocks(size: int) -> int:
    return max(1, -(-size // _BLOCK))


@functools.lru_cache(maxsize=4)
def _deflated_zeros(size: int, wbits: int) -> tuple[bytes, int]:
    """``size`` zero bytes (rounded up to whole MiB) compressed, and their real length.

    After a full flush a compressor keeps no history, so every further MiB of zeros compresses
    to the same bytes: one block is compressed and repeated. The trailer (zlib's Adler-32) is
    computed over the real content, so the stream is valid to its end."""
    blocks = _blocks(size)
    zeros = bytes(_BLOCK)
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeat = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.flush()
    if wbits > 0:  # zlib format: replace the Adler-32 of two blocks by that of all of them
        adler = 1
        for _ in range(blocks):
            adler = zlib.adler32(zeros, adler)
        tail = tail[:-4] + struct.pack(">I", adler)
    body = first + repeat * (blocks - 1) + tail
    return body, blocks * _BLOCK


@functools.lru_cache(maxsize=4)
def zip_bomb(size: int = GIB) -> bytes:
    """A valid ZIP whose one member ``image_0.png`` honestly declares and inflates to ``size`` bytes."""
    data, real = _deflated_zeros(size, -zlib.MAX_WBITS)
    crc = 0
    zeros = bytes(_BLOCK)
    for _ in range(real // _BLOCK):
        crc = zlib.crc32(zeros, crc)
    name = b"image_0.png"
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(data), real, len(name), 0) + name
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, len(data), real, len(name),
                          0, 0, 0, 0, 0, 0) + name
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local) + len(data), 0)
    return local + data + central + end


@functools.lru_cache(maxsize=1)
def zip_of_many_members(count: int = ZIP_MEMBERS) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for index in range(count):
            archive.writestr(f"image_{index}.png", b"")
    return out.getvalue()


def _chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def huge_png(side: int = HUGE_SIDE) -> bytes:
    """A PNG whose header claims ``side`` × ``side`` RGBA pixels (40 GB decoded) in a few bytes."""
    header = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)
    return _PNG_MAGIC + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"")) + _chunk(b"IEND", b"")


@functools.lru_cache(maxsize=4)
def ztxt_png(png: bytes, size: int = GIB) -> bytes:
    """``png`` with a zTXt chunk ("Description") inflating to ``size`` bytes inserted before IEND."""
    data, _ = _deflated_zeros(size, zlib.MAX_WBITS)
    end = png.rindex(b"IEND") - 4
    return png[:end] + _chunk(b"zTXt", b"Description\x00\x00" + data) + png[end:]


def hostile_png(mode: str, png: bytes, size: int) -> bytes:
    """The PNG a ``PNG_MODES`` mode sends instead of ``png``."""
    return huge_png() if mode == "huge_png" else ztxt_png(png, size)


# Set on a request whose connection an injected fault dropped (the recorder logs status 0 for it).
DROPPED_KEY = web.RequestKey("novelai_dropped", bool)


def forced_answer(request: web.Request, status: int) -> web.Response:
    """An injected failure (``Faults``). 503 is Cloudflare's HTML page, as NovelAI's outages look (§6)."""
    if status == 0:
        # Aborted before a byte is written: the client sees a bare disconnect. The response
        # returned below is only for aiohttp's bookkeeping and never reaches the wire.
        request[DROPPED_KEY] = True
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=499)
    if status == 503:
        return web.Response(status=503, content_type="text/html",
                            text="<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>")
    # A forced 429 is a plain rate limit; the concurrency lock's 429 comes from real overlap.
    return Refusal(status, f"Sandbox injected HTTP {status}").response()


def retry_after_response() -> web.Response:
    return web.json_response({"statusCode": 429, "message": "Too many requests"}, status=429,
                             headers={"Retry-After": RETRY_AFTER})


async def _write_until(response: web.StreamResponse, chunks: Callable[[int], bytes], size: int,
                       pause: float = 0.0, gone: Callable[[], bool] = lambda: False) -> None:
    """Write ``chunks(i)`` until ``size`` bytes are out or the client has gone away."""
    sent = index = 0
    while sent < size and not gone():
        chunk = chunks(index)
        try:
            await response.write(chunk)
        except ConnectionError:
            return
        sent += len(chunk)
        index += 1
        await asyncio.sleep(pause)


async def huge_zip_body(request: web.Request, size: int) -> web.StreamResponse:
    """A ZIP-looking body of ``size`` bytes, sent a MiB at a time (never held whole)."""
    response = web.StreamResponse(headers={"Content-Type": "binary/octet-stream"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    zeros = bytes(_BLOCK)
    await _write_until(response, lambda i: b"PK\x03\x04" + zeros[4:] if i == 0 else zeros, size)
    return response


def frame_header(length: int) -> bytes:
    """The 4-byte big-endian length prefix of a msgpack stream frame."""
    return struct.pack(">I", min(length, 0xFFFFFFFF))


async def big_frame(response: web.StreamResponse, size: int) -> None:
    """A frame that announces ``size`` bytes, then sends them a MiB at a time."""
    zeros = bytes(_BLOCK)
    try:
        await response.write(frame_header(size))
    except ConnectionError:
        return
    await _write_until(response, lambda _: zeros, size)


async def endless(response: web.StreamResponse, frame: bytes, pause: float, gone: Callable[[], bool],
                  size: int | None = None) -> None:
    """``frame`` again and again: forever (``size`` None) or until ``size`` bytes, or the client leaves."""
    await _write_until(response, lambda _: frame, size if size is not None else 2**62, pause, gone)


def stream_frame_size() -> int:
    """The size of each frame ``huge_body`` streams: large, but well under any sane frame limit."""
    return _STREAM_FRAME


def zip_answer(mode: str, pngs: list[bytes], size: int, zip_images: Callable[[list[bytes]], bytes]
               ) -> web.Response | None:
    """The ``/ai/generate-image`` answer of a mode, or None for ``huge_body`` (streamed instead)."""
    if mode == "zip_bomb":
        return web.Response(body=zip_bomb(size), content_type="binary/octet-stream")
    if mode == "zip_members":
        return web.Response(body=zip_of_many_members(), content_type="binary/octet-stream")
    if mode in PNG_MODES:
        body = zip_images([hostile_png(mode, pngs[0], size), *pngs[1:]])
        return web.Response(body=body, content_type="binary/octet-stream")
    return None


async def zip_or_huge_body(request: web.Request, mode: str, pngs: list[bytes], size: int,
                           zip_images: Callable[[list[bytes]], bytes]) -> web.StreamResponse:
    """A ZIP endpoint's hostile answer: the mode's ZIP, or a huge body for the others."""
    answer = zip_answer(mode, pngs, size, zip_images)
    return answer if answer is not None else await huge_zip_body(request, size)


async def stream_answer(response: web.StreamResponse, mode: str, size: int, pause: float,
                        gone: Callable[[], bool]) -> None:
    """What a stream-level mode writes instead of the generation's frames."""
    if mode == "big_frame":
        await big_frame(response, size)
        return
    preview = encode_event({"event_type": "intermediate", "samp_ix": 0, "step_ix": 0, "gen_id": "0" * 32,
                            "sigma": 1.0, "image": b"\xff\xd8\xff\xd9"}, sse=False)
    if mode == "endless_stream":
        await endless(response, preview, pause, gone)
        return
    heavy = encode_event({"event_type": "intermediate", "samp_ix": 0, "step_ix": 0, "gen_id": "0" * 32,
                          "sigma": 1.0, "image": bytes(stream_frame_size())}, sse=False)
    await endless(response, heavy, pause, gone, size)


STREAM_MODES = frozenset({"big_frame", "endless_stream", "huge_body", "zip_bomb", "zip_members"})
