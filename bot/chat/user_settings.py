"""Per-user saved defaults for ``/generate``, and the ``/settings`` command's grammar.

Values are checked by the same parsers as ``/generate`` options, so ``/settings set size
portrait`` accepts exactly what ``--size portrait`` does, and stored as JSON of the parsed
value: what was accepted once reads back the same even if aliases change later.

They live in ``BotKeys.user_settings`` (``<prefix>:bot:user:<key>:settings``). Before that they
were kept outside ``bot:`` (``BotKeys.legacy_user_settings``); a person's first read or write
after the upgrade moves their hash to the new key, so nobody loses what they saved.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Literal

import redis.asyncio as aioredis

from bot.chat.generate_options import (
    MAX_COMMAND_CHARS,
    GenerateOptions,
    OptionError,
    check_length,
    find_option,
    parse_value,
    request_fields,
    shorten,
    suggest,
)
from bot.chat.texts.catalog import LANGUAGES, normalise_language
from bot.keys import BotKeys
from novelai.errors import InvalidRequest
from novelai.model_rules import fields_the_model_decides
from novelai.models import ModelInfo, resolve_model
from novelai.request import MAX_NAME_CHARS

log = logging.getLogger(__name__)

# Settings names in the order /settings shows them; "language" is the bot's, not the request's.
SETTING_NAMES: tuple[str, ...] = ("model", "sampler", "size", "steps", "scale", "n", "negative", "quality",
                                  "variety", "priority", "language")
_LANGUAGE_ALIASES = ("language", "lang", "语言")
_ACTIONS: dict[str, Literal["show", "set", "reset"]] = {
    "show": "show", "list": "show", "get": "show",
    "set": "set",
    "reset": "reset", "clear": "reset", "unset": "reset",
}

# Move a hash kept under the old key to the new one (unless the new one exists already), then run
# one command on the new key: moving and using in one script, no process sees the hash in neither
# place, and a write never lands beside an old hash that would then be left behind.
_MOVED_THEN = """
-- KEYS: settings, legacy settings; ARGV: command, arguments...
if redis.call('EXISTS', KEYS[1]) == 0 and redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('RENAME', KEYS[2], KEYS[1])
end
return redis.call(ARGV[1], KEYS[1], unpack(ARGV, 2))
"""


def setting_name(name: str) -> str:
    """The canonical setting a name or option alias means; OptionError (with a guess) otherwise."""
    typed = name.strip().lower()
    if typed in _LANGUAGE_ALIASES:
        return "language"
    canonical = find_option(typed)
    if canonical in SETTING_NAMES:
        return canonical
    guess = suggest(typed, SETTING_NAMES) if len(typed) <= MAX_NAME_CHARS else None
    if guess:
        raise OptionError("option.unknown_setting_suggest", name=name, suggestion=guess)
    raise OptionError("option.unknown_setting", name=shorten(name), choices=", ".join(SETTING_NAMES))


def parse_setting(name: str, raw_value: str) -> tuple[str, Any]:
    """(canonical name, typed value) for one setting, checked like the matching /generate option."""
    canonical = setting_name(name)
    if canonical != "language":
        return canonical, parse_value(name.strip(), raw_value)[1]
    value = raw_value.strip()
    if not value:
        raise OptionError("option.missing_value", option=name.strip(), example="zh")
    if len(value) > MAX_NAME_CHARS:
        raise OptionError("option.value_too_long", option=name.strip(), length=len(value), limit=MAX_NAME_CHARS)
    language = normalise_language(value)
    if language is None:
        raise OptionError("option.bad_language", value=value, choices=", ".join(LANGUAGES))
    return canonical, language


def _decode(name: str, raw: bytes | str) -> Any:
    value = json.loads(raw)
    return tuple(value) if name == "size" else value


class UserSettings:
    """Saved defaults in the Redis hash ``BotKeys.user_settings``."""

    def __init__(self, redis: aioredis.Redis, keys: BotKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._moved_then = redis.register_script(_MOVED_THEN)

    async def _call(self, user_key: str, command: str, *args: str) -> Any:
        """``command`` on the person's settings hash, once it is where it belongs."""
        keys = [self._keys.user_settings(user_key), self._keys.legacy_user_settings(user_key)]
        return await self._moved_then(keys=keys, args=[command, *args])

    async def get(self, user_key: str) -> dict[str, Any]:
        """Every saved default, typed; an unreadable entry is skipped rather than blocking /generate."""
        flat = await self._call(user_key, "HGETALL")
        raw = dict(zip(flat[::2], flat[1::2], strict=True))
        values: dict[str, Any] = {}
        for field, encoded in raw.items():
            name = field.decode() if isinstance(field, bytes) else field
            try:
                values[name] = _decode(name, encoded)
            except (ValueError, TypeError):
                log.warning("skipping unreadable setting %s of %s", name, user_key)
        return {name: values[name] for name in SETTING_NAMES if name in values}

    async def set(self, user_key: str, name: str, raw_value: str) -> Any:
        """Validate and save one default; returns the parsed value (OptionError if it is not valid)."""
        canonical, value = parse_setting(name, raw_value)
        await self._call(user_key, "HSET", canonical, json.dumps(value, ensure_ascii=False))
        return value

    async def reset(self, user_key: str, name: str | None = None) -> None:
        """Forget one default, or all of them."""
        if name is None:
            await self._redis.delete(self._keys.user_settings(user_key), self._keys.legacy_user_settings(user_key))
        else:
            await self._call(user_key, "HDEL", setting_name(name))

    async def language(self, user_key: str) -> str | None:
        raw = await self._call(user_key, "HGET", "language")
        if raw is None:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            return None
        return value if value in LANGUAGES else None


def _model_of(name: Any) -> ModelInfo | None:
    try:
        return resolve_model(name) if isinstance(name, str) else None
    except InvalidRequest:  # resolved() says what is wrong with it
        return None


def apply_defaults(defaults: dict[str, Any], options: GenerateOptions) -> tuple[dict[str, Any], int | None]:
    """Request fields with saved defaults under the explicit options (explicit wins), and the priority."""
    fields: dict[str, Any] = {}
    for name, value in defaults.items():
        if name not in ("language", "priority"):
            fields.update(request_fields(name, value))
    # Saved steps, sampler or negative do not follow a person onto a model that fixes them (V5 Medium).
    model = _model_of(options.fields.get("model", fields.get("model")))
    decided = fields_the_model_decides(model) if model else frozenset()
    fields = {name: value for name, value in fields.items() if name not in decided}
    fields.update(options.fields)
    priority = options.priority if options.priority is not None else defaults.get("priority")
    return fields, priority


@dataclass(frozen=True)
class SettingsCommand:
    """``/settings`` parsed: show, set ``name`` to the raw ``value``, or reset one (``name``) or all."""

    action: Literal["show", "set", "reset"]
    name: str | None = None
    value: str | None = None


def _strip_quotes(value: str) -> str:
    """``/settings set negative "lowres, blurry"``: the quotes group, they are not part of the value."""
    pairs = {'"': '"”', "'": "'’", "“": "”", "‘": "’"}
    if len(value) >= 2 and value[0] in pairs and value[-1] in pairs[value[0]]:
        return value[1:-1].strip()
    return value


def parse_settings_command(args: str) -> SettingsCommand:
    """``show`` / ``set NAME VALUE`` / ``reset [NAME]`` / ``NAME VALUE`` (so ``language zh`` works).

    Arguments longer than MAX_COMMAND_CHARS (room for a full negative prompt) are refused unread;
    each value is then capped like the matching ``/generate`` option."""
    check_length(args, MAX_COMMAND_CHARS, "settings")
    words = args.strip().split(maxsplit=1)
    if not words:
        return SettingsCommand("show")
    head, rest = words[0].lower(), words[1].strip() if len(words) > 1 else ""
    action = _ACTIONS.get(head)
    if action == "show" and not rest:
        return SettingsCommand("show")
    if action == "reset":
        return SettingsCommand("reset", setting_name(rest) if rest else None)
    if action == "set":
        return _set_command(rest, args)
    if action is None and _is_setting(head):
        return _set_command(args.strip(), args)
    raise OptionError("option.bad_settings_command", command=shorten(args.strip()))


def _is_setting(word: str) -> bool:
    try:
        setting_name(word)
    except OptionError:
        return False
    return True


def _set_command(text: str, args: str) -> SettingsCommand:
    parts = text.split(maxsplit=1)
    if not parts:
        raise OptionError("option.bad_settings_command", command=shorten(args.strip()))
    value = _strip_quotes(parts[1].strip()) if len(parts) > 1 else ""
    name, _ = parse_setting(parts[0], value)  # junk is refused here, before anything is saved
    return SettingsCommand("set", name, value)
