"""The Opus V5 allowance (docs/novelai-api.md §9.5): read from /user/subscription, used by the free rule."""

from __future__ import annotations

from typing import Any

import pytest

from novelai.account_status import status_dict
from novelai.allowance import OpusUsage, describe
from novelai.client import AccountStatus
from novelai.cost import cost_of, would_spend
from novelai.request import GenerationRequest
from novelai.subscription import Subscription

OPUS_BODY: dict[str, Any] = {
    "tier": 3, "active": True, "expiresAt": 4102444800,
    "perks": {"imageGeneration": True, "unlimitedImageGeneration": True},
    "trainingStepsLeft": {"fixedTrainingStepsLeft": 1000, "purchasedTrainingSteps": 0},
}


def _opus(usage: dict[str, Any] | None) -> Subscription:
    return Subscription.from_api({**OPUS_BODY, **({"usage": usage} if usage is not None else {})})


def _v5(**fields: Any) -> GenerationRequest:
    fields = {"prompt": "1girl", "seed": 1, "model": "nai-diffusion-5-full", "width": 832, "height": 1216,
              "steps": 28, **fields}
    return GenerationRequest(**fields).resolved()


def test_subscription_reads_the_usage_object() -> None:
    sub = _opus({"percent": 73, "isNegative": False, "timeUntilNextPercent": 412})
    assert sub.usage == OpusUsage(percent=73.0, is_negative=False, seconds_to_next_percent=412.0)


@pytest.mark.parametrize("usage", [None, "73", {"isNegative": False}, {"percent": "73"}, {"percent": True}])
def test_missing_or_odd_usage_is_no_allowance_information(usage: Any) -> None:
    body = dict(OPUS_BODY) if usage is None else {**OPUS_BODY, "usage": usage}
    assert Subscription.from_api(body).usage is None


def test_usage_without_a_plain_false_is_negative_counts_as_overdrawn() -> None:
    assert _opus({"percent": 50}).usage == OpusUsage(percent=50.0, is_negative=True)


def test_usage_survives_the_subscription_cache_dict() -> None:
    sub = _opus({"percent": 12.5, "isNegative": False, "timeUntilNextPercent": 60})
    assert Subscription.from_dict(sub.to_dict()) == sub


def test_v5_opus_request_with_allowance_left_is_free() -> None:
    verdict = would_spend(_v5(), _opus({"percent": 40, "isNegative": False, "timeUntilNextPercent": 10}))
    assert (verdict.cost, verdict.free, verdict.allowance) == (0, True, None)


@pytest.mark.parametrize("usage", [
    {"percent": 0, "isNegative": False, "timeUntilNextPercent": 100},
    {"percent": -3, "isNegative": True, "timeUntilNextPercent": 100},
    {"percent": 20, "isNegative": True},
    {"percent": 0.05, "isNegative": False},  # under one image's worth (1 / 17.3 %)
])
def test_v5_opus_request_with_an_empty_allowance_is_charged(usage: dict[str, Any]) -> None:
    verdict = would_spend(_v5(), _opus(usage))
    assert (verdict.cost, verdict.free, verdict.allowance, verdict.spends) == (30, False, "empty", True)


def test_v5_opus_request_without_usage_counts_as_paid() -> None:
    verdict = would_spend(_v5(), _opus(None))
    assert (verdict.cost, verdict.free, verdict.allowance) == (30, False, "unknown")


def test_v5_medium_draws_on_the_allowance_too() -> None:
    request = _v5(model="nai-diffusion-5-full-medium", steps=None)  # Medium runs its own 14 steps
    assert cost_of(request, _opus({"percent": 0, "isNegative": True})) > 0
    assert cost_of(request, _opus({"percent": 5, "isNegative": False})) == 0


def test_v4_5_opus_request_stays_free_whatever_the_allowance() -> None:
    request = _v5(model="nai-diffusion-4-5-full")
    for usage in (None, {"percent": 0, "isNegative": True}):
        verdict = would_spend(request, _opus(usage))
        assert (verdict.cost, verdict.free, verdict.allowance) == (0, True, None)


def test_v5_request_outside_the_free_size_is_paid_but_not_blamed_on_the_allowance() -> None:
    verdict = would_spend(_v5(steps=29), _opus({"percent": 0, "isNegative": True}))
    assert (verdict.free, verdict.allowance) == (False, None)


def test_images_left_follow_the_websites_estimate() -> None:
    assert OpusUsage(percent=50, is_negative=False).images_left == 865
    assert OpusUsage(percent=10, is_negative=False).images_left == 173  # 10 × 17.3, not 172.99…
    assert OpusUsage(percent=-2, is_negative=True).images_left == 0


def test_a_large_image_needs_more_of_the_allowance() -> None:
    one_image = OpusUsage(percent=1 / 17.3, is_negative=False)
    assert one_image.covers(832 * 1216)
    assert not one_image.covers(1024 * 1536)


def test_time_until_full_counts_the_next_percent_then_a_weeks_pace() -> None:
    assert OpusUsage(percent=98, is_negative=False, seconds_to_next_percent=100).seconds_until_full == 100 + 6048
    assert OpusUsage(percent=100, is_negative=False, seconds_to_next_percent=0).seconds_until_full == 0
    assert OpusUsage(percent=50, is_negative=False).seconds_until_full is None


@pytest.mark.parametrize(("usage", "text"), [
    (OpusUsage(50, False, 600), "≈ 865 free V5 images left (50%), full in 3 d 10 h"),
    (OpusUsage(120, False, 0), "≈ 2076 free V5 images left (120%), full"),
    (OpusUsage(0, True, 300), "empty (0%): V5 images cost Anlas; next 1% in 5 min"),
    (None, "not reported by NovelAI: V5 images count as paid"),
])
def test_allowance_in_one_line(usage: OpusUsage | None, text: str) -> None:
    assert describe(usage) == text


def test_the_status_page_and_account_status_show_the_allowance_of_opus_accounts_only() -> None:
    def status(sub: Subscription) -> dict[str, object]:
        return status_dict(AccountStatus(name="default", kind="persistent-token", cached=True, expires_at=None,
                                         verified_at=None, subscription=sub))

    opus = status(_opus({"percent": 50, "isNegative": False, "timeUntilNextPercent": 600}))
    assert (opus["v5_allowance"], opus["v5_allowance_percent"]) == (
        "≈ 865 free V5 images left (50%), full in 3 d 10 h", 50.0)
    assert status(_opus(None))["v5_allowance"] == "not reported by NovelAI: V5 images count as paid"
    tablet = status(Subscription(tier=1, active=True, image_generation=True))
    assert (tablet["v5_allowance"], tablet["v5_allowance_percent"]) == (None, None)
