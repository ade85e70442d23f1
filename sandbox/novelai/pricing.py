"""What the NovelAI stand-in charges for a generation, in Anlas.

Written from the public description of NovelAI's prices (docs/novelai-api.md §7, the frontend formula that
LLK, AED, CARU, HAN and NEKO reverse-engineered), not from the client's ``novelai.cost``: the stand-in is the
second opinion that makes a pricing bug in the client show, so it must not share the client's code.

The price of one request, step by step (§7):

1. ``area = width × height``, in pixels, as sent. AED and HAN floor it at 65,536 px; CARU and LLK, which
   price V4, use it raw, and so does the stand-in.
2. ``base = ceil(2.951823174884865e-6 × area + 5.753298233447344e-7 × area × steps)``.
3. SMEA (V3 only; validation already drops the flags on V4+): ``sm`` multiplies by 1.2, ``sm`` with
   ``sm_dyn`` by 1.4; round up again.
4. V5 (any ``nai-diffusion-5…`` id; §9.4, the website bundle as ANON-PRICE read it on 2026-09-18):
   multiply by 1.5 and round up again. V5 Medium divides its step term by 1.06521739 before step 2's
   rounding (ANON-MED: 1024×1536 at 14 steps = 26).
5. At least 2 Anlas per image.
6. Opus (tier 3, active) gets one image of the request free when ``area ≤ 1024²`` and ``steps ≤ 28``:
   the request is billed for ``n_samples − 1`` images, so a single image costs nothing. On V5 that free
   image comes out of the account's allowance (§9.5, ``accounts.SandboxAccount.allowance``): it is free
   only while some allowance is left (above 0 %), and then uses ``units / 17.3`` percent of it (units by
   area, the website's estimate); with none left it is billed like the others.
7. The request costs the per-image price times the billed images.

The website never sends a request above 140 Anlas per image; validation's size and step limits keep every
request the stand-in accepts at or below that (the largest area at 50 steps with SMEA DYN is exactly 140).

Images in (docs/novelai-2026.md §4; NKDK ``docs/anlas-cost-calculation.md``, the website's bundle):

8. img2img multiplies the per-image price by ``strength``, infill by ``inpaintImg2ImgStrength`` (before step
   5's floor and after V5's factor: ``max(ceil(perSample × strength), 2)``, IDX-PRICE); an infill below
   0.8 MP is priced at its size scaled up to 1 MP (``generation_inputs.inpaint_price_size``).
9. Encoded vibes (V4/V4.5, not with a mask): +2 per vibe beyond the fourth, per request, also on Opus.
   ``/ai/encode-vibe`` costs 2 per call (NKDK findings §7: measured).
10. Director references: +5 × references × n_samples, and no Opus free image (NKDK ``isOpusFree:
    !characterRef``). Conflict: NKDK's live smoke test (findings §7) saw a 512×768 reference request cost
    Opus only 5; the stand-in follows the bundle's rule, the plan's, which charges more.
11. Upscale: the image host's table (flat 1/2/3/4 for inputs up to 1, 1.75, 2.45, 3.15 MP, no Opus
    discount: NKDK findings §9, measured) or the legacy table (1/2/3/5/7 up to 1 MP, Opus free up to
    409,600 px: NKDK bundle 2026-02).
12. Director Tools: the input's size shrunk to at most 3,145,728 px and grown to at least 1,048,576 px
    (each side floored), priced as one 28-step V3 image (no V5 factor), Opus free at ≤ 1,048,576 px;
    ``bg-removal`` costs 3 × that + 5 and is never free (NKDK §4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sandbox.novelai.accounts import OPUS_TIER

# §7, "Anlas formula for V3 / V4 / V4.5": Anlas per pixel, and per pixel and step.
PER_PIXEL = 2.951823174884865e-6
PER_PIXEL_STEP = 5.753298233447344e-7
# (sm, sm_dyn) → factor. sm_dyn counts only together with sm, as the website sends it (§7: "1.4 if sm and
# sm_dyn"); the client never sends sm_dyn alone.
SMEA_FACTOR: dict[tuple[bool, bool], float] = {
    (False, False): 1.0, (False, True): 1.0, (True, False): 1.2, (True, True): 1.4,
}
FLOOR_PER_IMAGE = 2
CEILING_PER_IMAGE = 140
# §7, "Opus free generation" (tier 3 and active, see accounts.OPUS_TIER).
FREE_AREA = 1024 * 1024
FREE_STEPS = 28
# §9.4 / §9.5.
V5_PREFIX = "nai-diffusion-5"
V5_FACTOR = 1.5
MEDIUM_STEP_DISCOUNT = 1.06521739
IMAGES_PER_PERCENT = 17.3
ALLOWANCE_UNITS: tuple[tuple[int, int], ...] = ((1_048_576, 1), (1_747_627, 2), (2_446_678, 3), (3_145_728, 4))
# Steps 9–12.
VIBE_BATCH_PRICE = 2
FREE_VIBES = 4
ENCODE_VIBE_PRICE = 2
REFERENCE_PRICE = 5
UPSCALE_IMAGE_HOST: tuple[tuple[int, int], ...] = ALLOWANCE_UNITS  # same bounds, 1–4 Anlas (NKDK findings §9)
UPSCALE_LEGACY: tuple[tuple[int, int], ...] = ((262_144, 1), (409_600, 2), (524_288, 3), (786_432, 5),
                                              (1_048_576, 7))
UPSCALE_LEGACY_OPUS_FREE = 409_600
TOOL_MIN_PIXELS = 1_048_576
TOOL_MAX_PIXELS = 3_145_728
TOOL_STEPS = 28
BG_REMOVAL_FACTOR = 3
BG_REMOVAL_EXTRA = 5


@dataclass(frozen=True)
class Price:
    """A request's bill: what one image costs, how many images are billed, and the total."""

    per_image: int
    billed_images: int
    # Percent of the V5 allowance the free image uses (0 when none is free or the model is not V5).
    allowance_percent: float = 0.0
    # Added once per request: vibes beyond four, references (steps 9 and 10).
    extra: int = 0

    @property
    def total(self) -> int:
        return self.per_image * self.billed_images + self.extra


def is_v5(model: str) -> bool:
    return model.startswith(V5_PREFIX)


def per_image(width: int, height: int, steps: int, *, sm: bool = False, sm_dyn: bool = False,
              model: str = "", strength: float = 1.0) -> int:
    """Steps 1–5 and 8: the Anlas one image of this size and step count costs on this model. Float
    arithmetic as the website's JavaScript does it (IEEE doubles), so a product like 10 × 0.3 rounds up
    the way it does there."""
    pixels = width * height
    stepped = PER_PIXEL_STEP * pixels * steps
    if is_v5(model) and "medium" in model:
        stepped /= MEDIUM_STEP_DISCOUNT
    base = math.ceil(PER_PIXEL * pixels + stepped)
    factor = SMEA_FACTOR[sm, sm_dyn] * (V5_FACTOR if is_v5(model) else 1.0)
    return max(math.ceil(base * factor * strength), FLOOR_PER_IMAGE)


def opus_free(width: int, height: int, steps: int, *, tier: int, active: bool = True) -> bool:
    """Step 6's size rule: whether one image of this request is free for this subscription (before V5's
    allowance has its say)."""
    return tier == OPUS_TIER and active and width * height <= FREE_AREA and steps <= FREE_STEPS


def allowance_units(width: int, height: int) -> int:
    pixels = width * height
    return next((units for limit, units in ALLOWANCE_UNITS if pixels <= limit), ALLOWANCE_UNITS[-1][1])


def price(width: int, height: int, steps: int, n_samples: int, *, tier: int, active: bool = True,
          sm: bool = False, sm_dyn: bool = False, model: str = "", allowance: float = 100.0,
          strength: float = 1.0, encoded_vibes: int = 0, references: int = 0) -> Price:
    """Steps 1–10 for a whole request by an account of this tier with this much V5 ``allowance`` left."""
    free = (opus_free(width, height, steps, tier=tier, active=active) and (not is_v5(model) or allowance > 0)
            and not references)
    drawn = allowance_units(width, height) / IMAGES_PER_PERCENT if free and is_v5(model) else 0.0
    extra = VIBE_BATCH_PRICE * max(encoded_vibes - FREE_VIBES, 0) + REFERENCE_PRICE * references * n_samples
    return Price(per_image(width, height, steps, sm=sm, sm_dyn=sm_dyn, model=model, strength=strength),
                 max(n_samples - (1 if free else 0), 0), drawn, extra)


def upscale_price(width: int, height: int, *, image_host: bool, tier: int, active: bool = True) -> int | None:
    """Step 11: what an upscale of an input this big costs; None above the table (NovelAI refuses it)."""
    pixels = width * height
    if image_host:
        return next((cost for limit, cost in UPSCALE_IMAGE_HOST if pixels <= limit), None)
    if pixels > UPSCALE_LEGACY[-1][0]:
        return None
    if tier == OPUS_TIER and active and pixels <= UPSCALE_LEGACY_OPUS_FREE:
        return 0
    return next(cost for limit, cost in UPSCALE_LEGACY if pixels <= limit)


def tool_price_size(width: int, height: int) -> tuple[int, int]:
    """Step 12's size: shrunk into TOOL_MAX_PIXELS, grown to TOOL_MIN_PIXELS, sides floored (NKDK Bu, Rj)."""
    pixels = width * height
    for bound, applies in ((TOOL_MAX_PIXELS, pixels > TOOL_MAX_PIXELS), (TOOL_MIN_PIXELS, pixels < TOOL_MIN_PIXELS)):
        if applies:
            scale = math.sqrt(bound / pixels)
            return math.floor(width * scale), math.floor(height * scale)
    return width, height


def tool_price(req_type: str, width: int, height: int, *, tier: int, active: bool = True) -> int:
    """Step 12: one Director Tool call on an input of this size."""
    sized = tool_price_size(width, height)
    base = per_image(*sized, TOOL_STEPS)
    if req_type == "bg-removal":
        return BG_REMOVAL_FACTOR * base + BG_REMOVAL_EXTRA
    return 0 if opus_free(*sized, TOOL_STEPS, tier=tier, active=active) else base
