"""Reading NovelAI's metadata back from an image: the text chunks, the stealth copy in the alpha LSBs
(on the stand-in's PNGs and on one built here by hand), the bounds, ``Source`` -> model, and the
settings that run an image again."""

from __future__ import annotations

import gzip
import io
import json
import zlib
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from PIL import Image

from novelai.metadata import (
    MAX_METADATA_BYTES,
    MAX_STEALTH_BYTES,
    STEALTH_MAGIC,
    model_for_source,
    read_metadata,
    read_stealth,
    settings_from_metadata,
)
from novelai.models import MODELS
from novelai.request import GenerationRequest
from sandbox.novelai import NovelAISandbox
from tests.fixtures.metadata_images import CHARACTERS, PROMPT, generated, without_text
from tests.fixtures.png_files import encoded, with_chunk

LIMITS: dict[str, int] = {"max_bytes": 10 * 1024 * 1024, "max_pixels": 4_000_000}


@pytest_asyncio.fixture
async def png(novelai_sandbox: NovelAISandbox) -> AsyncIterator[bytes]:
    yield await generated(novelai_sandbox, seed=77, steps=8, width=512, height=768, scale=6.5)


def stealth_png(payload: bytes, width: int = 37, height: int = 23, *, magic: bytes = STEALTH_MAGIC,
                bits: int | None = None) -> bytes:
    """An RGBA PNG with ``payload`` hidden the way NovelAI's writer does, written here independently:
    magic, a 32-bit big-endian bit count, the payload; one bit per alpha LSB, down each column first."""
    data = magic + ((len(payload) * 8) if bits is None else bits).to_bytes(4, "big") + payload
    alpha = bytearray([0xFF]) * (width * height)
    for position in range(len(data) * 8):
        bit = (data[position // 8] >> (7 - position % 8)) & 1
        row, column = position % height, position // height
        alpha[row * width + column] = 0xFE | bit
    image = Image.new("RGB", (width, height), (40, 90, 200))
    image.putalpha(Image.frombytes("L", (width, height), bytes(alpha)))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def gz_json(value: object) -> bytes:
    return gzip.compress(json.dumps(value).encode())


async def test_text_chunks_of_a_generated_png_give_prompt_seed_model_and_settings(png: bytes) -> None:
    meta = read_metadata(png, **LIMITS)

    assert meta is not None and not meta.from_stealth
    assert (meta.prompt, meta.seed, meta.steps, meta.scale) == (PROMPT, 77, 8, 6.5)
    assert (meta.model, meta.size, meta.sampler, meta.negative) == (
        "nai-diffusion-4-5-full", (512, 768), "k_euler_ancestral", "lowres")


async def test_the_stealth_copy_is_read_when_the_text_chunks_were_stripped(png: bytes) -> None:
    stripped = without_text(png)
    assert "Comment" not in Image.open(io.BytesIO(stripped)).info

    meta = read_metadata(stripped, **LIMITS)

    assert meta is not None and meta.from_stealth
    assert (meta.prompt, meta.seed, meta.model) == (PROMPT, 77, "nai-diffusion-4-5-full")
    assert meta.comment == read_metadata(png, **LIMITS).comment  # type: ignore[union-attr]


async def test_an_image_without_alpha_or_text_has_no_metadata(png: bytes) -> None:
    assert read_metadata(without_text(png, "RGB"), **LIMITS) is None


def test_a_hand_built_stealth_png_is_read_column_by_column() -> None:
    texts = {"Software": "NovelAI", "Source": "NovelAI Diffusion V4 37442FCA",
             "Comment": json.dumps({"prompt": "a lighthouse", "seed": 5, "steps": 20, "width": 64, "height": 64})}

    meta = read_metadata(stealth_png(gz_json(texts), width=61, height=29), **LIMITS)

    assert meta is not None and meta.from_stealth
    assert (meta.prompt, meta.seed, meta.model, meta.texts["Software"]) == (
        "a lighthouse", 5, "nai-diffusion-4-full", "NovelAI")


def test_a_row_major_hidden_block_is_not_read() -> None:
    """The bits go down each column; the same bits along the rows are not NovelAI's layout."""
    image = Image.open(io.BytesIO(stealth_png(gz_json({"Comment": "{}"}), width=40, height=40)))
    transposed = image.transpose(Image.Transpose.TRANSPOSE)

    assert read_stealth(image) is not None
    assert read_stealth(transposed) is None


def test_a_hidden_block_claiming_more_than_the_bound_is_not_gathered() -> None:
    too_long = (MAX_STEALTH_BYTES + 1) * 8
    png = stealth_png(b"\x1f\x8b" + b"\x00" * 32, width=3000, height=1000, bits=too_long)

    assert read_stealth(Image.open(io.BytesIO(png))) is None


def test_a_hidden_gzip_bomb_is_inflated_no_further_than_the_bound() -> None:
    bomb = gzip.compress(b'{"Comment": "' + b"a" * (MAX_METADATA_BYTES + 10) + b'"}')
    png = stealth_png(bomb, width=200, height=200)

    assert read_stealth(Image.open(io.BytesIO(png))) is None


def test_a_hidden_block_of_broken_gzip_is_no_metadata() -> None:
    assert read_stealth(Image.open(io.BytesIO(stealth_png(b"not gzip at all", width=40, height=40)))) is None


@pytest.mark.parametrize(("source", "model"), [
    ("NovelAI Diffusion V4.5 B9F340FD", "nai-diffusion-4-5-full"),
    ("NovelAI Diffusion V4.5 5AB81C7C", "nai-diffusion-4-5-curated"),
    ("NovelAI Diffusion V4 7ABFFA2A", "nai-diffusion-4-curated-preview"),
    ("Stable Diffusion XL C1E1DE52", "nai-diffusion-3"),
    ("Stable Diffusion XL 9CC2F394", "nai-diffusion-furry-3"),
    ("NovelAI Diffusion V5 0ADF9AB7", "nai-diffusion-5-full"),
    ("NovelAI Diffusion V4.5 00000000", "nai-diffusion-4-5-full"),  # an unknown hash: the label's generation
    ("Stable Diffusion 81274D13", "nai-diffusion"),
    ("Some Other Software 1234", None),
    (None, None),
])
def test_source_names_the_model(source: str | None, model: str | None) -> None:
    assert model_for_source(source) == model


async def test_settings_from_metadata_rerun_the_same_settings(png: bytes) -> None:
    meta = read_metadata(png, **LIMITS)
    assert meta is not None

    request = GenerationRequest(**settings_from_metadata(meta)).resolved()

    assert (request.prompt, request.negative, request.seed, request.model) == (
        PROMPT, "lowres", 77, "nai-diffusion-4-5-full")
    assert (request.width, request.height, request.steps, request.scale) == (512, 768, 8, 6.5)
    assert request.quality_tags is False, "the recorded prompt already holds the quality tags"
    model_presets = [name for name, _ in MODELS[request.model].uc_presets]
    assert model_presets[request.uc_preset] == "None", "the recorded negative already holds the preset"


async def test_characters_and_their_places_come_back(novelai_sandbox: NovelAISandbox) -> None:
    v4_prompt = {"caption": {"base_caption": PROMPT, "char_captions": CHARACTERS}, "use_coords": True,
                 "use_order": True}
    v4_negative = {"caption": {"base_caption": "lowres", "char_captions": [
        {"char_caption": "bad hands", "centers": [{"x": 0.3, "y": 0.7}]},
        {"char_caption": "", "centers": [{"x": 0.7, "y": 0.5}]}]}, "legacy_uc": False}
    png = await generated(novelai_sandbox, seed=9, v4_prompt=v4_prompt, v4_negative_prompt=v4_negative)
    meta = read_metadata(png, **LIMITS)
    assert meta is not None

    request = GenerationRequest(**settings_from_metadata(meta)).resolved()

    assert [(c.prompt, c.negative, c.center) for c in request.characters] == [
        ("girl, red hair", "bad hands", (0.3, 0.7)), ("boy, glasses", "", (0.7, 0.5))]


def test_a_png_from_elsewhere_has_no_novelai_metadata() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (32, 32), (1, 2, 3, 255)).save(out, "PNG")
    assert read_metadata(out.getvalue(), **LIMITS) is None


def test_wrongly_typed_values_are_left_to_the_defaults() -> None:
    texts = {"Comment": json.dumps({"prompt": "a fox", "seed": "nine", "steps": 2.5, "scale": True,
                                    "sampler": 7, "width": -3})}
    meta = read_metadata(stealth_png(gz_json(texts), width=50, height=50), **LIMITS)
    assert meta is not None

    kwargs = settings_from_metadata(meta)

    assert kwargs["prompt"] == "a fox" and (kwargs["width"], kwargs["height"]) == (50, 50)
    assert not {"seed", "steps", "scale", "sampler", "model"} & set(kwargs)


def test_text_chunks_that_inflate_past_the_bound_are_refused() -> None:
    from novelai.images import InvalidImage

    bomb = with_chunk(encoded(Image.new("RGB", (32, 32))), b"zTXt",
                      b"Comment\x00\x00" + zlib.compress(b"a" * (50 * 1024 * 1024)))
    with pytest.raises(InvalidImage) as caught:
        read_metadata(bomb, **LIMITS)
    assert caught.value.code == "image_text_too_large"


def test_a_png_without_a_header_is_refused_as_damaged() -> None:
    from novelai.images import InvalidImage

    with pytest.raises(InvalidImage) as caught:
        read_metadata(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x04junk" + bytes(8), **LIMITS)
    assert caught.value.code == "image_corrupt"
