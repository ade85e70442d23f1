"""Anlas prices of upscaling and the Director Tools, the way NovelAI's website computes them.

Sources (``docs/novelai-api.md`` §7, ``/work/shared/novelai-2026.md`` §4.4 and §4.6):

- Director Tools (NKDK ``anlas-cost-calculation.md`` §4, from the website's bundle; CARU and IDX-PRICE agree):
  the input size is first shrunk to at most 3,145,728 px, then grown to at least 1,048,576 px
  (``Math.floor`` of each side times sqrt(1 MP / area), no grid snap), and priced as one 28-step
  image without SMEA by the V3/V4 formula (``novelai.cost.anlas_per_image``). An active Opus account
  gets it free when the clamped size is at most 1,048,576 px, i.e. for inputs up to 1 MP; bg-removal
  costs 3 × that + 5 and is never free. The V5 allowance plays no part: tools are priced as V3.
- Upscale, legacy shape (NKDK §4.4, pre-V5 bundle): by input pixels ≤262,144 → 1, ≤409,600 → 2,
  ≤524,288 → 3, ≤786,432 → 5, ≤1,048,576 → 7; free for an active Opus account up to 409,600 px.
- Upscale, image-host shape (IDX-PRICE 2026-09): 1/2/3/4 Anlas for inputs up to "1 MP, 1.75 MP, 2.45 MP
  and 3.15 MP", never free. We read those as the website's unit steps 1,048,576 / 1,747,627 / 2,446,678 /
  3,145,728 (the same thresholds as its allowance-unit table, §9.5); where the two readings differ
  (e.g. 1,747,628–1,750,000 px) ours is the dearer one.

Which upscale shape answers is only known after the call (the image host first, the legacy API on
400/404), so unless the caller names the shape, the dearer of the shapes that could be used is the
price: a cost not known for sure is treated as paid.
"""

from __future__ import annotations

import math
from typing import Literal

from novelai.cost import SpendVerdict, anlas_per_image
from novelai.subscription import Subscription
from novelai.tool_rules import MAX_LEGACY_UPSCALE_PIXELS, MAX_TOOL_PIXELS, MAX_UPSCALE_PIXELS
from novelai.tools import ToolRequest, UpscaleRequest

UpscaleShape = Literal["image-host", "legacy"]
UPSCALE_SHAPES: tuple[UpscaleShape, ...] = ("image-host", "legacy")

# (largest input pixels, Anlas), smallest first.
LEGACY_UPSCALE_PRICES: tuple[tuple[int, int], ...] = (
    (262_144, 1), (409_600, 2), (524_288, 3), (786_432, 5), (1_048_576, 7))
LEGACY_UPSCALE_OPUS_FREE_PIXELS = 409_600
IMAGE_HOST_UPSCALE_PRICES: tuple[tuple[int, int], ...] = (
    (1_048_576, 1), (1_747_627, 2), (2_446_678, 3), (3_145_728, 4))

TOOL_MIN_PRICED_PIXELS = 1_048_576
TOOL_STEPS = 28
TOOL_OPUS_FREE_PIXELS = 1_048_576
BG_REMOVAL_FACTOR = 3
BG_REMOVAL_SURCHARGE = 5


def _from_table(table: tuple[tuple[int, int], ...], pixels: int, what: str) -> int:
    for largest, price in table:
        if pixels <= largest:
            return price
    raise ValueError(f"{what} has no price for {pixels:,} pixels (check the request first)")


def _opus(subscription: Subscription | None) -> bool:
    return subscription is not None and subscription.opus_free


def upscale_shapes(req: UpscaleRequest) -> tuple[UpscaleShape, ...]:
    """The shapes that may answer this request: 4× is legacy only, above 1 MP the image host only."""
    if req.scale != 2:
        return ("legacy",)
    if req.image.pixels > MAX_LEGACY_UPSCALE_PIXELS:
        return ("image-host",)
    return UPSCALE_SHAPES


def upscale_cost(pixels: int, shape: UpscaleShape, subscription: Subscription | None) -> int:
    """The Anlas one upscale of an input of ``pixels`` costs in ``shape``; ValueError past its table."""
    if shape == "image-host":
        return _from_table(IMAGE_HOST_UPSCALE_PRICES, pixels, "the image-host upscale")
    if pixels <= LEGACY_UPSCALE_OPUS_FREE_PIXELS and _opus(subscription):
        return 0
    return _from_table(LEGACY_UPSCALE_PRICES, pixels, "the legacy upscale")


def tool_priced_size(width: int, height: int) -> tuple[int, int]:
    """The size the website prices a Director Tool at: shrunk into 3,145,728 px, grown to 1,048,576 px."""
    if width * height > MAX_TOOL_PIXELS:
        shrink = math.sqrt(MAX_TOOL_PIXELS / (width * height))
        width, height = max(1, math.floor(width * shrink)), max(1, math.floor(height * shrink))
    if width * height < TOOL_MIN_PRICED_PIXELS:
        grow = math.sqrt(TOOL_MIN_PRICED_PIXELS / (width * height))
        width, height = math.floor(width * grow), math.floor(height * grow)
    return width, height


def tool_free(req: ToolRequest, subscription: Subscription | None) -> bool:
    """The Opus rule of the Director Tools: not bg-removal, and a priced size of at most 1 MP."""
    width, height = tool_priced_size(req.image.width, req.image.height)
    return req.tool != "bg-removal" and width * height <= TOOL_OPUS_FREE_PIXELS and _opus(subscription)


def tool_cost(req: ToolRequest, subscription: Subscription | None) -> int:
    """The Anlas one Director Tools call costs this account (no subscription = nothing free)."""
    if tool_free(req, subscription):
        return 0
    base = anlas_per_image(*tool_priced_size(req.image.width, req.image.height), TOOL_STEPS)
    if req.tool == "bg-removal":
        return BG_REMOVAL_FACTOR * base + BG_REMOVAL_SURCHARGE
    return base


def _verdict(cost: int, free: bool, subscription: Subscription | None) -> SpendVerdict:
    if subscription is None:
        return SpendVerdict(cost=cost, free=free, balance=None, affordable=None)
    return SpendVerdict(cost=cost, free=free, balance=subscription.anlas, affordable=cost <= subscription.anlas)


def tool_spend(req: UpscaleRequest | ToolRequest, subscription: Subscription | None, *,
               shape: UpscaleShape | None = None) -> SpendVerdict:
    """Price an upscale or a Director Tool against an account, without spending anything.

    For an upscale, ``shape`` names the shape that will be used; None (the queue's case: the call picks
    it) prices the dearest shape that may answer. ``free`` is True only when every such shape is free.
    The request must have passed ``check_upscale`` / ``check_tool`` (ValueError past the price tables).
    """
    if isinstance(req, ToolRequest):
        return _verdict(tool_cost(req, subscription), tool_free(req, subscription), subscription)
    if req.image.pixels > MAX_UPSCALE_PIXELS:
        raise ValueError(f"an upscale of {req.image.pixels:,} pixels has no price (check the request first)")
    shapes = upscale_shapes(req) if shape is None else (shape,)
    costs = [upscale_cost(req.image.pixels, s, subscription) for s in shapes]
    return _verdict(max(costs), max(costs) == 0, subscription)
