"""What the platform-free layer needs from a chat platform, and nothing more.

Each adapter (Telegram, Discord) implements ``ChatSender`` and maps its library's errors onto
the few errors here, so the delivery loop and the pacer decide the same way on every platform:
wait on ``RateLimited``, give up on a chat on ``ChatUnavailable``, stop editing a message on
``MessageGone``, and treat ``NotModified`` as success.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

# Callback data is "<action>:<job id>[:<image index>]": at most 6 + 1 + 10 + 2 bytes, far inside
# Telegram's 64-byte limit and Discord's 100-character custom ids, and it needs no server-side
# state beyond the job itself, so buttons survive restarts.
ACTION_CANCEL, ACTION_AGAIN, ACTION_PNG = "cancel", "again", "png"
# What a result's buttons make of one of its images (the index says which; 0 when there is one).
ACTION_VARIATIONS, ACTION_ENHANCE, ACTION_UPSCALE = "var", "enh", "up"
# "Generate with these settings" under /info: the id names the settings kept for the press.
ACTION_SETTINGS = "meta"
# ✏️ Edit & re-run: a form prefilled with the job's settings, where the platform has forms (Discord's
# modals); the adapter handles it, the router never sees it.
ACTION_EDIT = "edit"
# /history: "hist:<user id>:<page>" turns to a page of that person's history (the id is a user's,
# not a job's; pages are one digit); "show:<job id>" posts one of its results again.
ACTION_HISTORY, ACTION_SHOW = "hist", "show"
ACTIONS = (ACTION_CANCEL, ACTION_AGAIN, ACTION_PNG, ACTION_VARIATIONS, ACTION_ENHANCE, ACTION_UPSCALE,
           ACTION_SETTINGS, ACTION_EDIT, ACTION_HISTORY, ACTION_SHOW)
# Results hold at most this many images (NovelAI's n_samples limit), so an index is one digit.
MAX_BUTTON_INDEX = 9


@dataclass(frozen=True)
class Button:
    label: str
    action: str
    job_id: str
    index: int | None = None

    @property
    def data(self) -> str:
        return f"{self.action}:{self.job_id}" + ("" if self.index is None else f":{self.index}")


@dataclass(frozen=True)
class ButtonPress:
    """A pressed button's data, read back: the action, the job (or kept settings) and the image."""

    action: str
    job_id: str
    index: int | None = None


def parse_button_data(data: str) -> ButtonPress | None:
    """The press a button's data stands for; None for data no button of ours carries (a custom
    client can send anything: nothing here trusts it beyond its shape)."""
    action, _, rest = data.partition(":")
    job_id, _, index = rest.partition(":")
    if action not in ACTIONS or not job_id.isalnum() or not job_id.isascii() or len(job_id) > 32:
        return None
    if not index:
        return ButtonPress(action, job_id)
    if len(index) != 1 or not index.isdigit():
        return None
    return ButtonPress(action, job_id, int(index))


# Downloads an image of at most ``limit`` bytes (the adapter bounds the time); ChatImageError if
# the platform will not give it or it is larger.
ImageFetch = Callable[[int], Awaitable[bytes]]


class ChatImageError(Exception):
    """An image a person pointed at could not be fetched: ``reason`` is "too_big" or "unavailable"."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class ChatImage:
    """An image a command came with: attached to it, in the message it replies to, or in its album.

    The adapter describes it and says how to fetch it; the command layer decides whether it needs
    it and fetches it only then, bounded. ``job_id``/``index`` name a result of this bot (read from
    storage, no download, metadata intact). ``compressed``: the platform re-encoded it (a Telegram
    photo), so NovelAI's metadata is gone from it."""

    name: str
    fetch: ImageFetch
    size: int | None = None
    job_id: str | None = None
    index: int = 0
    compressed: bool = False


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
                            reply_to: str | None = None, summary: str | None = None) -> list[str]:
        """One picture (with buttons, if the platform allows) or an album of several; ``summary``
        describes them all, for platforms that caption a whole message rather than each picture.
        Returns the id of the message showing each picture, in order (one message may show several)."""
        ...

    async def send_files(self, chat: ChatRef, pictures: list[Picture], reply_to: str | None = None) -> None:
        """The original files as documents (metadata intact)."""
        ...

    async def send_private(self, user_id: str, text: str) -> str:
        """A message only this person sees, in their private chat with the bot (Telegram) or a DM
        (Discord); ChatUnavailable if they cannot be reached privately."""
        ...

    @property
    def has_forms(self) -> bool:
        """Whether a button can open a form (Discord's modals): results then get ✏️ Edit & re-run."""
        ...

    def pictures_cost(self, count: int) -> int:
        """What sending ``count`` pictures costs against the chat's rate limit (Telegram counts an
        album as one message per picture; Discord one message per ten attachments)."""
        ...
