"""Prices of requests with images (novelai.cost), /work/shared/novelai-2026.md §4.1–§4.5.

Base prices used below (V4.5, the formula of test_cost.py): 832×1216 at 23 steps = 17 Anlas, at 28
steps = 20; 1024×1024 at 23 = 17; V5 832×1216 at 28 = 30.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from novelai.cost import cost_of, priced_size, request_cost, would_spend
from novelai.request import GenerationRequest
from novelai.subscription import Subscription
from tests.novelai.image_fixtures import ref, reference, vibe

OPUS = Subscription(tier=3, active=True, anlas_fixed=10_000, image_generation=True, unlimited_image_generation=True)
TABLET = Subscription(tier=1, active=True, anlas_fixed=15, anlas_purchased=10, image_generation=True)


def _resolved(**fields: Any) -> GenerationRequest:
    fields.setdefault("prompt", "1girl")
    fields.setdefault("seed", 1)
    return GenerationRequest(**fields).resolved()


def _vibes(count: int) -> tuple[Any, ...]:
    return tuple(vibe(f"v{i}") for i in range(count))


# --- img2img -------------------------------------------------------------------------------------------

def test_img2img_costs_the_image_times_the_strength_rounded_up() -> None:
    assert cost_of(_resolved(image=ref("a"), strength=0.7), TABLET) == 12  # ceil(17 × 0.7)


def test_img2img_costs_at_least_two_anlas_per_image() -> None:
    req = _resolved(image=ref("a", 512, 512), width=512, height=512, strength=0.01, n_samples=3)
    assert cost_of(req, TABLET) == 6


def test_img2img_keeps_the_opus_free_image() -> None:
    assert cost_of(_resolved(image=ref("a"), steps=28), OPUS) == 0
    assert cost_of(_resolved(image=ref("a"), steps=28, strength=0.5, n_samples=2), OPUS) == 10


def test_v5_img2img_takes_the_strength_of_the_v5_price() -> None:
    req = _resolved(model="v5", image=ref("a"), steps=28, strength=0.45)
    assert cost_of(req, TABLET) == 14  # ceil(30 × 0.45)


# --- infill ----------------------------------------------------------------------------------------------

def test_infill_costs_the_image_times_the_mask_strength() -> None:
    # The mask strength prices it, not the img2img strength (§4.5).
    assert cost_of(_resolved(image=ref("a"), mask=ref("m"), strength=0.2, inpaint_strength=0.5), TABLET) == 9


def test_a_small_infill_is_priced_at_one_megapixel() -> None:
    req = _resolved(image=ref("a", 512, 512), mask=ref("m", 512, 512), width=512, height=512, inpaint_strength=1.0)
    assert priced_size(req) == (1024, 1024)
    assert cost_of(req, TABLET) == 17


def test_the_infill_size_rule_rounds_each_side_up_to_64() -> None:
    # 640×448 × √(1 MP / 286,720) = 1223.9×856.7 → 1280×896 (up: the dearer guess, §4.5).
    req = _resolved(image=ref("a", 640, 448), mask=ref("m", 640, 448), width=640, height=448, inpaint_strength=1.0)
    assert priced_size(req) == (1280, 896)
    assert cost_of(req, TABLET) == 19


def test_an_infill_of_at_least_0_8_megapixels_keeps_its_size() -> None:
    req = _resolved(image=ref("a"), mask=ref("m"))
    assert priced_size(req) == (832, 1216)


def test_an_infill_just_under_0_8_megapixels_is_scaled_up() -> None:
    req = _resolved(image=ref("a", 768, 1024), mask=ref("m", 768, 1024), width=768, height=1024)
    assert priced_size(req) == (896, 1216)


def test_img2img_of_a_small_image_keeps_its_size() -> None:
    assert priced_size(_resolved(image=ref("a", 512, 512), width=512, height=512)) == (512, 512)


def test_an_infill_scaled_past_one_megapixel_loses_the_opus_free_image() -> None:
    req = _resolved(image=ref("a", 640, 448), mask=ref("m", 640, 448), width=640, height=448, inpaint_strength=1.0)
    assert cost_of(req, OPUS) == 19


# --- vibes ---------------------------------------------------------------------------------------------

def test_up_to_four_vibes_cost_nothing_extra() -> None:
    assert cost_of(_resolved(vibes=_vibes(4)), TABLET) == 17


@pytest.mark.parametrize(("vibes", "extra"), [(5, 2), (6, 4), (10, 12)])
def test_each_vibe_beyond_four_costs_two(vibes: int, extra: int) -> None:
    assert cost_of(_resolved(vibes=_vibes(vibes)), TABLET) == 17 + extra


def test_each_uncached_encoding_costs_two() -> None:
    assert cost_of(_resolved(vibes=_vibes(3)), TABLET, uncached_vibes=2) == 17 + 4


def test_more_uncached_encodings_than_the_request_needs_count_as_all_of_them() -> None:
    assert cost_of(_resolved(vibes=_vibes(2)), TABLET, uncached_vibes=9) == 17 + 4


def test_v3_vibes_need_no_encoding_and_cost_none() -> None:
    assert cost_of(_resolved(model="v3", vibes=_vibes(2), steps=28), TABLET, uncached_vibes=2) == 20


def test_vibe_charges_are_paid_on_opus_too() -> None:
    verdict = would_spend(_resolved(vibes=_vibes(6), steps=28), OPUS, uncached_vibes=1)
    assert (verdict.cost, verdict.free) == (4 + 2, True)


def test_vibes_beyond_four_are_not_charged_with_a_mask_but_encodings_are() -> None:
    req = _resolved(image=ref("a"), mask=ref("m"), inpaint_strength=1.0, vibes=_vibes(6))
    assert cost_of(req, TABLET, uncached_vibes=1) == 17 + 2


# --- precise reference -------------------------------------------------------------------------------

def test_each_reference_costs_five_per_image() -> None:
    req = _resolved(references=(reference("r1"), reference("r2")), n_samples=2, width=832, height=1216)
    assert cost_of(req, TABLET) == 2 * 17 + 5 * 2 * 2


def test_a_reference_takes_away_the_opus_free_image() -> None:
    verdict = would_spend(_resolved(references=(reference("r"),), steps=28), OPUS)
    assert (verdict.cost, verdict.free, verdict.allowance) == (20 + 5, False, None)


def test_a_v5_reference_is_paid_and_not_blamed_on_the_allowance() -> None:
    opus_v5 = Subscription.from_api({
        "tier": 3, "active": True, "expiresAt": 4102444800,
        "perks": {"imageGeneration": True, "unlimitedImageGeneration": True},
        "trainingStepsLeft": {"fixedTrainingStepsLeft": 1000}, "usage": {"percent": 50, "isNegative": False}})
    assert would_spend(_resolved(model="v5", steps=28), opus_v5).free  # the same request without it is free
    verdict = would_spend(_resolved(model="v5", references=(reference("r"),), steps=28), opus_v5)
    assert (verdict.cost, verdict.free, verdict.allowance) == (30 + 5, False, None)


# --- unchanged for text to image, and the reference client ---------------------------------------------

def test_text_to_image_prices_as_before() -> None:
    assert cost_of(_resolved(steps=28), TABLET) == request_cost(832, 1216, 28, 1) == 20


@pytest.mark.filterwarnings("ignore")
def test_img2img_price_agrees_with_the_llk_sdk() -> None:
    """LLK's ``_cost.py`` multiplies by the strength when there is an image, rounds up, floors at 2."""
    llk = pytest.importorskip("novelai_python.sdk.ai._cost").CostCalculator
    for (width, height), steps, strength, opus in itertools.product(
            ((512, 512), (832, 1216), (1024, 1024), (1216, 832), (1472, 1472)), (23, 28, 50),
            (0.01, 0.3, 0.5, 0.7, 0.99), (False, True)):
        expected = llk.calculate(width=width, height=height, steps=steps, image=True, n_samples=2,
                                 account_tier=3 if opus else 1, strength=strength, is_sm_enabled=False,
                                 is_sm_dynamic=False, is_account_active=True, sampler=None, model="nai-diffusion-3")
        actual = request_cost(width, height, steps, 2, opus_free=opus, strength=strength)
        assert actual == expected, (width, height, steps, strength, opus)
