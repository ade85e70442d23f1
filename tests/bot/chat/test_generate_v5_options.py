"""`/generate … --transparent` and `--qpreset light` set the request's V5 fields like any option."""

from __future__ import annotations

from bot.chat.generate_options import parse_generate


def test_transparent_switch_and_quality_preset_set_their_fields() -> None:
    options = parse_generate("a fox --model v5 --transparent --qpreset Light")
    assert options.prompt == "a fox"
    assert options.fields["transparent"] is True
    assert options.fields["quality_preset"] == "light"


def test_alpha_is_the_transparent_switch_in_key_value_form() -> None:
    assert parse_generate("alpha:off a fox").fields["transparent"] is False
