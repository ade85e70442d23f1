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

Images in (/work/shared/novelai-2026.md §4.1–§4.5, docs/novelai-api.md §13): img2img multiplies the
per-image price by ``strength`` and infill by ``inpaintImg2ImgStrength`` (rounded up, at least 2; NKDK §1.1,
LLK, CARU), infill of a small image is priced at one megapixel (NKDK ``re``), vibes add +2 per encoding
made and +2 per vibe beyond 4 (charged even on Opus, the latter not with a mask), and precise references
+5 per reference and image, with no Opus free image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from novelai.errors import InvalidRequest, Problem
from novelai.image_payload import vibe_keys
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

# Images in (§4.2, §4.3): a vibe encoded (``/ai/encode-vibe``), each vibe beyond the first four, each
# precise reference per image.
VIBE_ENCODE_ANLAS = 2
VIBE_EXTRA_ANLAS = 2
FREE_VIBES = 4
REFERENCE_ANLAS = 5
# §4.5 (NKDK ``re``): an infill whose image is under 0.8 MP is priced as if scaled up to 1 MP, each side
# snapped to 64. NKDK does not say which way it snaps; up is the dearer guess ("treated as paid").
INFILL_PRICE_AREA = 1024 * 1024
INFILL_SMALL_FRACTION = 0.8
INFILL_SNAP = 64

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
                 smea_dyn: bool = False, opus_free: bool = False, model: str = "",
                 strength: float | None = None) -> int:
    """The Anlas a whole request costs; with ``opus_free`` one image of a small request is free.

    ``opus_free`` must already include the V5 allowance (``free_image``); this only applies the size rule.
    ``strength`` (img2img strength, or infill's mask strength) scales each image's price, rounded up and
    at least 2, after V5's factor: rounding the V5 price first is the dearer of the two orders, and no
    source says which the website uses."""
    billable = n_samples - 1 if opus_free and opus_free_applies(width, height, steps) else n_samples
    per_image = anlas_per_image(width, height, steps, smea=smea, smea_dyn=smea_dyn, model=model)
    if strength is not None:
        per_image = max(math.ceil(per_image * strength), MIN_ANLAS_PER_IMAGE)
    return per_image * max(billable, 0)


def priced_size(req: GenerationRequest) -> tuple[int, int]:
    """The size a request is priced at: its own, or for an infill under 0.8 MP the size scaled up to
    1 MP with each side rounded up to 64 (§4.5)."""
    width, height = req.width, req.height
    if req.mask is None or width * height >= INFILL_SMALL_FRACTION * INFILL_PRICE_AREA:
        return width, height
    scale = math.sqrt(INFILL_PRICE_AREA / (width * height))
    return (math.ceil(width * scale / INFILL_SNAP) * INFILL_SNAP, math.ceil(height * scale / INFILL_SNAP) * INFILL_SNAP)


def price_factor(req: GenerationRequest) -> float | None:
    """What scales the per-image price: infill's mask strength, img2img's strength, nothing for text."""
    if req.mask is not None:
        return req.inpaint_strength if req.inpaint_strength is not None else 1.0
    if req.image is not None:
        return req.strength if req.strength is not None else 1.0
    return None


def input_surcharge(req: GenerationRequest, *, uncached_vibes: int = 0) -> int:
    """The Anlas images in add on top of the images' price, Opus or not (§4.2, §4.3).

    ``uncached_vibes``: how many of the request's encodings (``vibe_keys``) are not cached and will be
    made before generating; more than the request needs counts as all of them."""
    encodes = min(max(uncached_vibes, 0), len(vibe_keys(req)))
    extra_vibes = 0 if req.mask is not None else max(len(req.vibes) - FREE_VIBES, 0)
    return (VIBE_ENCODE_ANLAS * encodes + VIBE_EXTRA_ANLAS * extra_vibes
            + REFERENCE_ANLAS * len(req.references) * req.n_samples)


def _require_steps(req: GenerationRequest) -> int:
    if req.steps is None:
        raise ValueError("pricing needs a resolved request (steps unknown); call req.resolved() first")
    return req.steps


def allowance_state(req: GenerationRequest, subscription: Subscription | None) -> AllowanceState | None:
    """Why an Opus account's free V5 image would not be free: its allowance is ``"empty"`` (or too low
    for this size) or ``"unknown"`` (not reported); None when the allowance does not decide."""
    width, height = priced_size(req)
    if (subscription is None or not subscription.opus_free or not draws_on_allowance(req.model)
            or req.references or not opus_free_applies(width, height, _require_steps(req))):
        return None
    if subscription.usage is None:
        return "unknown"
    return None if subscription.usage.covers(width * height) else "empty"


def free_image(req: GenerationRequest, subscription: Subscription | None) -> bool:
    """The free rule: an Opus account, a small request (§7), no precise reference (§4.3: NKDK
    ``isOpusFree: !characterRef``, CARU) and, on V5, an allowance that covers it."""
    return (subscription is not None and subscription.opus_free and not req.references
            and opus_free_applies(*priced_size(req), _require_steps(req))
            and allowance_state(req, subscription) is None)


def cost_of(req: GenerationRequest, subscription: Subscription | None, *, uncached_vibes: int = 0) -> int:
    """The Anlas a resolved request costs this account; no subscription = no free images.

    ``uncached_vibes``: how many vibe encodings must be made first (+2 each, ``input_surcharge``)."""
    width, height = priced_size(req)
    images = request_cost(width, height, _require_steps(req), req.n_samples, smea=req.smea,
                          smea_dyn=req.smea_dyn, opus_free=free_image(req, subscription), model=req.model,
                          strength=price_factor(req))
    return images + input_surcharge(req, uncached_vibes=uncached_vibes)


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


def would_spend(req: GenerationRequest, subscription: Subscription | None, *,
                uncached_vibes: int = 0) -> SpendVerdict:
    """Price a resolved request against an account, without spending anything (``uncached_vibes``:
    the encodings still to make, see ``cost_of``)."""
    cost = cost_of(req, subscription, uncached_vibes=uncached_vibes)
    free = free_image(req, subscription)
    allowance = allowance_state(req, subscription)
    if subscription is None:
        return SpendVerdict(cost=cost, free=free, balance=None, affordable=None)
    balance = subscription.anlas
    return SpendVerdict(cost=cost, free=free, balance=balance, affordable=cost <= balance, allowance=allowance)
