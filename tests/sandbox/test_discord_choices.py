"""The Discord stand-in checks an autocomplete answer's choices as Discord documents them (Application Command
Option Choice: name and a string value 1-100 characters, at most 25), so a bot that offers a completed prompt
past 100 characters fails here as it would on Discord."""

from __future__ import annotations

import pytest

from sandbox.discord.interactions import _checked_choices
from sandbox.discord.state import ApiError


def test_a_string_value_over_100_characters_is_refused_with_discords_form_error() -> None:
    assert _checked_choices([{"name": "blue eyes (10k)", "value": "x" * 100}])
    with pytest.raises(ApiError) as refused:
        _checked_choices([{"name": "ok", "value": "v"}, {"name": "blue eyes (10k)", "value": "x" * 101}])
    assert refused.value.status == 400 and "value" in str(refused.value.errors["data"]["choices"]["1"])


def test_an_empty_value_and_more_than_25_choices_are_refused() -> None:
    with pytest.raises(ApiError):
        _checked_choices([{"name": "a", "value": ""}])
    with pytest.raises(ApiError):
        _checked_choices([{"name": str(i), "value": str(i)} for i in range(26)])
    assert _checked_choices([{"name": "steps", "value": 28}]), "a number choice has no length limit"
