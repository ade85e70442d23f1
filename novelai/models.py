"""What we know about NovelAI's image models, samplers, noise schedules and sizes.

NovelAI publishes none of this: the values come from the public clients and website captures
collected in docs/novelai-api.md (§4.2, §4.3, §4.5). Everything here is pure data plus lookups that
turn what a chat user types ("v4.5", "euler_a", "portrait", "832x1216") into what the API wants.

One piece although past 400 lines: it is a table (models, presets, samplers, sizes) and its
lookups, and the facts of one model family must be read side by side to be checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from novelai.errors import InvalidRequest, Problem


class Family(StrEnum):
    """A model generation. It decides the request shape (V3 vs V4-style) and the defaults."""

    V3 = "v3"
    V4 = "v4"
    V4_5 = "v4.5"
    V5 = "v5"


UCPresets = tuple[tuple[str, str], ...]


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

    @property
    def uses_v4_prompt(self) -> bool:
        """V4 and later need the structured ``v4_prompt``/``v4_negative_prompt`` objects (§4.4)."""
        return self.family is not Family.V3

    @property
    def supports_smea(self) -> bool:
        """SMEA exists only up to V3; V4+ ignores or rejects ``sm``/``sm_dyn`` (§4.3)."""
        return self.family is Family.V3


# ---------------------------------------------------------------------------------------------
# Quality tags and UC presets (§4.5; full texts from LLK `_enum.py` `get_uc_preset`, the source
# §4.5 points to; LLK's table matches the website records).
# ---------------------------------------------------------------------------------------------

_V3_HEAVY = (
    "nsfw, lowres, {bad}, error, fewer, extra, missing, worst quality, jpeg artifacts, bad quality, "
    "watermark, unfinished, displeasing, chromatic aberration, signature, extra digits, artistic error, "
    "username, scan, [abstract]"
)
# "lowres" as the V3 "None" preset is what LLK sends; V4+ "None" is empty.
V3_PRESETS: UCPresets = (
    ("Heavy", _V3_HEAVY),
    ("Light", "nsfw, lowres, jpeg artifacts, worst quality, watermark, blurry, very displeasing"),
    ("Human Focus",
     _V3_HEAVY + ", bad anatomy, bad hands, @_@, mismatched pupils, heart-shaped pupils, glowing eyes"),
    ("None", "lowres"),
)

FURRY_V3_PRESETS: UCPresets = (
    ("Heavy",
     "nsfw, {{worst quality}}, [displeasing], {unusual pupils}, guide lines, {{unfinished}}, {bad}, url, "
     "artist name, {{tall image}}, mosaic, {sketch page}, comic panel, impact (font), [dated], {logo}, "
     "ych, {what}, {where is your god now}, {distorted text}, repeated text, {floating head}, {1994}, "
     "{widescreen}, absolutely everyone, sequence, {compression artifacts}, hard translated, {cropped}, "
     "{commissioner name}, unknown text, high contrast"),
    ("Light",
     "nsfw, {worst quality}, guide lines, unfinished, bad, url, tall image, widescreen, "
     "compression artifacts, unknown text"),
    ("None", "lowres"),
)

V4_CURATED_PRESETS: UCPresets = (
    ("Heavy",
     "blurry, lowres, error, film grain, scan artifacts, worst quality, bad quality, jpeg artifacts, "
     "very displeasing, chromatic aberration, logo, dated, signature, multiple views, gigantic breasts"),
    ("Light",
     "blurry, lowres, error, worst quality, bad quality, jpeg artifacts, very displeasing, logo, dated, "
     "signature"),
    ("None", ""),
)

# AED's text (with the trailing "white blank page, blank page"), as §4.5 quotes it.
V4_FULL_PRESETS: UCPresets = (
    ("Heavy",
     "nsfw, blurry, lowres, error, film grain, scan artifacts, worst quality, bad quality, jpeg artifacts, "
     "very displeasing, chromatic aberration, multiple views, logo, too many watermarks, white blank page, "
     "blank page"),
    ("Light",
     "nsfw, blurry, lowres, error, worst quality, bad quality, jpeg artifacts, very displeasing, "
     "white blank page, blank page"),
    ("None", ""),
)

V4_5_CURATED_PRESETS: UCPresets = (
    ("Heavy",
     "blurry, lowres, upscaled, artistic error, film grain, scan artifacts, worst quality, bad quality, "
     "jpeg artifacts, very displeasing, chromatic aberration, halftone, multiple views, logo, "
     "too many watermarks, negative space, blank page"),
    ("Light",
     "blurry, lowres, upscaled, artistic error, scan artifacts, jpeg artifacts, logo, too many watermarks, "
     "negative space, blank page"),
    ("Human Focus",
     "blurry, lowres, upscaled, artistic error, film grain, scan artifacts, bad anatomy, bad hands, "
     "worst quality, bad quality, jpeg artifacts, very displeasing, chromatic aberration, halftone, "
     "multiple views, logo, too many watermarks, @_@, mismatched pupils, glowing eyes, negative space, "
     "blank page"),
    ("None", ""),
)

_V4_5_FULL_HEAVY = (
    "nsfw, lowres, artistic error, film grain, scan artifacts, worst quality, bad quality, jpeg artifacts, "
    "very displeasing, chromatic aberration, dithering, halftone, screentone, multiple views, logo, "
    "too many watermarks, negative space, blank page"
)
V4_5_FULL_PRESETS: UCPresets = (
    ("Heavy", _V4_5_FULL_HEAVY),
    ("Light",
     "nsfw, lowres, artistic error, scan artifacts, worst quality, bad quality, jpeg artifacts, "
     "multiple views, very displeasing, too many watermarks, negative space, blank page"),
    ("Furry Focus",
     "nsfw, {worst quality}, distracting watermark, unfinished, bad quality, {widescreen}, upscale, "
     "{sequence}, {{grandfathered content}}, blurred foreground, chromatic aberration, sketch, everyone, "
     "[sketch background], simple, [flat colors], ych (character), outline, multiple scenes, "
     "[[horror (theme)]], comic"),
    ("Human Focus", _V4_5_FULL_HEAVY + ", @_@, mismatched pupils, glowing eyes, bad anatomy"),
    ("None", ""),
)

V3_QUALITY = "best quality, amazing quality, very aesthetic, absurdres"
FURRY_V3_QUALITY = "{best quality}, {amazing quality}"
V4_CURATED_QUALITY = "rating:general, best quality, very aesthetic, absurdres"
V4_FULL_QUALITY = "no text, best quality, very aesthetic, absurdres"
V4_5_CURATED_QUALITY = "very aesthetic, location, masterpiece, no text, -0.8::feet::, rating:general"
# LLK's V4.5 full tags; AED also inserts "location" (§4.5 minor CONFLICT), we follow LLK.
V4_5_FULL_QUALITY = "very aesthetic, masterpiece, no text"

MAX_CHARACTERS_V4 = 6  # LLK `Params.v_character`; a V5 figure of 32 comes from one weak source only.

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


# Scales are the §4.3 "typical values". V5 is this module's documented assumption: the V4-style
# request shape with V4.5 full's tags, presets and defaults, since no source gives V5's own.
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
    _v4_style_model("nai-diffusion-5-full", Family.V5, "NAI Diffusion V5 Full", curated=False,
                    quality_tags=V4_5_FULL_QUALITY, uc_presets=V4_5_FULL_PRESETS, scale=5.0),
    _v4_style_model("nai-diffusion-5-curated", Family.V5, "NAI Diffusion V5 Curated", curated=True,
                    quality_tags=V4_5_FULL_QUALITY, uc_presets=V4_5_FULL_PRESETS, scale=5.0),
    _v4_style_model("nai-diffusion-5-full-medium", Family.V5, "NAI Diffusion V5 Full Medium", curated=False,
                    quality_tags=V4_5_FULL_QUALITY, uc_presets=V4_5_FULL_PRESETS, scale=5.0),
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
# Samplers and noise schedules (§4.3)
# ---------------------------------------------------------------------------------------------

# Real sampler names NovelAI accepts for V3+. AED marks plms, k_dpm_adaptive and k_dpm_fast as
# not working, so they are left out; plain "ddim" is the V1/V2 sampler, V3+ use "ddim_v3".
SAMPLERS: tuple[str, ...] = (
    "k_euler", "k_euler_ancestral", "k_dpmpp_2s_ancestral", "k_dpmpp_2m", "k_dpmpp_2m_sde", "k_dpmpp_sde",
    "k_dpm_2", "k_dpm_2_ancestral", "k_lms", "k_heun", "ddim_v3",
)

# Website-only pseudo samplers: sent as k_euler_ancestral plus the (sm, sm_dyn) flags (LLK).
SMEA_SAMPLERS: dict[str, tuple[bool, bool]] = {"nai_smea": (True, False), "nai_smea_dyn": (True, True)}
SMEA_BASE_SAMPLER = "k_euler_ancestral"

SAMPLER_ALIASES: dict[str, str] = {
    "euler_a": "k_euler_ancestral",
    "k_euler_a": "k_euler_ancestral",
    "dpm++2s_a": "k_dpmpp_2s_ancestral",
    "dpm++2sa": "k_dpmpp_2s_ancestral",
    "dpm2_a": "k_dpm_2_ancestral",
    "ddim": "ddim_v3",
    "smea": "nai_smea",
    "smea_dyn": "nai_smea_dyn",
}

NOISE_SCHEDULES: tuple[str, ...] = ("native", "karras", "exponential", "polyexponential")
# k_dpm_2 works only with these schedules (§4.3), so it is also what we default it to.
K_DPM_2_SCHEDULES: tuple[str, ...] = ("exponential", "polyexponential")


def _compact(name: str) -> str:
    """Spelling-insensitive key: "DPM++ 2M", "dpmpp_2m" and "k-dpmpp-2m" all look alike."""
    return re.sub(r"[\s_\-]", "", name.strip().lower()).replace("++", "pp")


def _sampler_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for real in (*SAMPLERS, *SMEA_SAMPLERS):
        lookup[_compact(real)] = real
        lookup[_compact(real.removeprefix("k_"))] = real
    for alias, real in SAMPLER_ALIASES.items():
        lookup[_compact(alias)] = real
    return lookup


_SAMPLER_LOOKUP = _sampler_lookup()


def _canonical_sampler(name: str) -> str:
    real = _SAMPLER_LOOKUP.get(_compact(name))
    if real is None:
        raise InvalidRequest(Problem(
            "sampler", f"unknown sampler '{name}'; use one of {', '.join(SAMPLERS)} (short forms such as "
                       "euler_a or dpm++2m work too)",
            code="unknown_sampler", params={"value": name, "choices": SAMPLERS}))
    return real


def sampler_smea_flags(name: str) -> tuple[bool, bool]:
    """The (sm, sm_dyn) flags a sampler name implies: only the nai_smea pseudo samplers set any."""
    return SMEA_SAMPLERS.get(_SAMPLER_LOOKUP.get(_compact(name), ""), (False, False))


def resolve_sampler(name: str, model: ModelInfo) -> str:
    """The real sampler name to send; SMEA pseudo samplers become their base sampler (V3 only)."""
    real = _canonical_sampler(name)
    if real in SMEA_SAMPLERS:
        if not model.supports_smea:
            raise InvalidRequest(Problem(
                "sampler", f"SMEA samplers only work on V3 models, not {model.label}; use k_euler_ancestral",
                code="smea_sampler_v3_only", params={"model": model.label, "sampler": SMEA_BASE_SAMPLER}))
        return SMEA_BASE_SAMPLER
    return real


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
