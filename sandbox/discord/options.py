"""Slash-command options as Discord sends them: typed by the registered command's definitions (string,
integer, number, boolean, user, attachment), nested under subcommands, checked against choices, ranges
and lengths as Discord's client would before letting a user send them, with ``resolved`` objects for
users and uploaded files."""

from __future__ import annotations

from typing import Any

from sandbox.discord.messages import Composer, Upload
from sandbox.discord.world import World

SUBCOMMAND_TYPES = frozenset({1, 2})
STRING, INTEGER, BOOLEAN, USER, NUMBER, ATTACHMENT = 3, 4, 5, 6, 10, 11
Resolved = dict[str, dict[str, Any]]


class OptionBuilder:
    """Refuses (ValueError) what a user could not send in Discord's client, so a test's typo fails loudly
    instead of reaching the bot as an impossible interaction."""

    def __init__(self, world: World, composer: Composer) -> None:
        self._world = world
        self._composer = composer

    def command_data(self, command: dict[str, Any], name: str, values: dict[str, Any], resolved: Resolved, *,
                     focused: str | None) -> dict[str, Any]:
        """``data`` of a command interaction; ``name`` may name a subcommand ("settings set")."""
        path = name.split()
        definitions = command.get("options") or []
        nested: list[dict[str, Any]] = []
        container = nested
        for sub in path[1:]:
            definition = _find_option(definitions, sub, SUBCOMMAND_TYPES)
            inner: list[dict[str, Any]] = []
            container.append({"name": sub, "type": definition["type"], "options": inner})
            container, definitions = inner, definition.get("options") or []
        container.extend(self._typed_options(definitions, values, resolved, focused=focused))
        data: dict[str, Any] = {"id": command["id"], "name": command["name"], "type": 1, "options": nested}
        if command.get("guild_id") is not None:
            data["guild_id"] = command["guild_id"]
        return data

    def _typed_options(self, definitions: list[dict[str, Any]], values: dict[str, Any],
                       resolved: Resolved, *, focused: str | None) -> list[dict[str, Any]]:
        unknown = set(values) - {d["name"] for d in definitions}
        if unknown:
            raise ValueError(f"unknown options {sorted(unknown)}; the command has {[d['name'] for d in definitions]}")
        if focused is not None and focused not in values:
            raise ValueError(f"the focused option {focused!r} needs a (partial) value")
        options = []
        for definition in definitions:
            option_name = definition["name"]
            if option_name not in values:
                if definition.get("required") and focused is None:
                    raise ValueError(f"option {option_name!r} is required")
                continue
            option: dict[str, Any] = {"name": option_name, "type": definition["type"]}
            if option_name == focused:
                option.update(value=str(values[option_name]), focused=True)
            else:
                option["value"] = self._typed_value(definition, values[option_name], resolved)
            options.append(option)
        return options

    def _typed_value(self, definition: dict[str, Any], value: Any, resolved: Resolved) -> Any:
        kind = definition["type"]
        if kind == STRING:
            typed: Any = str(value)
            _check_length(definition, typed)
        elif kind == INTEGER:
            if isinstance(value, bool) or int(value) != value:
                raise ValueError(f"option {definition['name']!r} takes an integer, not {value!r}")
            typed = int(value)
        elif kind == NUMBER:
            typed = float(value)
        elif kind == BOOLEAN:
            typed = bool(value)
        elif kind == USER:
            return self._resolve_user(int(getattr(value, "id", value)), resolved)
        elif kind == ATTACHMENT:
            return self._resolve_attachment(value, resolved)
        else:
            raise ValueError(f"option type {kind} is not supported by the sandbox")
        if kind in (INTEGER, NUMBER):
            _check_range(definition, typed)
        choices = definition.get("choices")
        if choices and typed not in [choice["value"] for choice in choices]:
            raise ValueError(f"{typed!r} is not a choice of option {definition['name']!r}")
        return typed

    def _resolve_user(self, user_id: int, resolved: Resolved) -> str:
        world = self._world
        resolved.setdefault("users", {})[str(user_id)] = world.user_json(user_id)
        for guild in world.guilds.values():
            if user_id in guild.members:
                member = world.member_json(guild, user_id, with_user=False, permissions=True)
                resolved.setdefault("members", {})[str(user_id)] = member
                break
        return str(user_id)

    def _resolve_attachment(self, value: Any, resolved: Resolved) -> str:
        """An uploaded file option: ``value`` is ``(filename, bytes)``; the file is stored like a message
        attachment (ephemeral, as Discord keeps command uploads) and resolved by id."""
        if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], bytes | bytearray)):
            raise ValueError("an attachment option takes (filename, bytes)")
        filename, data = value
        attachment = self._composer.attachment(Upload(0, str(filename), bytes(data)), ephemeral=True)
        resolved.setdefault("attachments", {})[attachment["id"]] = attachment
        return str(attachment["id"])


def _find_option(definitions: list[dict[str, Any]], name: str, kinds: frozenset[int]) -> dict[str, Any]:
    for definition in definitions:
        if definition["name"] == name and definition["type"] in kinds:
            return definition
    raise ValueError(f"no subcommand {name!r}")


def _check_length(definition: dict[str, Any], value: str) -> None:
    low, high = definition.get("min_length"), definition.get("max_length")
    if (low is not None and len(value) < low) or (high is not None and len(value) > high):
        raise ValueError(f"option {definition['name']!r} must be {low}..{high} characters long")


def _check_range(definition: dict[str, Any], value: float) -> None:
    low, high = definition.get("min_value"), definition.get("max_value")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"option {definition['name']!r} must be within {low}..{high}, not {value}")
