"""Anlas prices, computed the way NovelAI's website does before it sends a request.

NovelAI bills after the fact and only refuses (402) when the balance is short, so the queue has
to know the price beforehand to refuse or ask before spending someone's Anlas. The formula is
the website's, reverse-engineered by several clients that agree on it (docs/novelai-api.md §7).

V5 (§9.4, §9.5): the per-image price is the same formula × 1.5, rounded up after the factor (the
website's bundle as read by ANON-PRICE 2026-09-18, checked against the UI: V5 curated 832×1216 @ 30 steps
= 32; ANON-MED: 1024×1536 @ 23 = 39), with V5 Medium's step term discounted (1024×1536 @ 14 = 26). An
Opus account's free V5 image draws on the allowance ``/user/subscription`` reports as ``usage``
(``novelai.allowance``): it is free only while the allowance covers it, and never when the allowance is
not reported. A price the bot cannot know for sure is a price, never "free".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from novelai.errors import InvalidRequest, Problem
from novelai.models import Family, family_of
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
# §9.4: V5 costs half as much again, applied before rounding up.
V5_MULTIPLIER = 1.5
# §9.4: V5 Medium's step term is discounted before the rounding (ANON-MED, "official Medium discount
# applies to the step term before rounding"; 1024×1536 @ 14 steps = 26, where undiscounted gives 27).
MEDIUM_STEP_DIVISOR = 1.06521739

AllowanceState = Literal["empty", "unknown"]


def draws_on_allowance(model: str) -> bool:
    """Whether an Opus free image on this model comes out of the V5 allowance (every V5 id, and any
    newer one: ``family_of`` files future ids under V5, and assuming the allowance errs towards asking)."""
    return family_of(model) is Family.V5


def _is_medium(model: str) -> bool:
    return family_of(model) is Family.V5 and "-medium" in model


def anlas_per_image(width: int, height: int, steps: int, *, smea: bool = False,
                    smea_dyn: bool = False, model: str = "") -> int:
    """The price of one image, at least 2; InvalidRequest above 140, which the website will not send.

    The area is not floored at 64×64 as AED/HAN do (LLK and CARU use it raw); below that size
    the 2-Anlas minimum decides anyway. ``model`` (an id) adds V5's factor; without one, the V4.5 price.
    The 140 ceiling is checked before V5's factor: whether V5 moved it is not known (§9.4), and the
    size and step limits bound what can be sent anyway.
    """
    area = width * height
    step_term = AREA_STEP_COEFFICIENT * area * steps
    if model and _is_medium(model):
        step_term /= MEDIUM_STEP_DIVISOR
    base = math.ceil(AREA_COEFFICIENT * area + step_term)
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
    if model and draws_on_allowance(model):
        # The factor applies to the rounded base times SMEA, then rounds up once more (ANON-PRICE).
        return max(math.ceil(base * multiplier * V5_MULTIPLIER), MIN_ANLAS_PER_IMAGE)
    return price


def opus_free_applies(width: int, height: int, steps: int) -> bool:
    """Whether a request is small enough for an Opus account's free image (§7)."""
    return width * height <= OPUS_FREE_MAX_AREA and steps <= OPUS_FREE_MAX_STEPS


def request_cost(width: int, height: int, steps: int, n_samples: int, *, smea: bool = False,
                 smea_dyn: bool = False, opus_free: bool = False, model: str = "") -> int:
    """The Anlas a whole request costs; with ``opus_free`` one image of a small request is free.

    ``opus_free`` must already include the V5 allowance (``free_image``); this only applies the size rule."""
    billable = n_samples - 1 if opus_free and opus_free_applies(width, height, steps) else n_samples
    return anlas_per_image(width, height, steps, smea=smea, smea_dyn=smea_dyn, model=model) * max(billable, 0)


def _require_steps(req: GenerationRequest) -> int:
    if req.steps is None:
        raise ValueError("pricing needs a resolved request (steps unknown); call req.resolved() first")
    return req.steps


def allowance_state(req: GenerationRequest, subscription: Subscription | None) -> AllowanceState | None:
    """Why an Opus account's free V5 image would not be free: its allowance is ``"empty"`` (or too low
    for this size) or ``"unknown"`` (not reported); None when the allowance does not decide."""
    if (subscription is None or not subscription.opus_free or not draws_on_allowance(req.model)
            or not opus_free_applies(req.width, req.height, _require_steps(req))):
        return None
    if subscription.usage is None:
        return "unknown"
    return None if subscription.usage.covers(req.width * req.height) else "empty"


def free_image(req: GenerationRequest, subscription: Subscription | None) -> bool:
    """The free rule: an Opus account, a small request (§7) and, on V5, an allowance that covers it."""
    return (subscription is not None and subscription.opus_free
            and opus_free_applies(req.width, req.height, _require_steps(req))
            and allowance_state(req, subscription) is None)


def cost_of(req: GenerationRequest, subscription: Subscription | None) -> int:
    """The Anlas a resolved request costs this account; no subscription = no free images."""
    return request_cost(req.width, req.height, _require_steps(req), req.n_samples, smea=req.smea,
                        smea_dyn=req.smea_dyn, opus_free=free_image(req, subscription), model=req.model)


@dataclass(frozen=True)
class SpendVerdict:
    """What a request would do to an account's Anlas, for the queue to refuse or ask first.

    ``free`` means the Opus free image applies (the whole request is free when n_samples is 1;
    with more images the rest is still billed). ``balance`` and ``affordable`` are None when the
    subscription is unknown. ``allowance`` says why an Opus account's small V5 request is not free
    (its allowance is empty or not reported), so a refusal can name the way out.
    """

    cost: int
    free: bool
    balance: int | None
    affordable: bool | None
    allowance: AllowanceState | None = None

    @property
    def spends(self) -> bool:
        return self.cost > 0


def would_spend(req: GenerationRequest, subscription: Subscription | None) -> SpendVerdict:
    """Price a resolved request against an account, without spending anything."""
    cost = cost_of(req, subscription)
    free = free_image(req, subscription)
    allowance = allowance_state(req, subscription)
    if subscription is None:
        return SpendVerdict(cost=cost, free=free, balance=None, affordable=None)
    balance = subscription.anlas
    return SpendVerdict(cost=cost, free=free, balance=balance, affordable=cost <= balance, allowance=allowance)
