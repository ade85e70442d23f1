"""Logging set-up with a redacting filter, so no secret ever reaches a log line.

Libraries log request URLs (python-telegram-bot puts the bot token in every URL path) and we
log errors that may quote a request. Rather than trusting every call site, one filter on the
handlers rewrites each formatted record: known token shapes by pattern, and any literal secret
the process registered (a password typed at ``naibot account add``, an access key).
"""

from __future__ import annotations

import logging
import re
import threading

REDACTED = "[REDACTED]"
# One line per record, the same in every process (the test-suite log audit writes it too).
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_PATTERNS: tuple[re.Pattern[str], ...] = (
    # NovelAI persistent API tokens.
    re.compile(r"pst-[A-Za-z0-9_\-]{8,}"),
    # JWTs (NovelAI login tokens).
    re.compile(r"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*"),
    # Telegram bot tokens: <bot id>:<35 chars>, also inside /bot<token>/ URL paths.
    re.compile(r"(?<!\d)\d{5,}:[A-Za-z0-9_\-]{30,}"),
    # Discord bot tokens: three base64url parts.
    re.compile(r"\b[A-Za-z0-9_\-]{23,28}\.[A-Za-z0-9_\-]{6,7}\.[A-Za-z0-9_\-]{27,}"),
    # Authorization headers of any kind.
    re.compile(r"(?i)(?<=bearer )[^\s'\",]+"),
    # JSON or key=value fields that carry secrets by name (group 1 keeps the field name).
    re.compile(
        r"""(?ix)(\b(?:password|passwd|access_?key|access_?token|token|secret|key)["']?\s*[:=]\s*["']?)"""
        r"""[^\s"',}&]+"""
    ),
)

# Libraries whose own DEBUG output carries what no log may hold, kept at this level or above
# whatever ``logging.level`` says. PTB's DEBUG dumps every Bot API call and its answer: the raw
# updates, with the password a person types during /login and their email. discord.py's DEBUG
# dumps gateway events (modal submissions with the same). httpx logs each request URL at INFO
# (Telegram's carry the bot token in the path); httpcore's DEBUG traces every header. Our own
# loggers keep DEBUG, and they never log a raw update.
LIBRARY_FLOORS: dict[str, int] = {
    "telegram": logging.INFO,
    "discord": logging.INFO,
    "httpx": logging.WARNING,
    "httpcore": logging.INFO,
    "hpack": logging.INFO,
    "aiohttp": logging.INFO,
    "websockets": logging.INFO,
}

_literals: set[str] = set()
_literals_lock = threading.Lock()
# Short strings would redact ordinary words; real secrets are long.
_MIN_LITERAL = 6


def register_secret(value: str | None) -> None:
    """Redact this exact string wherever it would appear in a log line (from now on)."""
    if value and len(value) >= _MIN_LITERAL:
        with _literals_lock:
            _literals.add(value)


def redact(text: str) -> str:
    """Return ``text`` with every known secret replaced by ``[REDACTED]``."""
    for literal in sorted(_literals, key=len, reverse=True):
        if literal in text:
            text = text.replace(literal, REDACTED)
    for pattern in _PATTERNS:
        # Patterns with a group keep it (the field name) and redact what follows.
        replacement = (lambda m: m.group(1) + REDACTED) if pattern.groups else REDACTED
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Format the record once, redact it, and freeze the result into ``msg``."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not kill logging; show it raw
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def setup_logging(level: str = "INFO") -> None:
    """Configure the root logger once per process, with the redacting filter on every handler.

    Under a host that set up logging already (Dramatiq's CLI does), its handlers get the filter
    instead of a second handler printing every line twice.
    """
    root = logging.getLogger()
    if not root.handlers:
        stream = logging.StreamHandler()
        stream.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(stream)
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    root.setLevel(level)
    numeric = logging.getLevelName(level)
    for name, floor in LIBRARY_FLOORS.items():
        logging.getLogger(name).setLevel(max(floor, numeric if isinstance(numeric, int) else logging.INFO))
