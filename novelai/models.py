"""What we know about NovelAI's image models, samplers, noise schedules and sizes.

NovelAI publishes none of this: the values come from the public clients and website captures
collected in docs/novelai-api.md (§4.2, §4.3, §4.5). Everything here is pure data plus lookups that
turn what a chat user types ("v4.5", "euler_a", "portrait", "832x1216") into what the API wants.

The preset texts live in ``presets.py`` and the sampler table in ``samplers.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from novelai.errors import InvalidRequest, Problem
from novelai.presets import (
    FURRY_V3_PRESETS,
    FURRY_V3_QUALITY,
    V3_PRESETS,
    V3_QUALITY,
    V4_5_CURATED_PRESETS,
    V4_5_CURATED_QUALITY,
    V4_5_FULL_PRESETS,
    V4_5_FULL_QUALITY,
    V4_CURATED_PRESETS,
    V4_CURATED_QUALITY,
    V4_FULL_PRESETS,
    V4_FULL_QUALITY,
    V5_LIGHT_QUALITY,
    V5_PRESET_IDS,
    V5_PRESETS,
    V5_QUALITY,
    UCPresets,
)
from novelai.samplers import (
    K_DPM_2_SCHEDULES,
    NOISE_SCHEDULES,
    SAMPLER_ALIASES,
    SAMPLERS,
    SCHEDULED_SAMPLERS,
    SMEA_BASE_SAMPLER,
    SMEA_SAMPLERS,
    V4_SAMPLERS,
    resolve_sampler,
    sampler_smea_flags,
)

# Re-exported: these lived here before they had a module of their own; callers still import them here.
__all__ = [
    "K_DPM_2_SCHEDULES",
    "NOISE_SCHEDULES",
    "SAMPLERS",
    "SAMPLER_ALIASES",
    "SCHEDULED_SAMPLERS",
    "SMEA_BASE_SAMPLER",
    "SMEA_SAMPLERS",
    "V4_SAMPLERS",
    "resolve_sampler",
    "sampler_smea_flags",
]



class Family(StrEnum):
    """A model generation. It decides the request shape (V3 vs V4-style) and the defaults."""

    V3 = "v3"
    V4 = "v4"
    V4_5 = "v4.5"
    V5 = "v5"


@dataclass(frozen=True)
class FixedSettings:
    """What V5 Medium always runs with (CARU 0.15/0.16, LLK-9; docs/novelai-api.md §9.2): the website
    offers no choice, so the bot refuses a request that sets them rather than send them."""

    steps: int
    sampler: str
    uc_preset: int


@dataclass(frozen=True)
class ModelInfo:
    """One generation model and the client-side conventions the website applies for it.

    ``quality_tags`` and ``uc_presets`` matter because NovelAI's server does not expand
    ``qualityToggle``/``ucPreset`` (they are metadata only, §4.5): the client must add the text.
    ``quality_tags`` is the tag list the website appends after ", ".
    """

    id: str
    family: Family
    label: str
    furry: bool
    curated: bool
    quality_tags: str
    uc_presets: UCPresets
    default_sampler: str
    default_steps: int
    default_scale: float
    default_noise_schedule: str
    max_characters: int
    # V5's website names for the presets, index for index with ``uc_presets`` (sent as ``ucPresetId``);
    # empty for the families that send the integer ``ucPreset`` instead (§9.2).
    uc_preset_ids: tuple[str, ...] = ()
    # V5's "light" quality preset (``qualityPresetId: "light"``); None where the model has only one.
    light_quality_tags: str | None = None
    # What a fixed-settings model (V5 Medium) always runs with; None = the user chooses.
    fixed: FixedSettings | None = None
    # V5's VAE has an alpha channel: ``straight_alpha`` and the transparent-background hint (§9.2).
    transparency: bool = False
    # Characters may stand anywhere (V5), not only on the website's 5×5 grid (§9.2).
    free_positions: bool = False

    @property
    def uses_v4_prompt(self) -> bool:
        """V4 and later need the structured ``v4_prompt``/``v4_negative_prompt`` objects (§4.4)."""
        return self.family is not Family.V3

    @property
    def params_version(self) -> int:
        """4 on V5 (the website's value, §9.2); 3 elsewhere (every V4/V4.5 capture)."""
        return 4 if self.family is Family.V5 else 3

    @property
    def supports_variety(self) -> bool:
        """Variety+ (``skip_cfg_above_sigma``) is not offered on V5 (ST #6002, §9.2)."""
        return self.family is not Family.V5

    @property
    def samplers(self) -> tuple[str, ...]:
        """The samplers the website offers for this model's family (§3.5 of the audit)."""
        return SAMPLERS if self.family is Family.V3 else V4_SAMPLERS

    @property
    def noise_schedules(self) -> tuple[str, ...]:
        """V5: karras only (no picker on the website); V4/V4.5: all but native; V3: all."""
        if self.family is Family.V5:
            return ("karras",)
        return NOISE_SCHEDULES if self.family is Family.V3 else tuple(s for s in NOISE_SCHEDULES if s != "native")

    @property
    def supports_smea(self) -> bool:
        """SMEA exists only up to V3; V4+ ignores or rejects ``sm``/``sm_dyn`` (§4.3)."""
        return self.family is Family.V3


MAX_CHARACTERS_V4 = 6  # LLK `Params.v_character`; V4 and V4.5 only.
# V5: 22 (MOO PR #637, a build-verified frontend table) against 32 (AAL launch day): the later figure.
MAX_CHARACTERS_V5 = 22
# V5 Medium: fixed 14 steps, k_euler_ancestral, the strong (Heavy) UC preset (§9.2).
V5_MEDIUM_FIXED = FixedSettings(steps=14, sampler="k_euler_ancestral", uc_preset=0)

def _v3_model(model_id: str, label: str, *, furry: bool, quality_tags: str, uc_presets: UCPresets,
              scale: float) -> ModelInfo:
    """V3 defaults: the V3 presets' 28 steps and "native" (KOI/AED; KOI forces native for V3 ancestral)."""
    return ModelInfo(id=model_id, family=Family.V3, label=label, furry=furry, curated=False,
                     quality_tags=quality_tags, uc_presets=uc_presets, default_sampler="k_euler_ancestral",
                     default_steps=28, default_scale=scale, default_noise_schedule="native", max_characters=0)


def _v4_style_model(model_id: str, family: Family, label: str, *, curated: bool, quality_tags: str,
                    uc_presets: UCPresets, scale: float) -> ModelInfo:
    """V4+ defaults: the website's 23 steps, k_euler_ancestral and karras (§4.3, §4.4)."""
    return ModelInfo(id=model_id, family=family, label=label, furry=False, curated=curated,
                     quality_tags=quality_tags, uc_presets=uc_presets, default_sampler="k_euler_ancestral",
                     default_steps=23, default_scale=scale, default_noise_schedule="karras",
                     max_characters=MAX_CHARACTERS_V4)


def _v5_model(model_id: str, label: str, *, curated: bool, medium: bool = False) -> ModelInfo:
    """V5: the V4-style body with V5's presets, 22 free-standing characters and transparency; Medium
    also fixes steps, sampler and UC preset (§9.2, §9.3)."""
    model = _v4_style_model(model_id, Family.V5, label, curated=curated, quality_tags=V5_QUALITY,
                            uc_presets=V5_PRESETS, scale=5.0)
    return replace(model, max_characters=MAX_CHARACTERS_V5, uc_preset_ids=V5_PRESET_IDS, transparency=True,
                   free_positions=True, light_quality_tags=None if medium else V5_LIGHT_QUALITY,
                   fixed=V5_MEDIUM_FIXED if medium else None,
                   default_steps=V5_MEDIUM_FIXED.steps if medium else 23)


# Scales are the §4.3 "typical values" (V5's 7 comes from one source only, so 5 stays).
_ALL_MODELS = (
    _v3_model("nai-diffusion-3", "NAI Diffusion V3", furry=False, quality_tags=V3_QUALITY,
              uc_presets=V3_PRESETS, scale=5.0),
    _v3_model("nai-diffusion-furry-3", "NAI Diffusion Furry V3", furry=True, quality_tags=FURRY_V3_QUALITY,
              uc_presets=FURRY_V3_PRESETS, scale=6.2),
    _v4_style_model("nai-diffusion-4-curated-preview", Family.V4, "NAI Diffusion V4 Curated (Preview)",
                    curated=True, quality_tags=V4_CURATED_QUALITY, uc_presets=V4_CURATED_PRESETS, scale=5.5),
    _v4_style_model("nai-diffusion-4-full", Family.V4, "NAI Diffusion V4 Full", curated=False,
                    quality_tags=V4_FULL_QUALITY, uc_presets=V4_FULL_PRESETS, scale=5.5),
    _v4_style_model("nai-diffusion-4-5-curated", Family.V4_5, "NAI Diffusion V4.5 Curated", curated=True,
                    quality_tags=V4_5_CURATED_QUALITY, uc_presets=V4_5_CURATED_PRESETS, scale=5.0),
    _v4_style_model("nai-diffusion-4-5-full", Family.V4_5, "NAI Diffusion V4.5 Full", curated=False,
                    quality_tags=V4_5_FULL_QUALITY, uc_presets=V4_5_FULL_PRESETS, scale=5.0),
    _v5_model("nai-diffusion-5-full", "NAI Diffusion V5 Full", curated=False),
    _v5_model("nai-diffusion-5-curated", "NAI Diffusion V5 Curated", curated=True),
    _v5_model("nai-diffusion-5-full-medium", "NAI Diffusion V5 Full Medium", curated=False, medium=True),
)

MODELS: dict[str, ModelInfo] = {m.id: m for m in _ALL_MODELS}

MODEL_ALIASES: dict[str, str] = {
    "v3": "nai-diffusion-3",
    "furry-v3": "nai-diffusion-furry-3",
    "furry3": "nai-diffusion-furry-3",
    "v3-furry": "nai-diffusion-furry-3",
    "v4": "nai-diffusion-4-full",
    "v4-full": "nai-diffusion-4-full",
    "v4-curated": "nai-diffusion-4-curated-preview",
    "v4.5": "nai-diffusion-4-5-full",
    "v45": "nai-diffusion-4-5-full",
    "v4-5": "nai-diffusion-4-5-full",
    "v4.5-full": "nai-diffusion-4-5-full",
    "v45-full": "nai-diffusion-4-5-full",
    "v4-5-full": "nai-diffusion-4-5-full",
    "v4.5-curated": "nai-diffusion-4-5-curated",
    "v45-curated": "nai-diffusion-4-5-curated",
    "v4-5-curated": "nai-diffusion-4-5-curated",
    "v5": "nai-diffusion-5-full",
    "v5-full": "nai-diffusion-5-full",
    "v5-curated": "nai-diffusion-5-curated",
    "v5-medium": "nai-diffusion-5-full-medium",
    "v5-full-medium": "nai-diffusion-5-full-medium",
}

# The short names of the models, one per model, as every front end lists them: the chat's /help and
# its "I don't know the model" answer, and the unknown-model problem the CLI and the HTTP API report.
# Each is a key of MODEL_ALIASES (tests/bot/chat/test_model_list.py checks they cover MODELS).
MODEL_NAMES: tuple[str, ...] = ("v3", "furry-v3", "v4", "v4-curated", "v4.5", "v4.5-curated", "v5", "v5-curated",
                                "v5-medium")

# nai-diffusion-[furry-]<major>[-<minor>][-<variant>...], e.g. nai-diffusion-4-5-full.
_MODEL_ID_PATTERN = re.compile(
    r"^nai-diffusion-(?:furry-)?(?P<major>[0-9]+)(?:-(?P<minor>[0-9]+))?(?:-[a-z0-9]+)*$")
_INPAINTING_SUFFIX = "-inpainting"
_FIRST_SUPPORTED_MAJOR = 3

# The known model a future id borrows its conventions from: (family, flavour) -> id.
_TEMPLATES: dict[tuple[Family, str], str] = {
    (Family.V3, "base"): "nai-diffusion-3",
    (Family.V3, "furry"): "nai-diffusion-furry-3",
    (Family.V4, "base"): "nai-diffusion-4-full",
    (Family.V4, "curated"): "nai-diffusion-4-curated-preview",
    (Family.V4_5, "base"): "nai-diffusion-4-5-full",
    (Family.V4_5, "curated"): "nai-diffusion-4-5-curated",
    (Family.V5, "base"): "nai-diffusion-5-full",
    (Family.V5, "curated"): "nai-diffusion-5-curated",
}


def _unknown_model(name: str) -> InvalidRequest:
    known = ", ".join(MODEL_NAMES)
    return InvalidRequest(Problem(
        "model", f"unknown model '{name}'; use one of {known} (or a full id such as nai-diffusion-4-5-full)",
        code="unknown_model", params={"value": name, "choices": MODEL_NAMES}))


def family_of(model_id: str) -> Family:
    """Detect the family from the id's version number, so NovelAI's next model id works unchanged.

    Anything newer than V4.5 is treated as V5 (V4-style request shape), which is how every
    model since V4 has been driven.
    """
    match = _MODEL_ID_PATTERN.match(model_id.strip().lower())
    if match is None:
        raise _unknown_model(model_id)
    major = int(match["major"])
    if major < _FIRST_SUPPORTED_MAJOR:
        raise InvalidRequest(Problem(
            "model", f"'{model_id}' is a legacy V1/V2 model this bot does not support; use v3 or newer",
            code="legacy_model", params={"value": model_id}))
    if major == 3:
        return Family.V3
    if major == 4:
        return Family.V4_5 if match["minor"] else Family.V4
    return Family.V5


def _normalise_name(name: str) -> str:
    return re.sub(r"[\s_]+", "-", name.strip().lower())


def _derived_model(model_id: str, family: Family) -> ModelInfo:
    """A ModelInfo for an id we have never seen, borrowing the nearest known model's conventions."""
    if family is Family.V3 and "furry" in model_id:
        flavour = "furry"
    elif family is not Family.V3 and "curated" in model_id:
        flavour = "curated"
    else:
        flavour = "base"
    template = MODELS[_TEMPLATES[(family, flavour)]]
    return replace(template, id=model_id, label=f"{model_id} (treated like {template.label})")


def resolve_model(name: str) -> ModelInfo:
    """Turn a model id or a friendly alias (any case) into its ModelInfo."""
    key = _normalise_name(name)
    if key in MODELS:
        return MODELS[key]
    if key in MODEL_ALIASES:
        return MODELS[MODEL_ALIASES[key]]
    family = family_of(key)
    if key.endswith(_INPAINTING_SUFFIX):
        raise InvalidRequest(Problem(
            "model", f"'{name}' is an inpainting model; for text-to-image use the same model without "
                     f"'{_INPAINTING_SUFFIX}'",
            code="inpainting_model", params={"value": name, "suffix": _INPAINTING_SUFFIX}))
    return _derived_model(key, family)


# ---------------------------------------------------------------------------------------------
# Sizes (§7, AED `ImageResolution`)
# ---------------------------------------------------------------------------------------------

# What a request without a size gets, everywhere (chat, CLI, HTTP API): the website's default.
DEFAULT_SIZE = (832, 1216)

SIZE_PRESETS: dict[str, tuple[int, int]] = {
    "portrait": DEFAULT_SIZE,
    "landscape": (1216, 832),
    "square": (1024, 1024),
    "small-portrait": (512, 768),
    "small-landscape": (768, 512),
    "small-square": (640, 640),
    "large-portrait": (1024, 1536),
    "large-landscape": (1536, 1024),
    "large-square": (1472, 1472),
    "wallpaper": (1088, 1920),
    "wallpaper-landscape": (1920, 1088),
}

SIZE_ALIASES: dict[str, str] = {
    "normal-portrait": "portrait",
    "tall": "portrait",
    "normal-landscape": "landscape",
    "wide": "landscape",
    "normal-square": "square",
    "portrait-small": "small-portrait",
    "landscape-small": "small-landscape",
    "square-small": "small-square",
    "portrait-large": "large-portrait",
    "landscape-large": "large-landscape",
    "square-large": "large-square",
    "wallpaper-portrait": "wallpaper",
    "landscape-wallpaper": "wallpaper-landscape",
}

# ASCII digits only: "\d" and int() would also read "８３２x１２１６" and Arabic-Indic digits.
_SIZE_PATTERN = re.compile(r"^([0-9]{1,5})\s*[x×*]\s*([0-9]{1,5})$")


def parse_size(text: str) -> tuple[int, int]:
    """(width, height) from a preset name or "WxH"; limits are checked later, with the request."""
    key = _normalise_name(text)
    key = SIZE_ALIASES.get(key, key)
    if key in SIZE_PRESETS:
        return SIZE_PRESETS[key]
    match = _SIZE_PATTERN.match(text.strip().lower())
    if match is None:
        presets = ", ".join(SIZE_PRESETS)
        raise InvalidRequest(Problem(
            "size", f"'{text}' is not a size; write it as WIDTHxHEIGHT (e.g. 832x1216) or use a preset: "
                    f"{presets}",
            code="bad_size", params={"value": text, "choices": tuple(SIZE_PRESETS)}))
    return int(match[1]), int(match[2])
