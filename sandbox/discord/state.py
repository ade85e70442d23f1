"""The Discord sandbox's records: users, limits, statistics, calls, messages, interactions and Discord's
error answers. Kept apart from the server so every helper module can share them without import cycles."""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Shaped like a real bot token: base64url(bot user id) "." timestamp part "." HMAC part.
DEFAULT_TOKEN = "MTIwMA.sandbox.discord-bot-token-aaaaaaaaaaaaaaaaaaaaaa"
API_PREFIX = "/api/v10"
DISCORD_EPOCH_MS = 1_420_070_400_000
# What Discord gives an unboosted guild; sent to bots as ``attachment_size_limit``.
DEFAULT_ATTACHMENT_LIMIT = 10 * 1024 * 1024

# Interaction types (what the user did) and callback types (how the bot answers).
APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9
# Message flags the sandbox acts on.
EPHEMERAL = 1 << 6
LOADING = 1 << 7


class ApiError(Exception):
    """A Discord error answer: ``{"message", "code"}`` (plus ``errors`` for form errors) with its status."""

    def __init__(self, status: int, message: str, code: int = 0, *, errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.errors = errors

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def unauthorized() -> ApiError:
    return ApiError(401, "401: Unauthorized", 0)


def not_found() -> ApiError:
    return ApiError(404, "404: Not Found", 0)


def unknown_channel() -> ApiError:
    return ApiError(404, "Unknown Channel", 10003)


def unknown_guild() -> ApiError:
    return ApiError(404, "Unknown Guild", 10004)


def unknown_member() -> ApiError:
    return ApiError(404, "Unknown Member", 10007)


def unknown_message() -> ApiError:
    return ApiError(404, "Unknown Message", 10008)


def unknown_webhook() -> ApiError:
    return ApiError(404, "Unknown Webhook", 10015)


def unknown_interaction() -> ApiError:
    return ApiError(404, "Unknown interaction", 10062)


def invalid_webhook_token() -> ApiError:
    return ApiError(401, "Invalid Webhook Token", 50027)


def missing_access() -> ApiError:
    return ApiError(403, "Missing Access", 50001)


def missing_permissions() -> ApiError:
    return ApiError(403, "Missing Permissions", 50013)


def cannot_message_user() -> ApiError:
    """A DM to a user who does not accept them (privacy settings, no shared server, blocked the bot)."""
    return ApiError(403, "Cannot send messages to this user", 50007)


def not_author() -> ApiError:
    return ApiError(403, "Cannot edit a message authored by another user", 50005)


def already_acknowledged() -> ApiError:
    return ApiError(400, "Interaction has already been acknowledged.", 40060)


def empty_message() -> ApiError:
    return ApiError(400, "Cannot send an empty message", 50006)


def too_large() -> ApiError:
    return ApiError(413, "Request entity too large", 40005)


def invalid_form(path: str, code: str, message: str) -> ApiError:
    """Discord's 50035 with its nested ``errors`` tree; ``path`` is dotted, e.g. ``embeds.0.description``."""
    tree: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for part in reversed(path.split(".")):
        tree = {part: tree}
    return ApiError(400, "Invalid Form Body", 50035, errors=tree)


@dataclass
class DiscordUser:
    """A human Discord account that uses the bot; ``locale`` is its client language (sent with interactions)."""

    id: int
    username: str
    global_name: str | None = None
    locale: str = "en-US"

    def to_api(self) -> dict[str, Any]:
        return {"id": str(self.id), "username": self.username, "global_name": self.global_name,
                "discriminator": "0", "avatar": None, "public_flags": 0, "flags": 0, "banner": None,
                "accent_color": None, "avatar_decoration_data": None, "primary_guild": None,
                "collectibles": None}


@dataclass
class RateLimits:
    """Discord's pacing as a bot meets it: per channel message creates and edits share one bucket, each
    interaction (webhook) token has its own, and bot-token calls have a global per-second cap. Buckets
    are fixed windows, as Discord's ``X-RateLimit-Reset`` describes; the windows are configurable so
    tests can see refusals within milliseconds."""

    channel_per_5s: int = 5
    webhook_per_2s: int = 5
    global_per_second: int = 50
    enabled: bool = True
    channel_window: float = 5.0
    webhook_window: float = 2.0
    # A fault, not a limit: seconds Discord takes to answer an interaction callback (a slow edge;
    # tests kill a bot while its first answer is on the wire).
    callback_latency: float = 0.0


@dataclass
class DiscordStats:
    """Counters over REST calls (``calls_by_route`` keyed by route template, e.g.
    ``PATCH /channels/{channel_id}/messages/{message_id}``) and gateway sessions."""

    calls_by_route: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0
    # Gateway sessions started (IDENTIFY) and resumed (RESUME).
    identifies: int = 0
    resumes: int = 0
    # Attachment downloads from the CDN, by attachment id (served bytes, not REST calls).
    downloads: Counter[str] = field(default_factory=Counter)

    def clear(self) -> None:
        """Empty in place, so references held by tests stay live."""
        self.calls_by_route.clear()
        self.downloads.clear()
        self.rate_limited = self.identifies = self.resumes = 0

    def to_json(self) -> dict[str, Any]:
        return {"calls_by_route": dict(self.calls_by_route), "rate_limited": self.rate_limited,
                "identifies": self.identifies, "resumes": self.resumes}


@dataclass(frozen=True)
class Call:
    """One REST call as the bot made it. ``json`` is the JSON body or the multipart ``payload_json``;
    uploads appear in ``files`` as ``{"field", "filename", "size"}``."""

    method: str
    path: str
    route: str
    query: dict[str, str]
    json: Any
    files: list[dict[str, Any]]
    status: int
    time: float
    code: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "route": self.route, "query": self.query,
                "json": self.json, "files": self.files, "status": self.status, "time": self.time,
                "code": self.code}


@dataclass
class StoredMessage:
    """A message in its current state. ``attachments`` are Discord attachment objects (with a download
    URL served by the sandbox); ``ephemeral_for`` is the only user who can see an ephemeral message."""

    id: int
    channel_id: int
    author_id: int
    content: str
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    ephemeral_for: int | None = None
    interaction_id: str | None = None
    reference_id: int | None = None
    edits: int = 0
    deleted: bool = False
    guild_id: int | None = None
    type: int = 0
    webhook_id: int | None = None
    created_at: float = field(default_factory=time.time)
    edited_at: float | None = None
    # The ``allowed_mentions`` of the last create or edit (None: not sent, so Discord parses every mention).
    allowed_mentions: dict[str, Any] | None = None

    @property
    def ephemeral(self) -> bool:
        return self.ephemeral_for is not None

    def pings(self) -> dict[str, Any]:
        """Whom Discord would notify for this content: mentions in the text, filtered by
        ``allowed_mentions`` the way Discord does (absent: all parsed; present: only the ``parse``
        kinds and the ids listed)."""
        allowed = self.allowed_mentions
        parse = {"everyone", "users", "roles"} if allowed is None else set(allowed.get("parse") or [])
        listed_users = {str(u) for u in (allowed or {}).get("users") or []}
        listed_roles = {str(r) for r in (allowed or {}).get("roles") or []}
        users = {u for u in _USER.findall(self.content) if "users" in parse or u in listed_users}
        roles = {r for r in _ROLE.findall(self.content) if "roles" in parse or r in listed_roles}
        return {"everyone": "everyone" in parse and _EVERYONE.search(self.content) is not None,
                "users": sorted(users), "roles": sorted(roles)}

    def custom_ids(self) -> list[str]:
        """Every component custom id in the message, however deeply nested."""
        found: list[str] = []
        pending = list(self.components)
        while pending:
            component = pending.pop(0)
            if "custom_id" in component:
                found.append(str(component["custom_id"]))
            pending.extend(component.get("components", []))
            if isinstance(component.get("accessory"), dict):
                pending.append(component["accessory"])
        return found

    def to_json(self) -> dict[str, Any]:
        """The control API's view: current content plus the sandbox-only bookkeeping."""
        return {"id": str(self.id), "channel_id": str(self.channel_id), "author_id": str(self.author_id),
                "content": self.content, "embeds": self.embeds, "components": self.components,
                "attachments": self.attachments, "flags": self.flags,
                "ephemeral_for": None if self.ephemeral_for is None else str(self.ephemeral_for),
                "interaction_id": self.interaction_id,
                "reference_id": None if self.reference_id is None else str(self.reference_id),
                "edits": self.edits, "deleted": self.deleted, "type": self.type,
                "allowed_mentions": self.allowed_mentions, "pings": self.pings()}


_EVERYONE = re.compile(r"@(everyone|here)\b")
_USER = re.compile(r"<@!?(\d+)>")
_ROLE = re.compile(r"<@&(\d+)>")


@dataclass
class StoredInteraction:
    """An interaction a user started and what the bot did with it. ``created`` is on the monotonic clock
    (token lifetime and the 3 s answer deadline count from it)."""

    id: str
    type: int
    token: str
    guild_id: int
    channel_id: int
    user: DiscordUser
    created: float
    payload: dict[str, Any]
    message_id: int | None = None
    callback_type: int | None = None
    response_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    autocomplete_choices: list[dict[str, Any]] | None = None
    modal: dict[str, Any] | None = None
    expired: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "guild_id": str(self.guild_id),
                "channel_id": str(self.channel_id), "user_id": str(self.user.id),
                "message_id": None if self.message_id is None else str(self.message_id),
                "callback_type": self.callback_type,
                "response_message_id": None if self.response_message_id is None else str(self.response_message_id),
                "followup_ids": [str(i) for i in self.followup_ids],
                "autocomplete_choices": self.autocomplete_choices, "modal": self.modal, "expired": self.expired}


class Snowflakes:
    """Ids shaped like Discord's (creation time in the top bits), strictly increasing."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last = max(self._last + 1, candidate)
        return self._last


def iso(timestamp: float) -> str:
    """Discord's timestamp format (ISO 8601 with microseconds and offset)."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat()
