"""What the platform-free layer needs from a chat platform, and nothing more.

Each adapter (Telegram, Discord) implements ``ChatSender`` and maps its library's errors onto
the few errors here, so the delivery loop and the pacer decide the same way on every platform:
wait on ``RateLimited``, give up on a chat on ``ChatUnavailable``, stop editing a message on
``MessageGone``, and treat ``NotModified`` as success.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

# Callback data is "<action>:<job id>": 6 + 1 + 10 bytes, far inside Telegram's 64-byte limit,
# and it needs no server-side state beyond the job itself, so buttons survive restarts.
ACTION_CANCEL, ACTION_AGAIN, ACTION_PNG = "cancel", "again", "png"
ACTIONS = (ACTION_CANCEL, ACTION_AGAIN, ACTION_PNG)


@dataclass(frozen=True)
class Button:
    label: str
    action: str
    job_id: str

    @property
    def data(self) -> str:
        return f"{self.action}:{self.job_id}"


def parse_button_data(data: str) -> tuple[str, str] | None:
    action, _, job_id = data.partition(":")
    return (action, job_id) if action in ACTIONS and job_id else None


@dataclass(frozen=True)
class ChatRef:
    """A chat, and whether it is a group (groups have stricter rate limits)."""

    chat_id: str
    group: bool


@dataclass(frozen=True)
class Picture:
    png: bytes
    caption: str
    filename: str


@dataclass
class Reply:
    """What a command answers: text, optional buttons (rows), and whether only the asker should see it."""

    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    private: bool = False


class ChatError(Exception):
    """Base of the errors a ChatSender raises."""


class RateLimited(ChatError):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited, retry after {retry_after} s")
        self.retry_after = retry_after


class ChatUnavailable(ChatError):
    """The bot can no longer write to this chat (blocked, kicked, chat deleted)."""


class MessageGone(ChatError):
    """The message to edit no longer exists (deleted by a user or an admin)."""


class NotModified(ChatError):
    """The edit would change nothing (the platform said so)."""


class ChatSender(Protocol):
    """The calls the delivery loop makes; each is exactly one platform API call."""

    async def send_text(self, chat: ChatRef, text: str, buttons: list[list[Button]] | None = None,
                        reply_to: str | None = None) -> str:
        """Send a message; returns its id."""
        ...

    async def edit_text(self, chat: ChatRef, message_id: str, text: str,
                        buttons: list[list[Button]] | None = None) -> int:
        """Edit a message; returns what the edit cost against the chat's rate limit (0 where the
        platform limits it elsewhere, like Discord's interaction webhooks)."""
        ...

    async def send_pictures(self, chat: ChatRef, pictures: list[Picture], buttons: list[list[Button]] | None = None,
                            reply_to: str | None = None, summary: str | None = None) -> None:
        """One picture (with buttons, if the platform allows) or an album of several; ``summary``
        describes them all, for platforms that caption a whole message rather than each picture."""
        ...

    async def send_files(self, chat: ChatRef, pictures: list[Picture], reply_to: str | None = None) -> None:
        """The original files as documents (metadata intact)."""
        ...

    async def send_private(self, user_id: str, text: str) -> str:
        """A message only this person sees, in their private chat with the bot (Telegram) or a DM
        (Discord); ChatUnavailable if they cannot be reached privately."""
        ...

    def pictures_cost(self, count: int) -> int:
        """What sending ``count`` pictures costs against the chat's rate limit (Telegram counts an
        album as one message per picture; Discord one message per ten attachments)."""
        ...
