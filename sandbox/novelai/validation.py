"""Request validation of the NovelAI stand-in: what ``/ai/generate-image`` refuses with 400.

The rules are the ones docs/novelai-api.md (§4, §7) knows NovelAI or its clients enforce, so a
request our client gets through the sandbox is one NovelAI is not known to reject.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MODEL_FAMILIES: dict[str, str] = {
    **dict.fromkeys(
        ("safe-diffusion", "nai-diffusion", "nai-diffusion-furry", "safe-diffusion-inpainting",
         "nai-diffusion-inpainting", "furry-diffusion-inpainting"), "v1"),
    "nai-diffusion-2": "v2",
    **dict.fromkeys(
        ("nai-diffusion-3", "nai-diffusion-furry-3", "nai-diffusion-3-inpainting",
         "nai-diffusion-furry-3-inpainting"), "v3"),
    **dict.fromkeys(
        ("nai-diffusion-4-curated-preview", "nai-diffusion-4-full", "nai-diffusion-4-curated-inpainting",
         "nai-diffusion-4-full-inpainting"), "v4"),
    **dict.fromkeys(
        ("nai-diffusion-4-5-curated", "nai-diffusion-4-5-full", "nai-diffusion-4-5-curated-inpainting",
         "nai-diffusion-4-5-full-inpainting"), "v4.5"),
    # The V5 inpainting ids are real (LLK-9, CARU, NEKO-PR; docs/novelai-api.md §9.1).
    **dict.fromkeys(("nai-diffusion-5-full", "nai-diffusion-5-curated", "nai-diffusion-5-full-medium",
                     "nai-diffusion-5-full-inpainting", "nai-diffusion-5-curated-inpainting",
                     "nai-diffusion-5-full-medium-inpainting"), "v5"),
}
STRUCTURED_PROMPT_FAMILIES = frozenset({"v4", "v4.5", "v5"})
# V4/V4.5 take at most 6 characters (LLK); V5 22 (MOO PR #637, a build-verified frontend table;
# docs/novelai-api.md §9.2 — the launch-day 32 is the older figure).
MAX_CHARACTERS = {"v4": 6, "v4.5": 6, "v5": 22}
# Each side at most 2048 (NKDK MAX_GENERATION_DIMENSION, read from the website's bundle).
MAX_SIDE = 2048

SAMPLERS = frozenset({
    "k_euler", "k_euler_ancestral", "k_dpmpp_2s_ancestral", "k_dpmpp_2m", "k_dpmpp_2m_sde", "k_dpmpp_sde",
    "k_dpm_2", "k_dpm_2_ancestral", "k_lms", "k_heun", "ddim", "ddim_v3", "plms", "k_dpm_adaptive",
    "k_dpm_fast", "nai_smea", "nai_smea_dyn",
})
NOISE_SCHEDULES = frozenset({"native", "karras", "exponential", "polyexponential"})
# action → the `request_type` NovelAI writes into the PNG's Comment.
ACTIONS = {
    "generate": "PromptGenerateRequest", "img2img": "Img2ImgRequest", "infill": "NativeInfillingRequest",
}
STREAM_FORMATS = frozenset({"msgpack", "sse"})

# AED/UKB's largest single image. It also keeps every valid request at ≤ 140 Anlas per image
# (100 at 50 steps, 140 with SMEA DYN), the most the website will send (docs/novelai-api.md §7, pricing.py).
MAX_AREA = 1024 * 3072
MAX_SEED = 2**32 - 1
# (largest area in pixels, most samples allowed) — UKB 2.5.5 / AED get_max_n_samples.
N_SAMPLES_BY_AREA = ((360_448, 8), (409_600, 6), (1_310_720, 4), (1_572_864, 2), (MAX_AREA, 1))


class InvalidGeneration(ValueError):
    """NovelAI would answer ``status`` (400 unless said otherwise) with this message."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class ServerCrash(InvalidGeneration):
    """A body the real service does not refuse but fails on: HTTP 500 (ST #6002 for ``sm: true`` on
    V5; an unattributed V5 client for a missing ``v4_prompt``). Tests must see the 500 the client
    will meet, not a tidy 400."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=500)


@dataclass(frozen=True)
class Generation:
    """A validated generation request, with NovelAI's defaults filled in."""

    prompt: str
    model: str
    family: str
    action: str
    width: int
    height: int
    steps: int
    n_samples: int
    seed: int | None
    scale: float
    sampler: str
    negative_prompt: str
    sm: bool
    sm_dyn: bool
    parameters: dict[str, Any]
    # sha256s of the input images the result derives from, the primary one first (generation_inputs).
    inputs: tuple[str, ...] = ()

    @property
    def request_type(self) -> str:
        return ACTIONS[self.action]


def max_samples(area: int) -> int:
    return next(limit for bound, limit in N_SAMPLES_BY_AREA if area <= bound)


def _int_field(params: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidGeneration(f"parameters.{name} must be an integer in {low}..{high}")
    return value


def _dimension(params: dict[str, Any], name: str, default: int) -> int:
    value = _int_field(params, name, default, 64, MAX_SIDE)
    if value % 64:
        raise InvalidGeneration(f"parameters.{name} must be a multiple of 64")
    return value


def _check_captions(params: dict[str, Any], family: str) -> None:
    """The structured V4+ prompt: both halves present and the character lists in step."""
    lists = []
    for name in ("v4_prompt", "v4_negative_prompt"):
        block = params.get(name)
        caption = block.get("caption") if isinstance(block, dict) else None
        if not isinstance(caption, dict) or not isinstance(caption.get("base_caption"), str):
            raise ServerCrash(f"parameters.{name}.caption.base_caption is required for {family} models")
        characters = caption.get("char_captions", [])
        if not isinstance(characters, list):
            raise InvalidGeneration(f"parameters.{name}.caption.char_captions must be a list")
        for character in characters:
            if not isinstance(character, dict) or not character.get("centers"):
                raise InvalidGeneration(f"parameters.{name}: every char_caption needs at least one center")
        lists.append(characters)
    if len(lists[0]) != len(lists[1]):
        raise InvalidGeneration("v4_prompt and v4_negative_prompt must have the same number of char_captions")
    if len(lists[0]) > MAX_CHARACTERS[family]:
        raise InvalidGeneration(f"{family} models take at most {MAX_CHARACTERS[family]} characters")


def _check_family_rules(params: dict[str, Any], family: str, scale: float) -> None:
    if family == "v5" and params.get("sm"):
        raise ServerCrash("Internal Server Error")
    if family in STRUCTURED_PROMPT_FAMILIES:
        if params.get("noise_schedule") == "native":
            raise InvalidGeneration(f"noise_schedule 'native' is not supported by {family} models")
        _check_captions(params, family)
    if not 0 <= scale <= (25 if family in ("v1", "v2") else 10):
        raise InvalidGeneration("parameters.scale is out of range")


def validate_generation(body: Any, *, streaming: bool = False) -> Generation:
    """Check a generate-image body as NovelAI would; raise InvalidGeneration with the reason."""
    if not isinstance(body, dict):
        raise InvalidGeneration("the request body must be a JSON object")
    prompt, model, action = body.get("input"), body.get("model"), body.get("action", "generate")
    if not isinstance(prompt, str) or not prompt.strip():
        raise InvalidGeneration("input must be a non-empty string")
    if model not in MODEL_FAMILIES:
        raise InvalidGeneration(f"unknown model {model!r}")
    if action not in ACTIONS:
        raise InvalidGeneration(f"unknown action {action!r}")
    params = body.get("parameters", {})
    if not isinstance(params, dict):
        raise InvalidGeneration("parameters must be an object")
    family = MODEL_FAMILIES[model]
    if action != "generate" and not params.get("image"):
        raise InvalidGeneration(f"action {action!r} needs parameters.image")
    if action == "infill" and not model.endswith("-inpainting"):
        raise InvalidGeneration("action 'infill' needs an inpainting model")
    width, height = _dimension(params, "width", 832), _dimension(params, "height", 1216)
    if width * height > MAX_AREA:
        raise InvalidGeneration(f"width × height must be at most {MAX_AREA} pixels")
    steps = _int_field(params, "steps", 23, 1, 50)
    n_samples = _int_field(params, "n_samples", 1, 1, 8)
    if n_samples > max_samples(width * height):
        limit = max_samples(width * height)
        raise InvalidGeneration(f"n_samples must be at most {limit} at {width}x{height}")
    seed = _int_field(params, "seed", 0, 0, MAX_SEED)
    sampler = params.get("sampler", "k_euler_ancestral")
    if sampler not in SAMPLERS:
        raise InvalidGeneration(f"unknown sampler {sampler!r}")
    schedule = params.get("noise_schedule")
    if schedule is not None and schedule not in NOISE_SCHEDULES:
        raise InvalidGeneration(f"unknown noise_schedule {schedule!r}")
    scale = params.get("scale", 5.0)
    if isinstance(scale, bool) or not isinstance(scale, int | float):
        raise InvalidGeneration("parameters.scale must be a number")
    _check_family_rules(params, family, scale)
    if streaming and params.get("stream") not in STREAM_FORMATS:
        raise InvalidGeneration("parameters.stream must be 'msgpack' or 'sse'")
    structured = family in STRUCTURED_PROMPT_FAMILIES
    negative = params.get("negative_prompt", params.get("uc", ""))
    return Generation(
        prompt=prompt, model=model, family=family, action=action, width=width, height=height, steps=steps,
        n_samples=n_samples, seed=seed or None, scale=float(scale), sampler=sampler,
        negative_prompt=negative if isinstance(negative, str) else "",
        sm=bool(params.get("sm")) and not structured, sm_dyn=bool(params.get("sm_dyn")) and not structured,
        parameters=params,
    )
