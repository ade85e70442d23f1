"""NovelAI's generation metadata, read back from an image a person hands us.

NovelAI writes the parameters twice (``/work/shared/novelai-2026.md`` §4.7; docs/novelai-api.md §5.2):

- as PNG text chunks (``Title``, ``Description``, ``Software``, ``Source``, ``Generation time`` and the
  JSON ``Comment``), read with ``novelai.response.read_png_info`` within the upload's bounds;
- as the "stealth" copy in the alpha channel's least significant bits (META ``nai_meta.py``): read
  column by column (down each column, then the next), the magic ``stealth_pngcomp``, a 32-bit big-endian
  count of *bits*, then gzip'd JSON of the same text chunks. It survives sites that strip text chunks.

Text chunks win when both are there (they are what NovelAI's own reader shows first); the stealth copy
is read when the chunks are gone or carry no ``Comment``. Both are bounded: the hidden block to
``MAX_STEALTH_BYTES`` before a bit of it is gathered, its inflated JSON to ``MAX_METADATA_BYTES``. A
damaged hidden block is no metadata, not an error: the picture is still a picture.

``Source`` names the model by a label and a hash (LLK's ``PROMOTION`` table, V5's from BED PR #52);
``settings_from_metadata`` turns what was read into ``GenerationRequest`` keyword arguments to run the
same settings again.
"""

from __future__ import annotations

import json
import math
import zlib
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from novelai.errors import InvalidRequest, NovelAIError, TextChunkTooLarge
from novelai.image_input import (
    NOVELAI_TEXT_KEYS,
    check_size,
    corrupt,
    decode_pixels,
    open_header,
    sniff_format,
    text_too_large,
    upload_limits,
)
from novelai.models import family_of, resolve_model
from novelai.response import read_png_info

STEALTH_MAGIC = b"stealth_pngcomp"
_HEADER_BITS = (len(STEALTH_MAGIC) + 4) * 8
# The hidden gzip block (NovelAI's is a few KB) and the JSON it inflates to.
MAX_STEALTH_BYTES = 256 * 1024
MAX_METADATA_BYTES = 1024 * 1024
_LSB_AS_DIGIT = bytes(0x30 | (value & 1) for value in range(256))  # byte -> b"0" / b"1" by its lowest bit

# PNG ``Source`` hash -> model id: LLK's PROMOTION table (novelai-python ``_enum.py``) and, for V5,
# 0ADF9AB7 / DB276663 (BED PR #52, which does not say which V5 model each is: both read as V5 Full).
SOURCE_HASHES: dict[str, str] = {
    "1D44365E": "safe-diffusion", "F4D50568": "safe-diffusion",
    "81274D13": "nai-diffusion", "3B3287AF": "nai-diffusion",
    "4CC42576": "nai-diffusion-furry", "1D09C008": "nai-diffusion-furry", "1D09D794": "nai-diffusion-furry",
    "F64BA557": "nai-diffusion-furry",
    "49BFAF6A": "nai-diffusion-2", "F1022D28": "nai-diffusion-2",
    "B0BDF6C1": "nai-diffusion-3", "C1E1DE52": "nai-diffusion-3", "7BCCAA2C": "nai-diffusion-3",
    "1120E6A9": "nai-diffusion-3", "8BA2AF87": "nai-diffusion-3",
    "4BE8C60C": "nai-diffusion-furry-3", "C8704949": "nai-diffusion-furry-3", "37C2B166": "nai-diffusion-furry-3",
    "F306816B": "nai-diffusion-furry-3", "9CC2F394": "nai-diffusion-furry-3",
    "B9F340FD": "nai-diffusion-4-5-full", "F3D95188": "nai-diffusion-4-5-full",
    "5AB81C7C": "nai-diffusion-4-5-curated", "B5A2A797": "nai-diffusion-4-5-curated",
    "37442FCA": "nai-diffusion-4-full", "4F49EC75": "nai-diffusion-4-full", "CA4B7203": "nai-diffusion-4-full",
    "79F47848": "nai-diffusion-4-full", "F6302A9D": "nai-diffusion-4-full",
    "7ABFFA2A": "nai-diffusion-4-curated-preview", "C1CCBA86": "nai-diffusion-4-curated-preview",
    "770A9E12": "nai-diffusion-4-curated-preview",
    "0ADF9AB7": "nai-diffusion-5-full", "DB276663": "nai-diffusion-5-full",
}
# A hash we have not seen: the label's generation (LLK ``find_model_by_hashcode`` does the same).
SOURCE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("NovelAI Diffusion V5", "nai-diffusion-5-full"),
    ("NovelAI Diffusion V4.5", "nai-diffusion-4-5-full"),
    ("NovelAI Diffusion V4", "nai-diffusion-4-full"),
    ("Stable Diffusion XL", "nai-diffusion-3"),
)


@dataclass(frozen=True)
class MetadataCharacter:
    """One V4+ character as recorded: its prompt, its negative, and where it stood (None: AI's choice)."""

    prompt: str
    negative: str = ""
    center: tuple[float, float] | None = None


@dataclass(frozen=True)
class NovelAIMetadata:
    """What NovelAI recorded about an image: the text chunks, the parsed ``Comment`` and the model."""

    texts: dict[str, str]
    comment: dict[str, Any]
    from_stealth: bool
    width: int
    height: int
    model: str | None = field(default=None)

    @property
    def source(self) -> str | None:
        return self.texts.get("Source")

    def _text(self, key: str) -> str | None:
        value = self.comment.get(key)
        return value if isinstance(value, str) else None

    def _number(self, key: str) -> float | None:
        value = self.comment.get(key)
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) and \
            math.isfinite(value) else None

    @property
    def prompt(self) -> str:
        return self._text("prompt") or _caption(self.comment.get("v4_prompt")) or self.texts.get("Description", "")

    @property
    def negative(self) -> str:
        return self._text("uc") or _caption(self.comment.get("v4_negative_prompt")) or ""

    @property
    def steps(self) -> int | None:
        value = self._number("steps")
        return int(value) if value is not None and value == int(value) else None

    @property
    def scale(self) -> float | None:
        return self._number("scale")

    @property
    def cfg_rescale(self) -> float | None:
        return self._number("cfg_rescale")

    @property
    def sampler(self) -> str | None:
        return self._text("sampler")

    @property
    def noise_schedule(self) -> str | None:
        return self._text("noise_schedule")

    @property
    def seed(self) -> int | None:
        value = self.comment.get("seed")
        return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**32 else None

    @property
    def size(self) -> tuple[int, int]:
        """The generated size as recorded, else the image's own."""
        width, height = self.comment.get("width"), self.comment.get("height")
        if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
            return width, height
        return self.width, self.height

    @property
    def characters(self) -> tuple[MetadataCharacter, ...]:
        """The V4+ characters: prompts and centres from ``v4_prompt``, negatives from ``v4_negative_prompt``."""
        prompts = _char_captions(self.comment.get("v4_prompt"))
        negatives = _char_captions(self.comment.get("v4_negative_prompt"))
        characters = []
        for index, entry in enumerate(prompts):
            text = entry.get("char_caption")
            if not isinstance(text, str):
                continue
            negative = negatives[index].get("char_caption") if index < len(negatives) else ""
            characters.append(MetadataCharacter(text, negative if isinstance(negative, str) else "",
                                                _center(entry.get("centers"))))
        return tuple(characters)

    @property
    def uses_coords(self) -> bool:
        """Whether the characters were placed by hand (``use_coords``) rather than by the AI."""
        v4 = self.comment.get("v4_prompt")
        return isinstance(v4, dict) and v4.get("use_coords") is True


def _caption(v4: object) -> str | None:
    caption = v4.get("caption") if isinstance(v4, dict) else None
    base = caption.get("base_caption") if isinstance(caption, dict) else None
    return base if isinstance(base, str) else None


def _char_captions(v4: object) -> list[dict[str, Any]]:
    caption = v4.get("caption") if isinstance(v4, dict) else None
    entries = caption.get("char_captions") if isinstance(caption, dict) else None
    return [entry for entry in entries if isinstance(entry, dict)] if isinstance(entries, list) else []


def _center(centers: object) -> tuple[float, float] | None:
    if not isinstance(centers, list) or not centers or not isinstance(centers[0], dict):
        return None
    x, y = centers[0].get("x"), centers[0].get("y")
    if isinstance(x, int | float) and isinstance(y, int | float) and 0 <= x <= 1 and 0 <= y <= 1:
        return float(x), float(y)
    return None


def model_for_source(source: str | None) -> str | None:
    """The model id a PNG's ``Source`` names, by its hash (``SOURCE_HASHES``) or its label; None if unknown."""
    if not source:
        return None
    label, _, code = source.strip().rpartition(" ")
    if code.upper() in SOURCE_HASHES:
        return SOURCE_HASHES[code.upper()]
    return next((model for prefix, model in SOURCE_PREFIXES if label == prefix), None)


def _lsb_bytes(alpha: Image.Image, start_bit: int, count_bits: int) -> bytes:
    """``count_bits // 8`` bytes from the alpha LSBs, column-major from ``start_bit``: only the columns
    holding them are copied (transposed, so column order becomes byte order)."""
    height = alpha.height
    columns = math.ceil((start_bit + count_bits) / height)
    strip = alpha.crop((0, 0, columns, height)).transpose(Image.Transpose.TRANSPOSE).tobytes()
    digits = strip[start_bit:start_bit + count_bits].translate(_LSB_AS_DIGIT)
    return int(digits, 2).to_bytes(count_bits // 8, "big")


def _gunzip_bounded(data: bytes, limit: int) -> bytes | None:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        return None
    return None if len(out) > limit or inflater.unconsumed_tail else out


def read_stealth(image: Image.Image) -> dict[str, str] | None:
    """The text chunks hidden in an image's alpha LSBs, or None (no alpha, no magic, damaged, too big)."""
    if "A" not in image.getbands():
        return None
    alpha = image.getchannel("A")
    capacity = alpha.width * alpha.height
    if capacity < _HEADER_BITS:
        return None
    header = _lsb_bytes(alpha, 0, _HEADER_BITS)
    if not header.startswith(STEALTH_MAGIC):
        return None
    bits = int.from_bytes(header[len(STEALTH_MAGIC):], "big")
    if bits == 0 or bits % 8 or bits > MAX_STEALTH_BYTES * 8 or _HEADER_BITS + bits > capacity:
        return None
    raw = _gunzip_bounded(_lsb_bytes(alpha, _HEADER_BITS, bits), MAX_METADATA_BYTES)
    try:
        loaded = json.loads(raw) if raw is not None else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(loaded, dict):
        return None
    return {str(key): value if isinstance(value, str) else json.dumps(value)
            for key, value in loaded.items() if isinstance(value, str | dict | list | int | float)}


def _parsed_comment(texts: dict[str, str]) -> dict[str, Any] | None:
    try:
        comment = json.loads(texts.get("Comment", ""))
    except json.JSONDecodeError:
        return None
    return comment if isinstance(comment, dict) else None


def _text_chunks(data: bytes, max_bytes: int, max_pixels: int) -> dict[str, str]:
    try:
        _width, _height, texts = read_png_info(data, upload_limits(max_bytes, max_pixels))
    except TextChunkTooLarge as exc:
        raise text_too_large() from exc
    except NovelAIError as exc:  # no IHDR, a chunk cut short: a damaged file (sizes were checked before)
        raise corrupt("PNG") from exc
    return {key: value for key, value in texts.items() if key in NOVELAI_TEXT_KEYS}


def read_metadata(data: bytes, *, max_bytes: int, max_pixels: int) -> NovelAIMetadata | None:
    """NovelAI's metadata of an uploaded image (text chunks, else the stealth copy), or None.

    The upload is bounded and checked like ``read_input`` (``InvalidImage`` for a file we refuse);
    the pixels are decoded only when the text chunks do not have it (PNG/WebP with alpha)."""
    check_size(data, max_bytes)
    fmt = sniff_format(data)
    texts = _text_chunks(data, max_bytes, max_pixels) if fmt == "PNG" else {}
    comment = _parsed_comment(texts)
    image = open_header(data, fmt, max_pixels)  # the size, without decoding
    from_stealth = False
    if comment is None and fmt != "JPEG":
        hidden = read_stealth(decode_pixels(image, fmt))
        if hidden is not None and (comment := _parsed_comment(hidden)) is not None:
            texts, from_stealth = hidden, True
    if comment is None:
        return None
    return NovelAIMetadata(texts=texts, comment=comment, from_stealth=from_stealth, width=image.width,
                           height=image.height, model=model_for_source(texts.get("Source")))


def settings_from_metadata(meta: NovelAIMetadata) -> dict[str, Any]:
    """``GenerationRequest`` keyword arguments that run the recorded settings again.

    The recorded prompt and negative already hold the quality tags and the negative preset (the
    website adds them before sending, §4.5), so quality tags are off and the negative preset is the
    model's "None" (V3's adds only "lowres"). Values of the wrong type are left out (the defaults
    apply); ``GenerationRequest.resolved()`` still checks every value. The model is left out when the
    ``Source`` names none we support (a V1/V2 image, or no ``Source``)."""
    kwargs: dict[str, Any] = {"prompt": meta.prompt, "negative": meta.negative, "quality_tags": False}
    kwargs["width"], kwargs["height"] = meta.size
    for key, value in (("steps", meta.steps), ("scale", meta.scale), ("sampler", meta.sampler),
                       ("seed", meta.seed), ("noise_schedule", meta.noise_schedule),
                       ("cfg_rescale", meta.cfg_rescale)):
        if value is not None:
            kwargs[key] = value
    for key, flag in (("smea", "sm"), ("smea_dyn", "sm_dyn")):
        if meta.comment.get(flag) is True:
            kwargs[key] = True
    if isinstance(meta.comment.get("skip_cfg_above_sigma"), int | float):
        kwargs["variety"] = True
    if meta.characters:
        kwargs["characters"] = tuple(
            {"prompt": c.prompt, "negative": c.negative, "center": c.center if meta.uses_coords else None}
            for c in meta.characters)
    if meta.model is not None:
        try:
            family_of(meta.model)
            model = resolve_model(meta.model)
        except InvalidRequest:
            return kwargs
        kwargs["model"] = model.id
        names = [name for name, _text in model.uc_presets]
        if "None" in names:
            kwargs["uc_preset"] = names.index("None")
    return kwargs
