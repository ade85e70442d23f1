"""Prices of upscaling and the Director Tools (novelai.tool_cost), table by table and rule by rule."""

from __future__ import annotations

import pytest
from novelai_python.sdk.ai.augment_image import AugmentImageInfer, ReqType

from novelai.subscription import Subscription
from novelai.tool_cost import tool_cost, tool_priced_size, tool_spend, upscale_cost, upscale_shapes
from novelai.tools import TOOL_NAMES, ToolRequest, UpscaleRequest
from tests.novelai.tool_images import sized_ref

OPUS = Subscription(tier=3, active=True, anlas_fixed=1_000, image_generation=True, unlimited_image_generation=True)
LAPSED_OPUS = Subscription(tier=3, active=False, anlas_fixed=1_000, image_generation=True,
                           unlimited_image_generation=True)
TABLET = Subscription(tier=1, active=True, anlas_fixed=15, anlas_purchased=10, image_generation=True)


def upscale(width: int, height: int, scale: int = 2) -> UpscaleRequest:
    return UpscaleRequest(image=sized_ref(width, height), scale=scale)


def tool(name: str, width: int, height: int) -> ToolRequest:
    return ToolRequest(tool=name, image=sized_ref(width, height), emotion="happy" if name == "emotion" else None)


@pytest.mark.parametrize(("pixels", "price"), [
    (1, 1), (262_144, 1), (262_145, 2), (409_600, 2), (409_601, 3), (524_288, 3), (524_289, 5),
    (786_432, 5), (786_433, 7), (1_048_576, 7)])
def test_legacy_upscale_table(pixels: int, price: int) -> None:
    assert upscale_cost(pixels, "legacy", TABLET) == price


def test_legacy_upscale_refuses_to_price_above_one_megapixel() -> None:
    with pytest.raises(ValueError, match="no price"):
        upscale_cost(1_048_577, "legacy", TABLET)


@pytest.mark.parametrize(("pixels", "price"), [(409_600, 0), (409_601, 3), (1_048_576, 7)])
def test_legacy_upscale_is_free_for_opus_up_to_409600_pixels(pixels: int, price: int) -> None:
    assert upscale_cost(pixels, "legacy", OPUS) == price


def test_legacy_upscale_is_not_free_for_a_lapsed_opus_or_an_unknown_account() -> None:
    assert upscale_cost(262_144, "legacy", LAPSED_OPUS) == 1
    assert upscale_cost(262_144, "legacy", None) == 1


@pytest.mark.parametrize(("pixels", "price"), [
    (1, 1), (1_048_576, 1), (1_048_577, 2), (1_747_627, 2), (1_747_628, 3), (2_446_678, 3), (2_446_679, 4),
    (3_145_728, 4)])
def test_image_host_upscale_table_is_never_free(pixels: int, price: int) -> None:
    assert upscale_cost(pixels, "image-host", TABLET) == price
    assert upscale_cost(pixels, "image-host", OPUS) == price


def test_upscale_shapes_that_may_answer() -> None:
    assert upscale_shapes(upscale(1024, 1024)) == ("image-host", "legacy")
    assert upscale_shapes(upscale(1024, 1025)) == ("image-host",)
    assert upscale_shapes(upscale(512, 512, scale=4)) == ("legacy",)


def test_upscale_of_unknown_shape_costs_the_dearer_shape() -> None:
    verdict = tool_spend(upscale(1024, 1024), TABLET)
    assert (verdict.cost, verdict.free, verdict.balance, verdict.affordable) == (7, False, 25, True)


def test_opus_upscale_free_in_the_legacy_shape_is_still_paid_when_the_shape_is_unknown() -> None:
    verdict = tool_spend(upscale(512, 512), OPUS)
    assert (verdict.cost, verdict.free) == (1, False)
    legacy = tool_spend(upscale(512, 512), OPUS, shape="legacy")
    assert (legacy.cost, legacy.free) == (0, True)


def test_upscale_above_one_megapixel_is_priced_by_the_image_host_alone() -> None:
    assert tool_spend(upscale(1536, 1536), TABLET).cost == 3


def test_four_times_upscale_is_priced_by_the_legacy_table() -> None:
    assert tool_spend(upscale(1024, 768, scale=4), TABLET).cost == 5


def test_named_shape_is_priced_by_its_own_table() -> None:
    assert tool_spend(upscale(1024, 1024), TABLET, shape="image-host").cost == 1


def test_spend_without_a_subscription_knows_no_balance() -> None:
    verdict = tool_spend(upscale(1024, 1024), None)
    assert (verdict.cost, verdict.balance, verdict.affordable) == (7, None, None)


def test_unaffordable_tool_says_so() -> None:
    verdict = tool_spend(tool("bg-removal", 1024, 1024), TABLET)
    assert (verdict.cost, verdict.affordable, verdict.spends) == (65, False, True)


@pytest.mark.parametrize(("size", "priced"), [
    ((512, 512), (1024, 1024)), ((500, 300), (1321, 793)), ((1024, 1024), (1024, 1024)),
    ((1536, 1536), (1536, 1536)), ((4096, 4096), (1773, 1773))])
def test_tools_are_priced_at_the_size_clamped_into_one_to_three_megapixels(size: tuple[int, int],
                                                                             priced: tuple[int, int]) -> None:
    assert tool_priced_size(*size) == priced


@pytest.mark.parametrize(("size", "price"), [((256, 256), 20), ((1024, 1024), 20), ((1216, 1216), 29),
                                             ((2048, 1536), 60)])
def test_tool_price_is_a_28_step_image_at_the_clamped_size(size: tuple[int, int], price: int) -> None:
    assert tool_cost(tool("lineart", *size), TABLET) == price


@pytest.mark.parametrize("name", sorted(set(TOOL_NAMES) - {"bg-removal"}))
@pytest.mark.parametrize("size", [(1024, 1024), (1216, 1216), (2048, 1536)])
def test_tool_price_agrees_with_llk_from_one_megapixel_up(name: str, size: tuple[int, int]) -> None:
    # LLK 0.7.12 prices at the raw size (no clamp), so it is an oracle from 1 MP up.
    oracle = AugmentImageInfer(req_type=ReqType(name), width=size[0], height=size[1], image="AAAA")
    assert tool_cost(tool(name, *size), TABLET) == oracle.calculate_cost(is_opus=False)


@pytest.mark.parametrize(("size", "price"), [((1024, 1024), 65), ((2048, 1536), 185), ((300, 300), 65)])
def test_bg_removal_costs_three_times_plus_five(size: tuple[int, int], price: int) -> None:
    assert tool_cost(tool("bg-removal", *size), TABLET) == price


def test_bg_removal_is_never_free_for_opus() -> None:
    verdict = tool_spend(tool("bg-removal", 512, 512), OPUS)
    assert (verdict.cost, verdict.free) == (65, False)


@pytest.mark.parametrize("name", sorted(set(TOOL_NAMES) - {"bg-removal"}))
def test_other_tools_are_free_for_opus_up_to_one_megapixel(name: str) -> None:
    small = tool_spend(tool(name, 1024, 1024), OPUS)
    assert (small.cost, small.free) == (0, True)
    large = tool_spend(tool(name, 1024, 1088), OPUS)
    assert (large.cost, large.free) == (22, False)


def test_tools_are_not_free_for_a_lapsed_opus() -> None:
    assert tool_spend(tool("sketch", 512, 512), LAPSED_OPUS).cost == 20
