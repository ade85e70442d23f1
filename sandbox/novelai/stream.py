"""Wire formats of ``/ai/generate-image-stream`` (docs/novelai-api.md §5.3): length-prefixed msgpack
frames, or server-sent events with base64 images."""

from __future__ import annotations

import base64
import contextlib
import json
import struct
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
        payload = {**event, "image": base64.b64encode(event["image"]).decode("ascii")}
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
