"""The parts of a generation body that carry input images: img2img, infill, vibes, precise references.

``build_payload`` (``novelai.payload``) builds the text-to-image body and hands it here with the bytes of
the attempt (``ImageInputs``); this module sets the action and model id and adds the image fields, shaped
as /work/shared/novelai-2026.md §4.1–§4.5 describes the website's requests (docs/novelai-api.md §13).
No image processing happens here: the images were prepared at submission (``novelai.images``), so the
bytes go out base64-encoded as they are.

Choices between sources, each also in docs/novelai-api.md §13:
- ``extra_noise_seed`` = seed (LLK) rather than seed − 1 (NKDK): the seed is what the user can reproduce.
- ``color_correct`` true, and on V4.5/V5 the ``img2img`` object ``{strength, color_correct}`` (CARU, NKDK);
  on an infill its strength is the mask strength, as two clients of the website's body send it.
- Vibe strengths go out as given with ``normalize_reference_strength_multiple`` false: the server ignores
  the flag and the website divides client-side when it is set (MOO), so false says what was done.
- ``reference_information_extracted_multiple`` is sent on V4/V4.5 too (NKDK), though the value is also
  baked into the encoding (MOO and NEKO leave it out); the server accepts both.
- infill sends ``inpaintImg2ImgStrength`` on every family (the mask strength, also the price factor) and
  the website's ``image_cache_secret_key``/``mask_cache_secret_key`` (the images' SHA-256, NKDK).
"""

from __future__ import annotations

import base64
from typing import Any

from novelai.image_rules import ENCODED_VIBE_FAMILIES, inpainting_model
from novelai.inputs import ImageInputs, VibeKey
from novelai.models import Family, ModelInfo, family_of
from novelai.request import GenerationRequest

# Families whose website img2img/infill requests carry the ``img2img`` object (§4.1, §4.5).
_IMG2IMG_OBJECT_FAMILIES = (Family.V4_5, Family.V5)
# ``director_reference_information_extracted``: the website always sends 1 (§4.3).
REFERENCE_INFORMATION_EXTRACTED = 1.0


def b64(data: bytes) -> str:
    """Base64 without a ``data:`` prefix, as NovelAI takes images and encodings."""
    return base64.b64encode(data).decode("ascii")


def needs_inputs(req: GenerationRequest) -> bool:
    """Whether the request's body carries image bytes (anything but plain text to image)."""
    return req.image is not None or bool(req.vibes) or bool(req.references)


def action_and_model(req: GenerationRequest, model: ModelInfo) -> tuple[str, str]:
    """The body's ``action`` and ``model``: infill goes to the model's inpainting id (§4.5), img2img to the
    base id (§4.1)."""
    if req.mask is not None:
        inpainting = inpainting_model(model)
        if inpainting is None:  # resolved() refuses this; a hand-made request must not reach NovelAI
            raise ValueError(f"{model.id} has no inpainting model")
        return "infill", inpainting
    if req.image is not None:
        return "img2img", model.id
    return "generate", model.id


def vibe_keys(req: GenerationRequest) -> list[VibeKey]:
    """The encodings a resolved request needs from ``/ai/encode-vibe``, in vibe order, each once.

    None on V3, which takes the vibe images themselves (§4.2). The key holds the base model id, also for
    infill: the encoding belongs to the model family, and the website encodes with the model picked.
    """
    if not req.vibes or family_of(req.model) not in ENCODED_VIBE_FAMILIES:
        return []
    return list(dict.fromkeys(VibeKey(v.image.sha256, v.information_extracted, req.model) for v in req.vibes))


def add_image_fields(body: dict[str, Any], req: GenerationRequest, model: ModelInfo,
                     inputs: ImageInputs | None) -> None:
    """Turn a text-to-image ``body`` of a resolved request into its img2img/infill/vibe/reference body.

    Raises ValueError when the request names an image whose bytes ``inputs`` lacks."""
    if not needs_inputs(req):
        return
    if inputs is None:
        raise ValueError("this request takes input images; pass inputs= with their bytes")
    body["action"], body["model"] = action_and_model(req, model)
    parameters: dict[str, Any] = body["parameters"]
    if req.image is not None:
        parameters |= _img2img_fields(req, model, inputs)
    if req.vibes:
        parameters |= _vibe_fields(req, model, inputs)
    if req.references:
        parameters |= _reference_fields(req, inputs)


def _img2img_fields(req: GenerationRequest, model: ModelInfo, inputs: ImageInputs) -> dict[str, Any]:
    assert req.image is not None
    fields: dict[str, Any] = {
        "image": b64(inputs.image(req.image)),
        "strength": req.strength,
        "noise": req.noise,
        "extra_noise_seed": req.seed,
        "color_correct": True,
    }
    if model.family in _IMG2IMG_OBJECT_FAMILIES:
        # On an infill the object carries the mask strength (a Dart client's tests of the website's body:
        # ``img2img: {strength: inpaintImg2ImgStrength}``; another client's notes agree), else the strength.
        strength = req.inpaint_strength if req.mask is not None else req.strength
        fields["img2img"] = {"strength": strength, "color_correct": True}
    if req.mask is not None:
        fields |= {
            "mask": b64(inputs.image(req.mask)),
            "add_original_image": req.add_original_image,
            "inpaintImg2ImgStrength": req.inpaint_strength,
            "image_cache_secret_key": req.image.sha256,
            "mask_cache_secret_key": req.mask.sha256,
        }
    return fields


def _vibe_fields(req: GenerationRequest, model: ModelInfo, inputs: ImageInputs) -> dict[str, Any]:
    """V3: the (448×448-prepared) images; V4/V4.5: their encodings (§4.2)."""
    if model.family in ENCODED_VIBE_FAMILIES:
        data = [inputs.encoding(VibeKey(v.image.sha256, v.information_extracted, model.id)) for v in req.vibes]
    else:
        data = [inputs.image(v.image) for v in req.vibes]
    return {
        "normalize_reference_strength_multiple": False,
        "reference_image_multiple": [b64(item) for item in data],
        "reference_information_extracted_multiple": [v.information_extracted for v in req.vibes],
        "reference_strength_multiple": [v.strength for v in req.vibes],
    }


def _reference_fields(req: GenerationRequest, inputs: ImageInputs) -> dict[str, Any]:
    """``director_reference_*`` (§4.3); ``fidelity`` goes out as the secondary strength ``1 − fidelity``."""
    refs = req.references
    return {
        "director_reference_images": [b64(inputs.image(r.image)) for r in refs],
        "director_reference_descriptions": [
            {"caption": {"base_caption": r.kind, "char_captions": []}, "legacy_uc": False} for r in refs],
        "director_reference_information_extracted": [REFERENCE_INFORMATION_EXTRACTED for _ in refs],
        "director_reference_strength_values": [r.strength for r in refs],
        "director_reference_secondary_strength_values": [round(1.0 - r.fidelity, 6) for r in refs],
    }
