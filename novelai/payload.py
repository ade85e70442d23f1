"""The JSON body of ``POST /ai/generate-image`` (and ``-stream``), shaped like the website's own.

We copy the website rather than send a minimal body because NovelAI documents nothing: the
recorded website requests (docs/novelai-api.md §4, LLK ``record/.../text2image_v4.json``) are the
only shape known to work. The server adds neither quality tags nor the UC preset (§4.5), so the
texts are composed here; ``qualityToggle`` and ``ucPreset`` are sent as metadata only.

V5 bodies (docs/novelai-api.md §9.2, "Request rules per model (issue 15)") keep the V4.5 shape with
the website's V5 changes: ``params_version`` 4, the presets as ``ucPresetId``/``qualityPresetId``
strings with their ``tag_hint_qt``/``tag_hint_uc_preset`` numbers instead of ``ucPreset``/
``qualityToggle``, ``straight_alpha`` and ``tag_hint_transparent_background``, no
``skip_cfg_above_sigma`` (no Variety+), ``legacy_uc`` also inside ``v4_prompt``, and never ``sm``.
"""

from __future__ import annotations

import math
import re
from typing import Any

from novelai.characters import CharacterPrompt
from novelai.image_payload import add_image_fields
from novelai.inputs import ImageInputs
from novelai.models import Family, ModelInfo, resolve_model
from novelai.presets import TAG_HINT_IDS
from novelai.request import GenerationRequest

# V4.5 and older; V5 sends ModelInfo.params_version (4).
PARAMS_VERSION = 3
STREAM_FORMAT = "msgpack"
# Variety+ (skip_cfg_above_sigma) base values per family (AED; LLK `cfgDelaySigma`), defined at
# the website's default 832×1216 and scaled with the image's side length as LLK does.
VARIETY_SIGMA: dict[Family, int] = {Family.V3: 19, Family.V4: 19, Family.V4_5: 58, Family.V5: 58}
VARIETY_REFERENCE_AREA = 832 * 1216
# Families whose website requests carry inpaintImg2ImgStrength (§4.3: "V4.5").
_IMG2IMG_STRENGTH_FAMILIES = (Family.V4_5, Family.V5)
# §4.4 UNCERTAIN: with use_coords false the website sent (0, 0) in 2025-05 records, CAP saw
# (0.5, 0.5) and KOI documents (0.5, 0.5) as "let the AI choose". Both are accepted; we send the
# center, which is also a sane position should the server ever honour it.
UNPLACED_CENTER = (0.5, 0.5)
_NSFW = re.compile(r"\bnsfw\b", re.IGNORECASE)


def build_payload(req: GenerationRequest, *, stream: bool = False,
                  inputs: ImageInputs | None = None) -> dict[str, Any]:
    """The request body for a *resolved* request; ``stream`` adds the msgpack stream switch.

    ``inputs`` holds the bytes of the request's input images and vibe encodings for this attempt
    (``novelai.image_payload`` adds them, with the img2img/infill action); a request that names images
    without them raises ValueError.

    Raises ValueError for an unresolved request rather than resolving it here: resolving draws a
    random seed, and a seed nobody recorded would make the image impossible to reproduce.
    An invalid request raises InvalidRequest, exactly as ``req.resolved()`` would.
    """
    _require_resolved(req)
    model = resolve_model(req.model)
    prompt = final_prompt(req, model)
    parameters = _parameters(req, model, prompt, final_negative(req, model, prompt))
    if stream:
        parameters["stream"] = STREAM_FORMAT
    body = {"input": prompt, "model": model.id, "action": "generate", "parameters": parameters}
    add_image_fields(body, req, model, inputs)
    return body


def _require_resolved(req: GenerationRequest) -> None:
    if req.seed is None:
        raise ValueError("build_payload needs a resolved request (no seed yet); call req.resolved() first")
    if req.resolved() != req:
        raise ValueError("build_payload needs a resolved request (defaults or aliases left); "
                         "call req.resolved() first")


def final_prompt(req: GenerationRequest, model: ModelInfo) -> str:
    """The prompt as sent in ``input`` and ``base_caption``: the user's, plus the quality tags."""
    if not req.quality_tags:
        return req.prompt
    light = req.quality_preset == "light" and model.light_quality_tags
    tags = model.light_quality_tags if light and model.light_quality_tags else model.quality_tags
    return f"{req.prompt.rstrip(', ')}, {tags}"


def final_negative(req: GenerationRequest, model: ModelInfo, prompt: str) -> str:
    """The UC preset text, then the user's negative prompt.

    A prompt that asks for nsfw gets ``nsfw`` taken out of the preset, as the website does
    (AED, LLK); the user's own negative prompt is left as written.
    """
    preset = model.uc_presets[req.uc_preset][1]
    if _NSFW.search(prompt):
        preset = ", ".join(tag for tag in _tags(preset) if tag.lower() != "nsfw")
    return ", ".join(part for part in (preset, req.negative) if part)


def _tags(text: str) -> list[str]:
    return [tag.strip() for tag in text.split(",") if tag.strip()]


def variety_sigma(model: ModelInfo, width: int, height: int) -> int:
    """``skip_cfg_above_sigma`` for Variety+, scaled by √(area / 832×1216) and rounded up (LLK)."""
    scale = math.sqrt(width * height / VARIETY_REFERENCE_AREA)
    return math.ceil(VARIETY_SIGMA[model.family] * scale)


def _uses_coords(characters: tuple[CharacterPrompt, ...]) -> bool:
    return any(character.center is not None for character in characters)


def _center(character: CharacterPrompt) -> dict[str, float]:
    x, y = character.center if character.center is not None else UNPLACED_CENTER
    return {"x": x, "y": y}


def _parameters(req: GenerationRequest, model: ModelInfo, prompt: str, negative: str) -> dict[str, Any]:
    """The ``parameters`` object, fields in the order of the website's V4.5 record."""
    parameters: dict[str, Any] = {
        "params_version": model.params_version,
        "width": req.width,
        "height": req.height,
        "scale": req.scale,
        "sampler": req.sampler,
        "steps": req.steps,
        "n_samples": req.n_samples,
    }
    parameters |= _v5_presets(req, model) if model.uc_preset_ids else {
        "ucPreset": req.uc_preset, "qualityToggle": req.quality_tags}
    if model.supports_smea:
        parameters |= {"sm": req.smea, "sm_dyn": req.smea_dyn}
    parameters |= {
        "autoSmea": False,
        "dynamic_thresholding": False,
        "controlnet_strength": 1,
        "legacy": False,
        "add_original_image": True,
        "cfg_rescale": req.cfg_rescale,
    }
    if req.noise_schedule is not None:  # the schedule-less samplers send none (LLK)
        parameters["noise_schedule"] = req.noise_schedule
    parameters["legacy_v3_extend"] = False
    if model.supports_variety:
        parameters["skip_cfg_above_sigma"] = variety_sigma(model, req.width, req.height) if req.variety else None
    parameters["use_coords"] = _uses_coords(req.characters)
    if model.uses_v4_prompt:
        parameters["legacy_uc"] = False
    parameters["normalize_reference_strength_multiple"] = True
    if model.family in _IMG2IMG_STRENGTH_FAMILIES:
        parameters["inpaintImg2ImgStrength"] = 1
    parameters |= {
        "seed": req.seed,
        "characterPrompts": [_character_prompt(c) for c in req.characters],
    }
    if model.uses_v4_prompt:
        parameters |= {
            "v4_prompt": _v4_prompt(prompt, req.characters, legacy_uc=model.family is Family.V5),
            "v4_negative_prompt": _v4_negative_prompt(negative, req.characters),
        }
    parameters |= {
        "negative_prompt": negative,
        "deliberate_euler_ancestral_bug": False,
        "prefer_brownian": True,
    }
    return parameters


def _character_prompt(character: CharacterPrompt) -> dict[str, Any]:
    """One ``characterPrompts`` entry, the website's flat twin of the two ``char_captions``."""
    return {"prompt": character.prompt, "uc": character.negative, "center": _center(character),
            "enabled": True}


def _v5_presets(req: GenerationRequest, model: ModelInfo) -> dict[str, Any]:
    """V5's preset fields: the website's string ids and their tag-hint numbers (one table for both,
    TAG_HINT_IDS), and the transparency pair: ``straight_alpha`` always on a model with an alpha
    channel (the official client does), the background hint only when asked for."""
    quality = req.quality_preset if req.quality_tags else "none"
    uc = model.uc_preset_ids[req.uc_preset]
    fields: dict[str, Any] = {
        "ucPresetId": uc,
        "qualityPresetId": quality,
        "tag_hint_qt": TAG_HINT_IDS[quality],
        "tag_hint_uc_preset": TAG_HINT_IDS[uc],
    }
    if model.transparency:
        fields |= {"straight_alpha": True, "tag_hint_transparent_background": req.transparent}
    return fields


def _v4_prompt(prompt: str, characters: tuple[CharacterPrompt, ...], *, legacy_uc: bool) -> dict[str, Any]:
    """The positive structured prompt; ``char_captions`` stays in step with ``characterPrompts``.
    V5's website also puts ``legacy_uc: false`` here (MOO PR #637)."""
    block: dict[str, Any] = {
        "caption": {
            "base_caption": prompt,
            "char_captions": [{"char_caption": c.prompt, "centers": [_center(c)]} for c in characters],
        },
        "use_coords": _uses_coords(characters),
        "use_order": True,
    }
    if legacy_uc:
        block["legacy_uc"] = False
    return block


def _v4_negative_prompt(negative: str, characters: tuple[CharacterPrompt, ...]) -> dict[str, Any]:
    """The negative twin: same length and centers as the positive (a mismatch reportedly gives 500s)."""
    return {
        "caption": {
            "base_caption": negative,
            "char_captions": [{"char_caption": c.negative, "centers": [_center(c)]} for c in characters],
        },
        "legacy_uc": False,
    }
