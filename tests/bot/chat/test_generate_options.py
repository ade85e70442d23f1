"""``/generate`` text parsing: both syntaxes, quotes, colon tags, and every kind of mistake."""

from __future__ import annotations

import pytest

from bot.chat.generate_options import FieldProblem, OptionError, parse_generate, parse_value, request_problems
from bot.chat.user_settings import parse_setting
from novelai.errors import InvalidRequest, Problem
from novelai.request import CharacterPrompt, GenerationRequest


def error_of(text: str) -> OptionError:
    with pytest.raises(OptionError) as caught:
        parse_generate(text)
    return caught.value


def test_dash_syntax_sets_every_field() -> None:
    options = parse_generate('a cat in a hat, night --model v4.5 --size portrait --steps 28 --n 2 --seed 5 '
                             '--neg "lowres" --char "girl, red hair@B3" --char "boy@D3"')
    assert options.prompt == "a cat in a hat, night"
    assert options.fields == {
        "model": "nai-diffusion-4-5-full", "width": 832, "height": 1216, "steps": 28, "n_samples": 2, "seed": 5,
        "negative": "lowres",
        "characters": (CharacterPrompt(prompt="girl, red hair", center=(0.3, 0.5)),
                       CharacterPrompt(prompt="boy", center=(0.7, 0.5))),
    }
    assert options.priority is None


def test_key_value_syntax_sets_the_same_fields() -> None:
    options = parse_generate('model:v4.5 size:1216x832 steps:28 neg:"lowres, blurry" char:"girl, red hair@B3" '
                             "a cat")
    assert options.prompt == "a cat"
    assert options.fields == {
        "model": "nai-diffusion-4-5-full", "width": 1216, "height": 832, "steps": 28,
        "negative": "lowres, blurry", "characters": (CharacterPrompt(prompt="girl, red hair", center=(0.3, 0.5)),),
    }


def test_syntaxes_mix_with_options_before_and_after_the_prompt() -> None:
    options = parse_generate("--steps 20 a cat steps:24 in a hat --seed=7 scale:6")
    assert options.prompt == "a cat in a hat"
    assert options.fields == {"steps": 24, "seed": 7, "scale": 6.0}


def test_equals_form_takes_a_quoted_value() -> None:
    assert parse_generate('cat --neg="lowres, blurry"').fields == {"negative": "lowres, blurry"}


def test_chinese_curly_quotes_group_values() -> None:
    options = parse_generate("一只猫 neg:“低质量, 模糊” --char ‘girl, red hair@C3’")
    assert options.prompt == "一只猫"
    assert options.fields["negative"] == "低质量, 模糊"
    assert options.fields["characters"] == (CharacterPrompt(prompt="girl, red hair", center=(0.5, 0.5)),)


def test_single_quotes_group_values() -> None:
    assert parse_generate("cat --neg 'bad hands, lowres'").fields == {"negative": "bad hands, lowres"}


def test_full_width_colon_works_like_a_colon() -> None:
    assert parse_generate("猫 steps：20").fields == {"steps": 20}


def test_colon_tags_stay_in_the_prompt() -> None:
    text = "artist:wlop, score:9, rating:general, year 2024, 1.2::big cat::, {best quality} [blurry]"
    options = parse_generate(text)
    assert options.prompt == text
    assert options.fields == {}


def test_colon_tags_stay_next_to_real_options() -> None:
    options = parse_generate("artist:wlop, score:9, model:v3 1girl")
    assert options.prompt == "artist:wlop, score:9, 1girl"
    assert options.fields == {"model": "nai-diffusion-3"}


def test_option_names_are_case_insensitive() -> None:
    assert parse_generate("cat STEPS:20 --Model V4.5").fields == {"steps": 20, "model": "nai-diffusion-4-5-full"}


def test_whitespace_is_normalised_and_seam_commas_dropped() -> None:
    assert parse_generate("  a cat,   steps:28,\n night ,  --n 1").prompt == "a cat, night"


def test_weights_and_brackets_survive_untouched() -> None:
    assert parse_generate("{{masterpiece}}, [[sketch]], 1.5::red eyes::, cat").prompt == \
        "{{masterpiece}}, [[sketch]], 1.5::red eyes::, cat"


def test_quotes_inside_the_prompt_are_prompt_text() -> None:
    assert parse_generate("girl's hat, a sign saying \"hi there\" --n 1").prompt == \
        "girl's hat, a sign saying \"hi there\""


def test_a_prompt_entirely_in_quotes_is_unwrapped() -> None:
    assert parse_generate('"a cat, night" --steps 20').prompt == "a cat, night"


def test_value_after_colon_and_space_is_accepted() -> None:
    assert parse_generate("a cat steps: 28").fields == {"steps": 28}


def test_em_dash_from_phone_keyboards_works_as_double_dash() -> None:
    assert parse_generate("cat —steps 20").fields == {"steps": 20}


@pytest.mark.parametrize(("text", "model"), [
    ("m:v4", "nai-diffusion-4-full"),
    ("--model v4.5-curated", "nai-diffusion-4-5-curated"),
    ("model:nai-diffusion-3", "nai-diffusion-3"),
    ("--m furry-v3", "nai-diffusion-furry-3"),
])
def test_model_aliases(text: str, model: str) -> None:
    assert parse_generate(f"cat {text}").fields == {"model": model}


@pytest.mark.parametrize(("text", "size"), [
    ("size:portrait", (832, 1216)),
    ("--res landscape", (1216, 832)),
    ("resolution:1024x1024", (1024, 1024)),
    ("size:wide", (1216, 832)),
    ("--size 640×640", (640, 640)),
])
def test_size_aliases_and_explicit_sizes(text: str, size: tuple[int, int]) -> None:
    fields = parse_generate(f"cat {text}").fields
    assert (fields["width"], fields["height"]) == size


@pytest.mark.parametrize("sampler", ["euler_a", "k_euler_ancestral", "dpm++2m", "DPM++ 2M", "ddim", "nai_smea"])
def test_known_sampler_spellings_are_accepted(sampler: str) -> None:
    assert parse_generate(f'cat --s "{sampler}"').fields == {"sampler": sampler}


@pytest.mark.parametrize(("text", "fields"), [
    ("--cfg 6.5", {"scale": 6.5}),
    ("guidance:4", {"scale": 4.0}),
    ("--count 3", {"n_samples": 3}),
    ("images:2", {"n_samples": 2}),
    ("uc:lowres", {"negative": "lowres"}),
    ("--negative lowres", {"negative": "lowres"}),
    ("--preset 2", {"uc_preset": 2}),
    ("ucpreset:1", {"uc_preset": 1}),
    ("--rescale 0.3", {"cfg_rescale": 0.3}),
    ("cfg_rescale:0.1", {"cfg_rescale": 0.1}),
    ("--schedule karras", {"noise_schedule": "karras"}),
    ("noise:exponential", {"noise_schedule": "exponential"}),
    ("quality:off", {"quality_tags": False}),
    ("--quality yes", {"quality_tags": True}),
    ("variety:on", {"variety": True}),
])
def test_option_aliases_map_to_request_fields(text: str, fields: dict[str, object]) -> None:
    assert parse_generate(f"cat {text}").fields == fields


def test_priority_is_returned_apart_from_the_fields() -> None:
    options = parse_generate("cat prio:8")
    assert (options.fields, options.priority) == ({}, 8)


def test_switch_alone_means_on_without_eating_the_prompt() -> None:
    options = parse_generate("--variety a cat --quality")
    assert options.prompt == "a cat"
    assert options.fields == {"variety": True, "quality_tags": True}


def test_repeated_char_adds_characters_in_order() -> None:
    options = parse_generate("two people --char girl@A1 --char boy@E5 char:cat")
    assert [c.prompt for c in options.fields["characters"]] == ["girl", "boy", "cat"]
    assert options.fields["characters"][2].center is None


def test_character_negative_after_bar() -> None:
    (character,) = parse_generate('x --char "girl@B3|lowres, bad hands"').fields["characters"]
    assert character == CharacterPrompt(prompt="girl", negative="lowres, bad hands", center=(0.3, 0.5))


def test_repeated_option_keeps_the_last_value() -> None:
    assert parse_generate("cat --steps 20 --steps 28").fields == {"steps": 28}


def test_ranges_are_left_to_request_validation() -> None:
    fields = parse_generate("cat --steps 500 --n 99 --scale 40").fields
    assert fields == {"steps": 500, "n_samples": 99, "scale": 40.0}
    with pytest.raises(InvalidRequest):
        GenerationRequest(prompt="cat", **fields).resolved()


def test_fields_build_a_valid_request() -> None:
    options = parse_generate('a cat --model v4.5 --size square --steps 28 --char "girl@C3" --seed 1')
    request = GenerationRequest(prompt=options.prompt, **options.fields).resolved()
    assert (request.width, request.height, request.seed) == (1024, 1024, 1)


def test_unknown_option_suggests_the_closest_name() -> None:
    error = error_of("cat --setps 20")
    assert (error.key, error.params) == ("option.unknown_suggest", {"option": "--setps", "suggestion": "--steps"})


def test_unknown_option_without_a_close_name_lists_the_options() -> None:
    error = error_of("cat --xyzzy 1")
    assert error.key == "option.unknown"
    assert error.params["option"] == "--xyzzy"
    assert "steps" in error.params["choices"] and "model" in error.params["choices"]


def test_missing_value_at_the_end() -> None:
    error = error_of("cat --steps")
    assert (error.key, error.params) == ("option.missing_value", {"option": "steps", "example": "28"})


def test_missing_value_before_another_option() -> None:
    error = error_of("cat --seed --n 2")
    assert (error.key, error.params["option"]) == ("option.missing_value", "seed")


def test_missing_value_in_key_value_form() -> None:
    assert error_of("cat neg:").key == "option.missing_value"


def test_empty_quoted_value_is_missing() -> None:
    assert error_of('cat neg:""').key == "option.missing_value"


def test_bad_integer() -> None:
    error = error_of("cat --steps many")
    assert (error.key, error.params) == ("option.bad_number", {"option": "steps", "value": "many", "example": "28"})


def test_bad_float_uses_the_name_as_typed() -> None:
    error = error_of("cat cfg:high")
    assert (error.key, error.params) == ("option.bad_number", {"option": "cfg", "value": "high", "example": "5.5"})


def test_fraction_for_a_whole_number_is_bad() -> None:
    assert error_of("cat --n 1.5").key == "option.bad_number"


# Full-width (what CJK keyboards type), Arabic-Indic, Devanagari and superscript digits, and what
# else int() and float() read beyond plain ASCII: digit separators, nan, inf, exponents.
_NOT_ASCII_NUMBERS = ("２８", "٢٨", "२८", "²", "2_8", "１", "٣")


@pytest.mark.parametrize("option", ["steps", "n", "seed", "priority", "preset"])
@pytest.mark.parametrize("value", _NOT_ASCII_NUMBERS)
def test_whole_numbers_are_ascii_digits_only(option: str, value: str) -> None:
    error = error_of(f"a cat {option}:{value}")
    assert (error.key, error.params["option"], error.params["value"]) == ("option.bad_number", option, value)


@pytest.mark.parametrize("option", ["scale", "cfg", "rescale", "cfg_rescale"])
@pytest.mark.parametrize("value", [*_NOT_ASCII_NUMBERS, "５.５", "٥.٥", "nan", "NaN", "-nan", "inf", "+inf",
                                   "-Infinity", "1e309", "1e1", "5.5e0", "0x1p3", "1" * 400])
def test_decimal_numbers_are_plain_finite_ascii_decimals(option: str, value: str) -> None:
    """nan, inf and 1e309 used to reach the range check and read "must be between 0 and 10 (got nan)"."""
    error = error_of(f"a cat {option}:{value}")
    assert (error.key, error.params["option"], error.params["value"]) == ("option.bad_number", option, value)


@pytest.mark.parametrize(("text", "fields"), [
    ("a cat steps:28 n:+2 seed:0012345", {"steps": 28, "n_samples": 2, "seed": 12345}),
    ("a cat scale:5.5 rescale:.2", {"scale": 5.5, "cfg_rescale": 0.2}),
    ("a cat scale:5. rescale:0", {"scale": 5.0, "cfg_rescale": 0.0}),
    ("a cat scale:-1 steps:-3", {"scale": -1.0, "steps": -3}),  # a range problem for resolved(), not a form one
])
def test_plain_ascii_numbers_still_read(text: str, fields: dict[str, object]) -> None:
    assert parse_generate(text).fields == fields


@pytest.mark.parametrize("value", ["８３２x１２１６", "٨٣٢x١٢١٦", "832x１２１６", "８３２×1216"])
def test_size_is_ascii_digits_only(value: str) -> None:
    error = error_of(f"a cat size:{value}")
    assert (error.key, error.params["value"]) == ("option.bad_size", value)


def test_model_id_version_is_ascii_digits_only() -> None:
    """A derived model id is sent to NovelAI as typed, so "nai-diffusion-٤-5-full" must not pass."""
    assert error_of("a cat model:nai-diffusion-٤-5-full").key == "option.unknown_model"
    assert parse_generate("a cat model:nai-diffusion-7-full").fields == {"model": "nai-diffusion-7-full"}


@pytest.mark.parametrize("position", ["０.３,０.７", "0.٣,0.٧", "B３"])
def test_character_position_is_ascii_digits_only(position: str) -> None:
    assert error_of(f'a cat char:"girl@{position}"').key == "option.bad_character"


def test_bad_switch() -> None:
    error = error_of("cat quality:maybe")
    assert (error.key, error.params) == ("option.bad_switch", {"option": "quality", "value": "maybe"})


def test_bad_priority() -> None:
    error = error_of("cat --priority 11")
    assert (error.key, error.params) == ("option.bad_priority", {"value": "11", "min": 0, "max": 10})


def test_unknown_model_lists_choices() -> None:
    error = error_of("cat --model v9000x")
    assert error.key == "option.unknown_model"
    assert error.params["value"] == "v9000x"
    assert "v4.5" in error.params["choices"]


def test_unknown_sampler_lists_choices() -> None:
    error = error_of("cat --sampler fastest")
    assert error.key == "option.unknown_sampler"
    assert error.params["value"] == "fastest"
    assert "k_euler_ancestral" in error.params["choices"]


def test_unknown_size_lists_presets() -> None:
    error = error_of("cat --size huge")
    assert error.key == "option.bad_size"
    assert error.params["value"] == "huge"
    assert "portrait" in error.params["choices"]


def test_bad_character_position() -> None:
    error = error_of('cat --char "girl@0.5,3"')
    assert (error.key, error.params) == ("option.bad_character", {"value": "girl@0.5,3"})


def test_unterminated_quote() -> None:
    error = error_of('cat --neg "lowres, blurry')
    assert (error.key, error.params) == ("option.unterminated_quote", {"option": "neg", "quote": '"'})


def test_missing_prompt() -> None:
    error = error_of("--steps 28 --model v4.5")
    assert (error.key, error.params) == ("option.missing_prompt", {})


def test_empty_text_is_a_missing_prompt() -> None:
    assert error_of("   ").key == "option.missing_prompt"


def test_parse_value_gives_the_canonical_name() -> None:
    assert parse_value("CFG", "6") == ("scale", 6.0)
    assert parse_value("res", "square") == ("size", (1024, 1024))


def test_request_problems_name_characters_by_number() -> None:
    error = InvalidRequest([Problem("steps", "too many"), Problem("characters[1]", "empty")])
    assert request_problems(error) == [FieldProblem("steps", "too many"), FieldProblem("character", "empty", 2)]


@pytest.mark.parametrize(("name", "value"), [
    ("steps", "２８"), ("steps", "٢٨"), ("scale", "nan"), ("scale", "1e309"), ("scale", "inf"), ("priority", "٣"),
    ("n", "２"), ("size", "８３２x１２１６"),
])
def test_settings_values_are_read_by_the_same_ascii_rules(name: str, value: str) -> None:
    """``/settings set`` goes through ``parse_value`` too, so a saved default cannot hold what
    ``/generate`` refuses."""
    with pytest.raises(OptionError) as caught:
        parse_setting(name, value)
    assert caught.value.key in {"option.bad_number", "option.bad_size"}
