"""What the fake Telegram knows: chats and their messages, users, files, button presses, command menus
and the update queue. Plain synchronous state; the server decides when it is touched and who is woken."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from sandbox.telegram.media import FileStore
from sandbox.telegram.state import (
    ADMIN_STATUSES,
    ApiError,
    CallbackRecord,
    SandboxChat,
    SandboxUser,
    StoredMessage,
    WebhookState,
    bad_request,
)
from sandbox.telegram.text import MAX_CAPTION, MAX_TEXT, addressed_to, mentions, typed_entities
from sandbox.telegram.wire import Upload

CHAT_TYPES = frozenset({"private", "group", "supergroup"})
# An album (media group) holds 2 to 10 items, as Telegram's clients and sendMediaGroup allow.
MIN_ALBUM_ITEMS, MAX_ALBUM_ITEMS = 2, 10
ALBUM_KINDS = frozenset({"photo", "document"})
# One album item as a test gives it: ("photo" or "document", the file's bytes, its file name or None).
AlbumItem = tuple[str, bytes, str | None]
_GONE_STATUSES = frozenset({"left", "kicked"})


class World:
    """Telegram's side of every conversation with the bot (``bot`` is the getMe user object).

    With ``privacy_mode`` (Telegram's default for bots) a group message reaches the bot only when it is a
    command for it, a reply to it or mentions it, unless the bot is a group admin.
    """

    def __init__(self, bot: dict[str, Any], *, privacy_mode: bool = True) -> None:
        self.bot = bot
        self.privacy_mode = privacy_mode
        # Update ids survive reset(): a polling bot's offset must keep accepting new updates.
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._media_group_ids = itertools.count(13_000_000_000_000_001)
        # The webhook survives reset() too: a bot in webhook mode keeps getting what users send.
        self.webhook = WebhookState()
        self.reset()

    def reset(self) -> None:
        self.chats: dict[int, SandboxChat] = {}
        self.users: dict[int, SandboxUser] = {}
        self.files = FileStore()
        self.updates: list[dict[str, Any]] = []
        self.callbacks: dict[str, CallbackRecord] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}

    @property
    def bot_id(self) -> int:
        return int(self.bot["id"])

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot as the ``from`` of its messages (getMe's extra capability fields left out)."""
        return {key: self.bot[key] for key in ("id", "is_bot", "first_name", "username")}

    # -- chats -----------------------------------------------------------------------------

    def chat(self, chat_id: Any) -> SandboxChat:
        """The chat a Bot API call names, by id or by "@username"."""
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else self._chat_by_username(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _chat_by_username(self, name: Any) -> SandboxChat | None:
        wanted = str(name).removeprefix("@").lower()
        return next((chat for chat in self.chats.values()
                     if chat.user is not None and (chat.user.username or "").lower() == wanted), None)

    def accessible(self, chat_id: Any, *, posting: bool) -> SandboxChat:
        """A chat the bot can still reach (and, when ``posting``, post in); otherwise Telegram's 403."""
        chat = self.chat(chat_id)
        if posting and chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if not chat.private and self.bot_status(chat) in _GONE_STATUSES:
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        return chat

    def bot_status(self, chat: SandboxChat) -> str:
        return chat.members.get(self.bot_id, "member")

    def open_chat(self, chat_id: int, chat_type: str, title: str | None, user: SandboxUser) -> SandboxChat:
        """The chat a user writes in, created on first use; refuses shapes Telegram never produces."""
        if chat_type not in CHAT_TYPES:
            raise ValueError(f"chat_type must be one of {sorted(CHAT_TYPES)}")
        if chat_type == "private" and chat_id != user.id:
            raise ValueError("a private chat's id is the user's id")
        if chat_type != "private" and chat_id >= 0:
            raise ValueError("group and supergroup ids are negative")
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = SandboxChat(id=chat_id, type=chat_type, user=user if chat_type == "private" else None,
                               title=None if chat_type == "private" else (title or f"Group {-chat_id}"))
            self.chats[chat_id] = chat
        elif chat.type != chat_type:
            raise ValueError(f"chat {chat_id} is a {chat.type} chat, not {chat_type}")
        elif chat.private:
            chat.user = user  # a renamed user shows the new name in later messages
        return chat

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        chat = self.chats.get(chat_id)
        if chat is None or chat.private:
            raise ValueError(f"no group chat {chat_id}; a user message creates it")
        chat.members[user_id] = status

    # -- messages --------------------------------------------------------------------------

    def add_message(self, chat: SandboxChat, *, sender: dict[str, Any], **content: Any) -> StoredMessage:
        message = StoredMessage(message_id=chat.next_message_id(), chat_id=chat.id,
                                from_bot=sender["id"] == self.bot_id, sender=sender, date=int(time.time()),
                                **content)
        chat.messages[message.message_id] = message
        return message

    def message_json(self, chat: SandboxChat, message: StoredMessage) -> dict[str, Any]:
        replied = chat.live_message(message.reply_to_message_id) if message.reply_to_message_id else None
        reply_to = replied.to_api(chat.to_api()) if replied is not None else None
        return message.to_api(chat.to_api(), reply_to)

    def next_media_group_id(self) -> str:
        return str(next(self._media_group_ids))

    def user_message(self, chat_id: int, user: SandboxUser, text: str, *, chat_type: str, chat_title: str | None,
                     reply_to: int | None, photo: bytes | None = None, document: bytes | None = None,
                     file_name: str | None = None) -> dict[str, Any]:
        """A user writes (text, or a photo/document with ``text`` as caption); queues the update the bot
        would get. Writing to the bot again is how a user unblocks it."""
        if not text and photo is None and document is None:
            raise ValueError("a user message needs text, a photo or a document")
        _check_length(text, caption=photo is not None or document is not None)
        chat = self.open_chat(chat_id, chat_type, chat_title, user)
        self.users[user.id] = user
        self._join(chat, user)
        if reply_to is not None and chat.live_message(reply_to) is None:
            raise ValueError(f"no message {reply_to} in chat {chat_id} to reply to")
        chat.blocked = False
        content: dict[str, Any] = {"reply_to_message_id": reply_to, "entities": typed_entities(text)}
        if photo is not None:
            content["photo"] = self.files.add_photo(Upload(file_name or "photo.jpg", "", photo))
        elif document is not None:
            content["document"] = self.files.add_document(Upload(file_name or "file", "", document))
        content["caption" if photo is not None or document is not None else "text"] = text or None
        message = self.add_message(chat, sender=user.to_api(), **content)
        payload = self.message_json(chat, message)
        if self._reaches_bot(chat, message, text):
            self.push("message", payload)
        return payload

    def user_album(self, chat_id: int, user: SandboxUser, items: list[AlbumItem], *, caption: str = "",
                   caption_index: int = 0, chat_type: str, chat_title: str | None,
                   reply_to: int | None) -> list[dict[str, Any]]:
        """A user sends an album: as in the Bot API, one message per item, each its own update, with
        consecutive message ids and one shared ``media_group_id``; only the item at ``caption_index``
        (the first, as clients do by default) carries the caption. Items are all photos or all
        documents (clients never mix files into a photo album). Every file is checked before any
        message exists, so a bad picture refuses the whole album rather than sending half of it.
        Each message then meets group privacy mode on its own, exactly like a single message."""
        if not MIN_ALBUM_ITEMS <= len(items) <= MAX_ALBUM_ITEMS:
            raise ValueError(f"an album has {MIN_ALBUM_ITEMS} to {MAX_ALBUM_ITEMS} items, not {len(items)}")
        kinds = {kind for kind, _, _ in items}
        if not kinds <= ALBUM_KINDS:
            raise ValueError(f"album items are {sorted(ALBUM_KINDS)}, not {sorted(kinds - ALBUM_KINDS)}")
        if len(kinds) > 1:
            raise ValueError("an album is all photos or all documents, never both")
        if not 0 <= caption_index < len(items):
            raise ValueError(f"caption_index {caption_index} is not one of the album's {len(items)} items")
        _check_length(caption, caption=True)
        chat = self.open_chat(chat_id, chat_type, chat_title, user)
        if reply_to is not None and chat.live_message(reply_to) is None:
            raise ValueError(f"no message {reply_to} in chat {chat_id} to reply to")
        media = [{"photo": self.files.add_photo(Upload(name or "photo.jpg", "", data))} if kind == "photo"
                 else {"document": self.files.add_document(Upload(name or "file", "", data))}
                 for kind, data, name in items]
        self.users[user.id] = user
        self._join(chat, user)
        chat.blocked = False
        group_id = self.next_media_group_id()
        payloads = []
        for index, content in enumerate(media):
            text = caption if index == caption_index else ""
            message = self.add_message(chat, sender=user.to_api(), media_group_id=group_id,
                                       reply_to_message_id=reply_to, caption=text or None,
                                       entities=typed_entities(text), **content)
            payload = self.message_json(chat, message)
            if self._reaches_bot(chat, message, text):
                self.push("message", payload)
            payloads.append(payload)
        return payloads

    def join(self, chat: SandboxChat, user: SandboxUser) -> None:
        """A user who writes in a group is (or becomes) a member of it."""
        self._join(chat, user)

    def reaches_bot(self, chat: SandboxChat, message: StoredMessage, text: str) -> bool:
        """Whether a user's message reaches the bot (group privacy mode)."""
        return self._reaches_bot(chat, message, text)

    def _join(self, chat: SandboxChat, user: SandboxUser) -> None:
        if chat.private:
            return
        status = chat.members.get(user.id)
        if status == "kicked":
            raise ValueError(f"user {user.id} is banned from chat {chat.id}")
        if status is None or status == "left":
            chat.members[user.id] = "member"

    def _reaches_bot(self, chat: SandboxChat, message: StoredMessage, text: str) -> bool:
        if chat.private:
            return True
        status = self.bot_status(chat)
        if status in _GONE_STATUSES:
            return False
        if not self.privacy_mode or status in ADMIN_STATUSES:
            return True
        if message.via_bot is not None and message.via_bot.get("id") == self.bot_id:
            return True  # privacy mode lets through "messages sent via this bot" (inline mode)
        username = str(self.bot["username"])
        if any(entity["type"] == "bot_command" for entity in message.entities):
            target = addressed_to(text)
            return target is None or target.lower() == username.lower()
        replied = chat.messages.get(message.reply_to_message_id or 0)
        return (replied is not None and replied.from_bot) or mentions(text, username)

    def press(self, chat_id: int, message_id: int, user: SandboxUser, data: str) -> str:
        """A user presses an inline button. ``data`` is not checked against the keyboard: real clients
        can send stale or forged data, and a bot must cope."""
        chat = self.chats.get(chat_id)
        message = chat.live_message(message_id) if chat is not None else None
        if chat is None or message is None or not message.from_bot:
            raise ValueError(f"no bot message {message_id} in chat {chat_id}")
        self.users[user.id] = user
        query_id = str(4_000_000_000_000_000 + next(self._callback_ids))
        self.callbacks[query_id] = CallbackRecord(query_id, chat_id, message_id, user, data)
        self.push("callback_query", {"id": query_id, "from": user.to_api(), "chat_instance": str(-chat_id * 7919),
                                     "data": data, "message": self.message_json(chat, message)})
        return query_id

    # -- updates ---------------------------------------------------------------------------

    def push(self, kind: str, payload: dict[str, Any]) -> None:
        self.updates.append({"update_id": next(self._update_ids), kind: payload})

    def confirm(self, offset: int | None) -> None:
        """getUpdates' ``offset``: drop every update below it; a negative one keeps only the last -offset."""
        if offset is None:
            return
        if offset < 0:
            del self.updates[:offset]
        else:
            self.updates = [update for update in self.updates if update["update_id"] >= offset]

    # -- command menus ---------------------------------------------------------------------

    @staticmethod
    def menu_key(scope: Any, language_code: Any) -> tuple[str, str]:
        return json.dumps(scope or {"type": "default"}, sort_keys=True), str(language_code or "")


def _check_length(text: str, *, caption: bool) -> None:
    """Telegram's clients cannot send a text over 4096 characters (or a caption over 1024): such a message
    never reaches a bot, so a test or a terminal user must not be able to inject one either."""
    limit, what = (MAX_CAPTION, "caption") if caption else (MAX_TEXT, "message")
    if len(text) > limit:
        raise ValueError(f"{what} is too long: {len(text)} characters, Telegram delivers at most {limit}")
