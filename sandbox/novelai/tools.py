"""The stand-in's calls that are not generations: ``/ai/upscale`` in both shapes, Director Tools
(``/ai/augment-image``) and ``/ai/encode-vibe`` (docs/novelai-2026.md §4.2, §4.4, §4.6).

Each ``*_call`` checks a body as NovelAI would, records the inputs it decoded, and returns a ``ToolCall``:
the price (``pricing``) and a function that renders the answer, run by the server only once the account's
lock is held and the price is affordable. Results are the input scaled as the call does, framed in
``image_inputs.marker_colour(input sha256, req_type)`` so a test can tell which input and which tool
produced them.

Upscale, the CONFLICT of §4.4: the image host takes ``{image, model}`` (+ ``declared_blur_sigma``) and
always doubles (NKDK findings §9, measured 2026-09); the legacy shape ``{image, width, height, scale}``
(LLK, AED, NEKO) now answers 404 on the api host and 400 on the image host. The stand-in serves both on
its one port, told apart by ``model``, so the client's fallback can be tested; ``image_host_refusal`` (the
control API's ``/_sandbox/upscale``) turns the image-host shape off.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw

import sandbox.novelai.pricing as pricing
import sandbox.novelai.vibes as vibes
from sandbox.novelai.accounts import SandboxAccount
from sandbox.novelai.image_inputs import DecodedInput, InputRecord, decode_image, marker_colour
from sandbox.novelai.state import Refusal
from sandbox.novelai.validation import MODEL_FAMILIES

TOOL_TYPES = ("bg-removal", "lineart", "sketch", "colorize", "emotion", "declutter", "declutter-keep-bubbles")
PROMPTED_TOOLS = frozenset({"colorize", "emotion"})
# The 24 moods of CARU ``constants/tools.py`` (NEKO ``EmotionOptions`` lists the same).
MOODS = frozenset({
    "neutral", "happy", "sad", "angry", "scared", "surprised", "tired", "excited", "nervous", "thinking",
    "confused", "shy", "disgusted", "smug", "bored", "laughing", "irritated", "aroused", "embarrassed",
    "worried", "love", "determined", "hurt", "playful",
})
MAX_DEFRY = 5
MAX_TOOL_PROMPT_CHARS = 2_000
MAX_TOOL_PIXELS = pricing.TOOL_MAX_PIXELS  # §4.6: input ≤ 3,145,728 px
BG_REMOVAL_IMAGES = ("masked", "generated", "blend")  # CARU: bg-removal answers three images
LEGACY_SCALES = frozenset({2, 4})
IMAGE_HOST_SCALE = 2
FRAME = 4


@dataclass
class ToolSwitches:
    """Behaviour of the tool endpoints a test changes at run time (control API ``/_sandbox/upscale``)."""

    # None: the image-host upscale shape ``{image, model}`` is served; a status (404, 400): it is refused so.
    upscale_image_host_refusal: int | None = None


@dataclass(frozen=True)
class ToolCall:
    """A checked call: what it costs (Anlas) and how to produce its answer: PNGs the server zips (``zipped``),
    or the one raw body of encode-vibe. Kept apart so a hostile answer (``Faults.hostile``) can replace them."""

    cost: int
    render: Callable[[], list[bytes]]
    zipped: bool = True


def framed(image: DecodedInput, scale: int, salt: str) -> bytes:
    """The input scaled by ``scale`` (nearest neighbour), framed in its marker colour, as a PNG."""
    picture = image.image.convert("RGB")
    if scale != 1:
        picture = picture.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    ImageDraw.Draw(picture).rectangle((0, 0, picture.width - 1, picture.height - 1),
                                      outline=marker_colour(image.sha256, salt), width=FRAME)
    out = io.BytesIO()
    picture.save(out, "PNG", compress_level=1)
    return out.getvalue()


def _size_field(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise Refusal(400, f"{name} must be a positive integer")
    return value


def _image_of(body: dict[str, Any], record: InputRecord, *, sized: bool) -> DecodedInput:
    image = decode_image(body.get("image"), "image")
    record.add(image.summary())
    if sized:
        width, height = _size_field(body, "width"), _size_field(body, "height")
        if (width, height) != (image.width, image.height):
            raise Refusal(400, f"width x height is {width}x{height} but the image is {image.width}x{image.height}")
    return image


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Refusal(400, "the request body must be a JSON object")
    return body


def upscale_call(body: Any, record: InputRecord, account: SandboxAccount, *, switches: ToolSwitches) -> ToolCall:
    """``/ai/upscale``: the image-host shape when ``model`` is given, else the legacy one."""
    body = _object(body)
    image_host = "model" in body
    refusal = switches.upscale_image_host_refusal
    if image_host and refusal is not None:
        raise Refusal(refusal, "Not Found" if refusal == 404 else "model doesn't exist")
    if image_host:
        if body["model"] not in MODEL_FAMILIES:
            raise Refusal(400, f"model {body['model']!r} doesn't exist")
        record.model = str(body["model"])
        scale = IMAGE_HOST_SCALE
    else:
        scale = body.get("scale")
        if scale not in LEGACY_SCALES:
            raise Refusal(400, "scale must be 2 or 4")
    image = _image_of(body, record, sized=not image_host)
    cost = pricing.upscale_price(image.width, image.height, image_host=image_host, tier=account.tier,
                                 active=account.active)
    if cost is None:
        limit = (pricing.UPSCALE_IMAGE_HOST if image_host else pricing.UPSCALE_LEGACY)[-1][0]
        raise Refusal(400, f"the image is {image.width}x{image.height}; upscale takes at most {limit} pixels")
    return ToolCall(cost, lambda: [framed(image, scale, "upscale")])


def _check_tool_text(body: dict[str, Any], req_type: str) -> None:
    """``prompt`` and ``defry`` only for colorize and emotion; emotion's prompt is ``"<mood>;;<extra>"``."""
    if req_type not in PROMPTED_TOOLS:
        if "prompt" in body or "defry" in body:
            raise Refusal(400, f"req_type {req_type!r} takes no prompt or defry")
        return
    prompt, defry = body.get("prompt", ""), body.get("defry", 0)
    if not isinstance(prompt, str) or len(prompt) > MAX_TOOL_PROMPT_CHARS:
        raise Refusal(400, f"prompt must be a string of at most {MAX_TOOL_PROMPT_CHARS} characters")
    if isinstance(defry, bool) or not isinstance(defry, int) or not 0 <= defry <= MAX_DEFRY:
        raise Refusal(400, f"defry must be an integer in 0..{MAX_DEFRY}")
    if req_type == "emotion":
        mood, separator, _ = prompt.partition(";;")
        if not separator or mood not in MOODS:
            raise Refusal(400, "emotion's prompt must be '<mood>;;<extra>' with one of the known moods")


def augment_call(body: Any, record: InputRecord, account: SandboxAccount) -> ToolCall:
    """``/ai/augment-image`` (Director Tools): a ZIP of one image, three for bg-removal."""
    body = _object(body)
    req_type = body.get("req_type")
    if req_type not in TOOL_TYPES:
        raise Refusal(400, f"unknown req_type {req_type!r}")
    record.action = req_type
    _check_tool_text(body, req_type)
    image = _image_of(body, record, sized=True)
    if image.width * image.height > MAX_TOOL_PIXELS:
        raise Refusal(400, f"the image is {image.width}x{image.height}; tools take at most {MAX_TOOL_PIXELS} "
                           "pixels")
    cost = pricing.tool_price(req_type, image.width, image.height, tier=account.tier, active=account.active)
    salts = [f"{req_type}:{name}" for name in BG_REMOVAL_IMAGES] if req_type == "bg-removal" else [req_type]
    return ToolCall(cost, lambda: [framed(image, 1, salt) for salt in salts])


def encode_vibe_call(body: Any, record: InputRecord, account: SandboxAccount) -> ToolCall:
    """``/ai/encode-vibe``: the raw encoding bytes (not a ZIP), 2 Anlas per call, also on Opus."""
    value, information, model = vibes.check_encode_request(body)
    record.model = model
    image = decode_image(value, "image")
    record.add(image.summary())
    return ToolCall(pricing.ENCODE_VIBE_PRICE, lambda: [vibes.encode(image.sha256, information, model)],
                    zipped=False)

