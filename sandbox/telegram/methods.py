"""The Bot API methods the sandbox answers, with Telegram's refusals where a bot can trip over them
(flood limits, blocked users, stale messages, no-op edits, oversized buttons, bad markup, bad files).

One piece although just past 400 lines: it is the method table of one API (one short handler per
Bot API method), read as a whole against Telegram's method list."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sandbox.telegram.flood import FloodControl
from sandbox.telegram.media import MAX_DOWNLOAD_BYTES, check_photo
from sandbox.telegram.state import ADMIN_STATUSES, ApiError, FloodLimits, SandboxChat, StoredMessage, bad_request
from sandbox.telegram.text import format_text
from sandbox.telegram.webhook import delete_webhook, set_webhook, webhook_info
from sandbox.telegram.wire import Params, Upload
from sandbox.telegram.world import World

Handler = Callable[[Params], Awaitable[Any]]
# Waits until the predicate holds or the seconds pass; returns whether it holds.
Waiter = Callable[[Callable[[], bool], float], Awaitable[bool]]

NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are exactly the same "
                "as a current content and reply markup of the message")
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
BUTTON_ACTIONS = frozenset({
    "callback_data", "url", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat", "callback_game", "pay", "web_app", "copy_text",
})
CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice", "upload_document",
    "choose_sticker", "find_location", "record_video_note", "upload_video_note",
})
_BOT_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_NO_GIFTS = {"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
             "premium_subscription": False, "gifts_from_channels": False}


class BotAPI:
    """One handler per Bot API method; names are matched case-insensitively, as Telegram does."""

    def __init__(self, world: World, limits: Callable[[], FloodLimits], flood: FloodControl, wait: Waiter) -> None:
        self._world = world
        self._limits = limits
        self._flood = flood
        self._wait = wait
        table: dict[str, Handler] = {
            "getMe": self.get_me, "deleteWebhook": self.delete_webhook, "setWebhook": self.set_webhook,
            "getWebhookInfo": self.get_webhook_info, "getUpdates": self.get_updates,
            "sendMessage": self.send_message, "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption, "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message, "answerCallbackQuery": self.answer_callback_query,
            "setMyCommands": self.set_my_commands, "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands, "sendPhoto": self.send_photo,
            "sendDocument": self.send_document, "sendMediaGroup": self.send_media_group, "getFile": self.get_file,
            "getChat": self.get_chat, "getChatMember": self.get_chat_member,
            "getChatAdministrators": self.get_chat_administrators, "sendChatAction": self.send_chat_action,
        }
        self._handlers = {name.lower(): handler for name, handler in table.items()}

    def handler(self, method: str) -> Handler | None:
        return self._handlers.get(method.lower())

    def add(self, method: str, handler: Handler) -> None:
        """A method answered by another part of the sandbox (answerInlineQuery: ``sandbox.telegram.inline``)."""
        self._handlers[method.lower()] = handler

    # -- bot and updates -------------------------------------------------------------------

    async def get_me(self, p: Params) -> Any:
        return self._world.bot

    async def delete_webhook(self, p: Params) -> Any:
        delete_webhook(self._world, bool(p.get("drop_pending_updates")))
        return True

    async def set_webhook(self, p: Params) -> Any:
        await set_webhook(self._world, p)
        return True

    async def get_webhook_info(self, p: Params) -> Any:
        return webhook_info(self._world)

    async def get_updates(self, p: Params) -> Any:
        """Long polling: confirm by ``offset``, then wait up to ``timeout`` s for something to return."""
        world = self._world
        if world.webhook.url:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        world.confirm(_optional_int(p, "offset"))
        limit = min(100, max(1, _optional_int(p, "limit") or 100))
        timeout = p.get("timeout") or 0
        if not isinstance(timeout, int | float):
            raise bad_request("invalid timeout specified")
        if timeout > 0 and not world.updates:
            await self._wait(lambda: bool(world.updates), timeout)
        return world.updates[:limit]

    # -- sending ---------------------------------------------------------------------------

    async def send_message(self, p: Params) -> Any:
        chat = self._world.accessible(p.require("chat_id"), posting=True)
        text, entities = format_text(str(p.get("text") or ""), p.get("parse_mode"), p.get("entities"))
        return self._send(chat, p, text=text, entities=entities)

    async def send_photo(self, p: Params) -> Any:
        chat = self._world.accessible(p.require("chat_id"), posting=True)
        photo = await self._photo(_input_file(p, "photo"))
        return self._send(chat, p, photo=photo, **_caption(p.values))

    async def send_document(self, p: Params) -> Any:
        chat = self._world.accessible(p.require("chat_id"), posting=True)
        document = self._document(_input_file(p, "document"))
        return self._send(chat, p, document=document, **_caption(p.values))

    def _send(self, chat: SandboxChat, p: Params, **content: Any) -> dict[str, Any]:
        markup = _markup(p.get("reply_markup"))
        reply_to = self._reply_to(chat, p)
        self._admit(chat)
        message = self._world.add_message(chat, sender=self._world.bot_user, reply_markup=markup,
                                          reply_to_message_id=reply_to, **content)
        return self._world.message_json(chat, message)

    async def send_media_group(self, p: Params) -> Any:
        """An album: 2–10 photos or 2–10 documents, one message per item, sharing a media_group_id."""
        chat = self._world.accessible(p.require("chat_id"), posting=True)
        media = p.require("media")
        if not isinstance(media, list):
            raise bad_request("can't parse media JSON object")
        if len(media) > 10:
            raise bad_request("too much messages to send as an album")
        if len(media) < 2:
            raise bad_request("too few messages to send as an album")
        items = [await self._album_item(p, number, item) for number, item in enumerate(media, 1)]
        if any("document" in item for item in items) and not all("document" in item for item in items):
            raise bad_request("MEDIA_INVALID")
        reply_to = self._reply_to(chat, p)
        self._admit(chat, units=len(items))
        group_id = self._world.next_media_group_id()
        messages = [self._world.add_message(chat, sender=self._world.bot_user, media_group_id=group_id,
                                            reply_to_message_id=reply_to, **item) for item in items]
        return [self._world.message_json(chat, message) for message in messages]

    async def _album_item(self, p: Params, number: int, item: Any) -> dict[str, Any]:
        """One InputMedia; its errors are reported the way Telegram reports a failing album item."""
        try:
            if not isinstance(item, dict) or item.get("type") not in ("photo", "document"):
                raise bad_request("unsupported media type in an album")
            source = _media_source(p, item.get("media"))
            content = {"photo": await self._photo(source)} if item["type"] == "photo" else {
                "document": self._document(source)}
            return {**content, **_caption(item)}
        except ApiError as exc:
            if exc.status != 400:
                raise
            reason = exc.description.removeprefix("Bad Request: ")
            raise bad_request(f'failed to send message #{number} with the error message "{reason}"') from exc

    async def _photo(self, source: Upload | str) -> list[dict[str, Any]]:
        files = self._world.files
        if not isinstance(source, Upload):
            return files.photo(source)
        # Off the event loop: the other calls keep being reached (and counted) as they arrive.
        checked = await asyncio.to_thread(check_photo, source.data)
        return files.add_photo(source, checked)

    def _document(self, source: Upload | str) -> dict[str, Any]:
        files = self._world.files
        return files.add_document(source) if isinstance(source, Upload) else files.document(source)

    def _reply_to(self, chat: SandboxChat, p: Params) -> int | None:
        """reply_parameters (or the older reply_to_message_id): the message must exist unless the bot
        allowed sending without it."""
        parameters = p.get("reply_parameters") or {}
        if not isinstance(parameters, dict):
            raise bad_request("can't parse reply parameters JSON object")
        message_id = parameters.get("message_id", p.get("reply_to_message_id"))
        if message_id is None:
            return None
        if not isinstance(message_id, int):
            raise bad_request("invalid reply_to_message_id specified")
        if chat.live_message(message_id) is not None:
            return message_id
        if parameters.get("allow_sending_without_reply", p.get("allow_sending_without_reply")):
            return None
        raise bad_request("message to be replied not found")

    def _admit(self, chat: SandboxChat, units: int = 1) -> None:
        wait = self._flood.admit(self._limits(), chat.id, private=chat.private, units=units)
        if wait is not None:
            raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)

    # -- editing and deleting --------------------------------------------------------------

    async def edit_message_text(self, p: Params) -> Any:
        chat, message = self._editable(p)
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        text, entities = format_text(str(p.get("text") or ""), p.get("parse_mode"), p.get("entities"))
        return self._edit(chat, message, text=text, entities=entities, reply_markup=_markup(p.get("reply_markup")))

    async def edit_message_caption(self, p: Params) -> Any:
        chat, message = self._editable(p)
        if message.text is not None:
            raise bad_request("there is no caption in the message to edit")
        return self._edit(chat, message, **_caption(p.values), reply_markup=_markup(p.get("reply_markup")))

    async def edit_message_reply_markup(self, p: Params) -> Any:
        chat, message = self._editable(p)
        return self._edit(chat, message, reply_markup=_markup(p.get("reply_markup")))

    def _editable(self, p: Params) -> tuple[SandboxChat, StoredMessage]:
        if p.get("inline_message_id"):
            raise bad_request("the sandbox has no inline messages")
        chat = self._world.accessible(p.require("chat_id"), posting=True)
        message = chat.live_message(p.number("message_id"))
        if message is None:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return chat, message

    def _edit(self, chat: SandboxChat, message: StoredMessage, **changes: Any) -> dict[str, Any]:
        """Apply an edit. Leaving reply_markup out of an edit removes the keyboard, as on Telegram."""
        self._admit(chat)
        if all(getattr(message, name) == value for name, value in changes.items()):
            raise bad_request(NOT_MODIFIED)
        for name, value in changes.items():
            setattr(message, name, value)
        message.edits += 1
        message.edit_date = int(time.time())
        return self._world.message_json(chat, message)

    async def delete_message(self, p: Params) -> Any:
        chat = self._world.accessible(p.require("chat_id"), posting=False)
        message = chat.live_message(p.number("message_id"))
        if message is None:
            raise bad_request("message to delete not found")
        if not chat.private and not message.from_bot and self._world.bot_status(chat) not in ADMIN_STATUSES:
            raise bad_request("message can't be deleted")
        message.deleted = True
        return True

    async def answer_callback_query(self, p: Params) -> Any:
        """A query can be answered once; a second answer gets the same error as an expired one."""
        record = self._world.callbacks.get(str(p.require("callback_query_id")))
        if record is None or record.answer is not None:
            raise bad_request(QUERY_TOO_OLD)
        text = p.get("text")
        if text is not None and len(str(text)) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        record.answer = {"text": text, "show_alert": bool(p.get("show_alert")), "url": p.get("url")}
        return True

    async def send_chat_action(self, p: Params) -> Any:
        self._world.accessible(p.require("chat_id"), posting=True)
        if p.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    # -- command menus ---------------------------------------------------------------------

    async def set_my_commands(self, p: Params) -> Any:
        commands = p.require("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH" if isinstance(commands, list) else "can't parse commands")
        menu = [_command(entry) for entry in commands]
        self._world.commands[World.menu_key(p.get("scope"), p.get("language_code"))] = menu
        return True

    async def get_my_commands(self, p: Params) -> Any:
        """Exactly the menu set for this scope and language; Telegram's fallback applies to clients only."""
        return self._world.commands.get(World.menu_key(p.get("scope"), p.get("language_code")), [])

    async def delete_my_commands(self, p: Params) -> Any:
        self._world.commands.pop(World.menu_key(p.get("scope"), p.get("language_code")), None)
        return True

    # -- files, chats, members -------------------------------------------------------------

    async def get_file(self, p: Params) -> Any:
        stored = self._world.files.get(str(p.require("file_id")))
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        return stored.to_api()

    async def get_chat(self, p: Params) -> Any:
        chat = self._world.accessible(p.require("chat_id"), posting=False)
        return {**chat.to_api(), "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": _NO_GIFTS}

    async def get_chat_member(self, p: Params) -> Any:
        chat = self._world.accessible(p.require("chat_id"), posting=False)
        user_id = p.number("user_id")
        return _member(self._member_user(chat, user_id), self._status(chat, user_id))

    async def get_chat_administrators(self, p: Params) -> Any:
        chat = self._world.accessible(p.require("chat_id"), posting=False)
        if chat.private:
            raise bad_request("there are no administrators in the private chat")
        ids = [user_id for user_id, status in chat.members.items() if status in ADMIN_STATUSES]
        return [_member(self._member_user(chat, user_id), chat.members[user_id]) for user_id in ids]

    def _member_user(self, chat: SandboxChat, user_id: int) -> dict[str, Any]:
        world = self._world
        if user_id == world.bot_id:
            return world.bot_user
        user = world.users.get(user_id)
        if user is None or (chat.private and user_id != chat.id):
            raise bad_request("user not found")
        return user.to_api()

    def _status(self, chat: SandboxChat, user_id: int) -> str:
        if chat.private:
            return "member"
        if user_id == self._world.bot_id:
            return self._world.bot_status(chat)
        return chat.members.get(user_id, "left")


# -- parameter helpers ---------------------------------------------------------------------


def _optional_int(p: Params, name: str) -> int | None:
    value = p.get(name)
    return None if value is None else p.number(name)


def _input_file(p: Params, name: str) -> Upload | str:
    """A file part named like the parameter, an ``attach://`` reference, or a file id."""
    upload = p.uploads.get(name)
    if upload is not None:
        return upload
    value = p.get(name)
    if not value:
        raise bad_request(f"there is no {name} in the request")
    return _media_source(p, value)


def _media_source(p: Params, value: Any) -> Upload | str:
    if not isinstance(value, str) or not value:
        raise bad_request("can't parse InputMedia: media not found")
    if value.startswith("attach://"):
        upload = p.uploads.get(value.removeprefix("attach://"))
        if upload is None:
            raise bad_request("can't parse InputMedia: media not found")
        return upload
    if value.startswith(("http://", "https://")):
        # The sandbox is offline: URLs are never fetched.
        raise bad_request("wrong file identifier/HTTP URL specified")
    return value


def _caption(values: dict[str, Any]) -> dict[str, Any]:
    caption, entities = format_text(str(values.get("caption") or ""), values.get("parse_mode"),
                                    values.get("caption_entities"), caption=True)
    return {"caption": caption or None, "entities": entities}


def _markup(value: Any) -> dict[str, Any] | None:
    """Validated reply_markup; an empty inline keyboard is no keyboard, as Telegram stores it."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    keyboard = value.get("inline_keyboard")
    if keyboard is None:
        return value
    if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
        raise bad_request("can't parse inline keyboard button: field \"inline_keyboard\" must be an Array of Array")
    for row in keyboard:
        for button in row:
            _check_button(button)
    return value if any(keyboard) else None


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not button.get("text"):
        raise bad_request("can't parse inline keyboard button: Text must be non-empty")
    if not BUTTON_ACTIONS & button.keys():
        raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
    data = button.get("callback_data")
    if data is not None and not 1 <= len(str(data).encode()) <= 64:
        raise bad_request("BUTTON_DATA_INVALID")


def _command(entry: Any) -> dict[str, str]:
    if not isinstance(entry, dict) or not _BOT_COMMAND.match(str(entry.get("command", ""))):
        raise bad_request("BOT_COMMAND_INVALID")
    description = str(entry.get("description", ""))
    if not 1 <= len(description) <= 256:
        raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    return {"command": entry["command"], "description": description}


def _member(user: dict[str, Any], status: str) -> dict[str, Any]:
    """A ChatMember object with the fields PTB requires for each status."""
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update({
            "can_be_edited": False, "is_anonymous": False, "can_manage_chat": True, "can_delete_messages": True,
            "can_manage_video_chats": True, "can_restrict_members": True, "can_promote_members": False,
            "can_change_info": True, "can_invite_users": True, "can_post_stories": False,
            "can_edit_stories": False, "can_delete_stories": False, "can_pin_messages": True,
        })
    elif status == "kicked":
        member["until_date"] = 0
    return member
