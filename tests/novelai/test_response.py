"""Decoding NovelAI responses: ZIP sniffing, PNG metadata, msgpack stream frames."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from collections.abc import AsyncIterator

import msgpack
import pytest
from PIL import Image, PngImagePlugin

from novelai.errors import ServerError, StreamTooLarge
from novelai.response import decode_images, iter_stream_events, read_png_info


def make_png(width: int, height: int, seed: int | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "NovelAI")
    if seed is not None:
        info.add_text("Comment", json.dumps({"seed": seed, "steps": 23}))
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (10, 20, 30, 255)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def make_zip(pngs: list[bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, png in enumerate(pngs):
            archive.writestr(f"image_{i}.png", png)
    return out.getvalue()


def test_zip_is_decoded_in_image_order_with_original_bytes() -> None:
    pngs = [make_png(64, 128, seed=100 + i) for i in range(3)]
    images = decode_images(make_zip(pngs), request_seed=100)
    assert [img.png for img in images] == pngs
    assert [(img.width, img.height) for img in images] == [(64, 128)] * 3
    assert [img.seed for img in images] == [100, 101, 102]
    assert images[0].metadata["Software"] == "NovelAI"


def test_image_numbering_beyond_nine_keeps_numeric_order() -> None:
    pngs = [make_png(64, 64, seed=i) for i in range(11)]
    images = decode_images(make_zip(pngs), request_seed=0)
    assert [img.seed for img in images] == list(range(11))


def test_seed_falls_back_to_request_seed_plus_index_without_metadata() -> None:
    images = decode_images(make_zip([make_png(64, 64), make_png(64, 64)]), request_seed=7)
    assert [img.seed for img in images] == [7, 8]


def test_bare_png_body_is_accepted() -> None:
    png = make_png(128, 64, seed=5)
    (image,) = decode_images(png, request_seed=5)
    assert (image.width, image.height, image.seed, image.png) == (128, 64, 5, png)


@pytest.mark.parametrize(
    "body",
    [b"<html>502 Bad Gateway</html>", b"PK\x03\x04truncated", make_zip([]), b""],
    ids=["html", "broken-zip", "empty-zip", "empty"],
)
def test_bodies_that_are_not_images_raise_server_error(body: bytes) -> None:
    with pytest.raises(ServerError):
        decode_images(body, request_seed=1)


def test_png_info_reads_size_and_text_without_decoding_pixels() -> None:
    width, height, texts = read_png_info(make_png(832, 1216, seed=3))
    assert (width, height) == (832, 1216)
    assert json.loads(texts["Comment"])["seed"] == 3


def frame(obj: dict) -> bytes:
    packed = msgpack.packb(obj, use_bin_type=True)
    return struct.pack(">I", len(packed)) + packed


async def chunks_of(data: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


@pytest.mark.parametrize("chunk_size", [1, 7, 4096])
async def test_stream_frames_are_reassembled_across_chunk_boundaries(chunk_size: int) -> None:
    final = make_png(64, 64, seed=9)
    data = b"".join([
        frame({"event_type": "intermediate", "samp_ix": 0, "step_ix": 0, "gen_id": "g", "sigma": 14.6,
               "image": b"\xff\xd8jpeg"}),
        frame({"event_type": "intermediate", "samp_ix": 0, "step_ix": 1, "gen_id": "g", "sigma": 9.1,
               "image": b"\xff\xd8jpeg2"}),
        frame({"event_type": "final", "samp_ix": 0, "gen_id": "g", "image": final}),
    ])
    events = [e async for e in iter_stream_events(chunks_of(data, chunk_size))]
    assert [(e.event_type, e.step_index) for e in events] == [("intermediate", 0), ("intermediate", 1),
                                                              ("final", None)]
    assert events[0].sigma == pytest.approx(14.6)
    assert events[-1].is_final and events[-1].image == final


async def test_stream_cut_in_the_middle_of_a_frame_raises() -> None:
    data = frame({"event_type": "final", "samp_ix": 0, "image": b"x" * 100})[:-10]
    with pytest.raises(ServerError, match="middle of a frame"):
        _ = [e async for e in iter_stream_events(chunks_of(data, 16))]


async def test_stream_frame_with_absurd_length_is_refused_from_its_header() -> None:
    with pytest.raises(StreamTooLarge, match="more than"):
        _ = [e async for e in iter_stream_events(chunks_of(struct.pack(">I", 2**31) + b"x", 64))]
