"""The stand-in's PNGs carry NovelAI's metadata as the real ones do: RGBA with the "stealth" copy in
the alpha channel's low bits, which the official reader finds, and the text chunks (§5.2, §10.3)."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from novelai_python.tool.image_metadata.lsb_extractor import ImageLsbDataExtractor
from PIL import Image

from sandbox.novelai import OPUS_EMAIL, NovelAISandbox
from tests.fixtures.nai_meta import read_stealth_metadata
from tests.fixtures.novelai_requests import bearer, unzip_pngs, v45_body

PROMPT = "1girl, smile, 猫"


@pytest_asyncio.fixture
async def png(novelai_sandbox: NovelAISandbox) -> AsyncIterator[bytes]:
    async with httpx.AsyncClient(base_url=novelai_sandbox.url, timeout=10) as http:
        response = await http.post("/ai/generate-image", json=v45_body(PROMPT, seed=77, steps=8),
                                   headers=bearer(novelai_sandbox.issue_token(OPUS_EMAIL)))
        yield unzip_pngs(response.content)[0]


async def test_the_official_reader_finds_the_stealth_metadata_in_a_generated_png(png: bytes) -> None:
    metadata = read_stealth_metadata(png)

    assert set(metadata) == {"Description", "Software", "Source", "Generation time", "Comment"}
    assert metadata["Software"] == "NovelAI" and metadata["Description"] == PROMPT
    assert metadata["Source"].startswith("NovelAI Diffusion V4.5")
    assert (metadata["Comment"]["prompt"], metadata["Comment"]["seed"]) == (PROMPT, 77)


async def test_the_installed_sdks_copy_of_the_official_reader_agrees(png: bytes) -> None:
    metadata, _fec = ImageLsbDataExtractor().extract_data(Image.open(io.BytesIO(png)))

    assert metadata == read_stealth_metadata(png)


async def test_the_png_is_rgba_and_keeps_the_text_chunks_equal_to_the_stealth_copy(png: bytes) -> None:
    image = Image.open(io.BytesIO(png))
    stealth = read_stealth_metadata(png)

    assert image.mode == "RGBA"
    assert image.info["Title"] == "AI generated image"
    assert json.loads(image.info["Comment"]) == stealth["Comment"]
    assert image.info["Source"] == stealth["Source"]
    alpha = set(image.getchannel("A").tobytes())
    assert alpha <= {0xFE, 0xFF}, "only the low bit of an opaque alpha carries data, as NovelAI's writer does"
