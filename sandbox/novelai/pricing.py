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
4. At least 2 Anlas per image.
5. Opus (tier 3, active) gets one image of the request free when ``area ≤ 1024²`` and ``steps ≤ 28``:
   the request is billed for ``n_samples − 1`` images, so a single image costs nothing.
6. The request costs the per-image price times the billed images.

The website never sends a request above 140 Anlas per image; validation's size and step limits keep every
request the stand-in accepts at or below that (the largest area at 50 steps with SMEA DYN is exactly 140).

Not priced here: img2img ``strength`` (§7: the per-image price times the strength, still at least 2),
which the client does not send yet; and V5's ×1.5 surcharge and its Opus allowance that can run out,
both reported in 2026 and not yet in §7, so V5 is priced as V4.5.
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


@dataclass(frozen=True)
class Price:
    """A request's bill: what one image costs, how many images are billed, and the total."""

    per_image: int
    billed_images: int

    @property
    def total(self) -> int:
        return self.per_image * self.billed_images


def per_image(width: int, height: int, steps: int, *, sm: bool = False, sm_dyn: bool = False) -> int:
    """Steps 1–4: the Anlas one image of this size and step count costs."""
    pixels = width * height
    base = math.ceil(PER_PIXEL * pixels + PER_PIXEL_STEP * pixels * steps)
    with_smea = math.ceil(base * SMEA_FACTOR[sm, sm_dyn])
    return max(with_smea, FLOOR_PER_IMAGE)


def opus_free(width: int, height: int, steps: int, *, tier: int, active: bool = True) -> bool:
    """Step 5: whether one image of this request is free for this subscription."""
    return tier == OPUS_TIER and active and width * height <= FREE_AREA and steps <= FREE_STEPS


def price(width: int, height: int, steps: int, n_samples: int, *, tier: int, active: bool = True,
          sm: bool = False, sm_dyn: bool = False) -> Price:
    """Steps 1–6 for a whole request by an account of this tier."""
    free = 1 if opus_free(width, height, steps, tier=tier, active=active) else 0
    return Price(per_image(width, height, steps, sm=sm, sm_dyn=sm_dyn), max(n_samples - free, 0))
