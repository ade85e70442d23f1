"""Request resolution and validation: defaults, canonical names, and every problem reported at once."""

from __future__ import annotations

import math
import random
from typing import Any

import pydantic
import pytest

from novelai.errors import InvalidRequest, Problem
from novelai.payload import build_payload
from novelai.request import (
    MAX_DRAWN_SEED,
    MAX_PROMPT_CHARS,
    CharacterPrompt,
    GenerationRequest,
    max_samples_for_area,
    parse_position,
)


def _problems(**fields: Any) -> dict[str, str]:
    """Resolve a request that must fail; return its problems as {field: message}."""
    fields.setdefault("prompt", "1girl")
    with pytest.raises(InvalidRequest) as error:
        GenerationRequest(**fields).resolved()
    return {p.field: p.message for p in error.value.problems}


# --- positions and character specs -----------------------------------------------------------

@pytest.mark.parametrize(("text", "center"), [
    ("A1", (0.1, 0.1)), ("C3", (0.5, 0.5)), ("E5", (0.9, 0.9)), ("B4", (0.3, 0.7)), ("d2", (0.7, 0.3)),
])
def test_parse_position_grid_letter_is_x_and_digit_is_y(text: str, center: tuple[float, float]) -> None:
    assert parse_position(text) == center


@pytest.mark.parametrize(("text", "center"), [
    ("0.3,0.7", (0.3, 0.7)), ("0.25, 0.6", (0.25, 0.6)), ("(0.5, 0.5)", (0.5, 0.5)), (".4;.6", (0.4, 0.6)),
])
def test_parse_position_raw_coordinates(text: str, center: tuple[float, float]) -> None:
    assert parse_position(text) == center


@pytest.mark.parametrize(("text", "center"), [
    ("0,1", (0.1, 0.9)), ("0.05,0.95", (0.1, 0.9)), ("1,0", (0.9, 0.1)),
])
def test_parse_position_clamps_image_edges_to_the_outer_grid_cells(text: str,
                                                                   center: tuple[float, float]) -> None:
    assert parse_position(text) == center


@pytest.mark.parametrize("text", ["F1", "A6", "A0", "Z", "1.5,0.5", "0.5,-0.1", "middle", ""])
def test_parse_position_refuses_positions_off_the_grid_or_the_image(text: str) -> None:
    with pytest.raises(InvalidRequest) as error:
        parse_position(text)
    [problem] = error.value.problems
    assert problem.field == "position"
    assert "A1–E5" in problem.message


@pytest.mark.parametrize(("spec", "expected"), [
    ("girl, red hair@B3", CharacterPrompt(prompt="girl, red hair", center=(0.3, 0.5))),
    ("girl@0.3,0.7", CharacterPrompt(prompt="girl", center=(0.3, 0.7))),
    ("girl", CharacterPrompt(prompt="girl")),
    ("girl, red hair@B3|lowres",
     CharacterPrompt(prompt="girl, red hair", negative="lowres", center=(0.3, 0.5))),
    ("girl | bad hands, @_@", CharacterPrompt(prompt="girl", negative="bad hands, @_@")),
    ("girl @ c3", CharacterPrompt(prompt="girl", center=(0.5, 0.5))),
    ("girl@auto|lowres", CharacterPrompt(prompt="girl", negative="lowres")),
    ("girl, @_@", CharacterPrompt(prompt="girl, @_@")),
    ("girl, @_@@E1", CharacterPrompt(prompt="girl, @_@", center=(0.9, 0.1))),
])
def test_character_prompt_parse(spec: str, expected: CharacterPrompt) -> None:
    assert CharacterPrompt.parse(spec) == expected


@pytest.mark.parametrize("spec", ["girl@F9", "girl@1.2,0.5"])
def test_character_prompt_parse_refuses_a_bad_position(spec: str) -> None:
    with pytest.raises(InvalidRequest):
        CharacterPrompt.parse(spec)


# --- resolution -----------------------------------------------------------------------------

@pytest.mark.parametrize(("model", "model_id", "sampler", "steps", "scale", "schedule"), [
    ("v3", "nai-diffusion-3", "k_euler_ancestral", 28, 5.0, "native"),
    ("furry-v3", "nai-diffusion-furry-3", "k_euler_ancestral", 28, 6.2, "native"),
    ("v4", "nai-diffusion-4-full", "k_euler_ancestral", 23, 5.5, "karras"),
    ("v4.5-curated", "nai-diffusion-4-5-curated", "k_euler_ancestral", 23, 5.0, "karras"),
    ("v5", "nai-diffusion-5-full", "k_euler_ancestral", 23, 5.0, "karras"),
])
def test_resolved_fills_the_family_defaults_and_canonical_model_id(
        model: str, model_id: str, sampler: str, steps: int, scale: float, schedule: str) -> None:
    req = GenerationRequest(prompt="1girl", model=model).resolved()
    assert (req.model, req.sampler, req.steps, req.scale, req.noise_schedule) == (
        model_id, sampler, steps, scale, schedule)


def test_resolved_keeps_what_the_user_chose() -> None:
    req = GenerationRequest(prompt="1girl", sampler="dpm++2m", steps=30, scale=7.5,
                            noise_schedule="Exponential", seed=123).resolved()
    assert (req.sampler, req.steps, req.scale, req.noise_schedule, req.seed) == (
        "k_dpmpp_2m", 30, 7.5, "exponential", 123)


def test_resolved_strips_surrounding_whitespace_from_texts() -> None:
    req = GenerationRequest(prompt="  1girl \n", negative=" lowres ",
                            characters=(CharacterPrompt(prompt=" girl ", negative=" bad "),)).resolved()
    assert (req.prompt, req.negative) == ("1girl", "lowres")
    assert req.characters == (CharacterPrompt(prompt="girl", negative="bad"),)


def test_resolved_turns_smea_sampler_into_euler_ancestral_with_flags() -> None:
    req = GenerationRequest(prompt="1girl", model="v3", sampler="nai_smea_dyn").resolved()
    assert (req.sampler, req.smea, req.smea_dyn) == ("k_euler_ancestral", True, True)


def test_resolved_draws_a_seed_deterministically_from_the_given_rng() -> None:
    req = GenerationRequest(prompt="1girl")
    first = req.resolved(random.Random(42)).seed
    assert first == req.resolved(random.Random(42)).seed
    assert first == random.Random(42).randint(1, 2**32 - 1 - 7)


def test_drawn_seeds_stay_in_range() -> None:
    rng = random.Random(7)
    seeds = [GenerationRequest(prompt="1girl").resolved(rng).seed for _ in range(200)]
    assert all(seed is not None and 1 <= seed <= MAX_DRAWN_SEED for seed in seeds)
    assert len(set(seeds)) == len(seeds)


def test_resolved_without_rng_still_draws_a_seed() -> None:
    assert GenerationRequest(prompt="1girl").resolved().seed is not None


@pytest.mark.parametrize("request_", [
    GenerationRequest(prompt="1girl"),
    GenerationRequest(prompt=" 1girl ", model="V3", sampler="nai_smea", uc_preset=3),
    GenerationRequest(prompt="2girls", model="v4.5", sampler="dpm++2m",
                      characters=(CharacterPrompt(prompt="a", center=(0.0, 1.0)),
                                  CharacterPrompt(prompt="b"))),
    GenerationRequest(prompt="x", model="nai-diffusion-6-full", transparent=True, seed=0),
], ids=["defaults", "v3-smea", "characters", "future-model"])
def test_resolving_a_resolved_request_changes_nothing(request_: GenerationRequest) -> None:
    resolved = request_.resolved(random.Random(1))
    assert resolved.resolved(random.Random(2)) == resolved


def test_resolved_request_round_trips_through_json() -> None:
    req = GenerationRequest(prompt="2girls", characters=(CharacterPrompt.parse("girl@B3|lowres"),)).resolved()
    data = req.model_dump(mode="json")
    assert data["characters"][0]["center"] == [0.3, 0.5]
    assert GenerationRequest.model_validate(data) == req
    assert GenerationRequest.model_validate_json(req.model_dump_json()) == req


def test_requests_are_immutable() -> None:
    req = GenerationRequest(prompt="1girl")
    with pytest.raises(pydantic.ValidationError):
        req.steps = 10  # type: ignore[misc]


def test_k_dpm_2_without_a_schedule_gets_exponential() -> None:
    assert GenerationRequest(prompt="1girl", model="v3", sampler="k_dpm_2").resolved().noise_schedule == "exponential"


def test_native_schedule_is_fine_on_v3() -> None:
    req = GenerationRequest(prompt="1girl", model="v3", noise_schedule="native").resolved()
    assert req.noise_schedule == "native"


def test_character_positions_are_clamped_into_the_grid_when_resolved() -> None:
    edge = CharacterPrompt(prompt="a", center=(0.0, 1.0))
    req = GenerationRequest(prompt="x", characters=(edge,)).resolved()
    assert req.characters[0].center == (0.1, 0.9)


@pytest.mark.parametrize(("area", "n"), [(512 * 704, 8), (640 * 640, 6), (832 * 1216, 4), (1024 * 1536, 2),
                                         (1472 * 1472, 1)])
def test_max_samples_for_area_follows_the_table(area: int, n: int) -> None:
    assert max_samples_for_area(area) == n


# --- one test per validation problem --------------------------------------------------------

@pytest.mark.parametrize(("fields", "field", "fragment"), [
    ({"prompt": "   "}, "prompt", "empty"),
    ({"prompt": "a" * (MAX_PROMPT_CHARS + 1)}, "prompt", f"limit is {MAX_PROMPT_CHARS}"),
    ({"negative": "a" * (MAX_PROMPT_CHARS + 1)}, "negative", "negative prompt is too long"),
    ({"model": "dall-e"}, "model", "unknown model 'dall-e'"),
    ({"width": 800}, "width", "multiple of 64 (got 800; try 768 or 832)"),
    ({"height": 1000}, "height", "multiple of 64 (got 1000; try 960 or 1024)"),
    ({"width": 0}, "width", "between 64 and 2048"),
    ({"width": 64, "height": 8192}, "height", "between 64 and 2048"),
    ({"width": 2048, "height": 2048}, "size", "3,145,728"),
    ({"steps": 80}, "steps", "steps must be between 1 and 50 (got 80)"),
    ({"steps": 0}, "steps", "between 1 and 50 (got 0)"),
    ({"n_samples": 0}, "n_samples", "between 1 and 8 (got 0)"),
    ({"n_samples": 9, "width": 512, "height": 512}, "n_samples", "between 1 and 8 (got 9)"),
    ({"n_samples": 5}, "n_samples", "at 832×1216 NovelAI makes at most 4"),
    ({"n_samples": 2, "width": 1472, "height": 1472}, "n_samples", "at most 1"),
    ({"scale": 10.5}, "scale", "between 0 and 10 (got 10.5)"),
    ({"scale": -1}, "scale", "between 0 and 10"),
    ({"cfg_rescale": 1.5}, "cfg_rescale", "between 0 and 1 (got 1.5)"),
    ({"sampler": "turbo"}, "sampler", "unknown sampler 'turbo'"),
    ({"sampler": "nai_smea"}, "sampler", "only work on V3"),
    ({"noise_schedule": "linear"}, "noise_schedule", "unknown noise schedule 'linear'"),
    ({"noise_schedule": "native"}, "noise_schedule", "native noise schedule does not work"),
    ({"model": "v3", "sampler": "k_dpm_2", "noise_schedule": "karras"}, "noise_schedule",
     "exponential or polyexponential"),
    ({"smea": True}, "smea", "only exists on V3"),
    ({"model": "v3", "smea_dyn": True}, "smea_dyn", "turn SMEA on"),
    ({"model": "v3", "characters": (CharacterPrompt(prompt="girl"),)}, "characters", "does not support"),
    ({"characters": tuple(CharacterPrompt(prompt=f"c{i}") for i in range(7))}, "characters", "at most 6"),
    ({"characters": (CharacterPrompt(prompt=" "),)}, "characters[0]", "character 1 has an empty prompt"),
    ({"characters": (CharacterPrompt(prompt="a"), CharacterPrompt(prompt="b", center=(1.2, 0.5)))},
     "characters[1]", "character 2's position 1.2,0.5 is outside"),
    ({"characters": (CharacterPrompt(prompt="a", negative="n" * (MAX_PROMPT_CHARS + 1)),)}, "characters[0]",
     "longer than"),
    ({"uc_preset": 5}, "uc_preset", "0 Heavy, 1 Light, 2 Furry Focus, 3 Human Focus, 4 None"),
    ({"model": "v4", "uc_preset": 3}, "uc_preset", "(got 3)"),
    ({"uc_preset": -1}, "uc_preset", "(got -1)"),
    ({"seed": -1}, "seed", "between 0 and 4294967295 (got -1)"),
    ({"seed": 2**32}, "seed", "(got 4294967296)"),
])
def test_each_validation_problem_names_the_field_and_says_how_to_fix_it(
        fields: dict[str, Any], field: str, fragment: str) -> None:
    problems = _problems(**fields)
    assert field in problems, problems
    assert fragment in problems[field]


@pytest.mark.parametrize(("fields", "field", "code", "params"), [
    ({"prompt": "   "}, "prompt", "empty_prompt", {}),
    ({"prompt": "a" * (MAX_PROMPT_CHARS + 1)}, "prompt", "prompt_too_long",
     {"length": MAX_PROMPT_CHARS + 1, "limit": MAX_PROMPT_CHARS}),
    ({"negative": "a" * (MAX_PROMPT_CHARS + 1)}, "negative", "negative_too_long",
     {"length": MAX_PROMPT_CHARS + 1, "limit": MAX_PROMPT_CHARS}),
    ({"model": "dall-e"}, "model", "unknown_model", {"value": "dall-e"}),
    ({"model": "nai-diffusion-2"}, "model", "legacy_model", {"value": "nai-diffusion-2"}),
    ({"model": "nai-diffusion-4-5-full-inpainting"}, "model", "inpainting_model", {"suffix": "-inpainting"}),
    ({"width": 800}, "width", "size_multiple", {"side": "width", "step": 64, "value": 800, "lower": 768,
                                                "upper": 832}),
    ({"width": 64, "height": 8192}, "height", "side_range", {"side": "height", "min": 64, "max": 2048,
                                                             "value": 8192}),
    ({"width": 2048, "height": 2048}, "size", "area_too_large", {"area": 2048 * 2048, "max_area": 3_145_728}),
    ({"steps": 80}, "steps", "steps_range", {"min": 1, "max": 50, "value": 80}),
    ({"n_samples": 0}, "n_samples", "n_samples_range", {"min": 1, "max": 8, "value": 0}),
    ({"n_samples": 5}, "n_samples", "n_samples_for_area", {"width": 832, "height": 1216, "max": 4, "value": 5}),
    ({"scale": 10.5}, "scale", "scale_range", {"min": 0.0, "max": 10.0, "value": 10.5}),
    ({"cfg_rescale": 1.5}, "cfg_rescale", "cfg_rescale_range", {"min": 0.0, "max": 1.0, "value": 1.5}),
    ({"seed": -1}, "seed", "seed_range", {"min": 0, "max": 2**32 - 1, "value": -1}),
    ({"sampler": "turbo"}, "sampler", "unknown_sampler", {"value": "turbo"}),
    ({"sampler": "nai_smea"}, "sampler", "smea_sampler_v3_only", {"sampler": "k_euler_ancestral"}),
    ({"noise_schedule": "linear"}, "noise_schedule", "unknown_noise_schedule", {"value": "linear"}),
    ({"model": "v4", "noise_schedule": "native"}, "noise_schedule", "native_schedule_v4",
     {"model": "NAI Diffusion V4 Full", "choices": ("karras", "exponential", "polyexponential")}),
    ({"model": "v3", "sampler": "k_dpm_2", "noise_schedule": "karras"}, "noise_schedule", "k_dpm_2_schedule",
     {"value": "karras", "choices": ("exponential", "polyexponential")}),
    ({"smea": True}, "smea", "smea_v3_only", {"model": "NAI Diffusion V4.5 Full"}),
    ({"model": "v3", "smea_dyn": True}, "smea_dyn", "smea_dyn_needs_smea", {}),
    ({"model": "v3", "characters": (CharacterPrompt(prompt="girl"),)}, "characters", "characters_v4_only",
     {"model": "NAI Diffusion V3"}),
    ({"characters": tuple(CharacterPrompt(prompt=f"c{i}") for i in range(7))}, "characters",
     "too_many_characters", {"max": 6, "value": 7}),
    ({"characters": (CharacterPrompt(prompt=" "),)}, "characters[0]", "character_empty_prompt", {"number": 1}),
    ({"characters": (CharacterPrompt(prompt="a", negative="n" * (MAX_PROMPT_CHARS + 1)),)}, "characters[0]",
     "character_too_long", {"number": 1, "limit": MAX_PROMPT_CHARS}),
    ({"characters": (CharacterPrompt(prompt="a"), CharacterPrompt(prompt="b", center=(1.2, 0.5)))},
     "characters[1]", "character_outside", {"number": 2, "x": 1.2, "y": 0.5}),
    ({"uc_preset": 5}, "uc_preset", "uc_preset_range",
     {"value": 5, "choices": ("0 Heavy", "1 Light", "2 Furry Focus", "3 Human Focus", "4 None")}),
])
def test_each_validation_problem_has_a_stable_code_and_its_params(
        fields: dict[str, Any], field: str, code: str, params: dict[str, Any]) -> None:
    fields.setdefault("prompt", "1girl")
    with pytest.raises(InvalidRequest) as error:
        GenerationRequest(**fields).resolved()
    [problem] = [p for p in error.value.problems if p.field == field]
    assert problem.code == code
    assert {name: problem.params.get(name) for name in params} == params


@pytest.mark.parametrize(("text", "code"), [("middle", "bad_position"), ("1.5,0.5", "position_outside")])
def test_position_problems_have_codes(text: str, code: str) -> None:
    with pytest.raises(InvalidRequest) as error:
        parse_position(text)
    [problem] = error.value.problems
    assert (problem.code, problem.params) == (code, {"value": text})


def test_problem_params_take_no_part_in_equality_or_hashing() -> None:
    first = Problem("steps", "too many", code="steps_range", params={"value": 80})
    second = Problem("steps", "too many", code="steps_range", params={"value": 81})
    assert first == second and hash(first) == hash(second)
    assert str(first) == "steps: too many"
    assert Problem("steps", "too many").code == "" and Problem("steps", "too many").params == {}


def test_all_problems_are_reported_at_once() -> None:
    problems = _problems(prompt="", steps=80, width=800, scale=11, seed=-1, model="v3", smea_dyn=True,
                         uc_preset=9, characters=(CharacterPrompt(prompt="girl"),))
    assert set(problems) == {"prompt", "steps", "width", "scale", "seed", "smea_dyn", "uc_preset",
                             "characters"}


def test_unknown_model_still_reports_the_model_independent_problems() -> None:
    assert set(_problems(model="nope", steps=99, width=65)) == {"model", "steps", "width"}


def test_invalid_request_message_lists_every_problem() -> None:
    with pytest.raises(InvalidRequest) as error:
        GenerationRequest(prompt="", steps=80).resolved()
    assert "prompt:" in error.value.user_message and "steps:" in error.value.user_message


def test_seed_zero_is_allowed_and_kept() -> None:
    assert GenerationRequest(prompt="1girl", seed=0).resolved().seed == 0


# --- what never reaches NovelAI -----------------------------------------------------------------

# The controls that are not whitespace (those become a space, below), by kind.
_C0 = "".join(chr(c) for c in (*range(0x00, 0x09), *range(0x0E, 0x1C)))
_C1 = "".join(chr(c) for c in (*range(0x80, 0x85), *range(0x86, 0xA0)))
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_CONTROLS = _C0 + "\x7f" + _C1


@pytest.mark.parametrize("junk", [_C0, "\x7f", _C1, _BIDI, "\x00", "\u202e"],
                         ids=["C0", "DEL", "C1", "bidi", "NUL", "RLO"])
def test_control_and_bidi_characters_are_taken_out_of_every_prompt_text(junk: str) -> None:
    """A NUL in a prompt (``a\\x00cat``) used to be queued and sent to NovelAI unchanged."""
    character = CharacterPrompt(prompt=f"gi{junk}rl", negative=f"bad{junk} hands")
    req = GenerationRequest(prompt=f"a{junk}cat", negative=f"low{junk}res", characters=(character,)).resolved()
    assert (req.prompt, req.negative) == ("acat", "lowres")
    assert (req.characters[0].prompt, req.characters[0].negative) == ("girl", "bad hands")
    sent = "".join(_strings(build_payload(req)))
    assert "acat" in sent and "girl" in sent
    assert not set(sent) & set(_CONTROLS + _BIDI)


def _strings(value: object) -> list[str]:
    """Every string in a JSON-like value, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return []


def test_chat_syntax_character_is_cleaned_too() -> None:
    assert CharacterPrompt.parse("gi\x00rl\u202e@B3|ba\x1bd") == CharacterPrompt(prompt="girl", negative="bad",
                                                                               center=(0.3, 0.5))


def test_newline_and_tab_stay_and_line_endings_become_newlines() -> None:
    req = GenerationRequest(prompt="1girl,\r\nbeach,\rsunset,\n\tnight", negative="a\r\n\r\nb")
    assert (req.prompt, req.negative) == ("1girl,\nbeach,\nsunset,\n\tnight", "a\n\nb")


def test_whitespace_controls_become_a_space_so_words_stay_apart() -> None:
    for space in "\x0b\x0c\x1c\x1d\x1e\x1f\x85":
        assert GenerationRequest(prompt=f"red{space}hair").prompt == "red hair", repr(space)


def test_zero_width_joiner_and_direction_marks_are_kept() -> None:
    """Emoji sequences need ZWJ; LRM/RLM are ordinary in right-to-left text."""
    text = "\U0001F469\u200d\U0001F52C cat \u200fقطة\u200e"
    assert GenerationRequest(prompt=text).prompt == text


def test_a_prompt_of_nothing_but_controls_is_empty() -> None:
    assert _problems(prompt="\x00\x07\u202e") == {"prompt": _problems(prompt=" ")["prompt"]}


def test_length_limit_counts_what_is_sent() -> None:
    GenerationRequest(prompt="a" * MAX_PROMPT_CHARS + "\x00" * 50).resolved()


@pytest.mark.parametrize(("field", "code", "limits"), [
    ("scale", "scale_range", {"min": 0.0, "max": 10.0}), ("cfg_rescale", "cfg_rescale_range", {"min": 0.0, "max": 1.0}),
])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, float("1e309")])
def test_non_finite_guidance_is_refused_with_its_own_range(field: str, code: str, limits: dict[str, float],
                                                          value: float) -> None:
    """Front ends without the chat grammar (the CLI's argparse reads "nan") still get the real range."""
    with pytest.raises(InvalidRequest) as error:
        GenerationRequest(prompt="1girl", **{field: value}).resolved()
    [problem] = error.value.problems
    assert (problem.field, problem.code) == (field, code)
    assert {k: problem.params[k] for k in limits} == limits
