"""The sandbox's mutable knobs and observations: injected faults, statistics, and the error type
handlers raise. Separate from the server so the control API can use them without a cycle."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sandbox.novelai.accounts import SandboxAccount

KEEP_REQUESTS = 200
# Request bodies are kept for golden checks; long strings in them (base64 images) become their length.
_MAX_RECORDED_STRING = 4096


@dataclass
class Faults:
    """Failures to inject into NovelAI routes (never the control API). Rates are 0..1 per request.

    ``forced`` is consumed one status per request before anything else; status 0 there means
    "drop the connection". ``hostile`` is consumed one mode per generation or tool request (after it
    is admitted and charged): the hostile answers of ``sandbox/novelai/hostile.py``, whose bombs and
    long bodies are ``hostile_bytes`` big.
    """

    error_500_rate: float = 0.0
    error_503_rate: float = 0.0
    drop_rate: float = 0.0
    slow_seconds: float = 0.0
    forced: list[int] = field(default_factory=list)
    hostile: list[str] = field(default_factory=list)
    hostile_bytes: float = float(1024 ** 3)


@dataclass
class SandboxStats:
    """What the sandbox saw, keyed by account email (normalised) or persistent token.

    ``started`` counts generations that got past the lock, ``generations`` those that finished.
    ``peak_concurrency`` counts overlapping generation *attempts*, refused ones included, so a
    value above 1 means a client sent a second generation before the first one ended.
    ``spans`` holds the (start, end) wall-clock times of every generation that got past the lock,
    per account, however it ended: idle gaps between one account's generations are read from it.
    Each entry of ``requests`` has time, method, path, status (0 = dropped), account, model, body.
    """

    logins: Counter[str] = field(default_factory=Counter)
    started: Counter[str] = field(default_factory=Counter)
    generations: Counter[str] = field(default_factory=Counter)
    images: Counter[str] = field(default_factory=Counter)
    peak_concurrency: dict[str, int] = field(default_factory=dict)
    spans: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    requests: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=KEEP_REQUESTS))

    def clear(self) -> None:
        """Empty in place, so references held by tests stay live."""
        for container in (self.logins, self.started, self.generations, self.images, self.peak_concurrency,
                          self.spans, self.requests):
            container.clear()

    def generations_started(self, account: str | None = None) -> int:
        """For tests that must act while a generation runs: poll this instead of sleeping blindly."""
        return self.started[account] if account is not None else self.started.total()

    def to_json(self, accounts: Iterable[SandboxAccount]) -> dict[str, Any]:
        per_account = {
            account.key: {
                "logins": self.logins[account.key],
                "started": self.started[account.key],
                "generations": self.generations[account.key],
                "images": self.images[account.key],
                "peak_concurrency": self.peak_concurrency.get(account.key, 0),
                "anlas": account.anlas,
            }
            for account in accounts
        }
        totals = {
            "logins": self.logins.total(), "started": self.started.total(),
            "generations": self.generations.total(), "images": self.images.total(),
            "requests": len(self.requests),
        }
        return {"accounts": per_account, "totals": totals, "requests": list(self.requests)}


class Refusal(Exception):
    """An error answer in NovelAI's shape, raised anywhere in a handler."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self) -> web.Response:
        return web.json_response({"statusCode": self.status, "message": self.message}, status=self.status)


def abbreviate(value: Any) -> Any:
    """A copy of a JSON value small enough to keep 200 of: long strings become ``<N characters>``."""
    if isinstance(value, str) and len(value) > _MAX_RECORDED_STRING:
        return f"<{len(value)} characters>"
    if isinstance(value, dict):
        return {key: abbreviate(item) for key, item in value.items()}
    if isinstance(value, list):
        return [abbreviate(item) for item in value]
    return value
