"""Requests made from an image already there: the website's Enhance and Variations buttons.

Both are img2img of a picture with the settings it was made with (``source``: a request rebuilt from the
image's NovelAI metadata, ``novelai.metadata.settings_from_metadata``, or a default request at the image's
size when it carries none) and a new seed. The image itself was prepared at submission to the size the
derived request asks for (``novelai.images``); ``resolved()`` refuses a mismatch.

Values and sources (/work/shared/novelai-2026.md §4.1, docs/novelai-api.md §13):
- Enhance: the image at 1.5× (or 1×) its size, rounded to 64 (LLK ``playground/enhance.py``, KOI ``-e``;
  ``novelai.images.enhance_size``), strength 0.5 and noise 0 (the website's own request, LLK's record
  ``record/ai/generate_image/enhance``; LLK's playground uses 0.7/0.1 and KOI 0.2/0, we follow the record),
  one image (1.5× of the usual sizes allows no more, §7), and on V4.5 and newer
  ``-2::upscaled, blurry::`` after the first tag (LLK ``enhancePromptAdd``; we apply it to V5 too, which
  the website drives like V4.5).
- Variations: the same size and settings, a new seed, and the website's img2img defaults (strength 0.7,
  noise 0; LLK, CARU). The website's own Variations values were not found in any source, so these are our
  choice: a new picture of the same composition, as close as img2img's default keeps it.
"""

from __future__ import annotations

from novelai.errors import InvalidRequest
from novelai.image_rules import DEFAULT_NOISE, DEFAULT_STRENGTH
from novelai.images import enhance_size
from novelai.inputs import ImageRef
from novelai.models import Family, resolve_model
from novelai.request import GenerationRequest

ENHANCE_FACTORS = (1.0, 1.5)
ENHANCE_STRENGTH = 0.5
ENHANCE_NOISE = 0.0
ENHANCE_PROMPT_ADDITION = "-2::upscaled, blurry::"
_PROMPT_ADDITION_FAMILIES = (Family.V4_5, Family.V5)
VARIATION_STRENGTH = DEFAULT_STRENGTH
VARIATION_NOISE = DEFAULT_NOISE


def enhance_request(source: GenerationRequest, image: ImageRef, *, factor: float = 1.5) -> GenerationRequest:
    """An Enhance of ``image`` (prepared at ``enhance_size(source.width, source.height, factor)``): the
    source's settings at that size, one image, a new seed, the website's enhance strength and noise.

    ``factor`` is one of ``ENHANCE_FACTORS`` (ValueError otherwise: the choice is the caller's menu)."""
    if factor not in ENHANCE_FACTORS:
        raise ValueError(f"an enhance is 1× or 1.5× (got {factor})")
    width, height = enhance_size(source.width, source.height, factor)
    return _img2img(source, image, width=width, height=height, n_samples=1, strength=ENHANCE_STRENGTH,
                    noise=ENHANCE_NOISE, prompt=enhanced_prompt(source.prompt, source.model))


def variations_request(source: GenerationRequest, image: ImageRef) -> GenerationRequest:
    """Variations of ``image`` (prepared at the source's size): the same settings, a new seed."""
    return _img2img(source, image, width=source.width, height=source.height, n_samples=source.n_samples,
                    strength=VARIATION_STRENGTH, noise=VARIATION_NOISE, prompt=source.prompt)


def enhanced_prompt(prompt: str, model: str) -> str:
    """The prompt with the enhance addition after its first tag on V4.5 and newer; once only, so an
    enhance of an enhanced image does not stack it."""
    try:
        family = resolve_model(model).family
    except InvalidRequest:  # resolved() reports the model; the prompt stays as it was
        return prompt
    if family not in _PROMPT_ADDITION_FAMILIES or ENHANCE_PROMPT_ADDITION in prompt:
        return prompt
    first, _, rest = prompt.partition(",")
    return ", ".join(part for part in (first.strip(), ENHANCE_PROMPT_ADDITION, rest.strip()) if part)


def _img2img(source: GenerationRequest, image: ImageRef, *, width: int, height: int, n_samples: int,
             strength: float, noise: float, prompt: str) -> GenerationRequest:
    """The source as an img2img of ``image``: a new seed, no mask (an inpaint's mask belongs to it)."""
    return source.model_copy(update={
        "prompt": prompt, "width": width, "height": height, "n_samples": n_samples, "seed": None,
        "image": image, "strength": strength, "noise": noise, "mask": None, "inpaint_strength": None,
    })
