"""Application commands as Discord stores them on a bulk overwrite (``tree.sync()``): checked with Discord's
rules that a bot's definitions can break (names, description lengths, required-before-optional, at most
25 options and choices, no duplicates), given ids that survive a re-sync under the same name, and
returned with ``application_id``, ``version`` and, for guild commands, ``guild_id``."""

from __future__ import annotations

import re
from typing import Any

from sandbox.discord.state import ApiError, invalid_form
from sandbox.discord.world import World

MAX_COMMANDS = 100
MAX_OPTIONS = 25
MAX_CHOICES = 25
CHAT_INPUT, USER_COMMAND, MESSAGE_COMMAND = 1, 2, 3
# Context menus: at most five of each kind per application (and scope).
MAX_CONTEXT_MENUS = 5
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
OPTION_TYPES = frozenset(range(1, 12))
# Lowercase letters (any script), digits, "-" and "_", 1..32 long.
_NAME = re.compile(r"^[-_\w]{1,32}$")


def overwrite(world: World, guild_id: int | None, body: Any) -> list[dict[str, Any]]:
    """Replace the commands of one scope (a guild, or global when None) and return them as stored."""
    if not isinstance(body, list):
        raise ApiError(400, "Invalid Form Body", 50035, errors={"_errors": [
            {"code": "BASE_TYPE_ARRAY", "message": "Must be an array."}]})
    if len(body) > MAX_COMMANDS:
        raise invalid_form("_", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_COMMANDS} or fewer in length.")
    previous = {(c["name"], c.get("type", CHAT_INPUT)): c["id"] for c in world.commands.get(guild_id, [])}
    seen: set[tuple[str, int]] = set()
    stored = []
    for index, command in enumerate(body):
        _check_command(index, command)
        key = (command["name"], command.get("type", CHAT_INPUT))
        if key in seen:
            raise invalid_form(str(index), "APPLICATION_COMMANDS_DUPLICATE_NAME",
                               f"Application command names must be unique: {command['name']}")
        seen.add(key)
        if key[1] != CHAT_INPUT and sum(1 for _, kind in seen if kind == key[1]) > MAX_CONTEXT_MENUS:
            raise invalid_form(str(index), "APPLICATION_COMMANDS_TOO_MANY",
                               f"At most {MAX_CONTEXT_MENUS} context menu commands of one type")
        stored.append(_stored(world, guild_id, command, previous.get(key)))
    world.commands[guild_id] = stored
    return stored


def _stored(world: World, guild_id: int | None, command: dict[str, Any], known_id: str | None) -> dict[str, Any]:
    kind = command.get("type", CHAT_INPUT)
    result: dict[str, Any] = {
        "name_localizations": None, "description_localizations": None, "default_member_permissions": None,
        "nsfw": False, "contexts": None, "integration_types": [0], **command,
        "id": known_id or str(world.snowflakes.next()), "application_id": str(world.application_id),
        "version": str(world.snowflakes.next()), "type": kind,
        "description": command.get("description", "") if kind == CHAT_INPUT else "",
    }
    if guild_id is not None:
        result["guild_id"] = str(guild_id)
    else:
        result.setdefault("dm_permission", True)
    return result


def _check_command(index: int, command: Any) -> None:
    if not isinstance(command, dict):
        raise invalid_form(str(index), "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
    kind = command.get("type", CHAT_INPUT)
    if kind in (USER_COMMAND, MESSAGE_COMMAND):  # context menus: any case and spaces, no description
        name = command.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 32:
            raise invalid_form(f"{index}.name", "APPLICATION_COMMAND_INVALID_NAME",
                               f"Command name is invalid: {name!r}")
        if command.get("description") or command.get("options"):
            raise invalid_form(f"{index}.description", "APPLICATION_COMMAND_INVALID_DESCRIPTION",
                               "Context menu commands cannot have a description or options")
        return
    _check_name(f"{index}.name", command.get("name"))
    if kind == CHAT_INPUT:
        _check_description(f"{index}.description", command.get("description"))
        _check_options(f"{index}.options", command.get("options") or [], depth=0)


def _check_options(path: str, options: list[Any], *, depth: int) -> None:
    if len(options) > MAX_OPTIONS:
        raise invalid_form(path, "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_OPTIONS} or fewer in length.")
    names: set[str] = set()
    optional_seen = False
    for index, option in enumerate(options):
        where = f"{path}.{index}"
        if not isinstance(option, dict) or option.get("type") not in OPTION_TYPES:
            raise invalid_form(f"{where}.type", "BASE_TYPE_CHOICES", "Value must be one of {1, 2, ..., 11}.")
        _check_name(f"{where}.name", option.get("name"))
        _check_description(f"{where}.description", option.get("description"))
        if option["name"] in names:
            raise invalid_form(f"{where}.name", "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                               "Option names must be unique")
        names.add(option["name"])
        if option["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP):
            if depth >= 2 or (depth == 1 and option["type"] == SUB_COMMAND_GROUP):
                raise invalid_form(f"{where}.type", "APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Nesting too deep")
            _check_options(f"{where}.options", option.get("options") or [], depth=depth + 1)
            continue
        if option.get("required"):
            if optional_seen:
                raise invalid_form(f"{where}.required", "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                                   "Required options must be placed before non-required options")
        else:
            optional_seen = True
        if len(option.get("choices") or []) > MAX_CHOICES:
            raise invalid_form(f"{where}.choices", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CHOICES} or fewer in length.")


def _check_name(path: str, name: Any) -> None:
    if not isinstance(name, str) or not _NAME.match(name) or name != name.lower():
        raise invalid_form(path, "APPLICATION_COMMAND_INVALID_NAME", f"Command name is invalid: {name!r}")


def _check_description(path: str, description: Any) -> None:
    if not isinstance(description, str) or not 1 <= len(description) <= 100:
        raise invalid_form(path, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
