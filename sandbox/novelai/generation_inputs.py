"""The image inputs of a generation, checked as NovelAI checks them (docs/novelai-2026.md §4.1–4.5):
img2img, infill, vibe transfer and precise reference (``director_reference_*``).

``validation.validate_generation`` checks the body's shape without decoding anything; this module decodes
the images a request's action uses, refuses what NovelAI refuses with the status it answers, and returns
what pricing and rendering need. Statuses: 400 where the sources say "refused" without a code; 500 where
the real service is seen failing (a raw image or a foreign encoding as a V4 vibe: MOO; vibes on V5: NKDK
``docs/v5-investigation/findings.md`` §12, a live probe of 2026-09-24).

Precise reference on V5: NKDK's probe of 2026-09-24 saw a 400, LLK-9 (0.9.3, late 2026) says V5 full and
curated take references; the plan follows LLK-9, the newer source. V5 buckets: the sources only say "one-
megapixel buckets" (LLK-9); the stand-in takes NovelAI's three one-megapixel sizes (832×1216, 1216×832,
1024×1024) with V4.5's aspect thresholds, and tells the helpers who prepare references to match it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import sandbox.novelai.vibes as vibes
from sandbox.novelai.image_inputs import DecodedInput, InputRecord, decode_base64, decode_image, require_size
from sandbox.novelai.state import Refusal
from sandbox.novelai.validation import MAX_SEED, Generation

# NKDK's 10 (the website); LLK allows 16.
MAX_VIBES = 10
REFERENCE_BUCKETS: dict[str, frozenset[tuple[int, int]]] = {
    "v4.5": frozenset({(1024, 1536), (1536, 1024), (1472, 1472)}),  # NKDK, CARU crop_and_resize
    "v5": frozenset({(832, 1216), (1216, 832), (1024, 1024)}),  # LLK-9 "one-megapixel buckets" (see above)
}
# V4.5 reference strength 0..1 (the website's slider); V5 "strength up to 5" (LLK-9).
MAX_REFERENCE_STRENGTH = {"v4.5": 1.0, "v5": 5.0}
REFERENCE_KINDS = frozenset({"character", "style", "character&style"})
REFERENCE_LISTS = ("director_reference_descriptions", "director_reference_strength_values",
                   "director_reference_secondary_strength_values", "director_reference_information_extracted")
# NKDK function ``re``: an inpainting request below 0.8 MP is priced as if scaled up to 1 MP, snapped to 64.
INPAINT_PRICE_PIXELS = 1_048_576
INPAINT_PRICE_GRID = 64
DEFAULT_STRENGTH = 0.7  # the website's img2img default (LLK, CARU; NKDK's V5 capture)
MASK_SCALE = 8  # the website sends the mask at 1/8 of the image (NKDK); a full-size mask works too (NKDK probe)


@dataclass(frozen=True)
class GenerationInputs:
    """What a generation's inputs change: the sha256s the result derives from (the primary input first),
    the price multiplier (img2img ``strength``, infill ``inpaintImg2ImgStrength``), the size the price is
    computed at, and the encoded vibes and references that add to it."""

    shas: tuple[str, ...] = ()
    strength: float = 1.0
    price_width: int = 0
    price_height: int = 0
    encoded_vibes: int = 0
    references: int = 0


def _in_range(value: Any, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise Refusal(400, f"parameters.{name} must be a number in {low}..{high}")
    return float(value)


def _number(params: dict[str, Any], name: str, default: float, low: float, high: float) -> float:
    return _in_range(params.get(name, default), name, low, high)


def _flag(params: dict[str, Any], name: str) -> None:
    if name in params and not isinstance(params[name], bool):
        raise Refusal(400, f"parameters.{name} must be true or false")


def _list(params: dict[str, Any], name: str) -> list[Any]:
    value = params.get(name, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise Refusal(400, f"parameters.{name} must be a list")
    return value


def _check_img2img_fields(params: dict[str, Any]) -> float:
    """``strength``, ``noise``, ``extra_noise_seed``, ``color_correct`` and the V4.5+ ``img2img`` object
    (``{strength, color_correct}``: CARU, NKDK; documented as ``Img2ImgParams`` in NovelAI's doc.json)."""
    strength = _number(params, "strength", DEFAULT_STRENGTH, 0.01, 0.99)
    _number(params, "noise", 0.0, 0.0, 0.99)
    seed = params.get("extra_noise_seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise Refusal(400, f"parameters.extra_noise_seed must be an integer in 0..{MAX_SEED}")
    _flag(params, "color_correct")
    nested = params.get("img2img")
    if nested is not None:
        if not isinstance(nested, dict):
            raise Refusal(400, "parameters.img2img must be an object")
        _in_range(nested.get("strength", strength), "img2img.strength", 0.01, 0.99)
        _flag({"img2img.color_correct": nested.get("color_correct", False)}, "img2img.color_correct")
    return strength


def inpaint_price_size(width: int, height: int) -> tuple[int, int]:
    """NKDK ``re``: the size an infill is priced at (the website's mask is 1/8 of the image, so 8 × the mask
    is the image's size; the stand-in uses the request's size, which is the same for either mask)."""
    pixels = width * height
    if pixels >= 0.8 * INPAINT_PRICE_PIXELS:
        return width, height
    scale = math.sqrt(INPAINT_PRICE_PIXELS / pixels)
    grid = INPAINT_PRICE_GRID
    return math.floor(width * scale) // grid * grid, math.floor(height * scale) // grid * grid


def denoised_steps(generation: Generation) -> int:
    """The steps an img2img runs, and so the previews it streams: ``steps × strength`` (NKDK findings §2: 23
    steps at 0.7 gave 16 intermediate frames); every step of any other action."""
    if generation.action != "img2img":
        return generation.steps
    return max(1, int(generation.steps * float(generation.parameters.get("strength", DEFAULT_STRENGTH))))


def _source_image(generation: Generation, record: InputRecord) -> DecodedInput:
    image = decode_image(generation.parameters.get("image"), "parameters.image")
    record.add(image.summary())
    require_size(image, generation.width, generation.height, "width x height")
    return image


def _mask(generation: Generation, record: InputRecord) -> DecodedInput:
    if not generation.parameters.get("mask"):
        raise Refusal(400, "action 'infill' needs parameters.mask")
    mask = decode_image(generation.parameters["mask"], "parameters.mask")
    record.add(mask.summary())
    full, eighth = (generation.width, generation.height), (generation.width // MASK_SCALE,
                                                           generation.height // MASK_SCALE)
    if (mask.width, mask.height) not in (full, eighth):
        raise Refusal(400, f"parameters.mask is {mask.width}x{mask.height}; it must be {full[0]}x{full[1]} "
                           f"or {eighth[0]}x{eighth[1]}")
    return mask


def _vibes(generation: Generation, record: InputRecord, *, with_references: bool) -> tuple[list[str], int]:
    """The vibes' source sha256s, and how many encoded vibes the request carries."""
    params, family = generation.parameters, generation.family
    images = _list(params, "reference_image_multiple")
    if not images:
        return [], 0
    if family == "v5":
        raise Refusal(500, "Internal Server Error")  # NKDK findings §12: V5 + a V4.5 encoding → 500
    if family not in ("v3", *vibes.ENCODED_VIBE_FAMILIES):
        raise Refusal(400, f"model {generation.model!r} does not support vibe transfer")
    if with_references:
        raise Refusal(400, "vibe transfer and director references cannot be used together")
    if len(images) > MAX_VIBES:
        raise Refusal(400, f"at most {MAX_VIBES} vibes may be sent")
    strengths = _list(params, "reference_strength_multiple")
    if len(strengths) != len(images):
        raise Refusal(400, "reference_strength_multiple must have one strength per reference image")
    information = _list(params, "reference_information_extracted_multiple")
    if information and len(information) != len(images):
        raise Refusal(400, "reference_information_extracted_multiple must have one value per reference image")
    for value in [*strengths, *information]:
        _in_range(value, "reference_*_multiple[]", 0.0, 1.0)
    shas = []
    for index, value in enumerate(images):
        name = f"parameters.reference_image_multiple[{index}]"
        if family == "v3":
            image = decode_image(value, name)
            record.add(image.summary())
            shas.append(image.sha256)
        else:
            encoding = vibes.read_for(decode_base64(value, name, status=500), generation.model, name)
            record.add(encoding.summary(name))
            shas.append(encoding.image_sha256)
    return shas, 0 if family == "v3" else len(images)


def _references(generation: Generation, record: InputRecord) -> list[str]:
    params, family, model = generation.parameters, generation.family, generation.model
    images = _list(params, "director_reference_images")
    if not images:
        return []
    if family not in REFERENCE_BUCKETS or "medium" in model:
        raise Refusal(400, f"model {model!r} does not support director references")
    lists = {name: _list(params, name) for name in REFERENCE_LISTS}
    for name, values in lists.items():
        if len(values) != len(images) and (values or name in REFERENCE_LISTS[:2]):
            raise Refusal(400, f"parameters.{name} must have one entry per director reference image")
    for description in lists["director_reference_descriptions"]:
        caption = description.get("caption") if isinstance(description, dict) else None
        if not isinstance(caption, dict) or caption.get("base_caption") not in REFERENCE_KINDS:
            raise Refusal(400, f"director_reference_descriptions: base_caption must be one of "
                               f"{sorted(REFERENCE_KINDS)}")
    for value in lists["director_reference_strength_values"]:
        _in_range(value, "director_reference_strength_values[]", 0.0, MAX_REFERENCE_STRENGTH[family])
    for name in REFERENCE_LISTS[2:]:
        for value in lists[name]:
            _in_range(value, f"{name}[]", 0.0, 1.0)
    buckets = REFERENCE_BUCKETS[family]
    shas = []
    for index, value in enumerate(images):
        image = decode_image(value, f"parameters.director_reference_images[{index}]")
        record.add(image.summary())
        if (image.width, image.height) not in buckets:
            sizes = ", ".join(f"{w}x{h}" for w, h in sorted(buckets))
            raise Refusal(400, f"{image.name} is {image.width}x{image.height}; a {family} reference must be "
                               f"letterboxed to one of {sizes}")
        shas.append(image.sha256)
    return shas


def check_generation_inputs(generation: Generation, record: InputRecord) -> GenerationInputs:
    """Decode and check every image the request's action uses; ``record`` receives each one as it is read,
    so even a refused request shows what it carried."""
    params = generation.parameters
    shas: list[str] = []
    strength = 1.0
    price_size = (generation.width, generation.height)
    if generation.action in ("img2img", "infill"):
        shas.append(_source_image(generation, record).sha256)
        strength = _check_img2img_fields(params)
    if generation.action == "infill":
        shas.append(_mask(generation, record).sha256)
        strength = _number(params, "inpaintImg2ImgStrength", 1.0, 0.01, 1.0)
        _flag(params, "add_original_image")
        price_size = inpaint_price_size(generation.width, generation.height)
    reference_shas = _references(generation, record)
    vibe_shas, encoded = _vibes(generation, record, with_references=bool(reference_shas))
    if generation.action == "infill":
        encoded = 0  # vibes are not charged with a mask (NKDK §3.1, CARU)
    return GenerationInputs(shas=(*shas, *vibe_shas, *reference_shas), strength=strength,
                            price_width=price_size[0], price_height=price_size[1], encoded_vibes=encoded,
                            references=len(reference_shas))
