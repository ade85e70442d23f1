"""How a job reads to a person in chat: the status message, captions, /queue, /cancel and every error.

Composes the chat bots' messages from the ``bot.chat.texts.catalog`` texts (localised, plain text, safe
around any prompt content), so adapters only decide where a text goes, never what it says. The shared
pieces other texts modules build on live here too: ``progress_bar``, ``duration_text``, ``excerpt``,
``field_label``, ``model_label``. ``progress_bar`` and ``BAR_WIDTH`` also draw the CLI's bar
(``bot.cli.format``): the CLI imports them from here, never the other way (DESIGN.md §1.3, the texts ↔ cli
trap).
"""

from __future__ import annotations

from bot.chat.texts.catalog import t
from bot.chat.texts.errors import error_text, problem_text, refusal_text
from bot.chat.texts.fields import field_label
from novelai.cost import cost_of, draws_on_allowance
from novelai.errors import InvalidRequest
from novelai.models import resolve_model
from novelai.request import GenerationRequest
from novelai.tools import UpscaleRequest
from tasks.job import Job, JobError, JobState

# Re-exported: callers import these here (they live in errors.py and fields.py).
__all__ = ["error_text", "field_label", "problem_text", "refusal_text"]

# The CLI's bar, a terminal line wide.
BAR_WIDTH = 20


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    filled = round(width * done / total) if total > 0 else 0
    filled = max(0, min(width, filled))
    return "█" * filled + "░" * (width - filled)


# Narrower than the CLI's bar: a phone shows about 30 characters per line.
CHAT_BAR_WIDTH = 12
# Telegram's caption limit, counted in UTF-16 code units as Telegram counts text.
CAPTION_LIMIT = 1024
CAPTION_PROMPT_CHARS = 300
QUEUE_PROMPT_CHARS = 40
NAME_CHARS = 64


def duration_text(seconds: float | None, lang: str) -> str:
    """A wait in the user's language: "2 min 05 s" / "2 分 05 秒"; minutes and seconds stay two-digit
    so an often-edited status line does not jitter."""
    if seconds is None:
        return t(lang, "duration.unknown")
    seconds = max(0, round(seconds))
    if seconds < 60:
        return t(lang, "duration.seconds", seconds=seconds)
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return t(lang, "duration.minutes", minutes=minutes, seconds=f"{secs:02d}")
    hours, minutes = divmod(minutes, 60)
    return t(lang, "duration.hours", hours=hours, minutes=f"{minutes:02d}")


def excerpt(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters, ending in "…" when cut."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1].rstrip() + "…"


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fit_utf16(text: str, limit: int) -> str:
    """Cut to ``limit`` UTF-16 units (how Telegram counts; an emoji is two), ending in "…" when cut."""
    if _utf16_length(text) <= limit:
        return text
    if limit <= 0:
        return ""
    used = end = 0
    while used + _units(text[end]) <= limit - 1:  # the text is longer than limit, so this stops in it
        used += _units(text[end])
        end += 1
    return text[:end].rstrip() + "…"


def _units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


# --- status message -----------------------------------------------------------------------

def _queued_lines(job: Job, lang: str, eta: float | None, first_position: int | None) -> list[str]:
    wait = duration_text(eta, lang) if eta is not None else None
    if job.position:
        key = "status.queued" if wait else "status.queued_no_eta"
        head = t(lang, key, position=job.position, total=job.total or job.position, wait=wait)
    else:
        head = t(lang, "status.queued_unplaced" if wait else "status.queued_unplaced_no_eta", wait=wait)
    # Progress through the queue since the job joined it; empty until we know where it started.
    moved = first_position - job.position if first_position and job.position else 0
    lines = [head, progress_bar(moved, first_position or 0, CHAT_BAR_WIDTH)]
    if job.attempts and job.error:
        lines.append(t(lang, "status.retrying", attempt=job.attempts + 1))
    lines.append(t(lang, "status.job_cancelable", id=job.id))
    return lines


def _running_lines(job: Job, lang: str, progress: tuple[int, int] | None) -> list[str]:
    if progress is None or progress[1] <= 0:
        return [t(lang, "status.starting"), t(lang, "status.job", id=job.id)]
    step, total = progress
    return [t(lang, "status.running", step=step, total=total), progress_bar(step, total, CHAT_BAR_WIDTH),
            t(lang, "status.job", id=job.id)]


def _request_cost(request: GenerationRequest) -> int | None:
    """The full Anlas price of a request (no free allowance assumed), or None if it cannot be priced."""
    if request.steps is None:
        return None
    try:  # the image price with its strength and input surcharges (encodings already made are not counted)
        return cost_of(request, None)
    except (InvalidRequest, ValueError):
        return None


def _final_line(job: Job, lang: str) -> str:
    if job.state is JobState.DONE:
        return t(lang, "status.done_one") if len(job.images) == 1 else t(lang, "status.done", count=len(job.images))
    if job.state is JobState.FAILED:
        error = job.error or JobError(kind="internal", message="")
        generation = job.generation
        return t(lang, "status.failed", reason=error_text(
            error, lang, cost=_request_cost(generation) if generation else None,
            v5=generation is not None and draws_on_allowance(generation.model), attempts=job.attempts))
    return t(lang, "status.canceled")


def status_text(job: Job, lang: str, *, eta: float | None = None, progress: tuple[int, int] | None = None,
                first_position: int | None = None) -> str:
    """The one status message the bot keeps editing; at most four short lines, since it is edited often.

    ``first_position`` is where the job stood when the message was first sent, so the bar can show
    how far it has come; ``progress`` is the (step, total) NovelAI reports while generating.
    """
    if job.state is JobState.QUEUED:
        return "\n".join(_queued_lines(job, lang, eta, first_position))
    if job.state is JobState.RUNNING:
        return "\n".join(_running_lines(job, lang, progress))
    return "\n".join((_final_line(job, lang), t(lang, "status.job", id=job.id)))


# --- captions -----------------------------------------------------------------------------

def _image_seed(job: Job, index: int) -> int | None:
    """Image i's seed as NovelAI reported it, else the request's seed + i (how NovelAI numbers them)."""
    if index < len(job.images) and job.images[index].seed is not None:
        return job.images[index].seed
    generation = job.generation
    return generation.seed + index if generation is not None and generation.seed is not None else None


def _seed_part(job: Job, lang: str, image_index: int | None) -> str | None:
    if image_index is not None:
        seed = _image_seed(job, image_index)
        return t(lang, "caption.seed", seed=seed) if seed is not None else None
    seeds = [seed for seed in (_image_seed(job, i) for i in range(max(1, len(job.images)))) if seed is not None]
    if not seeds:
        return None
    if len(seeds) == 1:
        return t(lang, "caption.seed", seed=seeds[0])
    return t(lang, "caption.seeds", seeds=", ".join(map(str, seeds)))


def model_label(model: str) -> str:
    try:
        return resolve_model(model).label
    except InvalidRequest:
        return model


def job_subject(job: Job, lang: str) -> str:
    """What the job is in a few words: a generation's prompt, else "Upscale ×2" or the tool's name."""
    request = job.request
    if isinstance(request, GenerationRequest):
        return request.prompt
    if isinstance(request, UpscaleRequest):
        return t(lang, "job.upscale", scale=request.scale)
    return t(lang, "job.tool", tool=t(lang, f"tool.{request.tool}"))


def _parameter_line(job: Job, lang: str, image_index: int | None) -> str:
    request = job.request
    # An upscale or a tool says what it did and the size of the image it made (else of its input).
    width, height = (request.width, request.height) if isinstance(request, GenerationRequest) else (
        request.image.width, request.image.height)
    if image_index is not None and image_index < len(job.images):
        width, height = job.images[image_index].width, job.images[image_index].height
    if not isinstance(request, GenerationRequest):
        return " · ".join((job_subject(job, lang), f"{width}×{height}"))
    parts = [_seed_part(job, lang, image_index), model_label(request.model), f"{width}×{height}",
             t(lang, "caption.steps", steps=request.steps) if request.steps is not None else None,
             request.sampler]
    return " · ".join(part for part in parts if part)


def caption(job: Job, lang: str, *, image_index: int | None = None, paid_by: str | None = None) -> str:
    """The text under posted images: who asked, the prompt (cut to fit), seed(s) and main parameters.

    Always within Telegram's 1024-character caption limit, whatever the prompt and names.
    """
    name = job.requester.display_name
    head = [t(lang, "caption.for", name=excerpt(name, NAME_CHARS))] if name else []
    tail = [_parameter_line(job, lang, image_index)]
    styles = job.requester.reply.get("styles")
    if styles:  # the prompt above is already the styled, expanded one; this says where it came from
        tail.append(t(lang, "caption.styles", styles=excerpt(", ".join(map(str, styles)), NAME_CHARS * 2)))
    if paid_by:
        tail.append(t(lang, "caption.paid_by", name=excerpt(paid_by, NAME_CHARS)))
    room = CAPTION_LIMIT - _utf16_length("\n".join([*head, *tail])) - 1
    # A tool's own prompt (colorize, emotion) is its text; an upscale has none (its line says what it was).
    text = job.generation.prompt if job.generation is not None else getattr(job.request, "prompt", "")
    prompt = _fit_utf16(excerpt(text, CAPTION_PROMPT_CHARS), room)
    return _fit_utf16("\n".join([*head, *([prompt] if prompt else []), *tail]), CAPTION_LIMIT)


# --- /queue and /cancel -------------------------------------------------------------------

def _requester_name(job: Job) -> str:
    return excerpt(job.requester.display_name or job.requester.user_id, NAME_CHARS)


def _queue_item(job: Job, lang: str, eta: float | None, named: bool) -> str:
    key = "queue.item_named" if named else "queue.item"
    if not job.position:
        key += "_unplaced"
    return t(lang, key, id=job.id, name=_requester_name(job), position=job.position, total=job.total,
             wait=duration_text(eta, lang), prompt=excerpt(job_subject(job, lang), QUEUE_PROMPT_CHARS))


def queue_text(lang: str, own: list[Job], running: list[Job], total_waiting: int, average: float | None,
               etas: dict[str, float | None], *, group: bool = False) -> str:
    """``/queue``: totals, then this user's (or with ``group``, this chat's) waiting jobs, then what runs.

    Running jobs show id and name only: they may be other people's, and prompts stay private.
    """
    if not own and not running and total_waiting == 0:
        return t(lang, "queue.empty")
    summary = [t(lang, "queue.summary", waiting=total_waiting, running=len(running))]
    if average is not None:
        summary.append(t(lang, "queue.average", duration=duration_text(average, lang)))
    waiting = [t(lang, "queue.group_header" if group else "queue.own_header")]
    waiting += [_queue_item(job, lang, etas.get(job.id), group) for job in own]
    if not own:
        waiting = [t(lang, "queue.none_group" if group else "queue.none_own")]
    sections = [summary, waiting]
    if running:
        sections.append([t(lang, "queue.running_header"),
                         *(t(lang, "queue.running_item", id=job.id, name=_requester_name(job)) for job in running)])
    return "\n\n".join("\n".join(section) for section in sections)


# Telegram's message limit, in UTF-16 code units.
MESSAGE_LIMIT = 4096
BOARD_PROMPT_CHARS = 24
BOARD_NAME_CHARS = 24


def board_text(lang: str, waiting: list[Job], max_listed: int) -> str:
    """A busy group's queue board: the chat's waiting jobs, first in the queue first, each with its
    place, whose it is and its id; beyond ``max_listed`` (or the message limit) only counted."""
    lines = [t(lang, "board.header", count=len(waiting)), t(lang, "board.help"), ""]
    listed = 0
    for job in waiting[:max_listed]:
        line = t(lang, "board.item", position=job.position or "?",
                 name=excerpt(job.requester.display_name or job.requester.user_id, BOARD_NAME_CHARS), id=job.id,
                 prompt=excerpt(job_subject(job, lang), BOARD_PROMPT_CHARS))
        if _utf16_length("\n".join([*lines, line])) > MESSAGE_LIMIT - 64:
            break
        lines.append(line)
        listed += 1
    if listed < len(waiting):
        lines.append(t(lang, "board.more", count=len(waiting) - listed))
    return "\n".join(lines)


def board_closed_text(lang: str) -> str:
    return t(lang, "board.closed")


def cancel_text(lang: str, status: str, job_id: str) -> str:
    """The answer to ``/cancel``: a ``CancelOutcome.status``, or "nothing" when no job was named or waiting."""
    return t(lang, f"cancel.{status}", id=job_id)
