"""Saved /settings defaults do not turn a V5 Medium (or Variety-less V5) request into a refusal: the
model decides those settings, so a saved "steps 28" stays out of the request; typed ones are refused."""

from __future__ import annotations

import pytest

from bot.chat.generate_options import parse_generate
from bot.chat.user_settings import apply_defaults
from novelai.errors import InvalidRequest
from novelai.request import GenerationRequest

SAVED = {"steps": 28, "sampler": "k_dpmpp_2m", "negative": "lowres", "variety": True, "n": 2}


def test_saved_steps_sampler_negative_stay_out_of_a_v5_medium_request() -> None:
    fields, _ = apply_defaults(SAVED, parse_generate("a fox --model v5-medium"))
    request = GenerationRequest(prompt="a fox", **fields).resolved()
    assert (request.steps, request.sampler, request.negative, request.n_samples) == (
        14, "k_euler_ancestral", "", 2)


def test_saved_model_v5_medium_drops_them_too() -> None:
    fields, _ = apply_defaults({**SAVED, "model": "nai-diffusion-5-full-medium"}, parse_generate("a fox"))
    assert "steps" not in fields and "variety" not in fields


def test_saved_variety_stays_out_of_a_v5_request_but_not_a_v4_5_one() -> None:
    assert "variety" not in apply_defaults(SAVED, parse_generate("a fox --model v5"))[0]
    assert apply_defaults(SAVED, parse_generate("a fox --model v4.5"))[0]["variety"] is True


def test_steps_typed_for_v5_medium_are_still_refused() -> None:
    fields, _ = apply_defaults(SAVED, parse_generate("a fox --model v5-medium --steps 28"))
    with pytest.raises(InvalidRequest) as error:
        GenerationRequest(prompt="a fox", **fields).resolved()
    assert [p.code for p in error.value.problems] == ["fixed_by_model"]
