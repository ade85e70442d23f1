"""The small, typed error hierarchy of the NovelAI client.

Every error says two things the queue needs without parsing text: whether trying again can
help (``retryable``), and whether the account is still busy with an abandoned generation
(``holds_account``: NovelAI answers 429 "Concurrent generation is locked" until it ends).
``user_message`` is safe to show in a chat: it never contains a token or a password.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from naibot.refusal import Refusal


class NovelAIError(Exception):
    """Base of everything the client raises on purpose."""

    retryable: bool = False
    holds_account: bool = False
    kind: str = "error"

    def __init__(self, message: str, *, status: int | None = None, user_message: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.user_message = user_message or message


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: which field, and what to do about it.

    ``message`` is the English sentence (CLI, logs). ``code`` names the problem for programs and
    translations (the bot's ``problem.<code>`` texts), and ``params`` holds the values its sentence
    mentions (the value given, the limits, the valid choices), raw: numbers stay numbers and choices
    stay tuples. ``params`` takes no part in equality or hashing; ``message`` already says them.
    """

    field: str
    message: str
    code: str = ""
    params: dict[str, Any] = dataclass_field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidRequest(NovelAIError, Refusal):
    """Our own validation refused the request before it was sent (nothing reached NovelAI).

    Also a ``Refusal``: the person is told what to change (each problem in their language)."""

    kind = "invalid"
    key = "error.invalid_header"

    def describe(self) -> str:
        return f"invalid request: {self.user_message}"

    def __init__(self, problems: list[Problem] | Problem) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        text = "; ".join(str(p) for p in self.problems)
        super().__init__(text, user_message=text)


class BadRequest(NovelAIError):
    """HTTP 400: NovelAI refused the request itself. Sending it again cannot help."""

    kind = "bad_request"


class AuthError(NovelAIError):
    """HTTP 401: bad or expired credentials (after the one re-login the client attempts)."""

    kind = "auth"


class PaymentRequired(NovelAIError):
    """HTTP 402: no active subscription, or not enough Anlas for this request."""

    kind = "payment"


class ConcurrencyLocked(NovelAIError):
    """HTTP 429 "Concurrent generation is locked": the account is still generating something.

    Retry later, and hold the whole account's lane meanwhile: an abandoned generation keeps the
    lock until NovelAI finishes it, whatever we do.
    """

    kind = "concurrency_locked"
    retryable = True
    holds_account = True


class RateLimited(NovelAIError):
    """Any other HTTP 429."""

    kind = "rate_limited"
    retryable = True

    def __init__(self, message: str, *, status: int | None = 429, retry_after: float | None = None,
                 user_message: str | None = None) -> None:
        super().__init__(message, status=status, user_message=user_message)
        self.retry_after = retry_after


class ServerError(NovelAIError):
    """HTTP 5xx, or a 2xx body that is not what NovelAI sends (an HTML error page, a broken ZIP)."""

    kind = "server"
    retryable = True


class Timeout(NovelAIError):
    """No answer in time. The generation may still be running at NovelAI and hold the account."""

    kind = "timeout"
    retryable = True
    holds_account = True


class NetworkError(NovelAIError):
    """Connection refused, reset or dropped before an answer arrived."""

    kind = "network"
    retryable = True


class ResponseRefused(NovelAIError):
    """NovelAI (or something between us and it) answered with more than this client accepts.

    The root of the bounds in ``novelai.limits``: too many bytes, a ZIP bomb, too many images, a
    PNG too large to be one NovelAI made, an oversized text chunk or stream frame, or a stream that
    goes on and on. Not retried: NovelAI answered, so it has most likely charged the generation,
    and asking again would pay twice for the same hostile or broken answer.
    """

    kind = "response_refused"


class ResponseTooLarge(ResponseRefused):
    """The body (ZIP, PNG or stream) went past ``limits.max_response_bytes``; reading stopped there."""


class ArchiveTooLarge(ResponseRefused):
    """The ZIP has too many members, or a member (or all of them) would inflate past the bound."""


class ImageTooLarge(ResponseRefused):
    """A PNG is bigger than any NovelAI makes: in bytes, or in pixels by its header."""


class TextChunkTooLarge(ResponseRefused):
    """A PNG text chunk (tEXt, zTXt, iTXt) is or would inflate past ``limits.max_text_chunk_bytes``."""


class StreamTooLarge(ResponseRefused):
    """The msgpack stream sent a frame that is too big, too many frames, or samples not asked for."""


class DeadlineExceeded(NovelAIError):
    """The whole generation (sending, NovelAI's work, reading every byte) took longer than allowed.

    Ends a stream that never ends or trickles. Not retried: the generation was sent, so NovelAI
    may well have charged it; and it holds the account until NovelAI finishes whatever it runs.
    """

    kind = "deadline"
    holds_account = True


class CredentialsMissing(NovelAIError):
    """The account has neither a usable token nor an access key to log in with."""

    kind = "auth"


_BY_STATUS: dict[int, type[NovelAIError]] = {400: BadRequest, 401: AuthError, 402: PaymentRequired}

_FRIENDLY: dict[type[NovelAIError], str] = {
    BadRequest: "NovelAI refused the request as invalid",
    AuthError: "NovelAI did not accept the account's credentials",
    PaymentRequired: "NovelAI says the account has no active subscription or not enough Anlas",
    ConcurrencyLocked: "the NovelAI account is busy with another generation",
    RateLimited: "NovelAI is rate-limiting this account",
    ServerError: "NovelAI had a server error",
}


def error_for_status(status: int, message: str, *, retry_after: float | None = None) -> NovelAIError:
    """Map an HTTP error status and NovelAI's ``message`` to the right error class."""
    if status == 429:
        if "concurrent" in message.lower():
            cls: type[NovelAIError] = ConcurrencyLocked
        else:
            return RateLimited(f"HTTP 429: {message}", retry_after=retry_after,
                               user_message=f"{_FRIENDLY[RateLimited]} ({message})")
    elif status >= 500:
        cls = ServerError
    else:
        cls = _BY_STATUS.get(status, BadRequest)
    return cls(f"HTTP {status}: {message}", status=status, user_message=f"{_FRIENDLY[cls]} ({message})")


# NovelAI's message in a stream error frame is server text: shown to people, so bounded.
_FRAME_MESSAGE_CHARS = 300


def _frame_code(code: object) -> int | None:
    """The frame's code as an int (msgpack gives an int; a digit string is taken too), else None."""
    if isinstance(code, int) and not isinstance(code, bool):
        return code
    if isinstance(code, str) and code.strip().isdigit():
        return int(code)
    return None


class StreamError(NovelAIError):
    """An ``event_type: "error"`` frame ended a streamed generation (docs/novelai-api.md §10.1).

    The frame carries NovelAI's ``code`` and ``message`` (NEKO 0.5.0 ``response.py``; NKDK: the
    website throws on it). No source lists the codes, so a code is read as the HTTP status it looks
    like and judged by the same rule as an HTTP answer (``error_for_status``): 429 and 5xx are worth
    another try (a "Concurrent generation is locked" 429 also holds the account), anything else —
    a 400-class refusal, or a frame without a usable code — is final. ``novelai_message`` is what
    the chat quotes; ``user_message`` keeps the "friendly (NovelAI's words)" shape of other errors.
    """

    kind = "stream_error"

    def __init__(self, code: object, message: object) -> None:
        self.code = _frame_code(code)
        text = " ".join(str(message or "").split())[:_FRAME_MESSAGE_CHARS] or "no message"
        self.novelai_message = text
        like = error_for_status(self.code if self.code is not None else 400, text)
        super().__init__(f"NovelAI's stream ended with error {code!r}: {text}", status=self.code,
                         user_message=f"NovelAI stopped the generation ({text})")
        self.retryable = like.retryable
        self.holds_account = like.holds_account
