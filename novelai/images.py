"""Input images, prepared at submission exactly as the request will send them.

A job carries ``ImageRef``s, not bytes (``novelai.inputs``): the submit side reads an upload with
``read_input`` (bounded, upright, metadata gone; ``novelai.image_input``), prepares it here for its
use, stores the ``PreparedImage`` and queues its reference. So payload building does no image work,
and a retried job sends the very bytes that were priced and checked.

What each preparer makes, and why (sources: ``/work/shared/novelai-2026.md`` §4):

- ``prepare_img2img``: exactly width×height ("the server does not tolerate a mismatch", NKDK; LLK
  ``Params.resize_image``). Where the aspect differs we crop the middle to the target aspect before
  resizing, so nothing is stretched (LLK stretches; a stretched face is worse than a trimmed edge).
- ``prepare_mask``: the same crop and size as its image, greyscale, white = repaint. NovelAI works on
  the 1/8-size latent and the website sends the mask at 1/8 resolution (NKDK), so a cell of 8×8 pixels
  is repainted whole or not at all: we binarise at half grey and snap to that grid, and send it at
  width×height (which the stand-in and the real service take; the grid makes it equal to the 1/8 one).
- ``prepare_reference``: letterboxed on black into the family's bucket (NKDK, CARU ``crop_and_resize``):
  V4.5 1024×1536 (aspect < 0.8), 1536×1024 (> 1.25), else 1472×1472. V5 uses "one-megapixel buckets"
  (LLK-9) without naming them; we chose the website's normal sizes with the same thresholds:
  832×1216, 1216×832, 1024×1024 (``REFERENCE_BUCKETS``; the stand-in must agree).
- ``prepare_vibe``: V3 takes the raw image, letterboxed on black into 448×448 (LLK); V4/V4.5 take it as
  it is for ``/ai/encode-vibe``, shrunk to at most ``VIBE_MAX_PIXELS`` (the encoder works near 1 MP;
  more is upload for nothing). V5 has no vibe transfer (MOO, CARU, ST, NEKO-PR).
- ``prepare_tool_input``: the image as it is (Director Tools and upscale take the image's own size),
  shrunk to the tool's pixel limit (3,145,728 px for Director Tools, §4.6).

Transparency: no source says what the website does with an uploaded transparent image; the canvas it
draws img2img and tool inputs on is white, so those are flattened onto white. References and vibes are
padded on black (the sources' letterbox colour), so their transparent parts go black too. Masks are
flattened onto black: a transparent background is "keep", strokes are "repaint".
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass

from PIL import Image
from PIL.PngImagePlugin import PngInfo

from novelai.errors import InvalidRequest, Problem
from novelai.image_input import (
    ACCEPTED_FORMATS,
    IMAGE_CODES,
    NOVELAI_TEXT_KEYS,
    DecodedImage,
    InvalidImage,
    read_input,
    sniff_format,
)
from novelai.models import Family, family_of, resolve_model
from novelai.request import MAX_AREA, MAX_SIDE, MIN_SIDE, SIZE_STEP

__all__ = [
    "ACCEPTED_FORMATS", "IMAGE_CODES", "MASK_EMPTY", "NOVELAI_TEXT_KEYS", "REFERENCE_BUCKETS", "TOOL_MAX_PIXELS",
    "V3_VIBE_SIZE", "VIBE_MAX_PIXELS", "DecodedImage", "InvalidImage", "PreparedImage", "encode_png",
    "enhance_size", "prepare_img2img", "prepare_mask", "prepare_reference", "prepare_tool_input", "prepare_vibe",
    "read_input", "reference_bucket", "size_for_image", "sniff_format",
]

WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
# (portrait, landscape, square) per family; portrait below aspect 0.8, landscape above 1.25.
REFERENCE_BUCKETS: dict[Family, tuple[tuple[int, int], tuple[int, int], tuple[int, int]]] = {
    Family.V4_5: ((1024, 1536), (1536, 1024), (1472, 1472)),
    Family.V5: ((832, 1216), (1216, 832), (1024, 1024)),
}
PORTRAIT_BELOW, LANDSCAPE_ABOVE = 0.8, 1.25
V3_VIBE_SIZE = (448, 448)
VIBE_MAX_PIXELS = 1024 * 1024
# Director Tools take inputs up to 3,145,728 px (§4.6); the legacy upscale 1,048,576 (pass it).
TOOL_MAX_PIXELS = 3_145_728
# What an img2img at an upload's own aspect is sized to by default: 1 MP, the Opus-free size.
DEFAULT_INPUT_PIXELS = 1024 * 1024
MASK_GRID = 8
MASK_EMPTY = "mask_empty"
# zlib level of the PNGs we write: 4 is within a few per cent of 9's size at a fraction of its time.
PNG_COMPRESS_LEVEL = 4

Pixels = DecodedImage | Image.Image


@dataclass(frozen=True)
class PreparedImage:
    """A prepared input: the PNG to store and send, its SHA-256 (hex) and its size."""

    png: bytes
    sha256: str
    width: int
    height: int

    @classmethod
    def of(cls, image: Image.Image) -> PreparedImage:
        png = encode_png(image)
        return cls(png=png, sha256=hashlib.sha256(png).hexdigest(), width=image.width, height=image.height)


def encode_png(image: Image.Image, *, text: Mapping[str, str] | None = None) -> bytes:
    """A PNG of the pixels only (IHDR, IDAT, IEND), plus ``text`` chunks if given (NovelAI's, kept on
    purpose). ``image.info`` is not consulted, so no ICC/EXIF of a source rides along."""
    info = PngInfo()
    for key, value in (text or {}).items():
        if value.isascii():
            info.add_text(key, value)
        else:
            info.add_itxt(key, value)
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=PNG_COMPRESS_LEVEL, pnginfo=info, icc_profile=None, exif=b"")
    return out.getvalue()


def _pixels(img: Pixels) -> Image.Image:
    return img.image if isinstance(img, DecodedImage) else img


def flatten(image: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    """RGB: an RGBA image composited onto ``background``; any other mode converted."""
    if image.mode != "RGBA":
        return image if image.mode == "RGB" else image.convert("RGB")
    canvas = Image.new("RGB", image.size, background)
    canvas.paste(image, mask=image.getchannel("A"))
    return canvas


def _crop_box(width: int, height: int, target_w: int, target_h: int) -> tuple[float, float, float, float]:
    """The middle part of a width×height image that has the target's aspect."""
    if width * target_h > height * target_w:  # wider than the target: trim the sides
        kept = height * target_w / target_h
        return ((width - kept) / 2, 0.0, (width + kept) / 2, float(height))
    kept = width * target_h / target_w
    return (0.0, (height - kept) / 2, float(width), (height + kept) / 2)


def _cover(image: Image.Image, width: int, height: int, resample: Image.Resampling) -> Image.Image:
    """Exactly width×height: the middle crop at the target aspect, resized (one new image, no crop copy)."""
    box = _crop_box(image.width, image.height, width, height)
    if image.size == (width, height):
        return image.copy()
    return image.resize((width, height), resample, box=box, reducing_gap=3.0)


def _contain(image: Image.Image, width: int, height: int, background: tuple[int, int, int]) -> Image.Image:
    """The whole image scaled to fit inside width×height, centred on ``background`` (letterbox)."""
    scale = min(width / image.width, height / image.height)
    inner = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    canvas = Image.new("RGB", (width, height), background)
    fitted = image.resize(inner, Image.Resampling.LANCZOS, reducing_gap=3.0) if inner != image.size else image
    position = ((width - inner[0]) // 2, (height - inner[1]) // 2)
    canvas.paste(fitted, position, mask=fitted.getchannel("A") if fitted.mode == "RGBA" else None)
    return canvas


def _shrink_to(image: Image.Image, max_pixels: int) -> Image.Image:
    """The image as it is, or scaled down (aspect kept) to at most ``max_pixels``."""
    if image.width * image.height <= max_pixels:
        return image
    scale = math.sqrt(max_pixels / (image.width * image.height))
    size = (max(1, math.floor(image.width * scale)), max(1, math.floor(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def prepare_img2img(img: Pixels, width: int, height: int) -> PreparedImage:
    """The img2img/infill image: exactly width×height, RGB on white (see the module docstring)."""
    image = flatten(_pixels(img), WHITE)
    return PreparedImage.of(_cover(image, width, height, Image.Resampling.LANCZOS))


def prepare_mask(img: Pixels, width: int, height: int) -> PreparedImage:
    """The infill mask: greyscale 0/255 at width×height, white = repaint, snapped to 8×8 cells.

    Cropped like ``prepare_img2img`` so it lies on the same pixels. A mask with nothing to repaint
    is refused (``mask_empty``): NovelAI would charge for an image it then leaves as it was."""
    grey = flatten(_pixels(img), BLACK).convert("L")
    grey = _cover(grey, width, height, Image.Resampling.BILINEAR)
    binary = grey.point(lambda value: 255 if value >= 128 else 0)
    cells = binary.reduce(MASK_GRID)  # the mean of each 8×8 cell: any painted pixel makes it > 0
    cells = cells.point(lambda value: 255 if value > 0 else 0)
    if cells.getbbox() is None:
        raise InvalidImage(MASK_EMPTY, "the mask is empty; paint the part to redraw in white on black")
    return PreparedImage.of(cells.resize((width, height), Image.Resampling.NEAREST))


def _family(model_id: str) -> Family:
    """The family of a model id or alias (``v4.5``); an inpainting id counts as its base model's."""
    try:
        return resolve_model(model_id).family
    except InvalidRequest:
        return family_of(model_id)


def reference_bucket(model_id: str, width: int, height: int) -> tuple[int, int]:
    """The size a precise reference of this aspect is sent at for this model (``REFERENCE_BUCKETS``;
    families without references use V4.5's: the request's rules refuse them before anything is sent)."""
    buckets = REFERENCE_BUCKETS.get(_family(model_id), REFERENCE_BUCKETS[Family.V4_5])
    aspect = width / height
    if aspect < PORTRAIT_BELOW:
        return buckets[0]
    if aspect > LANDSCAPE_ABOVE:
        return buckets[1]
    return buckets[2]


def prepare_reference(img: Pixels, model_id: str) -> PreparedImage:
    """A precise reference: the whole image letterboxed on black into the family's bucket."""
    image = flatten(_pixels(img), BLACK)  # before resizing: Pillow resizes RGBA through a premultiplied copy
    width, height = reference_bucket(model_id, image.width, image.height)
    return PreparedImage.of(_contain(image, width, height, BLACK))


def prepare_vibe(img: Pixels, model_id: str) -> PreparedImage:
    """A vibe image: V3 448×448 letterboxed on black; V4/V4.5 as is within ``VIBE_MAX_PIXELS``, on black.

    V5 has no vibe transfer: ``InvalidRequest`` (code ``vibes_unsupported``)."""
    family = _family(model_id)
    if family is Family.V5:
        raise InvalidRequest(Problem("vibes", "vibe transfer does not exist on V5 models; use V4.5, or a "
                                              "precise reference instead", code="vibes_unsupported",
                                     params={"model": model_id}))
    image = flatten(_pixels(img), BLACK)
    if family is Family.V3:
        return PreparedImage.of(_contain(image, *V3_VIBE_SIZE, BLACK))
    return PreparedImage.of(_shrink_to(image, VIBE_MAX_PIXELS))


def prepare_tool_input(img: Pixels, *, max_pixels: int = TOOL_MAX_PIXELS) -> PreparedImage:
    """A Director Tools or upscale input: RGB on white at its own size, shrunk to ``max_pixels``."""
    return PreparedImage.of(_shrink_to(flatten(_pixels(img), WHITE), max_pixels))


def _round_step(value: float) -> int:
    """To the nearest multiple of 64 (half up, never below 64)."""
    return max(MIN_SIDE, math.floor(value / SIZE_STEP + 0.5) * SIZE_STEP)


def _fit_limits(width: int, height: int, max_pixels: int) -> tuple[int, int]:
    """Multiples of 64 no larger than ``max_pixels`` and MAX_SIDE, shrunk (aspect kept) when needed."""
    if width <= MAX_SIDE and height <= MAX_SIDE and width * height <= max_pixels:
        return width, height
    scale = min(MAX_SIDE / width, MAX_SIDE / height, math.sqrt(max_pixels / (width * height)))
    return (max(MIN_SIDE, math.floor(width * scale / SIZE_STEP) * SIZE_STEP),
            max(MIN_SIDE, math.floor(height * scale / SIZE_STEP) * SIZE_STEP))


def enhance_size(width: int, height: int, factor: float = 1.5) -> tuple[int, int]:
    """The size an enhance runs at: ``factor`` (1.5 or 1, the website's choices) times the image's,
    rounded to 64 (LLK ``playground/enhance.py``), shrunk into NovelAI's limits (MAX_SIDE, MAX_AREA)."""
    if not 1.0 <= factor <= 2.0:
        raise ValueError(f"an enhance factor is 1 to 2 (the website offers 1 and 1.5), not {factor}")
    return _fit_limits(_round_step(width * factor), _round_step(height * factor), MAX_AREA)


def size_for_image(width: int, height: int, max_pixels: int = DEFAULT_INPUT_PIXELS) -> tuple[int, int]:
    """A generation size with an image's aspect: at most ``max_pixels`` (1 MP, the Opus-free size, by
    default), sides multiples of 64 within NovelAI's limits. For an img2img of an upload at its own shape."""
    scale = math.sqrt(min(max_pixels, MAX_AREA) / (width * height))
    return _fit_limits(_round_step(width * scale), _round_step(height * scale), min(max_pixels, MAX_AREA))
