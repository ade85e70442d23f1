"""What `/history` says: a page of a person's results in one chat, each with its number, job id,
prompt and when it expires (``queue.retention_seconds`` after the job ended).

Shared by the platforms: Telegram shows this text under the page's album with numbered buttons,
Discord in its ephemeral gallery above the select menu (``bot.discord.history``).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.chat.texts.catalog import t
from bot.chat.texts.jobs import duration_text, excerpt
from tasks.job import Job

# How much of a prompt a history line and a select option show.
HISTORY_PROMPT_CHARS = 60


@dataclass(frozen=True)
class HistoryEntry:
    """One result on a page: its number there (from 1), the job, and when Redis forgets it."""

    number: int
    job: Job
    expires_at: float | None


@dataclass(frozen=True)
class HistoryPage:
    """One page of a person's results in one chat; ``page`` counts from 0."""

    owner_id: str
    page: int
    pages: int
    entries: tuple[HistoryEntry, ...]


def job_prompt(job: Job) -> str:
    """The prompt a job was made from ("" for an upscale, which has none)."""
    prompt = job.generation.prompt if job.generation is not None else getattr(job.request, "prompt", "")
    return " ".join(str(prompt or "").split())


def entry_label(entry: HistoryEntry, limit: int = HISTORY_PROMPT_CHARS) -> str:
    """"3 · a lighthouse at dusk…": the entry's number and prompt (its kind when it has none)."""
    return f"{entry.number} · {excerpt(job_prompt(entry.job) or entry.job.kind, limit)}"


def expiry_text(expires_at: float | None, now: float, lang: str) -> str:
    if expires_at is None:
        return t(lang, "history.expires_unknown")
    return t(lang, "history.expires", left=duration_text(max(0.0, expires_at - now), lang))


def history_text(page: HistoryPage, lang: str, now: float, hint_key: str) -> str:
    """The page as text: a title, one line per result, and how to use them (``hint_key``: the
    platform's way of picking one and of using it as input)."""
    lines = [t(lang, "history.title", page=page.page + 1, pages=page.pages)]
    lines += [t(lang, "history.item", label=entry_label(entry), id=entry.job.id,
                expires=expiry_text(entry.expires_at, now, lang)) for entry in page.entries]
    lines.append(t(lang, hint_key))
    return "\n".join(lines)
