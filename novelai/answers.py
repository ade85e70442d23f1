"""NovelAI's answers read within ``Limits``, and its error answers turned into typed errors.

The client streams every answer and reads it here, so no body is ever taken whole on trust:
a success body past ``max_response_bytes`` is refused, an error body is cut at ``max_error_bytes``.
"""

from __future__ import annotations

import httpx

from novelai import errors
from novelai.limits import DEFAULT_LIMITS, Limits, read_bounded, retry_after_seconds


def error_from_response(response: httpx.Response, limits: Limits = DEFAULT_LIMITS) -> errors.NovelAIError:
    """The typed error of an answer; its message (shown to people, stored in the job) is cut short and
    its Retry-After capped, since both come from whoever answered."""
    message = response.reason_phrase or "error"
    try:
        body = response.json()
        if isinstance(body, dict):
            message = str(body.get("message") or body.get("error") or message)
    except ValueError:
        text = response.text.strip()
        if text and not text.lstrip().startswith("<"):
            message = text
    if len(message) > limits.max_message_chars:
        message = message[: limits.max_message_chars - 1].rstrip() + "…"
    delay = retry_after_seconds(response.headers.get("retry-after"), limits.max_retry_after_seconds)
    return errors.error_for_status(response.status_code, message, retry_after=delay)


# Headers that describe the wire form of a body already read and decoded.
_WIRE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


async def read_within(response: httpx.Response, limits: Limits) -> httpx.Response:
    """Read a streamed answer's body within the limits and return it as an ordinary, read response.

    Success bodies past ``max_response_bytes`` raise ``ResponseTooLarge``; error bodies are cut at
    ``max_error_bytes`` (their status says what happened). The stream is closed either way.
    """
    error = response.status_code >= 400
    try:
        body = await read_bounded(response.aiter_bytes(), limits.max_error_bytes if error
                                  else limits.max_response_bytes, truncate=error)
    finally:
        await response.aclose()
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _WIRE_HEADERS]
    return httpx.Response(response.status_code, headers=headers, content=body, request=response.request,
                          extensions={"reason_phrase": response.extensions.get("reason_phrase", b"")})
