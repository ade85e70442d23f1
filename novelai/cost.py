"""Anlas prices, computed the way NovelAI's website does before it sends a request.

NovelAI bills after the fact and only refuses (402) when the balance is short, so the queue has
to know the price beforehand to refuse or ask before spending someone's Anlas. The formula is
the website's, reverse-engineered by several clients that agree on it (docs/novelai-api.md §7).
V5 is priced with the same formula and Opus rule: one report (PR #52) saw 0 Anlas on Opus for
V5 at 832×1216 and 28 steps, but V5's free images draw on an allowance we cannot see.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from novelai.errors import InvalidRequest, Problem
from novelai.request import GenerationRequest
from novelai.subscription import Subscription

# Coefficients of the website's V3/V4/V4.5 formula, per pixel and per pixel-step.
AREA_COEFFICIENT = 2.951823174884865e-6
AREA_STEP_COEFFICIENT = 5.753298233447344e-7
SMEA_MULTIPLIER = 1.2
SMEA_DYN_MULTIPLIER = 1.4
MIN_ANLAS_PER_IMAGE = 2
# The website refuses to send anything pricier per image (LLK returns −3, CARU raises).
MAX_ANLAS_PER_IMAGE = 140
# Opus accounts get one image per request free within these limits.
OPUS_FREE_MAX_AREA = 1024 * 1024
OPUS_FREE_MAX_STEPS = 28


def anlas_per_image(width: int, height: int, steps: int, *, smea: bool = False,
                    smea_dyn: bool = False) -> int:
    """The price of one image, at least 2; InvalidRequest above 140, which the website will not send.

    The area is not floored at 64×64 as AED/HAN do (LLK and CARU use it raw); below that size
    the 2-Anlas minimum decides anyway.
    """
    area = width * height
    base = math.ceil(AREA_COEFFICIENT * area + AREA_STEP_COEFFICIENT * area * steps)
    # LLK lets sm_dyn alone count as SMEA DYN; validation never sends that, and pricing it higher
    # errs on the side of asking.
    multiplier = SMEA_DYN_MULTIPLIER if smea_dyn else SMEA_MULTIPLIER if smea else 1
    price = max(math.ceil(base * multiplier), MIN_ANLAS_PER_IMAGE)
    if price > MAX_ANLAS_PER_IMAGE:
        raise InvalidRequest(Problem(
            "size", f"{width}×{height} at {steps} steps would cost {price} Anlas per image; NovelAI refuses "
                    f"more than {MAX_ANLAS_PER_IMAGE}, so use a smaller size or fewer steps",
            code="too_expensive",
            params={"width": width, "height": height, "steps": steps, "price": price, "max": MAX_ANLAS_PER_IMAGE}))
    return price


def opus_free_applies(width: int, height: int, steps: int) -> bool:
    """Whether a request is small enough for an Opus account's free image (§7)."""
    return width * height <= OPUS_FREE_MAX_AREA and steps <= OPUS_FREE_MAX_STEPS


def request_cost(width: int, height: int, steps: int, n_samples: int, *, smea: bool = False,
                 smea_dyn: bool = False, opus_free: bool = False) -> int:
    """The Anlas a whole request costs; with ``opus_free`` one image of a small request is free."""
    billable = n_samples - 1 if opus_free and opus_free_applies(width, height, steps) else n_samples
    return anlas_per_image(width, height, steps, smea=smea, smea_dyn=smea_dyn) * max(billable, 0)


def _require_steps(req: GenerationRequest) -> int:
    if req.steps is None:
        raise ValueError("pricing needs a resolved request (steps unknown); call req.resolved() first")
    return req.steps


def cost_of(req: GenerationRequest, subscription: Subscription | None) -> int:
    """The Anlas a resolved request costs this account; no subscription = no free images."""
    opus_free = subscription is not None and subscription.opus_free
    return request_cost(req.width, req.height, _require_steps(req), req.n_samples, smea=req.smea,
                        smea_dyn=req.smea_dyn, opus_free=opus_free)


@dataclass(frozen=True)
class SpendVerdict:
    """What a request would do to an account's Anlas, for the queue to refuse or ask first.

    ``free`` means the Opus free image applies (the whole request is free when n_samples is 1;
    with more images the rest is still billed). ``balance`` and ``affordable`` are None when the
    subscription is unknown.
    """

    cost: int
    free: bool
    balance: int | None
    affordable: bool | None

    @property
    def spends(self) -> bool:
        return self.cost > 0


def would_spend(req: GenerationRequest, subscription: Subscription | None) -> SpendVerdict:
    """Price a resolved request against an account, without spending anything."""
    cost = cost_of(req, subscription)
    free = (subscription is not None and subscription.opus_free
            and opus_free_applies(req.width, req.height, _require_steps(req)))
    if subscription is None:
        return SpendVerdict(cost=cost, free=free, balance=None, affordable=None)
    balance = subscription.anlas
    return SpendVerdict(cost=cost, free=free, balance=balance, affordable=cost <= balance)
