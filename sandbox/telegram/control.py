"""The Telegram sandbox's control API under ``/_sandbox/``: what tests in other processes (the demo, bot
processes under test) use to act as users, shape chats, tune flood limits and read what the bot did."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import asdict, fields
from typing import Any, Protocol

from aiohttp import web

from sandbox.control import json_body, json_response, refusal
from sandbox.telegram.inline import InlineQueryRecord
from sandbox.telegram.state import ApiError, Call, FloodLimits, SandboxUser, StoredMessage, TelegramStats

_LIMIT_FIELDS = frozenset(field.name for field in fields(FloodLimits))


class ControlledTelegram(Protocol):
    """What the control API uses of the Telegram stand-in (``server.TelegramSandbox`` is one), so this
    module needs no import of the server that mounts it."""

    limits: FloodLimits

    @property
    def stats(self) -> TelegramStats: ...

    def user_message(self, chat_id: int, user: SandboxUser, text: str, *, chat_type: str = "private",
                     chat_title: str | None = None, reply_to: int | None = None, photo: bytes | None = None,
                     document: bytes | None = None, file_name: str | None = None) -> dict[str, Any]: ...

    def user_album(self, chat_id: int, user: SandboxUser, items: list[tuple[str, bytes, str | None]], *,
                   caption: str = "", caption_index: int = 0, chat_type: str = "private",
                   chat_title: str | None = None, reply_to: int | None = None) -> list[dict[str, Any]]: ...

    def press_button(self, chat_id: int, message_id: int, user: SandboxUser, data: str) -> str: ...

    def set_inline_mode(self, enabled: bool = True, placeholder: str = "") -> None: ...

    def user_inline_query(self, user: SandboxUser, query: str, *, chat_type: str = "sender") -> str: ...

    def inline_answer(self, query_id: str) -> InlineQueryRecord: ...

    def choose_inline_result(self, query_id: str, result_id: str, chat_id: int, *, chat_type: str = "private",
                             chat_title: str | None = None) -> dict[str, Any]: ...

    def set_member(self, chat_id: int, user_id: int, status: str) -> None: ...

    def kick(self, chat_id: int) -> None: ...

    def block(self, chat_id: int, blocked: bool = True) -> None: ...

    def delete_message(self, chat_id: int, message_id: int) -> None: ...

    def reset(self) -> None: ...

    def calls(self, method: str | None = None, chat_id: int | None = None) -> list[Call]: ...

    def messages(self, chat_id: int) -> list[StoredMessage]: ...

    def file_bytes(self, file_id: str) -> bytes: ...


class ControlAPI:
    """Handlers over one sandbox's Python API. Answers plain JSON; mistakes are 400 ``{"error": ...}``."""

    def __init__(self, sandbox: ControlledTelegram) -> None:
        self._sandbox = sandbox

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/_sandbox/message", self.message),
            web.post("/_sandbox/album", self.album),
            web.post("/_sandbox/callback", self.callback),
            web.post("/_sandbox/inline-mode", self.inline_mode),
            web.post("/_sandbox/inline-query", self.inline_query),
            web.get("/_sandbox/inline-query/{query_id}", self.inline_answer),
            web.post("/_sandbox/inline-query/{query_id}/choose", self.choose_inline_result),
            web.get("/_sandbox/calls", self.calls),
            web.get("/_sandbox/chats/{chat_id}/messages", self.messages),
            web.post("/_sandbox/chats/{chat_id}/block", self.block),
            web.post("/_sandbox/chats/{chat_id}/kick", self.kick),
            web.post("/_sandbox/chats/{chat_id}/delete-message", self.delete_message),
            web.post("/_sandbox/chats/{chat_id}/members", self.members),
            web.get("/_sandbox/files/{file_id}", self.file),
            web.post("/_sandbox/limits", self.limits),
            web.get("/_sandbox/stats", self.stats),
            web.post("/_sandbox/reset", self.reset),
        ]

    async def message(self, request: web.Request) -> web.Response:
        """``{chat_id, user, text, chat_type?, chat_title?, reply_to_message_id?, photo_base64?,
        document_base64?, file_name?}`` → the Message, as the bot will receive it."""
        body = await json_body(request)
        try:
            message = self._sandbox.user_message(
                int(body["chat_id"]), _user(body), str(body.get("text", "")),
                chat_type=str(body.get("chat_type", "private")), chat_title=body.get("chat_title"),
                reply_to=body.get("reply_to_message_id"), photo=_bytes(body, "photo_base64"),
                document=_bytes(body, "document_base64"), file_name=body.get("file_name"))
        except (KeyError, TypeError, ValueError) as exc:
            raise refusal(exc) from exc
        return json_response(message, status=201)

    async def album(self, request: web.Request) -> web.Response:
        """``{chat_id, user, items: [{kind: "photo"|"document", data_base64, file_name?}], caption?,
        caption_index?, chat_type?, chat_title?, reply_to_message_id?}`` → the album's Messages, in order.
        A picture Telegram would refuse refuses the whole album (400), and nothing is sent."""
        body = await json_body(request)
        try:
            items = body["items"]
            if not isinstance(items, list):
                raise TypeError("items must be a list")
            messages = self._sandbox.user_album(
                int(body["chat_id"]), _user(body), [_album_item(item) for item in items],
                caption=str(body.get("caption", "")), caption_index=int(body.get("caption_index", 0)),
                chat_type=str(body.get("chat_type", "private")), chat_title=body.get("chat_title"),
                reply_to=body.get("reply_to_message_id"))
        except ApiError as exc:
            raise refusal(ValueError(exc.description)) from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise refusal(exc) from exc
        return json_response(messages, status=201)

    async def callback(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        try:
            query_id = self._sandbox.press_button(int(body["chat_id"]), int(body["message_id"]), _user(body),
                                                  str(body["data"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise refusal(exc) from exc
        return json_response({"callback_query_id": query_id}, status=201)

    async def inline_mode(self, request: web.Request) -> web.Response:
        """``{enabled?, placeholder?}``: BotFather's /setinline."""
        body = await json_body(request)
        self._sandbox.set_inline_mode(bool(body.get("enabled", True)), str(body.get("placeholder", "")))
        return json_response({"ok": True})

    async def inline_query(self, request: web.Request) -> web.Response:
        """``{user, query, chat_type?}`` → ``{inline_query_id}``: the user types ``@bot query``."""
        body = await json_body(request)
        try:
            query_id = self._sandbox.user_inline_query(_user(body), str(body["query"]),
                                                       chat_type=str(body.get("chat_type", "sender")))
        except (KeyError, TypeError, ValueError) as exc:
            raise refusal(exc) from exc
        return json_response({"inline_query_id": query_id}, status=201)

    async def inline_answer(self, request: web.Request) -> web.Response:
        """The query's answer (null until the bot answered) and the results it sent."""
        try:
            record = self._sandbox.inline_answer(request.match_info["query_id"])
        except KeyError as exc:
            raise refusal(ValueError(f"no inline query {exc}")) from exc
        return json_response({"query": record.query, "answer": record.answer, "results": record.results})

    async def choose_inline_result(self, request: web.Request) -> web.Response:
        """``{result_id, chat_id, chat_type?, chat_title?}`` → the Message the user sent via the bot."""
        body = await json_body(request)
        try:
            message = self._sandbox.choose_inline_result(
                request.match_info["query_id"], str(body["result_id"]), int(body["chat_id"]),
                chat_type=str(body.get("chat_type", "private")), chat_title=body.get("chat_title"))
        except (KeyError, TypeError, ValueError) as exc:
            raise refusal(exc) from exc
        return json_response(message, status=201)

    async def calls(self, request: web.Request) -> web.Response:
        chat_id = request.query.get("chat_id")
        calls = self._sandbox.calls(request.query.get("method") or None, int(chat_id) if chat_id else None)
        return json_response([call.to_json() for call in calls])

    async def messages(self, request: web.Request) -> web.Response:
        return json_response([message.to_json() for message in self._sandbox.messages(_chat_id(request))])

    async def block(self, request: web.Request) -> web.Response:
        body = await json_body(request, optional=True)
        _act(lambda: self._sandbox.block(_chat_id(request), bool(body.get("blocked", True))))
        return json_response({"blocked": bool(body.get("blocked", True))})

    async def kick(self, request: web.Request) -> web.Response:
        _act(lambda: self._sandbox.kick(_chat_id(request)))
        return json_response({"kicked": True})

    async def delete_message(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        _act(lambda: self._sandbox.delete_message(_chat_id(request), int(body["message_id"])))
        return json_response({"deleted": True})

    async def members(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        _act(lambda: self._sandbox.set_member(_chat_id(request), int(body["user_id"]),
                                                         str(body["status"])))
        return json_response({"user_id": body["user_id"], "status": body["status"]})

    async def file(self, request: web.Request) -> web.Response:
        try:
            data = self._sandbox.file_bytes(request.match_info["file_id"])
        except KeyError as exc:
            raise web.HTTPNotFound(text=json.dumps({"error": "unknown file id"}),
                                   content_type="application/json") from exc
        return web.Response(body=data, content_type="application/octet-stream")

    async def limits(self, request: web.Request) -> web.Response:
        """Set any FloodLimits fields (the others keep their value); answers the limits now in force."""
        body = await json_body(request)
        unknown = set(body) - _LIMIT_FIELDS
        if unknown:
            raise refusal(ValueError(f"unknown limit fields: {sorted(unknown)}"))
        current = asdict(self._sandbox.limits)
        try:
            self._sandbox.limits = FloodLimits(**{
                name: type(current[name])(body.get(name, current[name])) for name in current})
        except (TypeError, ValueError) as exc:
            raise refusal(exc) from exc
        return json_response(asdict(self._sandbox.limits))

    async def stats(self, request: web.Request) -> web.Response:
        return json_response(self._sandbox.stats.to_json())

    async def reset(self, request: web.Request) -> web.Response:
        self._sandbox.reset()
        return json_response({"reset": True})



def _act(action: Callable[[], None]) -> None:
    try:
        action()
    except (KeyError, TypeError, ValueError) as exc:
        raise refusal(exc) from exc


def _user(body: dict[str, Any]) -> SandboxUser:
    user = body["user"]
    if not isinstance(user, dict):
        raise TypeError("user must be an object")
    return SandboxUser(int(user["id"]), str(user["first_name"]), user.get("username"),
                       user.get("language_code", "en"))


def _album_item(item: Any) -> tuple[str, bytes, str | None]:
    if not isinstance(item, dict):
        raise TypeError("each album item must be an object")
    data = _bytes(item, "data_base64")
    if data is None:
        raise KeyError("data_base64")
    name = item.get("file_name")
    return str(item["kind"]), data, None if name is None else str(name)


def _bytes(body: dict[str, Any], name: str) -> bytes | None:
    value = body.get(name)
    if value is None:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, TypeError) as exc:
        raise ValueError(f"{name} is not base64") from exc


def _chat_id(request: web.Request) -> int:
    try:
        return int(request.match_info["chat_id"])
    except ValueError as exc:
        raise refusal(exc) from exc
