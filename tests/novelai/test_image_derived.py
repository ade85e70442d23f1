"""Enhance and Variations (novelai.derived): img2img of an image with its own settings and a new seed."""

from __future__ import annotations

import random

import pytest

from novelai.cost import cost_of
from novelai.derived import (
    ENHANCE_PROMPT_ADDITION,
    enhance_request,
    enhanced_prompt,
    variations_request,
)
from novelai.errors import InvalidRequest
from novelai.images import enhance_size
from novelai.request import GenerationRequest
from novelai.subscription import Subscription
from tests.novelai.image_fixtures import ref, vibe

OPUS = Subscription(tier=3, active=True, anlas_fixed=10_000, image_generation=True, unlimited_image_generation=True)
SOURCE = GenerationRequest(prompt="1girl, red hair, beach", negative="text", model="v4.5", steps=28, scale=6,
                           seed=1234, n_samples=2, width=832, height=1216).resolved()


def test_enhance_runs_at_one_and_a_half_times_the_size_rounded_to_64() -> None:
    req = enhance_request(SOURCE, ref("a", *enhance_size(832, 1216, 1.5)))
    assert (req.width, req.height) == enhance_size(832, 1216, 1.5) == (1280, 1856)


def test_enhance_at_1x_keeps_the_size() -> None:
    req = enhance_request(SOURCE, ref("a"), factor=1.0)
    assert (req.width, req.height) == (832, 1216)


def test_enhance_takes_the_websites_strength_and_noise_one_image_and_a_new_seed() -> None:
    req = enhance_request(SOURCE, ref("a", 1280, 1856)).resolved(random.Random(1))
    assert (req.strength, req.noise, req.n_samples) == (0.5, 0.0, 1)
    assert req.seed is not None and req.seed != SOURCE.seed
    assert (req.negative, req.steps, req.scale, req.model, req.image) == (
        SOURCE.negative, SOURCE.steps, SOURCE.scale, SOURCE.model, ref("a", 1280, 1856))


def test_an_enhance_image_not_at_the_enhanced_size_is_refused_at_resolve() -> None:
    with pytest.raises(InvalidRequest) as caught:
        enhance_request(SOURCE, ref("a")).resolved()
    assert [p.code for p in caught.value.problems] == ["image_size_mismatch"]


def test_an_enhance_is_never_opus_free_at_one_and_a_half_times_the_usual_size() -> None:
    assert cost_of(enhance_request(SOURCE, ref("a", 1280, 1856)).resolved(), OPUS) > 0


def test_other_enhance_factors_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match=r"1\.5"):
        enhance_request(SOURCE, ref("a"), factor=2.0)


@pytest.mark.parametrize(("model", "expected"), [
    ("v4.5", f"1girl, {ENHANCE_PROMPT_ADDITION}, red hair, beach"),
    ("v5", f"1girl, {ENHANCE_PROMPT_ADDITION}, red hair, beach"),
    ("v4", "1girl, red hair, beach"),
    ("v3", "1girl, red hair, beach"),
])
def test_the_enhance_prompt_addition_goes_after_the_first_tag_on_v4_5_and_newer(model: str, expected: str) -> None:
    assert enhanced_prompt("1girl, red hair, beach", model) == expected


def test_a_one_tag_prompt_gets_the_addition_after_it() -> None:
    assert enhanced_prompt("1girl", "v4.5") == f"1girl, {ENHANCE_PROMPT_ADDITION}"


def test_enhancing_an_enhanced_prompt_does_not_add_it_twice() -> None:
    once = enhanced_prompt("1girl, beach", "v4.5")
    assert enhanced_prompt(once, "v4.5") == once


def test_an_enhanced_request_resolves_with_its_prompt_addition() -> None:
    req = enhance_request(SOURCE, ref("a", 1280, 1856)).resolved()
    assert req.prompt == f"1girl, {ENHANCE_PROMPT_ADDITION}, red hair, beach"


def test_variations_keep_size_settings_and_count_with_a_new_seed() -> None:
    req = variations_request(SOURCE, ref("a")).resolved(random.Random(2))
    assert (req.width, req.height, req.n_samples, req.prompt, req.steps) == (832, 1216, 2, SOURCE.prompt, 28)
    assert (req.strength, req.noise) == (0.7, 0.0)
    assert req.seed is not None and req.seed != SOURCE.seed


def test_a_derived_request_drops_the_sources_mask_and_keeps_its_vibes() -> None:
    source = GenerationRequest(prompt="1girl", seed=3, image=ref("old"), mask=ref("m"), inpaint_strength=0.5,
                               vibes=(vibe("v"),)).resolved()
    req = variations_request(source, ref("new")).resolved()
    assert (req.mask, req.inpaint_strength, req.image, req.vibes) == (None, None, ref("new"), source.vibes)
