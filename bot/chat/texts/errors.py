"""Failures and refusals in the asker's language: a job's error, a refused request (one line per
problem, the field in plain words), any ``Refusal`` with its hint.

Apart from ``jobs.py`` (the status message, captions and lists) so each stays one job; ``jobs.py``
re-exports ``error_text``, ``refusal_text`` and ``problem_text`` for the callers that import them there.
"""

from __future__ import annotations

import re
from typing import Any

from bot.chat.generate_options import FieldProblem, request_problems
from bot.chat.texts.catalog import TEXTS, t
from bot.chat.texts.fields import field_label
from naibot.refusal import Refusal
from novelai.errors import InvalidRequest, NovelAIError
from tasks.job import JobError

# Kinds the queue retries before giving up, so "tried N times" is worth saying.
_RETRIED_KINDS = frozenset({"concurrency_locked", "rate_limited", "server", "timeout", "network", "storage",
                            "internal", "stream_error"})
# Hostile or endless NovelAI answers (novelai.limits): plain texts, never retried (so never "tried N times").
_PLAIN_KINDS = frozenset({"auth", "account", "deadline", "response_refused", "input_missing", *_RETRIED_KINDS})
# Problem params written with thousands separators, as the English messages write them.
_GROUPED_PARAMS = frozenset({"area", "max_area", "pixels", "max_pixels"})


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
