"""How accounts read to a person: a personal account's state (`/account`) and a lent account's
use today (`/account`, `/group status`). Pure functions of what the commands read; their sentences are the
``account.*`` and ``group.*`` keys of ``en.py`` and ``zh.py``. ``group_status_text`` stays in
``bot.chat.commands.group``: it reads the group's config (DESIGN.md §1.3)."""

from __future__ import annotations

import time

from bot.chat.texts.catalog import t
from bot.chat.texts.jobs import duration_text
from bot.rules.groups import Lending
from novelai.client import AccountStatus
from novelai.subscription import Subscription


def status_lines(lang: str, status: AccountStatus) -> list[str]:
    """A personal account's token state, last check, tier and Anlas, one line each, as known."""
    lines = [t(lang, "account.token_cached" if status.cached else "account.token_not_cached")]
    if status.days_left is not None:
        lines.append(t(lang, "account.days_left", days=f"{status.days_left:.1f}"))
    if status.verified_at is not None:
        lines.append(t(lang, "account.last_check",
                       when=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(status.verified_at))))
    if status.subscription is not None:
        lines.append(t(lang, "account.tier", tier=status.subscription.tier_name, anlas=status.subscription.anlas))
        if (allowance := allowance_line(lang, status.subscription)) is not None:
            lines.append(allowance)
    if status.error:
        lines.append(t(lang, "account.error", reason=status.error))
    return lines


def allowance_line(lang: str, subscription: Subscription) -> str | None:
    """An Opus account's free V5 allowance (docs/novelai-api.md §9.5): ≈ images left and when it is full,
    or that it is used up or unknown (and so V5 costs); None for accounts without free images."""
    if not subscription.opus_free:
        return None
    usage = subscription.usage
    if usage is None:
        return t(lang, "account.v5_allowance_unknown")
    percent = f"{usage.percent:g}"
    if usage.images_left < 1:
        return t(lang, "account.v5_allowance_empty", percent=percent,
                 next=_wait_text(usage.seconds_to_next_percent, lang))
    full = usage.seconds_until_full
    if full == 0:
        return t(lang, "account.v5_allowance_full", images=usage.images_left, percent=percent)
    return t(lang, "account.v5_allowance", images=usage.images_left, percent=percent,
             full=_wait_text(full, lang))


def _wait_text(seconds: float | None, lang: str) -> str:
    """Hours and minutes below a day (the status lines' own format), days and hours above."""
    if seconds is None or seconds < 86400:
        return duration_text(seconds, lang)
    hours = int(seconds // 3600)
    return t(lang, "account.days", days=hours // 24, hours=hours % 24)


def date_text(timestamp: float) -> str:
    """The UTC day a deadline falls in (an end-of-day deadline reads as that day)."""
    return time.strftime("%Y-%m-%d", time.gmtime(timestamp - 1))


def lending_line(lang: str, lending: Lending, images: int, anlas: int) -> str:
    """Today's use of a lent account in a group against its owner's caps."""
    return t(lang, "group.lending_today", images=images, images_limit=lending.images_per_day or "∞", anlas=anlas,
             anlas_limit=lending.anlas_per_day, until=date_text(lending.until) if lending.until else "-")
