"""Making and editing messages from what a bot sends (JSON or multipart ``payload_json`` + ``files[n]``),
with the checks where Discord refuses a bot's message: empty messages, over-long content and embeds,
too many components or files, oversized uploads. Shared by channel routes, interaction callbacks and
the interaction webhook, so every path stores messages the same way."""

from __future__ import annotations

import io
import mimetypes
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

from sandbox.discord.state import (
    EPHEMERAL,
    LOADING,
    StoredMessage,
    empty_message,
    invalid_form,
    too_large,
)
from sandbox.discord.world import StoredFile, World

CONTENT_LIMIT = 2000
MAX_EMBEDS = 10
EMBED_TOTAL_LIMIT = 6000
MAX_ATTACHMENTS = 10
MAX_ACTION_ROWS = 5
MAX_ROW_ITEMS = 5
CUSTOM_ID_LIMIT = 100
# A string select menu (component type 3): alone in its action row, 1-25 options, each label and
# value 1-100 characters (description at most 100), a placeholder of at most 150, and
# 0 <= min_values <= max_values <= 25 (max_values at least 1, at most the number of options).
STRING_SELECT = 3
MAX_SELECT_OPTIONS = 25
SELECT_TEXT_LIMIT = 100
PLACEHOLDER_LIMIT = 150
# Flags a bot may set when sending: suppress embeds, suppress notifications, components v2, ephemeral
# (the last only in interaction answers).
CHANNEL_FLAGS = (1 << 2) | (1 << 12) | (1 << 15)
INTERACTION_FLAGS = CHANNEL_FLAGS | EPHEMERAL
_EMBED_FIELD_LIMITS = (("title", 256), ("description", 4096))
_LINK_BUTTON_STYLES = frozenset({5, 6})


@dataclass(frozen=True)
class Upload:
    """One ``files[n]`` part of a multipart body."""

    index: int
    filename: str
    data: bytes

    def summary(self) -> dict[str, Any]:
        return {"field": f"files[{self.index}]", "filename": self.filename, "size": len(self.data)}


class Composer:
    """Turns message payloads into stored messages. ``base_url`` and ``size_limit`` are read on each use,
    because the sandbox learns its URL only when it starts and tests may change the limit."""

    def __init__(self, world: World, base_url: Callable[[], str], size_limit: Callable[[], int]) -> None:
        self._world = world
        self._base_url = base_url
        self._size_limit = size_limit

    def create(self, *, channel_id: int, guild_id: int | None, author_id: int, payload: dict[str, Any],
               uploads: list[Upload], allowed_flags: int = CHANNEL_FLAGS, ephemeral_for: int | None = None,
               interaction_id: str | None = None, webhook_id: int | None = None,
               message_type: int = 0) -> StoredMessage:
        check_payload(payload)
        attachments = self._new_attachments(payload.get("attachments"), uploads, ephemeral=ephemeral_for is not None)
        flags = int(payload.get("flags") or 0) & allowed_flags
        message = StoredMessage(
            id=self._world.snowflakes.next(), channel_id=channel_id, author_id=author_id,
            content=str(payload.get("content") or ""), embeds=list(payload.get("embeds") or []),
            components=list(payload.get("components") or []), attachments=attachments,
            flags=flags | (EPHEMERAL if ephemeral_for is not None else 0), ephemeral_for=ephemeral_for,
            interaction_id=interaction_id, guild_id=guild_id, type=message_type, webhook_id=webhook_id,
            allowed_mentions=_allowed_mentions(payload))
        _require_something(message)
        return self._world.add_message(message)

    def loading(self, *, channel_id: int, guild_id: int, author_id: int, ephemeral_for: int | None,
                interaction_id: str, message_type: int) -> StoredMessage:
        """The "Bot is thinking…" placeholder a deferred interaction answer shows until it is edited."""
        message = StoredMessage(
            id=self._world.snowflakes.next(), channel_id=channel_id, author_id=author_id, content="",
            flags=LOADING | (EPHEMERAL if ephemeral_for is not None else 0), ephemeral_for=ephemeral_for,
            interaction_id=interaction_id, guild_id=guild_id, type=message_type,
            webhook_id=self._world.application_id)
        return self._world.add_message(message)

    def edit(self, message: StoredMessage, payload: dict[str, Any], uploads: list[Upload]) -> StoredMessage:
        """Apply an edit in place. Fields left out stay; ``attachments`` (when given) lists the ones to
        keep by id plus new ones by file index; files not declared there are added."""
        check_payload(payload)
        attachments = self._edited_attachments(message, payload, uploads)
        if "content" in payload:
            message.content = str(payload["content"] or "")
        if "embeds" in payload:
            message.embeds = list(payload["embeds"] or [])
        if "components" in payload:
            message.components = list(payload["components"] or [])
        if "flags" in payload and payload["flags"] is not None:
            keep = message.flags & (EPHEMERAL | (1 << 15))
            message.flags = keep | (int(payload["flags"]) & CHANNEL_FLAGS)
        message.attachments = attachments
        if "allowed_mentions" in payload:
            message.allowed_mentions = _allowed_mentions(payload)
        message.flags &= ~LOADING
        _require_something(message)
        message.edits += 1
        message.edited_at = time.time()
        return message

    def _new_attachments(self, declared: Any, uploads: list[Upload], *, ephemeral: bool) -> list[dict[str, Any]]:
        declarations = {str(item.get("id")): item for item in declared or [] if isinstance(item, dict)}
        return [self.attachment(upload, declarations.get(str(upload.index)), ephemeral=ephemeral)
                for upload in uploads]

    def _edited_attachments(self, message: StoredMessage, payload: dict[str, Any],
                            uploads: list[Upload]) -> list[dict[str, Any]]:
        ephemeral = message.ephemeral
        if "attachments" not in payload:
            return [*message.attachments, *self._new_attachments(None, uploads, ephemeral=ephemeral)]
        existing = {item["id"]: item for item in message.attachments}
        by_index = {str(upload.index): upload for upload in uploads}
        kept: list[dict[str, Any]] = []
        used: set[str] = set()
        for position, item in enumerate(payload["attachments"] or []):
            key = str(item.get("id")) if isinstance(item, dict) else ""
            if key in existing:
                kept.append(existing[key])
            elif key in by_index:
                kept.append(self.attachment(by_index[key], item, ephemeral=ephemeral))
                used.add(key)
            else:
                raise invalid_form(f"attachments.{position}.id", "ATTACHMENT_NOT_FOUND", "Unknown attachment")
        kept += [self.attachment(upload, ephemeral=ephemeral) for upload in uploads if str(upload.index) not in used]
        if len(kept) > MAX_ATTACHMENTS:
            raise invalid_form("attachments", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_ATTACHMENTS} or fewer in length.")
        return kept

    def attachment(self, upload: Upload, declaration: dict[str, Any] | None = None, *,
                   ephemeral: bool) -> dict[str, Any]:
        """Store an upload's bytes and return its attachment object (metadata from its declaration)."""
        if len(upload.data) > self._size_limit():
            raise too_large()
        declaration = declaration or {}
        filename = str(declaration.get("filename") or upload.filename or f"file{upload.index}")
        attachment_id = self._world.snowflakes.next()
        self._world.files[attachment_id] = StoredFile(filename, upload.data)
        url = f"{self._base_url()}/attachments/{attachment_id}/{filename}"
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        attachment: dict[str, Any] = {"id": str(attachment_id), "filename": filename, "size": len(upload.data),
                                      "url": url, "proxy_url": url, "content_type": content_type}
        attachment.update(_image_size(upload.data) if content_type.startswith("image/") else {})
        if declaration.get("description"):
            attachment["description"] = str(declaration["description"])
        if ephemeral:
            attachment["ephemeral"] = True
        return attachment


def check_payload(payload: dict[str, Any]) -> None:
    """Discord's form checks for the message fields a bot sets."""
    content = payload.get("content")
    if content is not None and len(str(content)) > CONTENT_LIMIT:
        raise invalid_form("content", "BASE_TYPE_MAX_LENGTH", f"Must be {CONTENT_LIMIT} or fewer in length.")
    _check_embeds(payload.get("embeds") or [])
    _check_components(payload.get("components") or [], int(payload.get("flags") or 0))
    if len(payload.get("attachments") or []) > MAX_ATTACHMENTS:
        raise invalid_form("attachments", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_ATTACHMENTS} or fewer in length.")


def _check_embeds(embeds: list[Any]) -> None:
    if len(embeds) > MAX_EMBEDS:
        raise invalid_form("embeds", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_EMBEDS} or fewer in length.")
    total = 0
    for index, embed in enumerate(embeds):
        if not isinstance(embed, dict):
            raise invalid_form(f"embeds.{index}", "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
        for name, limit in _EMBED_FIELD_LIMITS:
            text = str(embed.get(name) or "")
            if len(text) > limit:
                raise invalid_form(f"embeds.{index}.{name}", "BASE_TYPE_MAX_LENGTH",
                                   f"Must be {limit} or fewer in length.")
            total += len(text)
        for field in embed.get("fields") or []:
            total += len(str(field.get("name") or "")) + len(str(field.get("value") or ""))
        total += len(str((embed.get("footer") or {}).get("text") or ""))
        total += len(str((embed.get("author") or {}).get("name") or ""))
    if total > EMBED_TOTAL_LIMIT:
        raise invalid_form("embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")


def _check_components(rows: list[Any], flags: int) -> None:
    if flags & (1 << 15):
        return  # components v2 layouts have their own, much richer rules; not checked here
    if len(rows) > MAX_ACTION_ROWS:
        raise invalid_form("components", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_ACTION_ROWS} or fewer in length.")
    seen: set[str] = set()
    for row_index, row in enumerate(rows):
        items = (row.get("components") or []) if isinstance(row, dict) else []
        if len(items) > MAX_ROW_ITEMS:
            raise invalid_form(f"components.{row_index}.components", "BASE_TYPE_MAX_LENGTH",
                               f"Must be {MAX_ROW_ITEMS} or fewer in length.")
        if any(isinstance(item, dict) and item.get("type") == STRING_SELECT for item in items):
            _check_select(items, f"components.{row_index}.components")
        for item_index, item in enumerate(items):
            path = f"components.{row_index}.components.{item_index}.custom_id"
            custom_id = item.get("custom_id")
            if custom_id is None:
                if item.get("type") == 2 and item.get("style") not in _LINK_BUTTON_STYLES:
                    raise invalid_form(path, "BASE_TYPE_REQUIRED", "This field is required")
                continue
            if len(str(custom_id)) > CUSTOM_ID_LIMIT:
                raise invalid_form(path, "BASE_TYPE_MAX_LENGTH", f"Must be {CUSTOM_ID_LIMIT} or fewer in length.")
            if custom_id in seen:
                raise invalid_form(path, "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
            seen.add(str(custom_id))


def _check_select(items: list[Any], path: str) -> None:
    """Discord's form checks for a string select menu and the row it sits in."""
    if len(items) != 1:
        raise invalid_form(path, "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                           "The specified component exceeds the maximum width")
    menu = items[0]
    options = menu.get("options")
    if not isinstance(options, list) or not 1 <= len(options) <= MAX_SELECT_OPTIONS:
        raise invalid_form(f"{path}.0.options", "BASE_TYPE_BAD_LENGTH",
                           f"Must be between 1 and {MAX_SELECT_OPTIONS} in length.")
    for index, option in enumerate(options):
        for name in ("label", "value"):
            if not 1 <= len(str(option.get(name) or "")) <= SELECT_TEXT_LIMIT:
                raise invalid_form(f"{path}.0.options.{index}.{name}", "BASE_TYPE_BAD_LENGTH",
                                   f"Must be between 1 and {SELECT_TEXT_LIMIT} in length.")
        if len(str(option.get("description") or "")) > SELECT_TEXT_LIMIT:
            raise invalid_form(f"{path}.0.options.{index}.description", "BASE_TYPE_MAX_LENGTH",
                               f"Must be {SELECT_TEXT_LIMIT} or fewer in length.")
    if len({str(option.get("value")) for option in options}) != len(options):
        raise invalid_form(f"{path}.0.options", "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED",
                           "Select component option values must be unique")
    if len(str(menu.get("placeholder") or "")) > PLACEHOLDER_LIMIT:
        raise invalid_form(f"{path}.0.placeholder", "BASE_TYPE_MAX_LENGTH",
                           f"Must be {PLACEHOLDER_LIMIT} or fewer in length.")
    low, high = int(menu.get("min_values", 1)), int(menu.get("max_values", 1))
    if not 0 <= low <= high or not 1 <= high <= min(MAX_SELECT_OPTIONS, len(options)):
        raise invalid_form(f"{path}.0.max_values", "BASE_TYPE_BAD_INT",
                           "min_values and max_values must fit the number of options")


def _allowed_mentions(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The request's ``allowed_mentions`` as sent (kept so tests can see what the message may ping)."""
    allowed = payload.get("allowed_mentions")
    return dict(allowed) if isinstance(allowed, dict) else None


def _require_something(message: StoredMessage) -> None:
    if not (message.content or message.embeds or message.attachments or message.components):
        raise empty_message()


def _image_size(data: bytes) -> dict[str, int]:
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError):
        return {}
    return {"width": width, "height": height}

