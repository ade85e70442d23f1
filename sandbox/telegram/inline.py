"""Inline mode of the Telegram stand-in: a user types ``@bot query`` in any chat, the bot gets an
``inline_query`` update and answers it with ``answerInlineQuery``; picking a result sends its
``input_message_content`` to the chat as the user's message ``via_bot`` (Bot API: "Inline mode",
InlineQuery, answerInlineQuery, InlineQueryResultArticle, InputTextMessageContent).

As on Telegram, the bot must have inline mode switched on (BotFather's /setinline; here
``TelegramSandbox.set_inline_mode``) before any query reaches it, and getMe says so in
``supports_inline_queries``. Refusals follow Telegram's: an unknown or already answered query id, more than
50 results, a duplicate or over-long result id, an article without title or message text.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from sandbox.telegram.state import ApiError, SandboxUser, bad_request
from sandbox.telegram.text import typed_entities
from sandbox.telegram.wire import Params
from sandbox.telegram.world import World

QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
# What Telegram lets a query and an answer hold.
MAX_QUERY_CHARS = 256
MAX_RESULTS = 50
MAX_RESULT_ID_BYTES = 64
MAX_NEXT_OFFSET_BYTES = 64
MAX_MESSAGE_CHARS = 4096
RESULT_TYPES = frozenset({
    "article", "photo", "gif", "mpeg4_gif", "video", "audio", "voice", "document", "location", "venue",
    "contact", "game", "sticker",
})
CHAT_TYPES = frozenset({"sender", "private", "group", "supergroup", "channel"})


@dataclass
class InlineQueryRecord:
    """One inline query and, once the bot calls answerInlineQuery, its answer (the parameters it sent)."""

    id: str
    user: SandboxUser
    query: str
    chat_type: str
    answer: dict[str, Any] | None = None
    results: list[dict[str, Any]] = field(default_factory=list)


class InlineMode:
    """Inline queries and their answers, on top of the sandbox's ``World``."""

    def __init__(self, world: World) -> None:
        self._world = world
        self._ids = itertools.count(1)
        self.enabled = False
        self.placeholder = ""
        self.queries: dict[str, InlineQueryRecord] = {}

    def reset(self) -> None:
        self.queries.clear()

    def set_enabled(self, enabled: bool, placeholder: str = "") -> None:
        """BotFather's /setinline: queries reach the bot only with inline mode on."""
        self.enabled, self.placeholder = enabled, placeholder
        self._world.bot["supports_inline_queries"] = enabled

    def ask(self, user: SandboxUser, query: str, *, chat_type: str = "sender", offset: str = "") -> str:
        """A user types ``@bot <query>``; returns the inline query id. Clients cut a query at 256 characters."""
        if not self.enabled:
            raise ValueError("the bot has no inline mode; switch it on first (BotFather /setinline)")
        if chat_type not in CHAT_TYPES:
            raise ValueError(f"chat_type must be one of {sorted(CHAT_TYPES)}")
        query = query[:MAX_QUERY_CHARS]
        self._world.users[user.id] = user
        query_id = str(6_000_000_000_000_000 + next(self._ids))
        self.queries[query_id] = InlineQueryRecord(query_id, user, query, chat_type)
        self._world.push("inline_query", {"id": query_id, "from": user.to_api(), "query": query, "offset": offset,
                                          "chat_type": chat_type})
        return query_id

    async def answer(self, p: Params) -> Any:
        """answerInlineQuery: checked like Telegram does, stored for ``choose`` and the tests."""
        record = self.queries.get(str(p.require("inline_query_id")))
        if record is None or record.answer is not None:
            raise bad_request(QUERY_TOO_OLD)
        results = p.require("results")
        if not isinstance(results, list):
            raise bad_request("can't parse inline query results JSON object")
        if len(results) > MAX_RESULTS:
            raise bad_request("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            result_id = _checked_result(result)
            if result_id in seen:
                raise bad_request("RESULT_ID_DUPLICATE")
            seen.add(result_id)
        next_offset = str(p.get("next_offset") or "")
        if len(next_offset.encode()) > MAX_NEXT_OFFSET_BYTES:
            raise bad_request("NEXT_OFFSET_INVALID")
        record.results = results
        record.answer = {"cache_time": p.get("cache_time"), "is_personal": bool(p.get("is_personal")),
                         "next_offset": next_offset, "button": p.get("button")}
        return True

    def choose(self, query_id: str, result_id: str, chat_id: int, *, chat_type: str = "private",
               chat_title: str | None = None) -> dict[str, Any]:
        """The user picks one of the answer's results in a chat: its text is sent there as the user's
        message, ``via_bot`` the bot (and reaches the bot as any message via it does). Returns the Message."""
        world = self._world
        record = self.queries.get(query_id)
        if record is None or record.answer is None:
            raise ValueError(f"inline query {query_id} has no answer to pick from")
        result = next((r for r in record.results if str(r.get("id")) == result_id), None)
        if result is None:
            raise ValueError(f"the answer to {query_id} has no result {result_id!r}")
        text = str(result["input_message_content"]["message_text"])
        chat = world.open_chat(chat_id, chat_type, chat_title, record.user)
        world.join(chat, record.user)
        message = world.add_message(chat, sender=record.user.to_api(), text=text, entities=typed_entities(text),
                                    via_bot=world.bot_user)
        payload = world.message_json(chat, message)
        if world.reaches_bot(chat, message, text):
            world.push("message", payload)
        return payload


def _checked_result(result: Any) -> str:
    if not isinstance(result, dict) or result.get("type") not in RESULT_TYPES:
        raise bad_request("RESULT_TYPE_INVALID")
    result_id = str(result.get("id") or "")
    if not 1 <= len(result_id.encode()) <= MAX_RESULT_ID_BYTES:
        raise bad_request("RESULT_ID_INVALID")
    if result["type"] == "article":
        if not str(result.get("title") or "").strip():
            raise bad_request("RESULT_TITLE_EMPTY")
        content = result.get("input_message_content")
        text = content.get("message_text") if isinstance(content, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise bad_request("MESSAGE_EMPTY")
        if len(text) > MAX_MESSAGE_CHARS:
            raise bad_request("MESSAGE_TOO_LONG")
    return result_id


__all__ = ["ApiError", "InlineMode", "InlineQueryRecord"]
