"""Anlas prices (novelai-api.md §7) and the subscription facts they depend on (§1.3)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from novelai.cost import SpendVerdict, anlas_per_image, cost_of, request_cost, would_spend
from novelai.errors import InvalidRequest
from novelai.request import GenerationRequest
from novelai.subscription import Subscription

OPUS = Subscription(tier=3, active=True, anlas_fixed=10_000, image_generation=True,
                    unlimited_image_generation=True)
TABLET = Subscription(tier=1, active=True, anlas_fixed=15, anlas_purchased=10, image_generation=True)

API_BODY: dict[str, Any] = {
    "tier": 3, "active": True, "expiresAt": 1767225600, "accountType": 0,
    "perks": {
        "maxPriorityActions": 1000, "startPriority": 10, "contextTokens": 8192, "unlimitedMaxPriority": True,
        "moduleTrainingSteps": 10000, "voiceGeneration": True, "imageGeneration": True,
        "unlimitedImageGeneration": True,
        "unlimitedImageGenerationLimits": [{"resolution": 1048576, "maxPrompts": 1}],
    },
    "paymentProcessorData": {},
    "trainingStepsLeft": {"fixedTrainingStepsLeft": 10000, "purchasedTrainingSteps": 250},
}


def _resolved(**fields: Any) -> GenerationRequest:
    fields.setdefault("prompt", "1girl")
    fields.setdefault("seed", 1)
    return GenerationRequest(**fields).resolved()


# --- the formula ----------------------------------------------------------------------------

@pytest.mark.parametrize(("width", "height", "steps", "anlas"), [
    (832, 1216, 28, 20), (832, 1216, 23, 17), (1024, 1024, 28, 20), (1024, 1536, 28, 30),
    (1472, 1472, 28, 42),
])
def test_documented_worked_values(width: int, height: int, steps: int, anlas: int) -> None:
    assert anlas_per_image(width, height, steps) == anlas
    assert request_cost(width, height, steps, 1) == anlas


# §9.4: the audit's checks of the V5 price (ANON-PRICE's UI prices, ANON-MED's tests).
@pytest.mark.parametrize(("model", "width", "height", "steps", "anlas"), [
    ("nai-diffusion-5-curated", 832, 1216, 30, 32), ("nai-diffusion-5-full", 1024, 1536, 23, 39),
    ("nai-diffusion-5-full-medium", 1024, 1536, 14, 26), ("nai-diffusion-4-5-full", 832, 1216, 30, 21),
    ("nai-diffusion-5-full", 832, 1216, 28, 30),
])
def test_v5_costs_one_and_a_half_times_rounded_as_the_website(model: str, width: int, height: int, steps: int,
                                                               anlas: int) -> None:
    assert anlas_per_image(width, height, steps, model=model) == anlas
    assert request_cost(width, height, steps, 2, model=model) == 2 * anlas


def test_cost_of_a_v5_request_uses_the_v5_price() -> None:
    assert cost_of(_resolved(model="nai-diffusion-5-curated", width=832, height=1216, steps=30), None) == 32


@pytest.mark.parametrize(("width", "height", "steps"), [(64, 64, 1), (256, 256, 10), (64, 64, 50)])
def test_tiny_images_cost_the_minimum_of_two(width: int, height: int, steps: int) -> None:
    assert anlas_per_image(width, height, steps) == 2


@pytest.mark.parametrize(("smea", "smea_dyn", "anlas"), [
    (False, False, 20), (True, False, 24), (True, True, 28),
])
def test_smea_multipliers(smea: bool, smea_dyn: bool, anlas: int) -> None:
    assert anlas_per_image(832, 1216, 28, smea=smea, smea_dyn=smea_dyn) == anlas


def test_smea_multiplier_applies_to_the_rounded_base() -> None:
    # base ceil(16.5…) = 17, then ceil(17 × 1.4 = 23.8) = 24
    assert anlas_per_image(832, 1216, 23, smea=True, smea_dyn=True) == 24


def test_cost_scales_with_the_number_of_images() -> None:
    assert request_cost(832, 1216, 28, 4) == 80


def test_price_above_140_per_image_is_refused_like_the_website() -> None:
    with pytest.raises(InvalidRequest) as error:
        anlas_per_image(2112, 2112, 50)
    [problem] = error.value.problems
    assert problem.field == "size" and "140" in problem.message


def test_price_of_exactly_140_is_allowed() -> None:
    assert anlas_per_image(1024, 3072, 50, smea=True, smea_dyn=True) == 140


# --- the Opus rule --------------------------------------------------------------------------

def test_opus_single_small_image_is_free() -> None:
    assert request_cost(832, 1216, 28, 1, opus_free=True) == 0


def test_opus_pays_for_all_but_one_image() -> None:
    assert request_cost(1024, 1024, 28, 4, opus_free=True) == 3 * 20


@pytest.mark.parametrize(("width", "height", "steps"), [(832, 1216, 29), (1024, 1088, 28), (1024, 1536, 23)])
def test_opus_free_needs_at_most_28_steps_and_one_megapixel(width: int, height: int, steps: int) -> None:
    assert request_cost(width, height, steps, 1, opus_free=True) == anlas_per_image(width, height, steps)


def test_cost_of_non_opus_tiers_pays_everything() -> None:
    assert cost_of(_resolved(steps=28), TABLET) == 20
    assert cost_of(_resolved(steps=28), None) == 20


def test_cost_of_opus_request_uses_the_free_image() -> None:
    assert cost_of(_resolved(steps=28), OPUS) == 0
    assert cost_of(_resolved(steps=28, n_samples=4), OPUS) == 60


def test_cost_of_counts_smea_of_v3_requests() -> None:
    assert cost_of(_resolved(model="v3", sampler="nai_smea", steps=28), None) == 24


def test_cost_of_unresolved_request_is_refused() -> None:
    with pytest.raises(ValueError, match="resolved"):
        cost_of(GenerationRequest(prompt="1girl"), None)


def test_inactive_opus_pays() -> None:
    lapsed = Subscription(tier=3, active=False, image_generation=True, unlimited_image_generation=True)
    assert not lapsed.opus_free
    assert cost_of(_resolved(steps=28), lapsed) == 20


# --- what the queue sees --------------------------------------------------------------------

def test_would_spend_free_opus_image() -> None:
    verdict = would_spend(_resolved(steps=28), OPUS)
    assert verdict == SpendVerdict(cost=0, free=True, balance=10_000, affordable=True)
    assert not verdict.spends


def test_would_spend_opus_with_extra_images_still_spends() -> None:
    verdict = would_spend(_resolved(steps=28, n_samples=2), OPUS)
    assert (verdict.cost, verdict.free, verdict.spends) == (20, True, True)


def test_would_spend_opus_outside_the_envelope_is_not_free() -> None:
    verdict = would_spend(_resolved(steps=29), OPUS)
    assert (verdict.free, verdict.spends) == (False, True)


def test_would_spend_more_than_the_balance_is_unaffordable() -> None:
    verdict = would_spend(_resolved(steps=28, n_samples=2), TABLET)
    assert verdict == SpendVerdict(cost=40, free=False, balance=25, affordable=False)


def test_would_spend_within_the_balance_is_affordable() -> None:
    verdict = would_spend(_resolved(steps=23), TABLET)
    assert (verdict.cost, verdict.affordable, verdict.spends) == (17, True, True)


def test_would_spend_without_subscription_knows_no_balance() -> None:
    verdict = would_spend(_resolved(steps=28), None)
    assert verdict == SpendVerdict(cost=20, free=False, balance=None, affordable=None)


# --- subscriptions --------------------------------------------------------------------------

def test_subscription_from_api_reads_every_field() -> None:
    sub = Subscription.from_api(API_BODY)
    assert sub == Subscription(tier=3, active=True, expires_at=datetime(2026, 1, 1, tzinfo=UTC),
                               anlas_fixed=10000, anlas_purchased=250, image_generation=True,
                               unlimited_image_generation=True)
    assert (sub.anlas, sub.tier_name, sub.opus_free) == (10250, "Opus", True)


@pytest.mark.parametrize("body", [{}, {"tier": None, "perks": None, "trainingStepsLeft": "?"},
                                  {"tier": "3", "active": "yes", "expiresAt": -5}])
def test_subscription_from_api_tolerates_missing_and_odd_fields(body: dict[str, Any]) -> None:
    sub = Subscription.from_api(body)
    assert sub == Subscription()
    assert (sub.anlas, sub.tier_name, sub.opus_free) == (0, "Paper", False)


def test_subscription_with_absurd_expiry_has_none() -> None:
    assert Subscription.from_api({"expiresAt": 10**20}).expires_at is None


@pytest.mark.parametrize(("tier", "name"), [
    (0, "Paper"), (1, "Tablet"), (2, "Scroll"), (3, "Opus"), (7, "Tier 7"),
])
def test_tier_names(tier: int, name: str) -> None:
    assert Subscription(tier=tier).tier_name == name


@pytest.mark.parametrize("perks", [{}, {"imageGeneration": True}, {"unlimitedImageGeneration": True}])
def test_opus_without_both_image_perks_gets_no_free_images(perks: dict[str, bool]) -> None:
    assert not Subscription.from_api({"tier": 3, "active": True, "perks": perks}).opus_free


def test_opus_free_needs_opus_tier() -> None:
    scroll = Subscription(tier=2, active=True, image_generation=True, unlimited_image_generation=True)
    assert not scroll.opus_free


@pytest.mark.parametrize("sub", [Subscription.from_api(API_BODY), Subscription(), TABLET])
def test_subscription_round_trips_through_its_cache_dict(sub: Subscription) -> None:
    assert Subscription.from_dict(sub.to_dict()) == sub


# --- cross-check against the reference client ----------------------------------------------

@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("opus", [False, True])
def test_request_cost_agrees_with_the_llk_sdk(opus: bool) -> None:
    """LLK's `_cost.py` is the formula §7 cites; our prices must match it size for size."""
    llk = pytest.importorskip("novelai_python.sdk.ai._cost").CostCalculator
    for width, height, steps, (smea, smea_dyn), n_samples in itertools.product(
            range(64, 2113, 256), range(64, 1537, 384), (1, 23, 28, 29, 50),
            ((False, False), (True, False), (True, True)), (1, 3)):
        expected = llk.calculate(width=width, height=height, steps=steps, image=False, n_samples=n_samples,
                                 account_tier=3 if opus else 1, strength=None, is_sm_enabled=smea,
                                 is_sm_dynamic=smea_dyn, is_account_active=True, sampler=None,
                                 model="nai-diffusion-3")
        actual = request_cost(width, height, steps, n_samples, smea=smea, smea_dyn=smea_dyn, opus_free=opus)
        assert actual == expected, (width, height, steps, smea, smea_dyn, n_samples)
