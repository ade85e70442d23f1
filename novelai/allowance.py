"""The Opus V5 allowance ("battery"): what ``/user/subscription`` says of it and what it means in images.

Since V5 (2026-08-21) an Opus account's free images on V5 models draw on a rechargeable allowance; when
it is empty NovelAI charges Anlas for them, and answers 402 when none are left (docs/novelai-api.md §9.5,
from the official FAQ "Opus Usage Limits" as quoted by ima2-gen #193, MooshieUI PR #637, Aaalice PR #72).
``/user/subscription`` reports it as ``usage: {percent, isNegative, timeUntilNextPercent}``.

Read so that a doubt never makes an image free: a missing or odd ``usage`` is no allowance information
(``Subscription.usage`` is None, and a V5 request then counts as paid), ``isNegative`` or less than one
image's worth left is empty. The images-per-percent figure and the per-area units are the website's own
estimate (Aaalice's ``OpusUsageChip``, also used by an unattributed Go client), not an exact rule, so
the counts shown are "≈".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# The website's estimate: about 17.3 free images (≤ 1 MP each) per 1 % of the allowance.
IMAGES_PER_PERCENT = 17.3
# An image costs more allowance units as its area grows: (max pixels, units), smallest first.
UNITS_BY_AREA: tuple[tuple[int, int], ...] = ((1_048_576, 1), (1_747_627, 2), (2_446_678, 3), (3_145_728, 4))
# The FAQ: empty to full in about one week, refilled per minute; so one percent takes about this long.
SECONDS_PER_PERCENT = 7 * 86400 / 100
FULL_PERCENT = 100.0
# percent × 17.3 lands a hair under a whole number in binary floating point; do not lose that image.
_EPSILON = 1e-9


def units_for_area(pixels: int) -> int:
    """Allowance units one image of this area uses (the largest bracket beyond 3 MP: never fewer)."""
    return next((units for limit, units in UNITS_BY_AREA if pixels <= limit), UNITS_BY_AREA[-1][1])


@dataclass(frozen=True)
class OpusUsage:
    """The ``usage`` object: ``percent`` left (above 100 with boosts, negative once overdrawn),
    NovelAI's own "overdrawn" flag, and the seconds until the next whole percent comes back."""

    percent: float
    is_negative: bool
    seconds_to_next_percent: float | None = None

    @property
    def images_left(self) -> int:
        """≈ free V5 images of up to 1 MP still covered; 0 when overdrawn."""
        if self.is_negative or self.percent <= 0:
            return 0
        return math.floor(self.percent * IMAGES_PER_PERCENT + _EPSILON)

    def covers(self, pixels: int) -> bool:
        """Whether the allowance still pays for one free image of this area (else it costs Anlas).

        At least that image's units must be left: ``isNegative`` only turns true after the image
        that overdrew it, so waiting for it would let one image be charged unasked."""
        return self.images_left >= units_for_area(pixels)

    @property
    def seconds_until_full(self) -> float | None:
        """≈ seconds until 100 %: the next percent as NovelAI says, then a week's pace; None if unknown."""
        if self.percent >= FULL_PERCENT:
            return 0.0
        if self.seconds_to_next_percent is None:
            return None
        whole_percents = math.ceil(FULL_PERCENT - self.percent)
        return self.seconds_to_next_percent + max(whole_percents - 1, 0) * SECONDS_PER_PERCENT

    @classmethod
    def from_api(cls, value: object) -> OpusUsage | None:
        """The ``usage`` object, or None when it is missing or its ``percent`` is not a number."""
        if not isinstance(value, dict):
            return None
        percent = value.get("percent")
        if isinstance(percent, bool) or not isinstance(percent, int | float) or not math.isfinite(percent):
            return None
        upcoming = value.get("timeUntilNextPercent")
        seconds = (float(upcoming) if isinstance(upcoming, int | float) and not isinstance(upcoming, bool)
                   and math.isfinite(upcoming) and upcoming >= 0 else None)
        # Anything but a plain false counts as overdrawn: the generous reading would spend Anlas.
        return cls(percent=float(percent), is_negative=value.get("isNegative") is not False,
                   seconds_to_next_percent=seconds)

    def to_dict(self) -> dict[str, Any]:
        return {"percent": self.percent, "is_negative": self.is_negative,
                "seconds_to_next_percent": self.seconds_to_next_percent}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OpusUsage:
        seconds = data.get("seconds_to_next_percent")
        return cls(percent=float(data["percent"]), is_negative=bool(data["is_negative"]),
                   seconds_to_next_percent=None if seconds is None else float(seconds))


def duration_words(seconds: float) -> str:
    """``3 d 4 h``, ``5 h 12 min``, ``7 min``: an English estimate, to the coarsest two units."""
    minutes = max(math.ceil(seconds / 60), 0)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"


def describe(usage: OpusUsage | None) -> str:
    """The allowance in one English line (``naibot account status``, the status page)."""
    if usage is None:
        return "not reported by NovelAI: V5 images count as paid"
    if usage.images_left < 1:
        upcoming = usage.seconds_to_next_percent
        when = f"; next 1% in {duration_words(upcoming)}" if upcoming is not None else ""
        return f"empty ({usage.percent:g}%): V5 images cost Anlas{when}"
    full = usage.seconds_until_full
    full_text = "full" if full == 0 else f"full in {duration_words(full)}" if full is not None else "refilling"
    return f"≈ {usage.images_left} free V5 images left ({usage.percent:g}%), {full_text}"
