"""A generation request as the bot stores it, and the validation that stands in front of NovelAI.

``GenerationRequest`` is what users ask for (None = "use the model's default"); ``resolved()``
turns it into the exact, validated request that gets priced, queued (as JSON, in Redis) and
sent. Validation reports every problem at once, in words a chat user can act on, because a
refused request should cost one round trip in the chat, not one per mistake.

Model-specific rules are read from the model's ``ModelInfo`` (``models.py``): which samplers and
noise schedules it offers, how many characters it takes and whether they stand on the 5×5 grid or
anywhere (V5), whether it has Variety+ or transparency, and what a fixed-settings model (V5 Medium)
always runs with. Characters and their positions are ``characters.py``'s. Input images (img2img,
inpainting, vibes, precise references) meet ``image_rules.py``'s rules, and get the website's strength and
noise defaults, in the same pass.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Literal, TypeVar

from pydantic import BaseModel, field_validator

from novelai.characters import (
    AUTO_POSITION,
    GRID_COORDS,
    MAX_CHARACTER_SPEC_CHARS,
    MAX_POSITION_CHARS,
    MAX_PROMPT_CHARS,
    POSITION_HELP,
    CharacterPrompt,
    _coordinates,
    center_in_image,
    clamp_center,
    clean_prompt_text,
    looks_like_position,
    parse_position,
)
from novelai.errors import InvalidRequest, Problem
from novelai.image_rules import image_problems, image_settings
from novelai.inputs import ImageRef, ReferenceInput, VibeInput
from novelai.model_rules import feature_problems, fixed_problems, noise_schedule, schedule_problems
from novelai.models import (
    DEFAULT_SIZE,
    ModelInfo,
    resolve_model,
    resolve_sampler,
    sampler_smea_flags,
)

# Re-exported: these lived here before they had a module of their own; callers still import them here.
__all__ = [
    "AUTO_POSITION", "GRID_COORDS", "MAX_CHARACTER_SPEC_CHARS", "MAX_POSITION_CHARS", "MAX_PROMPT_CHARS",
    "POSITION_HELP", "CharacterPrompt", "_coordinates", "looks_like_position", "parse_position",
]

SIZE_STEP = 64
MIN_SIDE = 64
# NKDK ``MAX_GENERATION_DIMENSION = 2048`` (read from the website's bundle, 2026-04; audit §3.6):
# 4096×768 fits the area limit but not the website's side limit.
MAX_SIDE = 2048
# §7 CONFLICT: AED and UKB allow 1024×3072 = 3,145,728 px; NEKO caps at 3,047,424; CARU caps each
# side at 1600. We take the AED/UKB figure (a tall 1024×3072 works there).
MAX_AREA = 3_145_728
# n_samples allowed per pixel count (UKB 2.5.5, AED `get_max_n_samples`): (max area, max n).
SAMPLES_BY_AREA: tuple[tuple[int, int], ...] = ((360_448, 8), (409_600, 6), (1_310_720, 4), (1_572_864, 2))
MAX_N_SAMPLES = SAMPLES_BY_AREA[0][1]

MIN_STEPS, MAX_STEPS = 1, 50
MIN_SCALE, MAX_SCALE = 0.0, 10.0
MIN_CFG_RESCALE, MAX_CFG_RESCALE = 0.0, 1.0
MAX_SEED = 2**32 - 1
# Image i of a request uses seed + i, so drawn seeds leave room for 8 samples (LLK, HAN).
MIN_DRAWN_SEED, MAX_DRAWN_SEED = 1, 2**32 - 1 - 7

# A model, sampler or noise schedule name: the longest real one (nai-diffusion-4-curated-preview,
# k_dpmpp_2s_ancestral) is about 30 characters.
MAX_NAME_CHARS = 64


class GenerationRequest(BaseModel, frozen=True):
    """Everything a user can ask of one generation. None fields mean "the model's default"."""

    prompt: str
    negative: str = ""
    model: str = "nai-diffusion-4-5-full"
    sampler: str | None = None
    steps: int | None = None
    scale: float | None = None
    width: int = DEFAULT_SIZE[0]
    height: int = DEFAULT_SIZE[1]
    n_samples: int = 1
    seed: int | None = None
    characters: tuple[CharacterPrompt, ...] = ()
    quality_tags: bool = True
    uc_preset: int = 0
    noise_schedule: str | None = None
    cfg_rescale: float = 0.0
    smea: bool = False
    smea_dyn: bool = False
    variety: bool = False
    # V5: a transparent background (``straight_alpha`` and the tag hint, docs/novelai-api.md §9.2).
    transparent: bool = False
    # V5 full/curated: "standard" or "light" quality tags (``qualityPresetId``; with quality_tags on).
    quality_preset: str = "standard"
    # Tells a generation from the other jobs (``novelai.tools``) in a job's request.
    kind: Literal["generate"] = "generate"
    # Images in (``novelai.inputs``), by reference; none of them: text to image.
    # ``image``: img2img (``action: img2img``), or with ``mask`` inpainting (``action: infill``).
    image: ImageRef | None = None
    strength: float | None = None  # img2img: how far from the image, 0.01–0.99
    noise: float | None = None  # img2img: noise added to the image, 0–0.99
    mask: ImageRef | None = None  # white = repaint
    inpaint_strength: float | None = None  # ``inpaintImg2ImgStrength``
    add_original_image: bool = True  # infill: overlay the original outside the mask
    vibes: tuple[VibeInput, ...] = ()
    references: tuple[ReferenceInput, ...] = ()

    @field_validator("prompt", "negative")
    @classmethod
    def _sendable(cls, text: str) -> str:
        return clean_prompt_text(text)

    def resolved(self, rng: random.Random | None = None) -> GenerationRequest:
        """A validated copy with every default filled in, or InvalidRequest listing every problem.

        Resolving a resolved request returns an equal request, so callers can resolve defensively.
        ``rng`` only draws the seed when none was given (pass a seeded one for reproducible tests).
        """
        problems = _text_problems(self) + _size_problems(self.width, self.height, self.n_samples)
        problems += _range_problems(self)
        names = _name_problems(self)
        if names:  # nothing reads a name that long; the rest depends on the model
            raise InvalidRequest(problems + names)
        model = _collect(problems, resolve_model, self.model)
        if model is None:
            raise InvalidRequest(problems)
        settings = _model_settings(self, model, problems)
        problems += _character_problems(self.characters, model) + _uc_preset_problems(self.uc_preset, model)
        problems += image_problems(
            model, width=self.width, height=self.height, sampler=_text(settings["sampler"]),
            smea=bool(settings["smea"]), image=self.image, mask=self.mask, strength=self.strength, noise=self.noise,
            inpaint_strength=self.inpaint_strength, vibes=len(self.vibes), references=len(self.references))
        if problems:
            raise InvalidRequest(problems)
        return self.model_copy(update={
            **settings,
            **image_settings(self.strength, self.noise, self.inpaint_strength, has_image=self.image is not None,
                             has_mask=self.mask is not None),
            "prompt": self.prompt.strip(),
            "negative": self.negative.strip(),
            "characters": tuple(_resolved_character(c, model) for c in self.characters),
            "seed": self.seed if self.seed is not None else draw_seed(rng),
        })


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def draw_seed(rng: random.Random | None = None) -> int:
    """A seed like the website's: uniform, never 0 (0 asks the server for an unrecorded seed)."""
    return (rng or random.SystemRandom()).randint(MIN_DRAWN_SEED, MAX_DRAWN_SEED)


def max_samples_for_area(area: int) -> int:
    """How many images NovelAI generates at once at this pixel count (§7)."""
    return next((n for limit, n in SAMPLES_BY_AREA if area <= limit), 1)


_T = TypeVar("_T")


def _collect(problems: list[Problem], resolve: Callable[..., _T], *args: object) -> _T | None:
    """Run a resolver that reports through InvalidRequest, keeping its problems for the summary."""
    try:
        return resolve(*args)
    except InvalidRequest as error:
        problems.extend(error.problems)
        return None


def _text_problems(req: GenerationRequest) -> list[Problem]:
    problems = []
    if not req.prompt.strip():
        problems.append(Problem("prompt", "the prompt is empty; describe the picture, e.g. "
                                          "`1girl, red hair, beach`", code="empty_prompt"))
    too_long = (_length_problem("prompt", "prompt", req.prompt, code="prompt_too_long"),
                _length_problem("negative", "negative prompt", req.negative, code="negative_too_long"))
    return problems + [p for p in too_long if p]


def _name_problems(req: GenerationRequest) -> list[Problem]:
    """Model, sampler and noise schedule names too long to be one (MAX_NAME_CHARS), refused before
    anything reads them."""
    names = (("model", req.model), ("sampler", req.sampler), ("noise_schedule", req.noise_schedule))
    return [Problem(field, f"this name is too long ({len(name)} characters, the limit is {MAX_NAME_CHARS})",
                    code="name_too_long", params={"length": len(name), "limit": MAX_NAME_CHARS})
            for field, name in names if name is not None and len(name) > MAX_NAME_CHARS]


def _length_problem(field: str, label: str, text: str, *, code: str) -> Problem | None:
    if len(text.strip()) <= MAX_PROMPT_CHARS:
        return None
    return Problem(field, f"the {label} is too long ({len(text.strip())} characters, the limit is "
                          f"{MAX_PROMPT_CHARS}); shorten it",
                   code=code, params={"length": len(text.strip()), "limit": MAX_PROMPT_CHARS})


def _side_problem(field: str, value: int) -> Problem | None:
    if value < MIN_SIDE or value > MAX_SIDE:
        return Problem(field, f"{field} must be between {MIN_SIDE} and {MAX_SIDE} pixels (got {value})",
                       code="side_range", params={"side": field, "min": MIN_SIDE, "max": MAX_SIDE, "value": value})
    if value % SIZE_STEP:
        lower = value // SIZE_STEP * SIZE_STEP
        return Problem(field, f"{field} must be a multiple of {SIZE_STEP} (got {value}; try {lower} or "
                              f"{lower + SIZE_STEP})",
                       code="size_multiple",
                       params={"side": field, "step": SIZE_STEP, "value": value, "lower": lower,
                               "upper": lower + SIZE_STEP})
    return None


def _size_problems(width: int, height: int, n_samples: int) -> list[Problem]:
    problems = [p for p in (_side_problem("width", width), _side_problem("height", height)) if p]
    area = width * height
    if area > MAX_AREA:
        problems.append(Problem(
            "size", f"{width}×{height} is {area:,} pixels, more than NovelAI's {MAX_AREA:,} (1024×3072); "
                    "use a smaller size such as 1472x1472 or 1024x1536",
            code="area_too_large", params={"width": width, "height": height, "area": area, "max_area": MAX_AREA}))
    if not MAX_N_SAMPLES >= n_samples >= 1:
        problems.append(Problem(
            "n_samples", f"number of images must be between 1 and {MAX_N_SAMPLES} (got {n_samples})",
            code="n_samples_range", params={"min": 1, "max": MAX_N_SAMPLES, "value": n_samples}))
    elif area > 0 and n_samples > max_samples_for_area(area):
        problems.append(Problem(
            "n_samples", f"at {width}×{height} NovelAI makes at most {max_samples_for_area(area)} image(s) "
                         f"per request (got {n_samples}); ask for fewer or use a smaller size",
            code="n_samples_for_area",
            params={"width": width, "height": height, "max": max_samples_for_area(area), "value": n_samples}))
    return problems


def _range_problems(req: GenerationRequest) -> list[Problem]:
    problems = []
    if req.steps is not None and not MIN_STEPS <= req.steps <= MAX_STEPS:
        problems.append(Problem(
            "steps", f"steps must be between {MIN_STEPS} and {MAX_STEPS} (got {req.steps})",
            code="steps_range", params={"min": MIN_STEPS, "max": MAX_STEPS, "value": req.steps}))
    if req.scale is not None and not MIN_SCALE <= req.scale <= MAX_SCALE:
        problems.append(Problem(
            "scale", f"guidance scale must be between {MIN_SCALE:g} and {MAX_SCALE:g} "
                     f"(got {req.scale:g})",
            code="scale_range", params={"min": MIN_SCALE, "max": MAX_SCALE, "value": req.scale}))
    if not MIN_CFG_RESCALE <= req.cfg_rescale <= MAX_CFG_RESCALE:
        problems.append(Problem(
            "cfg_rescale", f"guidance rescale must be between {MIN_CFG_RESCALE:g} and {MAX_CFG_RESCALE:g} "
                           f"(got {req.cfg_rescale:g})",
            code="cfg_rescale_range",
            params={"min": MIN_CFG_RESCALE, "max": MAX_CFG_RESCALE, "value": req.cfg_rescale}))
    if req.seed is not None and not 0 <= req.seed <= MAX_SEED:
        problems.append(Problem("seed", f"seed must be between 0 and {MAX_SEED} (got {req.seed})",
                                code="seed_range", params={"min": 0, "max": MAX_SEED, "value": req.seed}))
    return problems


def _model_settings(req: GenerationRequest, model: ModelInfo, problems: list[Problem]) -> dict[str, object]:
    """Canonical model id, sampler, SMEA flags, steps, scale and noise schedule, with their problems."""
    sampler_name = req.sampler if req.sampler is not None else model.default_sampler
    sampler = _collect(problems, resolve_sampler, sampler_name, model)
    # An unusable sampler is already reported; its SMEA flags would only repeat the complaint.
    smea_from_sampler, dyn_from_sampler = sampler_smea_flags(sampler_name) if sampler else (False, False)
    smea, smea_dyn = req.smea or smea_from_sampler, req.smea_dyn or dyn_from_sampler
    problems += _smea_problems(smea, smea_dyn, model)
    requested = req.noise_schedule.strip().lower() if req.noise_schedule is not None else None
    problems += schedule_problems(requested, sampler=sampler, model=model)
    problems += feature_problems(model, variety=req.variety, transparent=req.transparent,
                                 quality_preset=req.quality_preset)
    problems += fixed_problems(model, steps=req.steps, sampler=sampler if req.sampler is not None else None,
                               uc_preset=req.uc_preset,
                               negatives=(req.negative, *(c.negative for c in req.characters)))
    return {
        "model": model.id,
        "sampler": sampler,
        "smea": smea,
        "smea_dyn": smea_dyn,
        "steps": req.steps if req.steps is not None else model.default_steps,
        "scale": req.scale if req.scale is not None else model.default_scale,
        "noise_schedule": noise_schedule(requested, sampler, model),
    }


def _smea_problems(smea: bool, smea_dyn: bool, model: ModelInfo) -> list[Problem]:
    if (smea or smea_dyn) and not model.supports_smea:
        return [Problem("smea", f"SMEA only exists on V3 models, not on {model.label}; turn it off",
                        code="smea_v3_only", params={"model": model.label})]
    if smea_dyn and not smea:
        return [Problem("smea_dyn",
                        "SMEA DYN is a variant of SMEA; turn SMEA on as well, or turn SMEA DYN off",
                        code="smea_dyn_needs_smea")]
    return []


def _character_problems(characters: tuple[CharacterPrompt, ...], model: ModelInfo) -> list[Problem]:
    if not characters:
        return []
    if not model.uses_v4_prompt:
        return [Problem("characters", f"{model.label} does not support character prompts; use a V4 or newer "
                                      "model (e.g. v4.5) or describe everyone in the main prompt",
                        code="characters_v4_only", params={"model": model.label})]
    problems = []
    if len(characters) > model.max_characters:
        problems.append(Problem("characters", f"{model.label} takes at most {model.max_characters} "
                                              f"characters (got {len(characters)})",
                                code="too_many_characters",
                                params={"model": model.label, "max": model.max_characters, "value": len(characters)}))
    for index, character in enumerate(characters):
        problems += _one_character_problems(index, character)
    return problems


def _one_character_problems(index: int, character: CharacterPrompt) -> list[Problem]:
    field, number = f"characters[{index}]", index + 1
    problems = []
    if not character.prompt.strip():
        problems.append(Problem(field, f"character {number} has an empty prompt; write it like "
                                       "`girl, red hair@B3`", code="character_empty_prompt", params={"number": number}))
    if max(len(character.prompt.strip()), len(character.negative.strip())) > MAX_PROMPT_CHARS:
        problems.append(Problem(field, f"character {number}'s text is longer than {MAX_PROMPT_CHARS} "
                                       "characters; shorten it",
                                code="character_too_long", params={"number": number, "limit": MAX_PROMPT_CHARS}))
    if character.center is not None and not center_in_image(character.center):
        x, y = character.center
        problems.append(Problem(field, f"character {number}'s position {x:g},{y:g} is outside the image; "
                                       f"{POSITION_HELP}",
                                code="character_outside", params={"number": number, "x": x, "y": y}))
    return problems


def _uc_preset_problems(index: int, model: ModelInfo) -> list[Problem]:
    if 0 <= index < len(model.uc_presets):
        return []
    choices = tuple(f"{i} {name}" for i, (name, _) in enumerate(model.uc_presets))
    return [Problem("uc_preset", f"negative preset must be one of {', '.join(choices)} for {model.label} (got {index})",
                    code="uc_preset_range", params={"model": model.label, "choices": choices, "value": index})]


def _resolved_character(character: CharacterPrompt, model: ModelInfo) -> CharacterPrompt:
    """The character as sent: positions pulled into the 5×5 grid's 0.1–0.9 on V4/V4.5, kept as
    given where the model places characters freely (V5)."""
    center = character.center
    if center is not None and not model.free_positions:
        center = clamp_center(*center)
    return CharacterPrompt(prompt=character.prompt.strip(), negative=character.negative.strip(),
                           center=center)
