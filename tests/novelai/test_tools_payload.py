"""Bodies of /ai/upscale and /ai/augment-image (novelai.tool_calls), and reading their answers.

The goldens were generated once from the requests below and read field by field against §4.4/§4.6 of
/work/shared/novelai-2026.md (CARU's ``AugmentImageRequest``/``UpscaleImageRequest``, LLK's ``Upscale``).
Their ``image`` is the placeholder ``INPUT``: the test checks that field against the input's base64 first.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from novelai.errors import ArchiveTooLarge, ImageTooLarge, ServerError
from novelai.limits import DEFAULT_LIMITS
from novelai.tool_calls import answer_limits, augment_payload, decode_tool_images, upscale_payload
from novelai.tool_cost import UpscaleShape
from novelai.tools import TOOL_NAMES, ToolRequest, UpscaleRequest
from tests.novelai.tool_images import png_of, ref_of, zip_of

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
INPUT = png_of(832, 1216)
INPUT_REF = ref_of(INPUT, 832, 1216)
PLACEHOLDER = "INPUT"

UPSCALE_GOLDENS: dict[str, tuple[UpscaleRequest, UpscaleShape]] = {
    "upscale-image-host": (UpscaleRequest(image=INPUT_REF), "image-host"),
    "upscale-legacy": (UpscaleRequest(image=INPUT_REF), "legacy"),
    "upscale-legacy-4x": (UpscaleRequest(image=INPUT_REF, scale=4), "legacy"),
}
TOOL_GOLDENS: dict[str, ToolRequest] = {
    "tool-bg-removal": ToolRequest(tool="bg-removal", image=INPUT_REF),
    "tool-lineart": ToolRequest(tool="lineart", image=INPUT_REF),
    "tool-declutter-keep-bubbles": ToolRequest(tool="declutter-keep-bubbles", image=INPUT_REF),
    "tool-colorize": ToolRequest(tool="colorize", image=INPUT_REF, prompt="red hair, blue eyes", defry=2),
    "tool-emotion": ToolRequest(tool="emotion", image=INPUT_REF, emotion="happy", prompt="blush", defry=1),
    "tool-emotion-bare": ToolRequest(tool="emotion", image=INPUT_REF, emotion="neutral"),
}


def _against_golden(name: str, body: dict[str, Any]) -> None:
    assert base64.b64decode(body["image"]) == INPUT
    expected = json.loads((GOLDEN / f"{name}.json").read_text())
    actual = json.loads(json.dumps({**body, "image": PLACEHOLDER}))
    assert actual == expected
    assert list(actual) == list(expected)


@pytest.mark.parametrize("name", list(UPSCALE_GOLDENS))
def test_upscale_payload_matches_golden(name: str) -> None:
    req, shape = UPSCALE_GOLDENS[name]
    _against_golden(name, upscale_payload(req, INPUT, shape=shape))


@pytest.mark.parametrize("name", list(TOOL_GOLDENS))
def test_augment_payload_matches_golden(name: str) -> None:
    _against_golden(name, augment_payload(TOOL_GOLDENS[name], INPUT))


def test_every_tool_and_upscale_golden_has_a_request() -> None:
    names = {p.stem for p in GOLDEN.glob("*.json") if p.stem.startswith(("upscale-", "tool-"))}
    assert names == set(UPSCALE_GOLDENS) | set(TOOL_GOLDENS)


@pytest.mark.parametrize("tool", sorted(set(TOOL_NAMES) - {"colorize", "emotion"}))
def test_tools_without_a_prompt_send_neither_prompt_nor_defry(tool: str) -> None:
    assert set(augment_payload(ToolRequest(tool=tool, image=INPUT_REF), INPUT)) == {
        "req_type", "width", "height", "image"}


def test_payload_refuses_bytes_that_are_not_the_requests_image() -> None:
    other = png_of(832, 1216, (1, 2, 3))
    with pytest.raises(ValueError, match="not the input image"):
        upscale_payload(UpscaleRequest(image=INPUT_REF), other)


def test_payload_refuses_an_image_of_another_size_than_its_reference() -> None:
    wrong = INPUT_REF.model_copy(update={"width": 1216, "height": 832})
    with pytest.raises(ValueError, match="is not 1216×832"):
        augment_payload(ToolRequest(tool="sketch", image=wrong), INPUT)


def test_payload_refuses_an_input_that_is_not_a_png() -> None:
    jpeg = b"\xff\xd8\xff\xe0" + bytes(40)
    with pytest.raises(ValueError, match="not a prepared PNG"):
        augment_payload(ToolRequest(tool="sketch", image=ref_of(jpeg, 8, 8)), jpeg)


# -- answers -----------------------------------------------------------------------------------

SMALL = png_of(64, 64)


def test_answer_as_a_zip_gives_its_images_in_order() -> None:
    pngs = [png_of(64, 64, (i, i, i)) for i in range(3)]
    images = decode_tool_images(zip_of(*reversed(pngs), names=["image_2.png", "image_1.png", "image_0.png"]),
                                max_images=3, limits=DEFAULT_LIMITS)
    assert [image.png for image in images] == pngs
    assert [(image.index, image.width, image.height, image.seed) for image in images] == [
        (0, 64, 64, None), (1, 64, 64, None), (2, 64, 64, None)]


def test_answer_as_a_bare_png_is_one_image() -> None:
    [image] = decode_tool_images(SMALL, max_images=1, limits=DEFAULT_LIMITS)
    assert image.png == SMALL


def test_answer_neither_zip_nor_png_is_a_server_error() -> None:
    with pytest.raises(ServerError, match="neither a ZIP nor a PNG"):
        decode_tool_images(b"<html>bad gateway</html>", max_images=1, limits=DEFAULT_LIMITS)


def test_answer_with_more_images_than_the_call_makes_is_refused() -> None:
    with pytest.raises(ArchiveTooLarge, match="2 images where the call makes 1"):
        decode_tool_images(zip_of(SMALL, SMALL), max_images=1, limits=DEFAULT_LIMITS)


def test_answer_zip_bomb_is_refused_within_the_limits() -> None:
    body = zip_of(SMALL, *[b"\0" * 10] * (DEFAULT_LIMITS.max_zip_members + 1),
                  names=["image_0.png", *[f"junk{i}.bin" for i in range(DEFAULT_LIMITS.max_zip_members + 1)]])
    with pytest.raises(ArchiveTooLarge):
        decode_tool_images(body, max_images=1, limits=DEFAULT_LIMITS)


def test_upscaled_answer_may_be_as_large_as_asked_and_no_larger() -> None:
    big = png_of(2400, 2400)  # 5.76 MP: past the generation bound of 2048², inside a 2× of 1200×1200
    with pytest.raises(ImageTooLarge):
        decode_tool_images(big, max_images=1, limits=DEFAULT_LIMITS)
    [image] = decode_tool_images(big, max_images=1, limits=answer_limits(DEFAULT_LIMITS, 1200 * 1200 * 4))
    assert (image.width, image.height) == (2400, 2400)
    with pytest.raises(ImageTooLarge):
        decode_tool_images(big, max_images=1, limits=answer_limits(DEFAULT_LIMITS, 1000 * 1000 * 4))


def test_answer_limits_keep_the_whole_answer_bound() -> None:
    limits = answer_limits(DEFAULT_LIMITS, 4096 * 4096)
    assert limits.max_response_bytes == DEFAULT_LIMITS.max_response_bytes
    assert limits.max_image_bytes == DEFAULT_LIMITS.max_response_bytes
    assert limits.max_zip_members == DEFAULT_LIMITS.max_zip_members


def test_answer_limits_are_the_clients_for_outputs_within_them() -> None:
    assert answer_limits(DEFAULT_LIMITS, 2048 * 1536) is DEFAULT_LIMITS


def test_zip_members_that_are_not_pngs_are_not_images() -> None:
    with pytest.raises(ServerError, match="without images"):
        decode_tool_images(zip_of(b"GIF89a", names=["image_0.gif"]), max_images=1, limits=DEFAULT_LIMITS)


@pytest.mark.parametrize("name", ["tool-emotion", "tool-emotion-bare", "tool-colorize"])
def test_prompted_tool_body_is_llks(name: str) -> None:
    # LLK 0.7.12 builds the same body for the prompted tools (for the others it also sends defry 0, which
    # CARU leaves out and we follow CARU).
    from novelai_python.sdk.ai.augment_image import AugmentImageInfer, Moods, ReqType

    req = TOOL_GOLDENS[name]
    mood = Moods(req.emotion) if req.emotion else None
    oracle = AugmentImageInfer.build(INPUT, ReqType(req.tool), defry=req.defry, prompt=req.prompt, mood=mood)
    assert augment_payload(req, INPUT) == oracle.model_dump(mode="json", exclude_none=True)


def test_legacy_upscale_body_is_llks() -> None:
    from novelai_python.sdk.ai.upscale import Upscale

    oracle = Upscale(image=INPUT, scale=4).model_dump(mode="json", exclude_none=True)
    assert upscale_payload(UpscaleRequest(image=INPUT_REF, scale=4), INPUT, shape="legacy") == oracle
