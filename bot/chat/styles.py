"""Styles: a named set of ``/generate`` options (a prompt before and after the typed one, negative,
model, size, steps, scale, sampler, characters, ...) that ``style:NAME`` puts into a request.

The order is the product's rule, the same everywhere: saved defaults (``/settings``) < styles, in
the order named (a later style's option wins over an earlier one's) < options typed with the
command. The prompt is the exception that composes rather than replaces: each style's text goes
around the typed prompt, ``prefix1, prefix2, typed, suffix1, suffix2``.

A style's prompt is written as one text where ``...`` (or ``…``, as phones type it) stands for the
prompt typed later: ``masterpiece, best quality, ..., detailed background``. Without ``...`` the
whole text goes before the typed prompt.

What a style may not keep: a seed (it would make every picture the same), a number of images and
a priority (they change what a job costs and where it queues without the person seeing it), another
style, and a picture's settings. Bounds: the prompt text and the negative are at most
``MAX_PROMPT_CHARS`` each, at most ``MAX_STYLE_CHARACTERS`` characters, at most
``MAX_STYLES_PER_PROMPT`` styles in one command. Names and how many a person or group keeps:
``bot.chat.prompt_library`` (personal styles shadow the group's of the same name).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis

from bot.chat.generate_options import STYLES_FIELD, GenerateOptions, OptionError
from bot.chat.prompt_library import OwnedNames, Owner, check_name
from bot.keys import BotKeys
from novelai.request import MAX_PROMPT_CHARS, CharacterPrompt

MAX_STYLES_PER_PROMPT = 5
MAX_STYLE_CHARACTERS = 6
PLACEHOLDERS = ("...", "…")
# Request fields a style keeps, in the order ``/style show`` lists them.
STYLE_FIELDS: tuple[str, ...] = ("negative", "model", "width", "height", "steps", "scale", "sampler",
                                 "characters", "quality_tags", "variety", "cfg_rescale", "noise_schedule",
                                 "uc_preset", "quality_preset", "transparent")
# What a refused field is called in the refusal (the option people typed).
_OPTION_OF = {"n_samples": "n", "seed": "seed", STYLES_FIELD: "style"}


@dataclass(frozen=True)
class Style:
    """One style: the text before and after the typed prompt, and request fields."""

    prefix: str = ""
    suffix: str = ""
    fields: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        fields = {name: ([c.model_dump(mode="json") for c in value] if name == "characters" else value)
                  for name, value in self.fields.items()}
        return json.dumps({"prefix": self.prefix, "suffix": self.suffix, "fields": fields}, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Style:
        """A kept style; an unreadable part is left out rather than blocking ``/generate``."""
        try:
            data = json.loads(raw)
            fields = {name: value for name, value in dict(data.get("fields", {})).items() if name in STYLE_FIELDS}
            if "characters" in fields:
                fields["characters"] = tuple(CharacterPrompt.model_validate(c) for c in fields["characters"])
            return cls(str(data.get("prefix", "")), str(data.get("suffix", "")), fields)
        except (ValueError, TypeError, AttributeError):
            return cls()


def make_style(prompt: str, fields: dict[str, Any], image: dict[str, Any] | None = None,
               priority: int | None = None) -> Style:
    """A style from what ``/style save`` was typed with; ``OptionError`` for anything it may not keep."""
    refused = [_OPTION_OF.get(name, name) for name in fields if name not in STYLE_FIELDS]
    refused += [*(image or {}), *(["priority"] if priority is not None else [])]
    if refused:
        raise OptionError("style.not_kept", option=refused[0])
    prefix, suffix = split_template(prompt)
    if max(len(prefix), len(suffix), len(str(fields.get("negative", "")))) > MAX_PROMPT_CHARS:
        raise OptionError("style.too_long", limit=MAX_PROMPT_CHARS)
    if len(fields.get("characters", ())) > MAX_STYLE_CHARACTERS:
        raise OptionError("style.too_many_characters", limit=MAX_STYLE_CHARACTERS)
    if not (prefix or suffix or fields):
        raise OptionError("style.empty")
    return Style(prefix, suffix, dict(fields))


def split_template(prompt: str) -> tuple[str, str]:
    """``before ... after`` as (prefix, suffix); no ``...``: all of it is the prefix."""
    for mark in PLACEHOLDERS:
        before, found, after = prompt.partition(mark)
        if found:
            return _trim(before), _trim(after)
    return _trim(prompt), ""


def _trim(text: str) -> str:
    return text.strip().strip(",，").strip()


def compose(styles: Sequence[Style], options: GenerateOptions) -> GenerateOptions:
    """The options with the styles applied in order under the typed ones (see the module's rule)."""
    texts = [*(s.prefix for s in styles), options.prompt, *(s.suffix for s in styles)]
    fields: dict[str, Any] = {}
    for style in styles:
        fields.update(style.fields)
    fields.update({name: value for name, value in options.fields.items() if name != STYLES_FIELD})
    return dataclasses.replace(options, prompt=", ".join(text for text in texts if text), fields=fields)


def style_names(options: GenerateOptions) -> tuple[str, ...]:
    """The style names a command asked for, checked and in order (each once)."""
    typed = options.fields.get(STYLES_FIELD, ())
    names = tuple(dict.fromkeys(check_name(name) for name in typed))
    if len(names) > MAX_STYLES_PER_PROMPT:
        raise OptionError("style.too_many_in_prompt", limit=MAX_STYLES_PER_PROMPT)
    return names


class Styles:
    """People's and groups' styles in Redis (``BotKeys.styles``)."""

    def __init__(self, redis: aioredis.Redis, keys: BotKeys) -> None:
        self.names = OwnedNames(redis, keys.styles)

    async def save(self, owner: Owner, name: str, style: Style) -> str:
        name = check_name(name)
        await self.names.put(owner, name, style.to_json())
        return name

    async def get(self, owner: Owner, name: str) -> Style | None:
        raw = await self.names.get(owner, name)
        return Style.from_json(raw) if raw is not None else None

    async def all(self, owner: Owner) -> dict[str, Style]:
        return {name: Style.from_json(raw) for name, raw in (await self.names.all(owner)).items()}

    async def delete(self, owner: Owner, name: str) -> bool:
        return await self.names.delete(owner, check_name(name))

    async def apply(self, options: GenerateOptions, user_key: str, group: str | None
                    ) -> tuple[GenerateOptions, tuple[str, ...]]:
        """The options with their ``style:`` names applied, and those names; ``style.unknown`` for a
        name neither the person nor their group has. No names: the options as they were."""
        names = style_names(options)
        if not names:
            fields = {name: value for name, value in options.fields.items() if name != STYLES_FIELD}
            return (dataclasses.replace(options, fields=fields) if STYLES_FIELD in options.fields else options), ()
        styles = []
        for name in names:
            found = await self.names.lookup(user_key, group, name)
            if found is None:
                raise OptionError("style.unknown", name=name)
            styles.append(Style.from_json(found.raw))
        return compose(styles, options), names
