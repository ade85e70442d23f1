"""Why a chat bot could not start, said in one line an operator can act on.

A wrong bot token or an unreachable platform API at start is a configuration problem, not a
crash: the adapters turn the library's exception (python-telegram-bot's ``InvalidToken``,
discord.py's ``LoginFailure``, a refused connection) into ``StartFailed`` with a sentence naming the
variable to check, and ``naibot telegram|discord`` prints it and exits 2. No traceback: the
library's messages quote the token (PTB's ``InvalidToken`` does), and a traceback says nothing the
sentence does not. Failures *after* the start (a network blip) are the libraries' to retry.
"""

from __future__ import annotations

import socket

from naibot.logs import redact
from naibot.settings import Settings
from tasks.startup import shared_start_checks

# A reason longer than this is cut: the line must stay one line on a terminal.
REASON_CHARS = 120


class StartFailed(Exception):
    """The bot cannot start for a reason its operator must fix; ``str()`` is the whole message,
    one line, without any secret."""


def short_reason(exc: BaseException) -> str:
    """What went wrong with a connection, in a few words: the well-known causes by name (found
    anywhere in the exception's chain), else the outermost exception's own words, redacted."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        if isinstance(current, socket.gaierror):
            return "host name not found"
        if isinstance(current, TimeoutError):
            return "timed out"
        current = current.__cause__ or current.__context__
    words = " ".join(str(exc).split()) or type(exc).__name__
    words = redact(words)
    return words if len(words) <= REASON_CHARS else words[: REASON_CHARS - 1] + "…"


async def refuse_another_secret_key(settings: Settings) -> None:
    """``StartFailed`` if this process's ``NAIBOT_SECRET_KEY`` is not the deployment's
    (``tasks.startup.shared_start_checks``): a chat bot holding another key would seal the logins
    people send it where no other process can open them. Local storage in a deployment on several
    hosts is logged as an ERROR, and the bot starts."""
    refusal = await shared_start_checks(settings)
    if refusal is not None:
        raise StartFailed(refusal)
