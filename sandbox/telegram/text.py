"""Message text as Telegram treats it: HTML ``parse_mode`` parsed into plain text plus entities (with the
same refusals Telegram gives for markup it cannot parse, e.g. an unescaped "<" in a user's prompt), the
length limits, and the entities Telegram adds to what users type (bot commands, mentions)."""

from __future__ import annotations

import html
import re
from typing import Any

from sandbox.telegram.state import ApiError, bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024

_TAG_ENTITIES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "tg-spoiler": "spoiler",
    "code": "code", "pre": "pre", "blockquote": "blockquote", "a": "text_link", "span": "spoiler",
    "tg-emoji": "custom_emoji",
}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)\s*>")
_ATTRIBUTE = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+)))?")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}")


def utf16_len(text: str) -> int:
    """Entity offsets and lengths count UTF-16 code units, as in the Bot API."""
    return len(text.encode("utf-16-le")) // 2


def format_text(text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None, *,
                caption: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """The text a user sees and its entities, or the Bad Request Telegram would answer."""
    if parse_mode is not None and parse_mode.lower() == "html":
        text, entities = parse_html(text)
    if caption and len(text) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    if not caption and not text.strip():
        raise bad_request("message text is empty")
    if not caption and len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    return text, list(entities or [])


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's HTML subset. Every "<" must open or close a supported tag; "&" outside a known
    entity is kept literally, as Telegram does."""
    parts: list[str] = []
    entities: list[dict[str, Any]] = []
    open_tags: list[tuple[str, int, dict[str, Any]]] = []
    position = 0
    while position < len(source):
        char = source[position]
        if char == "<":
            position = _tag(source, position, parts, entities, open_tags)
        elif char == "&" and (entity := _ENTITY.match(source, position)):
            parts.append(html.unescape(entity.group(0)))
            position = entity.end()
        else:
            parts.append(char)
            position += 1
    if open_tags:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{open_tags[-1][0]}"')
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return "".join(parts), entities


def _tag(source: str, position: int, parts: list[str], entities: list[dict[str, Any]],
         open_tags: list[tuple[str, int, dict[str, Any]]]) -> int:
    """Handle the tag at ``position`` and return where parsing continues."""
    offset = len(source[:position].encode())
    match = _TAG.match(source, position)
    if match is None:
        raise _parse_error(f"Unclosed start tag at byte offset {offset}")
    closing, name = match.group(1) == "/", match.group(2).lower()
    if name not in _TAG_ENTITIES:
        kind = "end" if closing else "start"
        raise _parse_error(f'Unsupported {kind} tag "{name}" at byte offset {offset}')
    here = utf16_len("".join(parts))
    if not closing:
        open_tags.append((name, here, _entity_extras(name, match.group(3))))
        return match.end()
    if not open_tags or open_tags[-1][0] != name:
        raise _parse_error(f"Unmatched end tag at byte offset {offset}, expected \"</{open_tags[-1][0]}>\", "
                           f"found \"</{name}>\"" if open_tags else f"Unexpected end tag at byte offset {offset}")
    _, start, extras = open_tags.pop()
    if here > start:
        entities.append({"type": _TAG_ENTITIES[name], "offset": start, "length": here - start, **extras})
    return match.end()


def _entity_extras(name: str, attributes: str) -> dict[str, Any]:
    values = {key.lower(): next((v for v in rest if v), "") for key, *rest in _ATTRIBUTE.findall(attributes)}
    if name == "a":
        return {"url": values.get("href", "")}
    if name == "tg-emoji":
        return {"custom_emoji_id": values.get("emoji-id", "")}
    return {}


def _parse_error(reason: str) -> ApiError:
    return bad_request(f"can't parse entities: {reason}")


def typed_entities(text: str) -> list[dict[str, Any]]:
    """What Telegram marks in a user's text: a leading bot command and @mentions."""
    entities: list[dict[str, Any]] = []
    command = _COMMAND.match(text)
    if command is not None:
        entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command.group(0))})
    for mention in _MENTION.finditer(text):
        entities.append({"type": "mention", "offset": utf16_len(text[:mention.start()]),
                         "length": utf16_len(mention.group(0))})
    return entities


def addressed_to(text: str) -> str | None:
    """The bot a leading command names ("/start@other_bot" → "other_bot"), None for a bare command."""
    command = _COMMAND.match(text)
    if command is None or "@" not in command.group(0):
        return None
    return command.group(0).split("@", 1)[1]


def mentions(text: str, bot_username: str) -> bool:
    return any(mention.group(0)[1:].lower() == bot_username.lower() for mention in _MENTION.finditer(text))
