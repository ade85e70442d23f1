"""The Anlas rule: a job that would spend more Anlas than it may is refused, with the cost named.

Checked twice on purpose: when a job is submitted (so the user hears at once) and again by the
worker right before generating (the authoritative check: the balance and the tier may have
changed while the job waited, and a submitter may not have been able to ask NovelAI).

An Opus account's free V5 image depends on an allowance that drains with every such image
(novelai.allowance), so a verdict that counts on it is made on a subscription at most
``ALLOWANCE_TTL`` old, not the usual five minutes: a stale "images left" would let NovelAI charge
Anlas nobody allowed.
"""

from __future__ import annotations

import time
from typing import ClassVar

from naibot.refusal import Refusal
from novelai.accounts import Account
from novelai.client import NovelAIClient
from novelai.cost import AllowanceState, SpendVerdict, cost_of, draws_on_allowance, would_spend
from novelai.request import GenerationRequest
from novelai.subscription import Subscription
from novelai.tool_cost import tool_spend
from novelai.tools import ToolRequest, UpscaleRequest

SUBSCRIPTION_TTL = 300.0
# The website refreshes the allowance this often (Aaalice's subscription provider, per an unattributed
# Go client that copies it); a free V5 verdict older than that is read again.
ALLOWANCE_TTL = 30.0


class SpendRefused(Refusal):
    """The job would spend more Anlas than the user, the group or the deployment allowed."""

    hint = "error.free_hint"
    _WAY_OUT = "use fewer steps (28 or less), a smaller size (up to 1024x1024) or one image per request"

    def __init__(self, cost: int, allowed: int, *, why: str = "", key: str | None = None) -> None:
        allowed_text = "only free generations are allowed" if allowed == 0 else f"at most {allowed} are allowed"
        super().__init__(f"this would cost {cost} Anlas and {allowed_text}{why}; {self._WAY_OUT}",
                         key=key or ("error.spend_refused_free" if allowed == 0 else "error.spend_refused_limit"),
                         cost=cost, allowed=allowed)
        self.cost, self.allowed = cost, allowed

    @property
    def user_message(self) -> str:
        return str(self)


class AllowanceRefused(SpendRefused):
    """It would be free on Opus but for the V5 allowance: used up, or not reported by NovelAI."""

    hint = "error.allowance_hint"
    _WAY_OUT = "use V4.5 (still free on Opus at that size) or wait for the allowance to refill"
    _WHY: ClassVar[dict[str, str]] = {
        "empty": ": this Opus account's free V5 allowance is used up, so V5 images cost Anlas until it refills",
        "unknown": ": NovelAI did not report this Opus account's free V5 allowance, so V5 images count as paid"}

    def __init__(self, cost: int, allowed: int, allowance: AllowanceState) -> None:
        super().__init__(cost, allowed, why=self._WHY[allowance],
                         key=f"error.spend_refused_allowance_{allowance}" if allowed == 0 else None)
        self.allowance = allowance


class ToolSpendRefused(SpendRefused):
    """An upscale or a Director Tool that would cost more than allowed: the way out is a smaller image."""

    hint = "error.tool_free_hint"
    _WAY_OUT = "use a smaller image (on Opus, tools other than bg-removal are free up to 1024x1024)"


def spend_refused(verdict: SpendVerdict, allowed: int) -> SpendRefused:
    """The refusal for a verdict over the limit, naming the V5 allowance when it is what costs."""
    if verdict.allowance is not None:
        return AllowanceRefused(verdict.cost, allowed, verdict.allowance)
    return SpendRefused(verdict.cost, allowed)


class SubscriptionCache:
    """Per-process memory of each account's tier and Anlas, refreshed every few minutes."""

    def __init__(self, client: NovelAIClient, ttl: float = SUBSCRIPTION_TTL) -> None:
        self._client = client
        self._ttl = ttl
        self._entries: dict[str, tuple[float, Subscription]] = {}

    async def get(self, account: Account, max_age: float | None = None) -> Subscription:
        """The account's subscription, read again when older than ``max_age`` (default: the TTL)."""
        cached = self._entries.get(account.fingerprint)
        if cached and time.monotonic() - cached[0] < min(self._ttl, self._ttl if max_age is None else max_age):
            return cached[1]
        subscription = await self._client.subscription(account)
        self._entries[account.fingerprint] = (time.monotonic(), subscription)
        return subscription


async def check_spend(request: GenerationRequest | UpscaleRequest | ToolRequest, max_anlas: int, account: Account,
                      subscriptions: SubscriptionCache, *, uncached_vibes: int = 0) -> SpendVerdict | None:
    """Raise SpendRefused if the job may not spend what it would; None if obviously affordable.

    ``uncached_vibes``: the vibe encodings still to make before generating (2 Anlas each), as
    ``tasks.vibe_cache`` counts them. Upscales and tools are priced by ``novelai.tool_cost``."""
    if not isinstance(request, GenerationRequest):
        return await _check_tool_spend(request, max_anlas, account, subscriptions)
    if cost_of(request, None, uncached_vibes=uncached_vibes) <= max_anlas:
        return None  # affordable even without free generations: no need to ask NovelAI
    verdict = would_spend(request, await subscriptions.get(account), uncached_vibes=uncached_vibes)
    if verdict.free and draws_on_allowance(request.model):
        # Free only while the allowance lasts: judge on a fresh reading of it.
        verdict = would_spend(request, await subscriptions.get(account, max_age=ALLOWANCE_TTL),
                              uncached_vibes=uncached_vibes)
    if verdict.cost > max_anlas:
        raise spend_refused(verdict, max_anlas)
    return verdict


async def _check_tool_spend(request: UpscaleRequest | ToolRequest, max_anlas: int, account: Account,
                            subscriptions: SubscriptionCache) -> SpendVerdict | None:
    if tool_spend(request, None).cost <= max_anlas:
        return None
    verdict = tool_spend(request, await subscriptions.get(account))
    if verdict.cost > max_anlas:
        raise ToolSpendRefused(verdict.cost, max_anlas)
    return verdict
