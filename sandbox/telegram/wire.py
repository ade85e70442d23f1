"""Reading Bot API requests the way Telegram does: parameters may come as a query string, a form, a
multipart body (with file parts) or JSON. PTB sends every non-string value as text (numbers as
"4242", objects as JSON), so known fields are decoded here once for all handlers."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from sandbox.telegram.state import ApiError, bad_request

# Fields whose value is a JSON object or array in the Bot API.
JSON_FIELDS = frozenset({
    "reply_markup", "media", "commands", "entities", "caption_entities", "allowed_updates", "scope",
    "reply_parameters", "link_preview_options", "results", "button",
})
INT_FIELDS = frozenset({
    "chat_id", "message_id", "offset", "limit", "timeout", "user_id", "reply_to_message_id", "cache_time",
    "message_thread_id", "from_chat_id", "max_connections",
})
BOOL_FIELDS = frozenset({
    "show_alert", "disable_notification", "protect_content", "drop_pending_updates", "has_spoiler",
    "allow_sending_without_reply", "disable_web_page_preview", "show_caption_above_media",
    "disable_content_type_detection", "allow_paid_broadcast", "is_personal",
})
_TRUE = frozenset({"true", "1", "True"})


@dataclass(frozen=True)
class Upload:
    """One multipart file part."""

    filename: str
    content_type: str
    data: bytes

    def summary(self) -> dict[str, Any]:
        return {"upload": self.filename, "size": len(self.data), "content_type": self.content_type}


@dataclass
class Params:
    """A call's decoded parameters and its file parts, with the lookups handlers need."""

    values: dict[str, Any]
    uploads: dict[str, Upload]

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def require(self, name: str) -> Any:
        value = self.values.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        return value

    def number(self, name: str) -> int:
        value = self.require(name)
        if not isinstance(value, int):
            raise bad_request(f"invalid {name} specified")
        return value

    def recorded(self) -> dict[str, Any]:
        """What the call log keeps: the decoded values, with uploads summarised instead of their bytes."""
        return {**self.values, **{name: upload.summary() for name, upload in self.uploads.items()}}


async def read_params(request: web.Request) -> Params:
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            body = await _json_body(request)
            values.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for name, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    uploads[name] = Upload(value.filename, value.content_type, value.file.read())
                else:
                    values[name] = value
    return Params(_decoded(values), uploads)


async def _json_body(request: web.Request) -> dict[str, Any]:
    text = await request.text()
    if not text.strip():
        return {}
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise bad_request("can't parse JSON encoded request") from exc
    if not isinstance(body, dict):
        raise bad_request("can't parse JSON encoded request")
    return body


def _decoded(values: dict[str, Any]) -> dict[str, Any]:
    return {name: _decode(name, value) for name, value in values.items()}


def _decode(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError as exc:
            raise bad_request(f"can't parse {name} JSON object") from exc
    if name in INT_FIELDS:
        # PTB sends a fractional timedelta (e.g. a 0.5 s poll timeout) as "0.5"; chat_id may be
        # "@channelusername". Handlers reject what they cannot use.
        for number in (int, float):
            with contextlib.suppress(ValueError):
                return number(value)
        return value
    if name in BOOL_FIELDS:
        return value in _TRUE
    return value


def ok(result: Any) -> web.Response:
    return _json(200, {"ok": True, "result": result})


def error(exc: ApiError) -> web.Response:
    return _json(exc.status, exc.payload())


def _json(status: int, body: dict[str, Any]) -> web.Response:
    # The bare media type, as Telegram sends it (web.json_response would add "; charset=utf-8").
    return web.Response(status=status, body=json.dumps(body, ensure_ascii=False).encode(),
                        headers={"Content-Type": "application/json"})
