"""One NovelAI account's token status (days left, tier, Anlas, the Opus V5 allowance), as ``naibot account
status`` and the admin status page both show it.

Shared so the CLI and the page cannot drift apart in what they call "days left" or which
accounts exist; neither ever includes a token, key or full email.
"""

from __future__ import annotations

import time

from naibot.settings import Settings
from novelai.accounts import DEFAULT_ACCOUNT_NAME, Account, AccountStore
from novelai.allowance import describe
from novelai.client import AccountStatus
from novelai.factory import account_store, default_account


async def resolve_account(settings: Settings, name: str, store: AccountStore | None = None) -> Account | None:
    """A named account from the store, or the deployment default from the environment.

    A long-running caller passes its own ``store`` (one connection pool for the process).
    """
    if name == DEFAULT_ACCOUNT_NAME:
        account = default_account(settings)
        if account is not None:
            return account
    return await (store or account_store(settings)).get(name)


async def account_names(settings: Settings, store: AccountStore | None) -> list[str]:
    """Every account the deployment can use: the environment's default first, then the stored ones."""
    names = await store.names() if store is not None else []
    if default_account(settings) is not None and DEFAULT_ACCOUNT_NAME not in names:
        names.insert(0, DEFAULT_ACCOUNT_NAME)
    return names


def status_dict(status: AccountStatus) -> dict[str, object]:
    sub = status.subscription
    return {
        "name": status.name,
        "kind": status.kind,
        "token_cached": status.cached,
        "days_left": None if status.days_left is None else round(status.days_left, 1),
        "last_verified": None if status.verified_at is None else time.strftime(
            "%Y-%m-%d %H:%M:%S", time.localtime(status.verified_at)),
        "tier": sub.tier_name if sub else None,
        "anlas": sub.anlas if sub else None,
        # Only accounts with Opus free images have one (docs/novelai-api.md §9.5).
        "v5_allowance": describe(sub.usage) if sub and sub.opus_free else None,
        "v5_allowance_percent": sub.usage.percent if sub and sub.opus_free and sub.usage else None,
        "error": status.error,
    }


def mask_email(email: str) -> str:
    """``a***@example.com``: enough for an admin to tell accounts apart, useless to a shoulder surfer."""
    local, at, domain = email.partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"
