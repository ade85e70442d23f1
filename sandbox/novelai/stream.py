"""Wire formats of ``/ai/generate-image-stream`` (docs/novelai-api.md §5.3): length-prefixed msgpack
frames, or server-sent events with base64 images; and the in-stream ``error`` and ``retry`` frames
tests inject (§10.1)."""

from __future__ import annotations

import base64
import contextlib
import json
import struct
from collections.abc import AsyncIterator
from typing import Any

import msgpack
from aiohttp import web

_FRAME_LENGTH = struct.Struct(">I")
_SIGMA_MAX, _SIGMA_MIN = 14.6146, 0.0292


def sigma(step: int, steps: int) -> float:
    """A Karras-style schedule, only so previews carry a plausible, falling ``sigma``."""
    ramp = step / max(steps - 1, 1)
    high, low = _SIGMA_MAX ** (1 / 7), _SIGMA_MIN ** (1 / 7)
    value: float = (high + ramp * (low - high)) ** 7  # float ** float is typed Any (it may be complex)
    return round(value, 4)


def encode_event(event: dict[str, Any], *, sse: bool) -> bytes:
    if sse:
        payload = dict(event)
        if "image" in event:  # error and retry frames carry none
            payload["image"] = base64.b64encode(event["image"]).decode("ascii")
        return f"data: {json.dumps(payload)}\n\n".encode()
    packed: bytes = msgpack.packb(event, use_bin_type=True)  # msgpack ships no types
    return _FRAME_LENGTH.pack(len(packed)) + packed


class EventWriter:
    """Writes stream events, and keeps "generating" silently once the client has gone away:
    NovelAI cannot cancel a generation, so an abandoned one still holds the account's lock."""

    def __init__(self, response: web.StreamResponse, *, sse: bool) -> None:
        self._response = response
        self._sse = sse
        self._gone = False

    @property
    def gone(self) -> bool:
        """The client went away (hostile endless streams stop then, not the generation lock)."""
        return self._gone

    async def send(self, event: dict[str, Any]) -> None:
        if self._gone:
            return
        try:
            await self._response.write(encode_event(event, sse=self._sse))
        except ConnectionError:
            self._gone = True

    async def finish(self) -> None:
        if not self._gone:
            with contextlib.suppress(ConnectionError):
                await self._response.write_eof()


FRAME_TYPES = ("error", "retry")


class FrameScript:
    """In-stream frames to inject, one per streamed generation, in the order they were queued.

    NovelAI sends ``{"event_type": "error", "code", "message"}`` when it gives up on a generation
    mid-stream, and ``{"event_type": "retry", "message"}`` when it retries on its side and goes on
    (NEKO 0.5.0 ``response.py``; NKDK). Each spec also says after how many steps of previews
    (``at_step``) the frame comes. Which codes the real service sends is not published.
    """

    def __init__(self) -> None:
        self.pending: list[dict[str, Any]] = []

    def add(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Check and queue one spec; ValueError says what is wrong with it."""
        event_type = spec.get("event_type")
        if event_type not in FRAME_TYPES:
            raise ValueError(f"event_type must be one of {FRAME_TYPES}, got {event_type!r}")
        unknown = set(spec) - {"event_type", "code", "message", "at_step"}
        if unknown:
            raise ValueError(f"unknown frame fields: {sorted(unknown)}")
        at_step = spec.get("at_step", 0)
        if not isinstance(at_step, int) or at_step < 0:
            raise ValueError("at_step must be a whole number >= 0")
        frame: dict[str, Any] = {"event_type": event_type, "message": str(spec.get("message", ""))}
        if event_type == "error":
            frame["code"] = spec.get("code", 500)
        queued = {"frame": frame, "at_step": at_step}
        self.pending.append(queued)
        return queued

    def take(self) -> dict[str, Any] | None:
        return self.pending.pop(0) if self.pending else None

    def clear(self) -> None:
        self.pending.clear()


def ends_in_error(injected: dict[str, Any] | None) -> bool:
    """Whether the injected frame ends the generation (no images: nothing is charged)."""
    return injected is not None and injected["frame"]["event_type"] == "error"


async def with_frame(events: AsyncIterator[dict[str, Any]], injected: dict[str, Any] | None
                     ) -> AsyncIterator[dict[str, Any]]:
    """``events`` with the injected frame before the first event of step ``at_step`` (or before the
    finals when the generation has fewer steps); an error frame is the last thing sent."""
    pending = injected
    async for event in events:
        if pending is not None and (event.get("step_ix", pending["at_step"]) >= pending["at_step"]):
            yield pending["frame"]
            if ends_in_error(pending):
                return
            pending = None
        yield event
    if pending is not None:
        yield pending["frame"]
