"""The Telegram sandbox's records: users, chats, messages, files, calls, limits and statistics, and the
error type Bot API handlers raise. Kept apart from the server so every helper module can share them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

DEFAULT_TOKEN = "123456:TEST-sandbox-token-aaaaaaaaaaaaaaaaaaaaaaaa"

# Member statuses a chat can give a user (or the bot); "kicked" for the bot means it was removed.
MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "left", "kicked"})
ADMIN_STATUSES = frozenset({"creator", "administrator"})


class ApiError(Exception):
    """A Bot API error answer; the HTTP status is what PTB maps to its exception classes."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


@dataclass
class SandboxUser:
    """A human Telegram account that talks to the bot."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "en"

    def to_api(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username is not None:
            user["username"] = self.username
        if self.language_code is not None:
            user["language_code"] = self.language_code
        return user


@dataclass
class FloodLimits:
    """Telegram's published pacing rules. Private chats use a token bucket (``private_burst`` calls at
    once, refilled at ``private_per_second``); groups and the global limit are sliding windows."""

    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: int = 20
    global_per_second: int = 30
    enabled: bool = True


@dataclass
class TelegramStats:
    """Counters over Bot API calls; ``per_chat`` counts every call that named a chat."""

    calls_by_method: Counter[str] = field(default_factory=Counter)
    too_many_requests: int = 0
    per_chat: Counter[int] = field(default_factory=Counter)

    def clear(self) -> None:
        """Empty in place, so references held by tests stay live."""
        self.calls_by_method.clear()
        self.per_chat.clear()
        self.too_many_requests = 0

    def to_json(self) -> dict[str, Any]:
        return {"calls_by_method": dict(self.calls_by_method), "too_many_requests": self.too_many_requests,
                "per_chat": {str(chat): count for chat, count in self.per_chat.items()}}


@dataclass
class WebhookState:
    """What setWebhook set (an empty ``url``: no webhook, getUpdates works) and how pushing to it goes.
    setWebhook makes a new one, so a push in flight can tell the webhook changed under it."""

    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: int = 0  # the stand-in's own count of updates the webhook confirmed

    def to_api(self, pending: int) -> dict[str, Any]:
        """getWebhookInfo's WebhookInfo, with the optional fields only when they have a value."""
        info: dict[str, Any] = {"url": self.url, "has_custom_certificate": False, "pending_update_count": pending}
        if self.last_error_date is not None:
            info |= {"last_error_date": self.last_error_date, "last_error_message": self.last_error_message}
        if self.url:
            info |= {"max_connections": self.max_connections, "ip_address": "127.0.0.1"}
            if self.allowed_updates is not None:
                info["allowed_updates"] = self.allowed_updates
        return info


@dataclass(frozen=True)
class Call:
    """One Bot API call as the bot made it; uploads appear as ``{"upload": name, "size": n, ...}``.
    ``time`` is when it arrived, ``answered`` when its answer was ready (both time.time()): how long the
    stand-in itself took, so a benchmark can tell the bot's time from the stand-in's."""

    method: str
    params: dict[str, Any]
    time: float
    status: int
    chat_id: int | None = None
    description: str | None = None
    answered: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "params": self.params, "time": self.time, "status": self.status,
                "chat_id": self.chat_id, "description": self.description, "answered": self.answered}


@dataclass
class StoredMessage:
    """A message in its current state. Text and captions are stored as users see them (markup parsed
    into ``entities``), so tests compare what a user reads, not what the bot sent."""

    message_id: int
    chat_id: int
    from_bot: bool
    sender: dict[str, Any]
    date: int
    text: str | None = None
    caption: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    photo: list[dict[str, Any]] = field(default_factory=list)
    document: dict[str, Any] | None = None
    media_group_id: str | None = None
    reply_to_message_id: int | None = None
    deleted: bool = False
    edits: int = 0
    edit_date: int | None = None
    # The bot a user sent this through inline mode (the bot's User object), if any.
    via_bot: dict[str, Any] | None = None

    def to_api(self, chat: dict[str, Any], reply_to: dict[str, Any] | None = None) -> dict[str, Any]:
        """The Bot API ``Message`` object, as PTB's ``Message.de_json`` reads it."""
        message: dict[str, Any] = {"message_id": self.message_id, "date": self.date, "chat": chat,
                                   "from": self.sender}
        optional = {
            "text": self.text, "caption": self.caption, "reply_markup": self.reply_markup,
            "photo": self.photo or None, "document": self.document, "media_group_id": self.media_group_id,
            "edit_date": self.edit_date, "reply_to_message": reply_to, "via_bot": self.via_bot,
        }
        if self.entities:
            optional["entities" if self.text is not None else "caption_entities"] = self.entities
        message.update({key: value for key, value in optional.items() if value is not None})
        return message

    def to_json(self) -> dict[str, Any]:
        """The control API's view: current content plus the sandbox-only bookkeeping."""
        return {
            "message_id": self.message_id, "chat_id": self.chat_id, "from_bot": self.from_bot,
            "from": self.sender, "date": self.date, "text": self.text, "caption": self.caption,
            "entities": self.entities, "reply_markup": self.reply_markup, "photo": self.photo,
            "document": self.document, "media_group_id": self.media_group_id,
            "reply_to_message_id": self.reply_to_message_id, "deleted": self.deleted, "edits": self.edits,
        }


@dataclass
class CallbackRecord:
    """A button press and, once the bot calls answerCallbackQuery, its answer."""

    id: str
    chat_id: int
    message_id: int
    user: SandboxUser
    data: str
    answer: dict[str, Any] | None = None


@dataclass
class StoredFile:
    """Uploaded bytes, kept exactly as received (thumbnails are the only bytes the sandbox makes)."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str

    def to_api(self) -> dict[str, Any]:
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id, "file_size": len(self.data),
                "file_path": self.file_path}


@dataclass
class SandboxChat:
    """A private chat (id = the user's id) or a group/supergroup (negative id, with a title)."""

    id: int
    type: str
    title: str | None = None
    user: SandboxUser | None = None
    blocked: bool = False
    members: dict[int, str] = field(default_factory=dict)
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    last_message_id: int = 0

    @property
    def private(self) -> bool:
        return self.type == "private"

    def to_api(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.user is not None:
            chat["first_name"] = self.user.first_name
            if self.user.username is not None:
                chat["username"] = self.user.username
        if self.title is not None:
            chat["title"] = self.title
        return chat

    def next_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id

    def live_message(self, message_id: int) -> StoredMessage | None:
        message = self.messages.get(message_id)
        return None if message is None or message.deleted else message
