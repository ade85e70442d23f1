"""How a job reads to a person in chat: the status message, captions, /queue, /cancel and every error.

Composes the chat bots' messages from the ``bot.chat.texts.catalog`` texts (localised, plain text, safe
around any prompt content), so adapters only decide where a text goes, never what it says. The shared
pieces other texts modules build on live here too: ``progress_bar``, ``duration_text``, ``excerpt``,
``field_label``, ``model_label``. ``progress_bar`` and ``BAR_WIDTH`` also draw the CLI's bar
(``bot.cli.format``): the CLI imports them from here, never the other way (DESIGN.md §1.3, the texts ↔ cli
trap).
"""

from __future__ import annotations

import re
from typing import Any

from bot.chat.generate_options import FieldProblem, request_problems
from bot.chat.texts.catalog import TEXTS, t
from naibot.refusal import Refusal
from novelai.cost import draws_on_allowance, request_cost
from novelai.errors import InvalidRequest, NovelAIError
from novelai.models import resolve_model
from novelai.request import GenerationRequest
from novelai.tools import UpscaleRequest
from tasks.job import Job, JobError, JobState

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
# Kinds the queue retries before giving up, so "tried N times" is worth saying.
_RETRIED_KINDS = frozenset({"concurrency_locked", "rate_limited", "server", "timeout", "network", "storage",
                            "internal", "stream_error"})
# Hostile or endless NovelAI answers (novelai.limits): plain texts, never retried (so never "tried N times").
_PLAIN_KINDS = frozenset({"auth", "account", "deadline", "response_refused", "input_missing", *_RETRIED_KINDS})
# Setting name → the field label key that says it in words.
_SETTING_FIELDS: dict[str, str] = {"n": "n_samples", "quality": "quality_tags"}
# Problem params written with thousands separators, as the English messages write them.
_GROUPED_PARAMS = frozenset({"area", "max_area", "pixels", "max_pixels"})


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


def field_label(field: str, lang: str, number: int | None = None) -> str:
    """A request field or setting in plain words; unknown fields keep their own name."""
    field = _SETTING_FIELDS.get(field, field)
    key = f"field.{field}"
    return t(lang, key, number=number) if key in TEXTS["en"] else field


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
    try:
        return request_cost(request.width, request.height, request.steps, request.n_samples, smea=request.smea,
                            smea_dyn=request.smea_dyn, model=request.model)
    except InvalidRequest:
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
    if paid_by:
        tail.append(t(lang, "caption.paid_by", name=excerpt(paid_by, NAME_CHARS)))
    room = CAPTION_LIMIT - _utf16_length("\n".join([*head, *tail])) - 1
    # A tool's own prompt (colorize, emotion) is its text; an upscale has none (its line says what it was).
    text = job.generation.prompt if job.generation is not None else getattr(job.request, "prompt", "")
    prompt = _fit_utf16(excerpt(text, CAPTION_PROMPT_CHARS), room)
    return _fit_utf16("\n".join([*head, *([prompt] if prompt else []), *tail]), CAPTION_LIMIT)


# --- errors -------------------------------------------------------------------------------

def _sentences(lang: str, *sentences: str) -> str:
    return t(lang, "join.sentence").join(sentences)


def _novelai_detail(message: str) -> str:
    """NovelAI's own words from a client message "friendly text (NovelAI's message)", if present."""
    match = re.search(r"\((.+)\)\s*$", message)
    return match[1] if match else message


def _stream_detail(message: str) -> str:
    """NovelAI's words from a StreamError's "NovelAI stopped the generation (…)", also after the queue
    added "(gave up after N attempts)" (tasks.retry); the whole message if it has another shape."""
    match = re.match(r"NovelAI stopped the generation \((.*?)\)(?: \(gave up after \d+ attempts\))?$", message)
    return match[1] if match else message


def _job_error_text(error: JobError, lang: str, cost: int | None, attempts: int | None, v5: bool = False) -> str:
    kind = error.kind
    if error.refusal_key in TEXTS["en"]:
        # Refused in the worker as it would have been at submission (tasks.spending): the same words.
        text = t(lang, error.refusal_key, **error.refusal_params)
        return _sentences(lang, text, t(lang, error.refusal_hint)) if error.refusal_hint in TEXTS["en"] else text
    if kind == "invalid":
        text = t(lang, "error.invalid", detail=error.message)
    elif kind == "stream_error":
        text = t(lang, "error.stream_error", detail=_stream_detail(error.message))
    elif kind == "bad_request":
        text = t(lang, "error.bad_request", detail=_novelai_detail(error.message))
    elif kind == "payment":
        price = t(lang, "error.payment", cost=cost) if cost else t(lang, "error.payment_unknown_cost")
        # On V5 the free image depends on the Opus allowance, which a 402 there most likely means is used up.
        text = _sentences(lang, price, t(lang, "error.payment_v5_hint" if v5 else "error.free_hint"))
    elif error.reason and f"error.{kind}_{error.reason}" in TEXTS["en"]:
        text = t(lang, f"error.{kind}_{error.reason}")  # a finer case the chat says in its own words
    else:
        text = t(lang, f"error.{kind}" if kind in _PLAIN_KINDS else "error.internal")
    if kind in _RETRIED_KINDS and attempts and attempts > 1:
        text = _sentences(lang, text, t(lang, "error.attempts", attempts=attempts))
    return text


def _param_text(name: str, value: Any) -> Any:
    """A Problem param as its message writes it: 10 not 10.0, choices as one list, areas grouped."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int) and name in _GROUPED_PARAMS:
        return f"{value:,}"
    if isinstance(value, (tuple, list, frozenset, set)):
        return ", ".join(str(item) for item in value)
    return value


def problem_text(problem: FieldProblem, lang: str) -> str:
    """A validation problem in the user's language, from its ``problem.<code>`` text."""
    return _problem_said(problem, lang)[0]


def _problem_said(problem: FieldProblem, lang: str) -> tuple[str, bool]:
    """The problem's sentence, and whether it names its field itself.

    Texts whose subject is the field name it with ``{label}``, the field in plain words ("number of
    images", never ``n_samples``), so their line must not name it a second time. A Problem without a
    code, with a code nobody has written a text for, or with params its text does not get, reads as
    its English message, as before: a missing translation must not lose the explanation.
    """
    key = f"problem.{problem.code}"
    if not problem.code or key not in TEXTS["en"]:
        return problem.message, False
    params = {name: _param_text(name, value) for name, value in problem.params.items()}
    params["label"] = field_label(problem.field, lang, problem.number)
    try:
        text = t(lang, key, **params)
    except (KeyError, IndexError, ValueError):
        return problem.message, False
    template = TEXTS.get(lang, {}).get(key) or TEXTS["en"][key]  # the one t() used
    return text, "{label}" in template


def _invalid_text(error: InvalidRequest, lang: str) -> str:
    lines = [t(lang, "error.invalid_header")]
    for problem in request_problems(error):
        message, named = _problem_said(problem, lang)
        if named:
            lines.append(t(lang, "error.problem_named", message=message))
        else:
            lines.append(t(lang, "error.problem", field=field_label(problem.field, lang, problem.number),
                           message=message))
    return "\n".join(lines)


def refusal_text(refusal: Refusal, lang: str, *, bot: str = "") -> str:
    """Any refusal in the asker's language: its own text, then its hint (the way out), if any.

    ``bot`` is the bot's @name, for texts that send people to a private chat with it. A refusal
    whose problems need one line each (an invalid request) is said by its own function."""
    if isinstance(refusal, InvalidRequest):
        return _invalid_text(refusal, lang)
    text = t(lang, refusal.key, bot=bot, **refusal.params)
    return _sentences(lang, text, t(lang, refusal.hint)) if refusal.hint else text


def error_text(error: JobError | Exception, lang: str, *, cost: int | None = None,
               attempts: int | None = None, v5: bool = False) -> str:
    """A failure in plain words. ``cost`` (Anlas) and ``attempts`` complete a JobError when known; ``v5``
    (a V5 job) makes a refused payment name the Opus V5 allowance."""
    if isinstance(error, JobError):
        return _job_error_text(error, lang, cost, attempts, v5)
    if isinstance(error, Refusal):
        return refusal_text(error, lang)
    if isinstance(error, NovelAIError):
        return _job_error_text(JobError(kind=error.kind, message=error.user_message), lang, cost, attempts)
    return t(lang, "error.internal")


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
