"""The Anlas rule: a job that would spend more Anlas than it may is refused, with the cost named.

Checked twice on purpose: when a job is submitted (so the user hears at once) and again by the
worker right before generating (the authoritative check: the balance and the tier may have
changed while the job waited, and a submitter may not have been able to ask NovelAI).
"""

from __future__ import annotations

import time

from naibot.refusal import Refusal
from novelai.accounts import Account
from novelai.client import NovelAIClient
from novelai.cost import SpendVerdict, cost_of, would_spend
from novelai.request import GenerationRequest
from novelai.subscription import Subscription

SUBSCRIPTION_TTL = 300.0


class SpendRefused(Refusal):
    """The job would spend more Anlas than the user, the group or the deployment allowed."""

    hint = "error.free_hint"

    def __init__(self, cost: int, allowed: int) -> None:
        allowed_text = "only free generations are allowed" if allowed == 0 else f"at most {allowed} are allowed"
        super().__init__(f"this would cost {cost} Anlas and {allowed_text}; use fewer steps (28 or less), "
                         "a smaller size (up to 1024x1024) or one image per request",
                         key="error.spend_refused_free" if allowed == 0 else "error.spend_refused_limit",
                         cost=cost, allowed=allowed)
        self.cost, self.allowed = cost, allowed

    @property
    def user_message(self) -> str:
        return str(self)


class SubscriptionCache:
    """Per-process memory of each account's tier and Anlas, refreshed every few minutes."""

    def __init__(self, client: NovelAIClient, ttl: float = SUBSCRIPTION_TTL) -> None:
        self._client = client
        self._ttl = ttl
        self._entries: dict[str, tuple[float, Subscription]] = {}

    async def get(self, account: Account) -> Subscription:
        cached = self._entries.get(account.fingerprint)
        if cached and time.monotonic() - cached[0] < self._ttl:
            return cached[1]
        subscription = await self._client.subscription(account)
        self._entries[account.fingerprint] = (time.monotonic(), subscription)
        return subscription


async def check_spend(request: GenerationRequest, max_anlas: int, account: Account,
                      subscriptions: SubscriptionCache) -> SpendVerdict | None:
    """Raise SpendRefused if the job may not spend what it would; None if obviously affordable."""
    if cost_of(request, None) <= max_anlas:
        return None  # affordable even without free generations: no need to ask NovelAI
    verdict = would_spend(request, await subscriptions.get(account))
    if verdict.cost > max_anlas:
        raise SpendRefused(verdict.cost, max_anlas)
    return verdict
