"""Being a Telegram user through the Telegram stand-in's control API (``naibot sandbox telegram``):
``POST /_sandbox/message`` to write, ``POST /_sandbox/callback`` to press, ``GET
/_sandbox/chats/{id}/messages`` to read. Only HTTP, so it works against a stand-in in another process."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from sandbox.terminal.screen import Button, Shown
from sandbox.terminal.session import control_call

DEFAULT_URL = "http://127.0.0.1:8766"


@dataclass(frozen=True)
class TelegramUser:
    """Who the person at the terminal is, and in which chat: the user's own id is a private chat;
    a negative chat id is a supergroup."""

    user_id: int = 4242
    first_name: str = "You"
    username: str | None = "you"
    language: str = "en"
    chat_id: int | None = None
    chat_title: str = "Sandbox group"

    @property
    def chat(self) -> int:
        return self.user_id if self.chat_id is None else self.chat_id

    def to_json(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.user_id, "first_name": self.first_name, "language_code": self.language}
        if self.username:
            user["username"] = self.username
        return user


class TelegramPeer:
    """The control-API client; every refusal of the stand-in becomes a :class:`ChatError` with its reason."""

    def __init__(self, url: str, user: TelegramUser, *, client: httpx.Client | None = None) -> None:
        self.url = url.rstrip("/")
        self.user = user
        self._http = client or httpx.Client(base_url=self.url, timeout=10.0)

    def greeting(self) -> str:
        self._call("GET", "/_sandbox/stats")
        where = "a private chat" if self.user.chat > 0 else f"group {self.user.chat} ({self.user.chat_title})"
        return (f"Telegram stand-in at {self.url}: you are {self.user.first_name} (id {self.user.user_id}) "
                f"in {where}.")

    def send(self, line: str) -> None:
        self._write({"text": line})

    def send_photo(self, path: Path, caption: str) -> None:
        self._write({"text": caption, "photo_base64": base64.b64encode(path.read_bytes()).decode(),
                     "file_name": path.name})

    def press(self, button: Button) -> None:
        self._call("POST", "/_sandbox/callback", json={"chat_id": self.user.chat, "message_id": int(button.message_id),
                                                       "user": self.user.to_json(), "data": button.action})

    def messages(self) -> list[Shown]:
        found = self._call("GET", f"/_sandbox/chats/{self.user.chat}/messages")
        return [shown(message, self.url) for message in found
                if (message.get("from") or {}).get("id") != self.user.user_id]

    def _write(self, fields: dict[str, Any]) -> None:
        body: dict[str, Any] = {"chat_id": self.user.chat, "user": self.user.to_json(), **fields}
        if self.user.chat < 0:
            body |= {"chat_type": "supergroup", "chat_title": self.user.chat_title}
        self._call("POST", "/_sandbox/message", json=body)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return control_call(self._http, "telegram", method, path, **kwargs)


def shown(message: dict[str, Any], base_url: str) -> Shown:
    """A control-API message (``StoredMessage.to_json``) as the terminal shows it."""
    sender = message.get("from") or {}
    author = "bot" if message.get("from_bot") else str(sender.get("first_name") or sender.get("id"))
    parts = []
    links = []
    if message.get("photo"):
        largest = message["photo"][-1]
        parts.append(f"[photo {largest.get('width')}×{largest.get('height')}]")
        links.append(f"{base_url}/_sandbox/files/{largest['file_id']}")
    if message.get("document"):
        document = message["document"]
        parts.append(f"[file {document.get('file_name', '')} {document.get('file_size', '?')} bytes]")
        links.append(f"{base_url}/_sandbox/files/{document['file_id']}")
    text = message.get("text") if message.get("text") is not None else message.get("caption")
    if text:
        parts.append(str(text))
    keyboard = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    message_id = str(message["message_id"])
    buttons = tuple(Button(str(key["text"]), message_id, str(key["callback_data"]))
                    for row in keyboard for key in row if "callback_data" in key)
    links += [f"{key['text']}: {key['url']}" for row in keyboard for key in row if "url" in key]
    return Shown(message_id, author, " ".join(parts), buttons, tuple(links), bool(message.get("deleted")))

