"""Wildcards: ``__name__`` in a prompt becomes one entry of the list ``name``, picked from the job's seed.

Why from the seed: a result must be reproducible from what its caption shows. The pick for each
``__name__`` is drawn by a ``random.Random`` seeded with the job's seed and the place of that
``__name__`` (its index in the prompt, and for an entry's own ``__x__`` the path down to it), so
the same prompt with the same seed always makes the same prompt for NovelAI, and two ``__hair__``
in one prompt may pick differently. The job keeps the expanded prompt (the caption shows it), so
🔁 Again of a result repeats what was picked.

Bounded on every side, so no list can make the bot work hard or send NovelAI an overlong prompt:
at most ``MAX_ENTRIES`` entries of ``MAX_ENTRY_CHARS`` each per list; entries may name other lists
down to ``MAX_DEPTH`` levels (a deeper or self-referring chain is refused with
``wildcard.too_deep``, never left half-expanded); the result may not pass ``MAX_PROMPT_CHARS``
(checked as it grows, ``wildcard.too_long``). An unknown name is refused with
``wildcard.unknown``, naming it. The prompt and each character's prompt are expanded (a
character's picks have places of their own, ``c<i>.``), never a negative: ``__`` there stays as typed.

Personal lists shadow the group's of the same name (``bot.chat.prompt_library``).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping, Sequence

import redis.asyncio as aioredis

from bot.chat.generate_options import OptionError, shorten
from bot.chat.prompt_library import NAME_PATTERN, OwnedNames, Owner, check_name
from bot.keys import BotKeys
from novelai.request import MAX_PROMPT_CHARS, CharacterPrompt

MAX_ENTRIES = 100
MAX_ENTRY_CHARS = 200
# How many levels of lists an entry may name in turn: prompt -> list -> list -> list.
MAX_DEPTH = 3
# ``|`` separates entries when they are typed (``/wildcard add hair red hair | blue hair``).
SEPARATOR = "|"
# ``__name__``, any case (kept lower case). The name's own pattern reads each character one way.
TOKEN = re.compile(rf"__({NAME_PATTERN})__", re.IGNORECASE)


def has_wildcards(prompt: str) -> bool:
    return TOKEN.search(prompt) is not None


UNKNOWN = "wildcard.unknown"


def pick(entries: Sequence[str], seed: int, place: str) -> str:
    """The entry the seed picks at this place (``place``: the path of the ``__name__`` in the prompt)."""
    return entries[random.Random(f"{seed}/{place}").randrange(len(entries))]


def expand(prompt: str, lists: Mapping[str, Sequence[str]], seed: int, *, max_depth: int = MAX_DEPTH,
           max_chars: int = MAX_PROMPT_CHARS, place: str = "") -> str:
    """``prompt`` with every ``__name__`` replaced by an entry of ``lists[name]`` picked from ``seed``.

    ``OptionError(UNKNOWN, name=...)`` for a name ``lists`` lacks; ``OptionError`` when the chain of lists goes
    deeper than ``max_depth`` or the result passes ``max_chars``. ``place`` prefixes every pick's place
    (a character's prompt picks apart from the main prompt). Pure and deterministic."""
    return _expand(prompt, lists, seed, 0, place, max_depth, max_chars)


def _expand(text: str, lists: Mapping[str, Sequence[str]], seed: int, depth: int, path: str, max_depth: int,
            max_chars: int) -> str:
    parts: list[str] = []
    length, last = 0, 0
    for index, match in enumerate(TOKEN.finditer(text)):
        name = match[1].lower()
        entries = lists.get(name)
        if not entries:
            raise OptionError(UNKNOWN, name=name)
        if depth >= max_depth:
            raise OptionError("wildcard.too_deep", name=name, limit=max_depth)
        place = f"{path}{index}"
        chosen = _expand(pick(entries, seed, place), lists, seed, depth + 1, place + ".", max_depth, max_chars)
        parts += [text[last:match.start()], chosen]
        length += match.start() - last + len(chosen)
        last = match.end()
        if length > max_chars:
            raise OptionError("wildcard.too_long", limit=max_chars)
    parts.append(text[last:])
    result = "".join(parts)
    if len(result) > max_chars:
        raise OptionError("wildcard.too_long", limit=max_chars)
    return result


def parse_entries(text: str) -> list[str]:
    """``red hair | blue hair`` as entries: each stripped, empty ones dropped, duplicates once; every
    bound checked before anything is kept."""
    if len(text) > MAX_ENTRIES * (MAX_ENTRY_CHARS + 3):
        raise OptionError("wildcard.too_many_entries", limit=MAX_ENTRIES)
    entries: list[str] = []
    for part in text.split(SEPARATOR):
        entry = " ".join(part.split())
        if len(entry) > MAX_ENTRY_CHARS:
            raise OptionError("wildcard.entry_too_long", entry=shorten(entry, 40), limit=MAX_ENTRY_CHARS)
        if entry and entry not in entries:
            entries.append(entry)
    if not entries:
        raise OptionError("wildcard.no_entries")
    if len(entries) > MAX_ENTRIES:
        raise OptionError("wildcard.too_many_entries", limit=MAX_ENTRIES)
    return entries


def _decode(raw: str) -> list[str]:
    try:
        value = json.loads(raw)
    except ValueError:
        return []
    return [str(entry) for entry in value][:MAX_ENTRIES] if isinstance(value, list) else []


class Wildcards:
    """People's and groups' lists in Redis (``BotKeys.wildcards``), and prompt expansion with them."""

    def __init__(self, redis: aioredis.Redis, keys: BotKeys) -> None:
        self.names = OwnedNames(redis, keys.wildcards)

    async def add(self, owner: Owner, name: str, text: str, *, replace: bool = False) -> list[str]:
        """Add entries to a list (or, with ``replace``, make it exactly these); the list as kept."""
        name = check_name(name)
        new = parse_entries(text)
        old = [] if replace else await self.entries(owner, name)
        entries = old + [entry for entry in new if entry not in old]
        if len(entries) > MAX_ENTRIES:
            raise OptionError("wildcard.too_many_entries", limit=MAX_ENTRIES)
        await self.names.put(owner, name, json.dumps(entries, ensure_ascii=False))
        return entries

    async def expand_request(self, prompt: str, characters: Sequence[CharacterPrompt], seed: int, user_key: str,
                             group: str | None) -> tuple[str, tuple[CharacterPrompt, ...]]:
        """The prompt and the characters' prompts expanded (character i's picks at places ``c<i>.``)."""
        expanded = [c.model_copy(update={"prompt": await self.expand(c.prompt, seed, user_key, group, place=f"c{i}.")})
                    if has_wildcards(c.prompt) else c for i, c in enumerate(characters)]
        return await self.expand(prompt, seed, user_key, group), tuple(expanded)

    async def entries(self, owner: Owner, name: str) -> list[str]:
        raw = await self.names.get(owner, name)
        return _decode(raw) if raw is not None else []

    async def all(self, owner: Owner) -> dict[str, list[str]]:
        return {name: _decode(raw) for name, raw in (await self.names.all(owner)).items()}

    async def delete(self, owner: Owner, name: str) -> bool:
        return await self.names.delete(owner, check_name(name))

    async def expand(self, prompt: str, seed: int, user_key: str, group: str | None, *, place: str = "") -> str:
        """The prompt with its wildcards expanded from the person's lists, then their group's.

        Lists are read as the expansion meets them (a prompt without ``__`` costs no Redis call):
        ``expand`` runs on what is known so far and names the first list it lacks, which is read
        and added; every name is read at most once, so this ends after at most as many reads as
        the prompt and its lists name."""
        if not has_wildcards(prompt):
            return prompt
        known: dict[str, list[str]] = {}
        while True:
            try:
                return expand(prompt, known, seed, place=place)
            except OptionError as refusal:
                name = str(refusal.params.get("name", ""))
                if refusal.key != UNKNOWN or name in known:  # read already and empty: nothing to pick
                    raise
                found = await self.names.lookup(user_key, group, name)
                known[name] = _decode(found.raw) if found is not None else []
                if not known[name]:
                    raise
