"""An account's subscription as far as image generation cares: tier, Anlas, Opus free images, V5 allowance.

Parsed tolerantly from ``GET /user/subscription`` (docs/novelai-api.md §1.3): NovelAI documents no
schema, so a missing or odd field becomes the value that makes us *least* generous (inactive,
no Anlas, no free generations). Being wrong that way asks a user before spending; the other
way would spend Anlas nobody agreed to.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from novelai.allowance import OpusUsage

OPUS_TIER = 3
TIER_NAMES: dict[int, str] = {0: "Paper", 1: "Tablet", 2: "Scroll", OPUS_TIER: "Opus"}


@dataclass(frozen=True)
class Subscription:
    """What ``/user/subscription`` says; ``anlas_fixed`` resets monthly, ``anlas_purchased`` never expires."""

    tier: int = 0
    active: bool = False
    expires_at: datetime | None = None
    anlas_fixed: int = 0
    anlas_purchased: int = 0
    image_generation: bool = False
    unlimited_image_generation: bool = False
    # The V5 allowance (novelai.allowance); None = not reported, which makes V5 free images count as paid.
    usage: OpusUsage | None = None

    @property
    def anlas(self) -> int:
        """The spendable balance (LLK ``anlas_left``, CARU ``TrainingStepsLeft.total``)."""
        return self.anlas_fixed + self.anlas_purchased

    @property
    def tier_name(self) -> str:
        return TIER_NAMES.get(self.tier, f"Tier {self.tier}")

    @property
    def opus_free(self) -> bool:
        """Whether small requests get one image free (§7): an active Opus whose perks say so."""
        return (self.tier >= OPUS_TIER and self.active and self.image_generation
                and self.unlimited_image_generation)

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> Subscription:
        """Parse the ``/user/subscription`` JSON body."""
        perks = _mapping(body.get("perks"))
        steps = _mapping(body.get("trainingStepsLeft"))
        return cls(
            tier=_int(body.get("tier")),
            active=body.get("active") is True,
            expires_at=_timestamp(body.get("expiresAt")),
            anlas_fixed=_int(steps.get("fixedTrainingStepsLeft")),
            anlas_purchased=_int(steps.get("purchasedTrainingSteps")),
            image_generation=perks.get("imageGeneration") is True,
            unlimited_image_generation=perks.get("unlimitedImageGeneration") is True,
            usage=OpusUsage.from_api(body.get("usage")),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict for caching (the expiry as ISO 8601)."""
        data = asdict(self)
        data["expires_at"] = self.expires_at.isoformat() if self.expires_at else None
        data["usage"] = self.usage.to_dict() if self.usage else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Subscription:
        """The inverse of ``to_dict``."""
        expires = data.get("expires_at")
        usage = data.get("usage")
        return cls(
            tier=int(data["tier"]),
            active=bool(data["active"]),
            expires_at=datetime.fromisoformat(expires) if expires else None,
            anlas_fixed=int(data["anlas_fixed"]),
            anlas_purchased=int(data["anlas_purchased"]),
            image_generation=bool(data["image_generation"]),
            unlimited_image_generation=bool(data["unlimited_image_generation"]),
            usage=OpusUsage.from_dict(usage) if usage else None,
        )


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: object) -> int:
    """A non-negative count; anything else (None, text, a bool) counts as 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return max(int(value), 0)


def _timestamp(value: object) -> datetime | None:
    """``expiresAt`` is Unix seconds; 0 or nonsense means "no known expiry"."""
    seconds = _int(value)
    if not seconds:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None
