"""NovelAI's tag suggestions: the answer of ``GET /ai/generate-image/suggest-tags`` read defensively, and
the prompt syntax around the tag someone is typing.

Why here: the answer's shape and the weight syntax (``1.2::tag::``, ``{tag}``, ``[tag]``) are NovelAI's,
and every front end (chat, Discord autocomplete, the HTTP API) needs both; ``novelai/`` is the floor they
may all import. What NovelAI sends is untrusted: bounded in number, length and type before anyone shows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# At most this many suggestions are kept from one answer (the website shows about ten).
MAX_SUGGESTIONS = 25
# A Danbooru tag is rarely past 60 characters; anything longer is not shown.
MAX_TAG_CHARS = 80
# The longest partial tag sent to NovelAI (and used in a cache key).
MAX_PREFIX_CHARS = 48
# Counts above this are shown as this (NovelAI caps its own at 10,000 per docs/novelai-2026.md §4.8).
MAX_COUNT = 10**9

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
# What may stand before the tag: a weight opening (`1.2::`, `-0.5::`, `::`) then brackets, in any order NovelAI
# reads them; and after it, closing brackets and a weight end (`::`).
_OPENING = re.compile(r"^(\s*)((?:-?\d*\.?\d+::|::)?[{\[(]*)")
_CLOSING = re.compile(r"([}\])]*(?:::)?)\s*$")
_BRACKET_PAIRS = {"{": "}", "[": "]", "(": ")"}


@dataclass(frozen=True)
class TagSuggestion:
    """One suggestion: the tag, how many pictures carry it, and NovelAI's confidence (0..1)."""

    tag: str
    count: int
    confidence: float = 0.0


def parse_suggestions(body: Any) -> list[TagSuggestion]:
    """The valid suggestions of an answer, at most ``MAX_SUGGESTIONS``; anything malformed is dropped.

    Raises ValueError only when the answer is not the documented object at all (no ``tags`` list)."""
    if not isinstance(body, dict) or not isinstance(body.get("tags"), list):
        raise ValueError("the suggest-tags answer has no 'tags' list")
    found: list[TagSuggestion] = []
    seen: set[str] = set()
    for item in body["tags"]:
        suggestion = _suggestion(item)
        if suggestion is None or suggestion.tag in seen:
            continue
        seen.add(suggestion.tag)
        found.append(suggestion)
        if len(found) == MAX_SUGGESTIONS:
            break
    return found


def _suggestion(item: Any) -> TagSuggestion | None:
    if not isinstance(item, dict):
        return None
    tag, count, confidence = item.get("tag"), item.get("count", 0), item.get("confidence", 0.0)
    if not isinstance(tag, str) or isinstance(count, bool) or not isinstance(count, int):
        return None
    tag = tag.strip()
    if not tag or len(tag) > MAX_TAG_CHARS or _CONTROL.search(tag) or "," in tag:
        return None
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or confidence != confidence:
        confidence = 0.0
    return TagSuggestion(tag, min(max(count, 0), MAX_COUNT), min(max(float(confidence), 0.0), 1.0))


def normalise_prefix(partial: str) -> str:
    """The form a partial tag is looked up and cached under: lower case, underscores as spaces (Danbooru
    spells ``long_hair``, NovelAI ``long hair``), single spaces, bounded."""
    text = " ".join(partial.replace("_", " ").lower().split())
    return text[:MAX_PREFIX_CHARS]


@dataclass(frozen=True)
class TypedTag:
    """A prompt cut around the tag being typed (the text after its last comma).

    ``head`` is everything before that tag's syntax (earlier tags, the comma and the spaces after it),
    ``opening`` the weight syntax typed before it (``1.2::``, ``{{``, ``[``), ``partial`` the bare
    partial tag, ``closing`` what was typed after it (``}}``, ``::``).
    """

    head: str
    opening: str
    partial: str
    closing: str

    @property
    def prefix(self) -> str:
        return normalise_prefix(self.partial)

    def complete(self, tag: str) -> str:
        """The whole prompt with ``tag`` in place of the partial one, wrapped in the same syntax.

        Open brackets are closed in mirror order and a numeric weight gets its ending ``::``, so
        ``1.2::{blue e`` becomes ``1.2::{blue eyes}::``; what was typed after the tag already is replaced."""
        return f"{self.head}{self.opening}{tag}{self.closer()}"

    def closer(self) -> str:
        brackets = "".join(_BRACKET_PAIRS[c] for c in reversed(self.opening) if c in _BRACKET_PAIRS)
        weighted = self.opening.rstrip("{[(").endswith("::") and self.opening.lstrip(" ").rstrip("{[(") != "::"
        return brackets + ("::" if weighted else "")


def typed_tag(prompt: str) -> TypedTag:
    """Cut ``prompt`` around its last tag (see TypedTag)."""
    cut = prompt.rfind(",") + 1
    head, segment = prompt[:cut], prompt[cut:]
    opening = _OPENING.match(segment)
    assert opening is not None  # every part of the pattern is optional
    spaces, syntax = opening.group(1), opening.group(2)
    rest = segment[opening.end():]
    closing = _CLOSING.search(rest)
    assert closing is not None
    return TypedTag(head + spaces, syntax, rest[:closing.start()].strip(), closing.group(1))


def count_label(count: int) -> str:
    """``12.3k``, ``1.2M``: how often a tag is used, short enough for a Discord choice name."""
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M"
    if count >= 1_000:
        return f"{count / 1_000:.1f}".rstrip("0").rstrip(".") + "k"
    return str(count)
