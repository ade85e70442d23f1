"""The rules a request with input images meets: img2img, inpainting, vibe transfer, precise reference.

Called from ``GenerationRequest.resolved()`` so a request NovelAI would refuse, or one that would be
billed for a picture that ignores what was asked, is refused before it is queued, every problem at
once. Sources: /work/shared/novelai-2026.md §4.1–§4.5, docs/novelai-api.md §13 ("Images in").

The images themselves were prepared at submission (``novelai.images``): resized to exactly
width×height for img2img, the mask at width×height, references letterboxed. So the size check here is a
check that the preparation matched the request, which NovelAI insists on ("the server does not tolerate
a mismatch", NKDK), not something a user can fix by hand.
"""

from __future__ import annotations

from novelai.errors import Problem
from novelai.inputs import MAX_REFERENCES, MAX_VIBES, ImageRef
from novelai.models import Family, ModelInfo

# img2img ``strength`` and ``noise`` (§4.1: 0.01–0.99 and 0–0.99); the website's defaults, LLK and CARU
# (NKDK reads 0.62 for strength; we take the two that agree).
MIN_STRENGTH, MAX_STRENGTH = 0.01, 0.99
MIN_NOISE, MAX_NOISE = 0.0, 0.99
DEFAULT_STRENGTH = 0.7
DEFAULT_NOISE = 0.0
# ``inpaintImg2ImgStrength`` (§4.5, NKDK: the mask strength, website default 0.85); 1 = repaint fully.
MIN_INPAINT_STRENGTH, MAX_INPAINT_STRENGTH = 0.01, 1.0
DEFAULT_INPAINT_STRENGTH = 0.85

# The inpainting model of each base model (§3.1, §4.5). Not always "<base>-inpainting": V4 curated's
# base is "-curated-preview" (LLK's Model enum). V5 curated: LLK-9, CARU and IDX-RT list
# "nai-diffusion-5-curated-inpainting"; MOO PR #637 points it at V4.5 curated's model. We send the V5 id,
# which the sources agree exists and which takes the V5 body we build (MOO's mix of a V5 body with a V4.5
# model is not described anywhere else).
INPAINTING_MODELS: dict[str, str] = {
    "nai-diffusion-3": "nai-diffusion-3-inpainting",
    "nai-diffusion-furry-3": "nai-diffusion-furry-3-inpainting",
    "nai-diffusion-4-full": "nai-diffusion-4-full-inpainting",
    "nai-diffusion-4-curated-preview": "nai-diffusion-4-curated-inpainting",
    "nai-diffusion-4-5-full": "nai-diffusion-4-5-full-inpainting",
    "nai-diffusion-4-5-curated": "nai-diffusion-4-5-curated-inpainting",
    "nai-diffusion-5-full": "nai-diffusion-5-full-inpainting",
    "nai-diffusion-5-curated": "nai-diffusion-5-curated-inpainting",
    "nai-diffusion-5-full-medium": "nai-diffusion-5-full-medium-inpainting",
}
# Vibe transfer (§4.2): V3 takes images, V4/V4.5 encodings; V5 none (MOO, CARU, ST, NEKO-PR).
VIBE_FAMILIES = (Family.V3, Family.V4, Family.V4_5)
ENCODED_VIBE_FAMILIES = (Family.V4, Family.V4_5)
# The inpainting models swap DDIM for Euler Ancestral (LLK); we refuse rather than change the sampler.
SAMPLERS_NOT_FOR_INFILL = ("ddim", "ddim_v3")


def inpainting_model(model: ModelInfo) -> str | None:
    """The ``-inpainting`` id to send for an infill on this model; None where none is known (an id newer
    than the table: refused, since guessing a model id costs a 400 or, worse, someone's Anlas)."""
    return INPAINTING_MODELS.get(model.id)


def takes_references(model: ModelInfo) -> bool:
    """Precise reference (§4.3): V4.5 full/curated and V5 full/curated; not V3, V4 or V5 Medium (LLK-9:
    "V5 Full Medium takes no references"; the website switches to High)."""
    if model.family is Family.V4_5:
        return True
    return model.family is Family.V5 and model.fixed is None


def image_settings(strength: float | None, noise: float | None, inpaint_strength: float | None, *,
                   has_image: bool, has_mask: bool) -> dict[str, float | None]:
    """The image settings as sent: the website's defaults filled in where an image (or a mask) needs them,
    None where there is no image (text to image sends none)."""
    if not has_image:
        return {"strength": strength, "noise": noise, "inpaint_strength": inpaint_strength}
    return {
        "strength": DEFAULT_STRENGTH if strength is None else strength,
        "noise": DEFAULT_NOISE if noise is None else noise,
        "inpaint_strength": (DEFAULT_INPAINT_STRENGTH if inpaint_strength is None else inpaint_strength)
        if has_mask else inpaint_strength,
    }


def image_problems(model: ModelInfo, *, width: int, height: int, sampler: str | None, smea: bool,
                   image: ImageRef | None, mask: ImageRef | None, strength: float | None, noise: float | None,
                   inpaint_strength: float | None, vibes: int, references: int) -> list[Problem]:
    """Everything wrong with a request's images and their settings (``vibes``, ``references``: how many)."""
    problems = _range_problems(strength, noise, inpaint_strength)
    problems += _without_image_problems(image, mask, strength, noise, inpaint_strength)
    for field, ref in (("image", image), ("mask", mask)):
        if ref is not None and (ref.width, ref.height) != (width, height):
            problems.append(Problem(
                field, f"the {field} is {ref.width}×{ref.height} but the request is {width}×{height}; "
                       "NovelAI needs them equal, so send the image again at this size",
                code="image_size_mismatch",
                params={"input": field, "image_width": ref.width, "image_height": ref.height,
                        "width": width, "height": height}))
    if image is not None and smea:
        problems.append(Problem("smea", "SMEA does not work with an input image; turn it off",
                                code="smea_with_image"))
    if mask is not None:
        problems += _infill_problems(model, sampler, references)
    problems += _vibe_problems(model, vibes, references) + _reference_problems(model, references)
    return problems


def _range(field: str, label: str, value: float | None, low: float, high: float, *, code: str) -> list[Problem]:
    if value is None or low <= value <= high:
        return []
    return [Problem(field, f"{label} must be between {low:g} and {high:g} (got {value:g})",
                    code=code, params={"min": low, "max": high, "value": value})]


def _range_problems(strength: float | None, noise: float | None, inpaint: float | None) -> list[Problem]:
    # Each code spelled out (code="..."): the chat's texts test finds every code in the source.
    return (_range("strength", "image strength", strength, MIN_STRENGTH, MAX_STRENGTH, code="strength_range")
            + _range("noise", "image noise", noise, MIN_NOISE, MAX_NOISE, code="noise_range")
            + _range("inpaint_strength", "inpaint strength", inpaint, MIN_INPAINT_STRENGTH, MAX_INPAINT_STRENGTH,
                     code="inpaint_strength_range"))


def _without_image_problems(image: ImageRef | None, mask: ImageRef | None, strength: float | None,
                            noise: float | None, inpaint: float | None) -> list[Problem]:
    """Settings that only mean something with an image (or a mask): refused rather than ignored."""
    problems = []
    if image is None:
        if mask is not None:
            problems.append(Problem("mask", "a mask needs the image it paints over; send the image too",
                                    code="mask_without_image"))
        for field, label, value in (("strength", "image strength", strength), ("noise", "image noise", noise)):
            if value is not None:
                problems.append(Problem(field, f"{label} only applies to an input image; send one or leave it out",
                                        code="setting_without_image", params={"setting": field}))
    if mask is None and inpaint is not None:
        problems.append(Problem("inpaint_strength", "inpaint strength only applies with a mask; send one or "
                                                    "leave it out",
                                code="inpaint_strength_without_mask"))
    return problems


def _infill_problems(model: ModelInfo, sampler: str | None, references: int) -> list[Problem]:
    problems = []
    if inpainting_model(model) is None:
        problems.append(Problem("mask", f"{model.label} has no inpainting model; choose another model to "
                                        "paint over part of an image",
                                code="infill_not_on_model", params={"model": model.label}))
    if sampler in SAMPLERS_NOT_FOR_INFILL:
        problems.append(Problem("sampler", f"the {sampler} sampler does not work for inpainting; use "
                                           "k_euler_ancestral",
                                code="sampler_not_for_infill", params={"sampler": sampler}))
    if references:
        # §4.3: precise reference works with inpainting "only where the model allows charRefInpainting";
        # which models do is not known, so it is refused (a refusal costs nothing, a failed job Anlas).
        problems.append(Problem("references", "precise references do not work with inpainting; leave "
                                              "them out or the mask",
                                code="references_with_mask"))
    return problems


def _vibe_problems(model: ModelInfo, vibes: int, references: int) -> list[Problem]:
    if not vibes:
        return []
    problems = []
    if model.family not in VIBE_FAMILIES:
        problems.append(Problem("vibes", f"{model.label} does not take vibes; use a V4.5 model, or a precise "
                                         "reference instead",
                                code="vibes_not_on_model", params={"model": model.label}))
    elif references:
        problems.append(Problem("vibes", "vibes and precise references cannot be used together (NovelAI "
                                         "refuses both at once); keep one kind",
                                code="vibes_with_references"))
    if vibes > MAX_VIBES:
        problems.append(Problem("vibes", f"at most {MAX_VIBES} vibes per request (got {vibes})",
                                code="too_many_vibes", params={"max": MAX_VIBES, "value": vibes}))
    return problems


def _reference_problems(model: ModelInfo, references: int) -> list[Problem]:
    if not references:
        return []
    problems = []
    if not takes_references(model):
        problems.append(Problem("references", f"{model.label} does not take precise references; use v4.5 or v5",
                                code="references_not_on_model", params={"model": model.label}))
    if references > MAX_REFERENCES:
        problems.append(Problem("references", f"at most {MAX_REFERENCES} precise references per request "
                                              f"(got {references})",
                                code="too_many_references", params={"max": MAX_REFERENCES, "value": references}))
    return problems
