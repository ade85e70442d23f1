"""A generation request as the bot stores it, and the validation that stands in front of NovelAI.

``GenerationRequest`` is what users ask for (None = "use the model's default"); ``resolved()``
turns it into the exact, validated request that gets priced, queued (as JSON, in Redis) and
sent. Validation reports every problem at once, in words a chat user can act on, because a
refused request should cost one round trip in the chat, not one per mistake.

Prompt texts (prompt, negative, each character's prompt and negative) are cleaned when a request
is built, so every front end (chat, HTTP API, CLI) and every job read back from the queue gets it:
control characters (C0 but tab and newline, DEL, C1) and the bidi embedding/override/isolate
controls (U+202A–U+202E, U+2066–U+2069) are taken out. They mean nothing to NovelAI's tokenizer,
a NUL can break whatever logs or stores the text, and the bidi ones only serve to make an echoed
prompt read differently from what it is. The controls that are whitespace (VT, FF, FS–US, NEL)
become a space so they do not glue two words; CR and CRLF become a newline. Tab and newline stay:
``docs/novelai-api.md`` sets no rule against them, people do write prompts on several lines, and
the tokenizers read them as plain whitespace.
Left alone: zero-width joiners (emoji sequences need them) and the LRM/RLM marks (legitimate in
right-to-left text, and they reorder nothing around them).

Typed text is bounded before it is read (security review H1): a position (``MAX_POSITION_CHARS``),
a character in the chat syntax (``MAX_CHARACTER_SPEC_CHARS``) and a model, sampler or noise schedule
name (``MAX_NAME_CHARS``) longer than any real one is refused unread, and positions are read by
small forward-only scanners, so no text costs more than time in proportion to its length.

One piece although past 400 lines: the request model and the validation of its fields belong
together, so every limit is read next to the field it limits.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel, field_validator

from novelai.errors import InvalidRequest, Problem
from novelai.models import (
    DEFAULT_SIZE,
    K_DPM_2_SCHEDULES,
    NOISE_SCHEDULES,
    ModelInfo,
    resolve_model,
    resolve_sampler,
    sampler_smea_flags,
)

# Our own cap, in characters: V4+ reads about 512 T5 tokens (§4.4), so longer text is wasted and
# usually a paste accident.
MAX_PROMPT_CHARS = 2000

SIZE_STEP = 64
MIN_SIDE = 64
# Our own guard: NovelAI's per-side limit is not documented, and no preset goes beyond 1920.
MAX_SIDE = 4096
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

# Character centers: the website's 5×5 grid (§4.4) has cell centers 0.1 … 0.9.
GRID_COORDS = (0.1, 0.3, 0.5, 0.7, 0.9)
GRID_COLUMNS = "ABCDE"
MIN_CENTER, MAX_CENTER = GRID_COORDS[0], GRID_COORDS[-1]
AUTO_POSITION = "auto"

# Positions are read by the small scanners below, not by regular expressions: every step moves
# forward, so reading costs time in proportion to the text, whatever it holds. (The regular
# expression they replace, ``[-+]?[0-9]*\.?[0-9]+`` twice, could split a run of digits in n ways
# per number and took O(n³) to fail: 449 s for one 4 KB message; security review H1.)
#
# Coordinates are ASCII digits only (float() would read "０.３" too). What counts as a position
# suffix after "@" (``looks_like_position``) takes any decimal digit on purpose: a position typed
# with other digits is still recognised as one, and refused as a bad position instead of silently
# staying in the prompt.
_GRID_LETTERS = "ABCDEabcde"
_GRID_DIGITS = "12345"
_ASCII_DIGITS = frozenset("0123456789")
_SEPARATORS = ",;"
# The letters a position suffix may start with ("Z9" is a position, refused as off the grid): the
# ASCII letters, and the four others the earlier case-insensitive ``[A-Za-z]`` also took (İ ı ſ and
# the Kelvin sign fold to i, s and k), so such a suffix is refused as before, not kept in the prompt.
_CELL_LIKE_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\u0130\u0131\u017f\u212a")
# A position is a cell ("C3"), "auto" or two numbers ("(0.25, 0.75)"): a few characters. 64 leaves
# room for spaces, parentheses and long decimals, and is what no one types by accident.
MAX_POSITION_CHARS = 64
# One character in the chat syntax PROMPT@POSITION|NEGATIVE: two prompts, each with room for what
# ``resolved()`` strips before its own MAX_PROMPT_CHARS rule (with the clearer message) applies,
# and a position. The HTTP API's string form has the same bound.
MAX_CHARACTER_SPEC_CHARS = 4 * MAX_PROMPT_CHARS + MAX_POSITION_CHARS
# A model, sampler or noise schedule name: the longest real one (nai-diffusion-4-curated-preview,
# k_dpmpp_2s_ancestral) is about 30 characters.
MAX_NAME_CHARS = 64


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _skip_digits(text: str, i: int) -> int:
    while i < len(text) and text[i] in _ASCII_DIGITS:
        i += 1
    return i


def _number_end(text: str, i: int) -> int:
    """Where the number starting at ``i`` ends (-1 if none starts there): an optional sign, then
    ASCII digits with an optional point and more digits, or a point and digits ("0.5", "+.5", "3";
    not "1." nor "."). Greedy, and no other split could succeed: a number is always followed by a
    space, a separator, ")" or the end, none of which is a digit or a point."""
    if i < len(text) and text[i] in "+-":
        i += 1
    digits = _skip_digits(text, i)
    if digits < len(text) - 1 and text[digits] == "." and text[digits + 1] in _ASCII_DIGITS:
        return _skip_digits(text, digits + 1)
    return digits if digits > i else -1


def _coordinates(spec: str) -> tuple[str, str] | None:
    """The two numbers of "x,y" ("x;y", "(x, y)"; spaces around either number), or None."""
    i = _skip_space(spec, 1 if spec.startswith("(") else 0)
    end_x = _number_end(spec, i)
    if end_x < 0:
        return None
    sep = _skip_space(spec, end_x)
    if sep >= len(spec) or spec[sep] not in _SEPARATORS:
        return None
    start_y = _skip_space(spec, sep + 1)
    end_y = _number_end(spec, start_y)
    if end_y < 0:
        return None
    end = _skip_space(spec, end_y)
    if spec.startswith(")", end):
        end += 1
    return (spec[i:end_x], spec[start_y:end_y]) if end == len(spec) else None


def looks_like_position(text: str) -> bool:
    """Whether ``text`` (what follows the last "@" of a character) is meant as a position: a letter
    and digits ("C3", "Z9"), "auto", or two runs of digits, points, signs and spaces around one
    "," or ";", in optional parentheses. Anything else (the "@_@" tag) stays part of the prompt."""
    spec = text.strip()
    if spec.lower() == AUTO_POSITION:
        return True
    if len(spec) >= 2 and spec[0] in _CELL_LIKE_LETTERS and spec[1:].isdecimal():
        return True
    body = spec[1:] if spec.startswith("(") else spec
    body = body[:-1] if body.endswith(")") else body
    separators = [i for i, char in enumerate(body) if char in _SEPARATORS]
    if len(separators) != 1:
        return False
    left, right = body[:separators[0]], body[separators[0] + 1:]
    return bool(left and right) and all(char in "+-." or char.isdecimal() or char.isspace()
                                        for char in left + right)


def _too_long(field: str, label: str, length: int, limit: int, *, code: str) -> InvalidRequest:
    return InvalidRequest(Problem(field, f"the {label} is too long ({length} characters, the limit is {limit})",
                                  code=code, params={"length": length, "limit": limit}))


# What clean_prompt_text takes out of a prompt (None) or turns into a space / newline.
_UNSENDABLE: dict[int, str | None] = {
    code: (" " if chr(code).isspace() else None)
    for code in (*range(0x00, 0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A))
    if chr(code) not in "\t\n"
}
_UNSENDABLE[ord("\r")] = "\n"


def clean_prompt_text(text: str) -> str:
    """A prompt text without the characters that are never sent (see the module docstring)."""
    return text.replace("\r\n", "\n").translate(_UNSENDABLE)


POSITION_HELP = ("use a grid cell A1–E5 (letter = x from left, digit = y from top; C3 = center) "
                 "or x,y between 0 and 1")


def clamp_center(x: float, y: float) -> tuple[float, float]:
    """Pull coordinates inside 0.1–0.9: NovelAI reportedly answers 500 outside it (§4.4) and the
    website's grid never goes further out, so the edge cell is what such a position means anyway."""
    return min(max(x, MIN_CENTER), MAX_CENTER), min(max(y, MIN_CENTER), MAX_CENTER)


def _center_in_image(center: tuple[float, float]) -> bool:
    return all(0.0 <= value <= 1.0 for value in center)


def parse_position(text: str) -> tuple[float, float]:
    """A grid cell ("C3") or "x,y" in 0..1 as a center; coordinates are clamped to 0.1–0.9.

    Grid: letter A–E sets x, digit 1–5 sets y (AED/LLK convention, §4.4), so C3 = (0.5, 0.5).
    Raw coordinates outside 0..1 are refused rather than clamped: they are a typo, not an edge.
    """
    spec = text.strip()
    if len(spec) > MAX_POSITION_CHARS:
        raise _too_long("position", "position", len(spec), MAX_POSITION_CHARS, code="position_too_long")
    if len(spec) == 2 and spec[0] in _GRID_LETTERS and spec[1] in _GRID_DIGITS:
        return GRID_COORDS[GRID_COLUMNS.index(spec[0].upper())], GRID_COORDS[int(spec[1]) - 1]
    pair = _coordinates(spec)
    if pair is None:
        raise InvalidRequest(Problem("position", f"'{text}' is not a position; {POSITION_HELP}",
                                     code="bad_position", params={"value": text}))
    center = float(pair[0]), float(pair[1])
    if not _center_in_image(center):
        raise InvalidRequest(Problem("position", f"position {spec} is outside the image; {POSITION_HELP}",
                                     code="position_outside", params={"value": spec}))
    return clamp_center(*center)


class CharacterPrompt(BaseModel, frozen=True):
    """One V4+ character: its own prompt, its own undesired content, and where it stands.

    ``center`` None lets the AI place the character.
    """

    prompt: str
    negative: str = ""
    center: tuple[float, float] | None = None

    @field_validator("prompt", "negative")
    @classmethod
    def _sendable(cls, text: str) -> str:
        return clean_prompt_text(text)

    @classmethod
    def parse(cls, spec: str) -> CharacterPrompt:
        """Parse the chat syntax ``PROMPT[@POSITION][|NEGATIVE]``.

        Examples: ``girl, red hair@B3``, ``girl@0.3,0.7``, ``girl`` (the AI places her),
        ``girl, red hair@B3|lowres, bad hands``. POSITION is a grid cell A1–E5, ``x,y`` in 0..1,
        or ``auto``. Only the text after the *last* ``@`` that looks like a position is taken as
        one, so tags such as ``@_@`` stay in the prompt; the negative may contain anything.
        A spec longer than MAX_CHARACTER_SPEC_CHARS is refused before it is read.
        """
        if len(spec) > MAX_CHARACTER_SPEC_CHARS:
            raise _too_long("characters", "character text", len(spec), MAX_CHARACTER_SPEC_CHARS,
                            code="character_text_too_long")
        body, _, negative = spec.partition("|")
        prompt, center = body, None
        head, at, tail = body.rpartition("@")
        if at and looks_like_position(tail):
            prompt = head
            center = None if tail.strip().lower() == AUTO_POSITION else parse_position(tail)
        return cls(prompt=prompt.strip(), negative=negative.strip(), center=center)


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
        if problems:
            raise InvalidRequest(problems)
        return self.model_copy(update={
            **settings,
            "prompt": self.prompt.strip(),
            "negative": self.negative.strip(),
            "characters": tuple(_resolved_character(c) for c in self.characters),
            "seed": self.seed if self.seed is not None else draw_seed(rng),
        })


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
    schedule = _noise_schedule(req.noise_schedule, sampler)
    problems += _schedule_problems(schedule, explicit=req.noise_schedule is not None, sampler=sampler,
                                   model=model)
    return {
        "model": model.id,
        "sampler": sampler,
        "smea": smea,
        "smea_dyn": smea_dyn,
        "steps": req.steps if req.steps is not None else model.default_steps,
        "scale": req.scale if req.scale is not None else model.default_scale,
        "noise_schedule": schedule or model.default_noise_schedule,
    }


def _noise_schedule(requested: str | None, sampler: str | None) -> str | None:
    """The user's schedule, normalised; else k_dpm_2's only working one; else None (model default)."""
    if requested is not None:
        return requested.strip().lower()
    if sampler == "k_dpm_2":
        return K_DPM_2_SCHEDULES[0]
    return None


def _schedule_problems(schedule: str | None, *, explicit: bool, sampler: str | None,
                       model: ModelInfo) -> list[Problem]:
    if schedule is None:
        return []
    if schedule not in NOISE_SCHEDULES:
        return [Problem("noise_schedule",
                        f"unknown noise schedule '{schedule}'; use one of {', '.join(NOISE_SCHEDULES)}",
                        code="unknown_noise_schedule", params={"value": schedule, "choices": NOISE_SCHEDULES})]
    if explicit and schedule == "native" and model.uses_v4_prompt:
        return [Problem("noise_schedule",
                        f"the native noise schedule does not work on {model.label}; use karras, exponential "
                        "or polyexponential",
                        code="native_schedule_v4",
                        params={"model": model.label, "choices": tuple(s for s in NOISE_SCHEDULES if s != "native")})]
    if sampler == "k_dpm_2" and schedule not in K_DPM_2_SCHEDULES:
        return [Problem("noise_schedule",
                        f"the k_dpm_2 sampler only works with {' or '.join(K_DPM_2_SCHEDULES)} "
                        f"(got {schedule})",
                        code="k_dpm_2_schedule", params={"value": schedule, "choices": K_DPM_2_SCHEDULES})]
    return []


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
    if character.center is not None and not _center_in_image(character.center):
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


def _resolved_character(character: CharacterPrompt) -> CharacterPrompt:
    center = clamp_center(*character.center) if character.center is not None else None
    return CharacterPrompt(prompt=character.prompt.strip(), negative=character.negative.strip(),
                           center=center)
