"""Interactions: what a user's slash command, autocomplete, button click or modal submit looks like to the
bot (Discord's INTERACTION_CREATE payload, options typed by the registered command), and Discord's side
of answering one: the callback within 3 s, then the interaction webhook (original response, follow-ups)
for 15 minutes. Refusals are Discord's: 10062 for a late or unknown callback, 40060 for a second one,
50027 for a dead token, 10008 for a message the token does not own."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from sandbox.discord.commands import MESSAGE_COMMAND
from sandbox.discord.messages import INTERACTION_FLAGS, Composer, Upload
from sandbox.discord.options import OptionBuilder
from sandbox.discord.state import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFAULT_ATTACHMENT_LIMIT,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE,
    EPHEMERAL,
    LOADING,
    MESSAGE_COMPONENT,
    MODAL,
    MODAL_SUBMIT,
    UPDATE_MESSAGE,
    ApiError,
    DiscordUser,
    StoredInteraction,
    StoredMessage,
    already_acknowledged,
    invalid_form,
    invalid_webhook_token,
    unknown_interaction,
    unknown_message,
    unknown_webhook,
)
from sandbox.discord.world import World

# Which answers Discord accepts for which kind of interaction.
ALLOWED_CALLBACKS = {
    APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL},
    AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
    MESSAGE_COMPONENT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, MODAL},
    MODAL_SUBMIT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE},
}
CHAT_INPUT_COMMAND_MESSAGE = 20
MAX_CHOICES = 25
BUTTON = 2
STRING_SELECT = 3
TEXT_INPUT = 4
ACTION_ROW = 1
LABEL = 18

# Called with a new message (bot or user) so the gateway can tell the bot about it.
MessageHook = Callable[[str, StoredMessage], None]


class Interactions:
    """Builds interactions for the control API and answers the callback and webhook routes."""

    def __init__(self, world: World, composer: Composer, on_message: MessageHook) -> None:
        self._world = world
        self._composer = composer
        self._on_message = on_message
        self._options = OptionBuilder(world, composer)
        self.token_ttl = 900.0
        self.answer_deadline = 3.0
        self.attachment_size_limit = DEFAULT_ATTACHMENT_LIMIT

    # -- what users do ---------------------------------------------------------------------

    def slash_command(self, guild_id: int, channel_id: int, user: DiscordUser, name: str,
                      options: dict[str, Any]) -> StoredInteraction:
        self._check_actor(guild_id, channel_id, user)
        command = self._command(guild_id, name)
        resolved: dict[str, dict[str, Any]] = {}
        data = self._options.command_data(command, name, options, resolved, focused=None)
        if resolved:
            data["resolved"] = resolved
        return self._new(APPLICATION_COMMAND, guild_id, channel_id, user, data)

    def message_command(self, guild_id: int, channel_id: int, user: DiscordUser, name: str,
                        message_id: int) -> StoredInteraction:
        """A user picks a message context menu (Apps → ``name``) on a message they can see: type 3, the
        target in ``resolved.messages`` as Discord sends it."""
        self._check_actor(guild_id, channel_id, user)
        message = self._visible_message(channel_id, message_id, user)
        command = next((c for scope in (guild_id, None) for c in self._world.commands.get(scope, [])
                        if c["name"] == name and c.get("type") == MESSAGE_COMMAND), None)
        if command is None:
            raise ValueError(f"no message command {name!r} is registered for guild {guild_id} or globally")
        data = {"id": command["id"], "name": name, "type": MESSAGE_COMMAND, "guild_id": str(guild_id),
                "target_id": str(message_id),
                "resolved": {"messages": {str(message_id): self._world.message_json(message)}}}
        return self._new(APPLICATION_COMMAND, guild_id, channel_id, user, data)

    def autocomplete(self, guild_id: int, channel_id: int, user: DiscordUser, name: str,
                     options: dict[str, Any], focused: str) -> StoredInteraction:
        self._check_actor(guild_id, channel_id, user)
        command = self._command(guild_id, name)
        data = self._options.command_data(command, name, options, {}, focused=focused)
        return self._new(AUTOCOMPLETE, guild_id, channel_id, user, data)

    def click_button(self, guild_id: int, channel_id: int, user: DiscordUser, message_id: int,
                     custom_id: str) -> StoredInteraction:
        self._check_actor(guild_id, channel_id, user)
        message = self._visible_message(channel_id, message_id, user)
        if custom_id not in message.custom_ids():
            raise ValueError(f"message {message_id} has no component with custom_id {custom_id!r}")
        data = {"custom_id": custom_id, "component_type": BUTTON}
        return self._new(MESSAGE_COMPONENT, guild_id, channel_id, user, data, message=message)

    def choose_options(self, guild_id: int, channel_id: int, user: DiscordUser, message_id: int,
                       custom_id: str, values: list[str]) -> StoredInteraction:
        """A user picks ``values`` in a string select menu of a message they can see: a component
        interaction with ``component_type`` 3 and the chosen option values, as Discord sends it.
        Discord's client only lets a user choose among the menu's options, between its
        ``min_values`` (default 1) and ``max_values`` (default 1), and not in a disabled menu."""
        self._check_actor(guild_id, channel_id, user)
        message = self._visible_message(channel_id, message_id, user)
        menu = _component(message.components, custom_id)
        if menu is None or menu.get("type") != STRING_SELECT:
            raise ValueError(f"message {message_id} has no string select with custom_id {custom_id!r}")
        if menu.get("disabled"):
            raise ValueError(f"the select {custom_id!r} is disabled")
        offered = [str(option.get("value")) for option in menu.get("options") or []]
        unknown = [value for value in values if value not in offered]
        if unknown:
            raise ValueError(f"the select {custom_id!r} has no options {unknown}; it offers {offered}")
        low, high = int(menu.get("min_values", 1)), int(menu.get("max_values", 1))
        if not low <= len(values) <= high or len(set(values)) != len(values):
            raise ValueError(f"the select {custom_id!r} takes {low} to {high} distinct values, not {values}")
        data = {"custom_id": custom_id, "component_type": STRING_SELECT, "values": list(values)}
        return self._new(MESSAGE_COMPONENT, guild_id, channel_id, user, data, message=message)

    def submit_modal(self, guild_id: int, channel_id: int, user: DiscordUser, custom_id: str,
                     values: dict[str, str]) -> StoredInteraction:
        self._check_actor(guild_id, channel_id, user)
        shown = self._shown_modal(user, custom_id)
        components = _modal_answers(shown.modal or {}, values)
        message = None
        if shown.message_id is not None:
            message = self._world.find_message(shown.message_id)
        data = {"custom_id": custom_id, "components": components}
        return self._new(MODAL_SUBMIT, guild_id, channel_id, user, data, message=message)

    def _new(self, kind: int, guild_id: int, channel_id: int, user: DiscordUser, data: dict[str, Any], *,
             message: StoredMessage | None = None) -> StoredInteraction:
        world = self._world
        guild = world.guild(guild_id)
        channel = world.channel(channel_id)
        world.users[user.id] = user
        interaction_id = str(world.snowflakes.next())
        # Real tokens start with base64("interaction:") too; the rest is opaque.
        token = f"aW50ZXJhY3Rpb246{secrets.token_urlsafe(96)}"
        payload: dict[str, Any] = {
            "id": interaction_id, "application_id": str(world.application_id), "type": kind, "data": data,
            "token": token, "version": 1, "guild_id": str(guild_id),
            "guild": {"id": str(guild_id), "locale": guild.locale, "features": []}, "guild_locale": guild.locale,
            "channel_id": str(channel_id),
            "channel": {**world.channel_json(channel), "permissions": str(guild.permissions(user.id))},
            "member": world.member_json(guild, user.id, permissions=True),
            "app_permissions": str(guild.permissions(world.bot.id)), "locale": user.locale,
            "entitlements": [], "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild_id)}, "context": 0,
            "attachment_size_limit": self.attachment_size_limit,
        }
        if message is not None:
            payload["message"] = world.message_json(message)
        record = StoredInteraction(interaction_id, kind, token, guild_id, channel_id, user, time.monotonic(),
                                   payload, message_id=None if message is None else message.id)
        world.interactions[interaction_id] = record
        world.interactions_by_token[token] = record
        return record

    def _check_actor(self, guild_id: int, channel_id: int, user: DiscordUser) -> None:
        guild = self._world.guilds.get(guild_id)
        if guild is None:
            raise ValueError(f"no guild {guild_id}; add_guild first")
        if channel_id not in guild.channels:
            raise ValueError(f"channel {channel_id} is not in guild {guild_id}")
        if user.id not in guild.members:
            raise ValueError(f"user {user.id} is not a member of guild {guild_id}; add_member first")

    def _command(self, guild_id: int, name: str) -> dict[str, Any]:
        top = name.split()[0]
        for scope in (guild_id, None):
            for command in self._world.commands.get(scope, []):
                if command["name"] == top and command.get("type", 1) == 1:
                    return command
        raise ValueError(f"no slash command {top!r} is registered for guild {guild_id} or globally (sync first)")

    def _visible_message(self, channel_id: int, message_id: int, user: DiscordUser) -> StoredMessage:
        try:
            message = self._world.message(channel_id, message_id)
        except ApiError as exc:
            raise ValueError(f"no message {message_id} in channel {channel_id}") from exc
        if message.ephemeral_for not in (None, user.id):
            raise ValueError(f"message {message_id} is ephemeral for another user")
        return message

    def _shown_modal(self, user: DiscordUser, custom_id: str) -> StoredInteraction:
        for record in reversed(list(self._world.interactions.values())):
            if record.user.id == user.id and record.modal is not None and record.modal.get("custom_id") == custom_id:
                return record
        raise ValueError(f"the bot never showed user {user.id} a modal with custom_id {custom_id!r}")

    # -- the bot answering -----------------------------------------------------------------

    def callback(self, interaction_id: str, token: str, body: dict[str, Any],
                 uploads: list[Upload]) -> tuple[StoredInteraction, StoredMessage | None]:
        record = self._world.interactions.get(interaction_id)
        if record is None or record.token != token:
            raise unknown_interaction()
        if record.callback_type is not None:
            raise already_acknowledged()
        if record.expired or time.monotonic() - record.created > self.answer_deadline:
            raise unknown_interaction()
        kind = body.get("type")
        if kind not in ALLOWED_CALLBACKS[record.type]:
            raise invalid_form("type", "INTERACTION_CALLBACK_TYPE_INVALID", f"Invalid interaction callback type {kind}")
        data = body.get("data") or {}
        message = self._answer(record, int(kind), data, uploads)
        record.callback_type = int(kind)
        return record, message

    def _answer(self, record: StoredInteraction, kind: int, data: dict[str, Any],
                uploads: list[Upload]) -> StoredMessage | None:
        ephemeral_for = record.user.id if int(data.get("flags") or 0) & EPHEMERAL else None
        message_type = CHAT_INPUT_COMMAND_MESSAGE if record.type == APPLICATION_COMMAND else 0
        if kind == CHANNEL_MESSAGE:
            message = self._composer.create(
                channel_id=record.channel_id, guild_id=record.guild_id, author_id=self._world.bot.id, payload=data,
                uploads=uploads, allowed_flags=INTERACTION_FLAGS, ephemeral_for=ephemeral_for,
                interaction_id=record.id, webhook_id=self._world.application_id, message_type=message_type)
            self._on_message("create", message)
        elif kind == DEFERRED_CHANNEL_MESSAGE:
            message = self._composer.loading(channel_id=record.channel_id, guild_id=record.guild_id,
                                             author_id=self._world.bot.id, ephemeral_for=ephemeral_for,
                                             interaction_id=record.id, message_type=message_type)
            self._on_message("create", message)
        elif kind in (DEFERRED_UPDATE, UPDATE_MESSAGE):
            message = self._component_message(record)
            if kind == UPDATE_MESSAGE:
                self._composer.edit(message, data, uploads)
                self._on_message("update", message)
        elif kind == AUTOCOMPLETE_RESULT:
            record.autocomplete_choices = _checked_choices(data.get("choices"))
            return None
        else:
            record.modal = _checked_modal(data)
            return None
        record.response_message_id = message.id
        return message

    def _component_message(self, record: StoredInteraction) -> StoredMessage:
        if record.message_id is None:
            raise invalid_form("type", "INTERACTION_CALLBACK_TYPE_INVALID", "This interaction has no message to update")
        return self._world.message(record.channel_id, record.message_id)

    def callback_answer(self, record: StoredInteraction, message: StoredMessage | None) -> dict[str, Any]:
        """The InteractionCallbackResponse a ``?with_response=1`` callback gets back."""
        assert record.callback_type is not None
        resource: dict[str, Any] = {"type": record.callback_type}
        if message is not None:
            resource["message"] = self._world.message_json(message)
        return {"interaction": {
            "id": record.id, "type": record.type,
            "response_message_id": None if message is None else str(message.id),
            "response_message_loading": record.callback_type == DEFERRED_CHANNEL_MESSAGE,
            "response_message_ephemeral": message is not None and message.ephemeral,
        }, "resource": resource}

    # -- the interaction webhook -----------------------------------------------------------

    def webhook(self, application_id: int, token: str) -> StoredInteraction:
        if application_id != self._world.application_id:
            raise unknown_webhook()
        record = self._world.interactions_by_token.get(token)
        if record is None or record.expired or time.monotonic() - record.created > self.token_ttl:
            raise invalid_webhook_token()
        return record

    def followup(self, record: StoredInteraction, payload: dict[str, Any], uploads: list[Upload]) -> StoredMessage:
        """A follow-up message; the first one after a "thinking" defer replaces the placeholder, as on Discord."""
        if record.callback_type in (None, AUTOCOMPLETE_RESULT, MODAL):
            raise unknown_webhook()
        original = self._owned_message(record, None)
        if record.callback_type == DEFERRED_CHANNEL_MESSAGE and original is not None and original.flags & LOADING:
            self._composer.edit(original, {k: v for k, v in payload.items() if k != "flags"}, uploads)
            self._on_message("update", original)
            return original
        ephemeral_for = record.user.id if int(payload.get("flags") or 0) & EPHEMERAL else None
        message = self._composer.create(
            channel_id=record.channel_id, guild_id=record.guild_id, author_id=self._world.bot.id, payload=payload,
            uploads=uploads, allowed_flags=INTERACTION_FLAGS, ephemeral_for=ephemeral_for, interaction_id=record.id,
            webhook_id=self._world.application_id,
            message_type=CHAT_INPUT_COMMAND_MESSAGE if record.type == APPLICATION_COMMAND else 0)
        record.followup_ids.append(message.id)
        self._on_message("create", message)
        return message

    def webhook_message(self, record: StoredInteraction, message_ref: str) -> StoredMessage:
        """The message ``@original`` or an id names, if this token owns it and it still exists."""
        if message_ref != "@original" and not message_ref.isdigit():
            raise unknown_message()
        message = self._owned_message(record, None if message_ref == "@original" else int(message_ref))
        if message is None:
            raise unknown_message()
        return message

    def _owned_message(self, record: StoredInteraction, message_id: int | None) -> StoredMessage | None:
        wanted = record.response_message_id if message_id is None else message_id
        if wanted is None or (wanted != record.response_message_id and wanted not in record.followup_ids):
            return None
        message = self._world.find_message(wanted)
        return None if message is None or message.deleted else message

    def expire(self, interaction_id: str) -> None:
        record = self._world.interactions.get(interaction_id)
        if record is None:
            raise ValueError(f"no interaction {interaction_id}")
        record.expired = True


def _component(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    """The component with this custom id, however deeply nested in rows (or sections)."""
    pending = list(components)
    while pending:
        component = pending.pop(0)
        if component.get("custom_id") == custom_id:
            return component
        pending.extend(component.get("components", []))
        if isinstance(component.get("accessory"), dict):
            pending.append(component["accessory"])
    return None


def _checked_choices(choices: Any) -> list[dict[str, Any]]:
    if not isinstance(choices, list) or len(choices) > MAX_CHOICES:
        raise invalid_form("data.choices", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CHOICES} or fewer in length.")
    for index, choice in enumerate(choices):
        if not isinstance(choice, dict) or not 1 <= len(str(choice.get("name") or "")) <= 100 or "value" not in choice:
            raise invalid_form(f"data.choices.{index}.name", "BASE_TYPE_BAD_LENGTH",
                               "Must be between 1 and 100 in length.")
        # A string choice's value is 1-100 characters too (Discord's docs, Application Command Option Choice).
        if isinstance(choice["value"], str) and not 1 <= len(choice["value"]) <= 100:
            raise invalid_form(f"data.choices.{index}.value", "BASE_TYPE_BAD_LENGTH",
                               "Must be between 1 and 100 in length.")
    return choices


def _checked_modal(data: dict[str, Any]) -> dict[str, Any]:
    for name in ("custom_id", "title", "components"):
        if not data.get(name):
            raise invalid_form(f"data.{name}", "BASE_TYPE_REQUIRED", "This field is required")
    return data


def _text_inputs(modal: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """The modal's text inputs with the container type they sit in (an action row or a label)."""
    found: list[tuple[int, dict[str, Any]]] = []
    for component in modal.get("components") or []:
        if component.get("type") == ACTION_ROW:
            found += [(ACTION_ROW, c) for c in component.get("components") or [] if c.get("type") == TEXT_INPUT]
        elif component.get("type") == LABEL and (component.get("component") or {}).get("type") == TEXT_INPUT:
            found.append((LABEL, component["component"]))
    return found


def _modal_answers(modal: dict[str, Any], values: dict[str, str]) -> list[dict[str, Any]]:
    inputs = _text_inputs(modal)
    known = {text_input["custom_id"] for _, text_input in inputs}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"the modal has no text inputs {sorted(unknown)}; it has {sorted(known)}")
    components = []
    for container, text_input in inputs:
        custom_id = text_input["custom_id"]
        if custom_id not in values and text_input.get("required", True):
            raise ValueError(f"text input {custom_id!r} is required")
        answer = {"type": TEXT_INPUT, "custom_id": custom_id, "value": str(values.get(custom_id, ""))}
        components.append({"type": ACTION_ROW, "components": [answer]} if container == ACTION_ROW
                          else {"type": LABEL, "component": answer})
    return components
