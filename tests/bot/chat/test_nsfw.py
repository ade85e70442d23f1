"""The NSFW rule for channels that know whether they are age-restricted."""

from __future__ import annotations

import pytest

from bot.chat.nsfw import NsfwRefused, adult_terms, apply_nsfw_rule
from bot.chat.texts.jobs import error_text
from novelai.request import CharacterPrompt, GenerationRequest

SAFE = GenerationRequest(prompt="a cat in a hat, rating:general", negative="lowres")
ADULT = GenerationRequest(prompt="1girl, nude, beach")


def test_adult_terms_are_found_as_whole_tags_only() -> None:
    assert adult_terms("1girl, NSFW, nude, sunset") == ["nsfw", "nude"]
    assert adult_terms("sexy robot, unexplicitly, cumulus clouds, rating:general") == []


def test_no_rule_where_the_platform_has_no_age_restricted_channels() -> None:
    assert apply_nsfw_rule(ADULT, "sfw_only", None) == ADULT


def test_age_restricted_channels_allow_anything() -> None:
    assert apply_nsfw_rule(ADULT, "sfw_only", True) == ADULT
    assert apply_nsfw_rule(ADULT, "nsfw_channels_only", True) == ADULT


def test_sfw_only_refuses_adult_prompts_and_names_the_terms() -> None:
    with pytest.raises(NsfwRefused) as refused:
        apply_nsfw_rule(ADULT, "sfw_only", False)
    assert "nude" in error_text(refused.value, "en")
    assert "NSFW" in error_text(refused.value, "zh")


def test_sfw_only_checks_character_prompts_too() -> None:
    request = SAFE.model_copy(update={"model": "nai-diffusion-4-5-full",
                                      "characters": (CharacterPrompt(prompt="girl, topless"),)})
    with pytest.raises(NsfwRefused):
        apply_nsfw_rule(request, "sfw_only", False)


def test_sfw_only_adds_nsfw_to_the_negative_prompt_of_safe_requests() -> None:
    assert apply_nsfw_rule(SAFE, "sfw_only", False).negative == "lowres, nsfw"


def test_nsfw_channels_only_refuses_everything_elsewhere() -> None:
    with pytest.raises(NsfwRefused) as refused:
        apply_nsfw_rule(SAFE, "nsfw_channels_only", False)
    assert "age-restricted" in error_text(refused.value, "en")


def test_allow_changes_nothing() -> None:
    assert apply_nsfw_rule(ADULT, "allow", False) == ADULT
