"""The Discord views the bot shows: the login form (a modal) and the persistent job buttons.

They are given what to do (callables) rather than the bot, so this module imports nothing of the
adapter and two bots in one process would not share a button handler.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import discord

from bot.chat.ports import Button, ButtonPress
from bot.chat.texts.catalog import t
from bot.discord.sender import JOB_BUTTON_TEMPLATE

# Modal custom ids carry the user: discord.py keys open modals by custom id alone, so two people
# logging in at once must not share one.
LOGIN_MODAL, BIND_MODAL = "naibot-login", "naibot-bind"
ButtonClick = Callable[[discord.Interaction, ButtonPress], Awaitable[None]]


class LoginModal(discord.ui.Modal):
    """Credentials where only the person and the bot see them: a token, or an email and a password.

    Discord cannot mask a text input, so the placeholders say who sees it; nothing typed here ever
    appears in a message (answers are ephemeral and never repeat the input). Like every form of
    ours it keeps nothing: the adapter answers the submission from its custom id (``naibot-login``
    for one's own account, ``naibot-bind`` for the group the form was sent in, whose admin right is
    in Redis) and its values (``read_submission``), so a form opened before a restart works after it."""

    def __init__(self, lang: str, *, user_id: int, personal: bool) -> None:
        super().__init__(title=t(lang, "dc.login.title" if personal else "dc.login.bind_title")[:45],
                         custom_id=f"{LOGIN_MODAL if personal else BIND_MODAL}:{user_id}", timeout=600)
        private = t(lang, "dc.login.private")
        self.token: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="token", required=False, max_length=400, placeholder=private)
        self.email: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="email", required=False, max_length=320, placeholder="name@example.com")
        self.password: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="password", required=False, max_length=200, style=discord.TextStyle.short,
            placeholder=private)
        for key, field in (("dc.login.token", self.token), ("dc.login.email", self.email),
                           ("dc.login.password", self.password)):
            self.add_item(discord.ui.Label(text=t(lang, key)[:45], component=field))


class JobButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=JOB_BUTTON_TEMPLATE):
    """Any of our job buttons, rebuilt from its custom id whenever one is clicked (also after
    restarts). discord.py builds it from the class alone, so what a click does is bound into a
    subclass per bot (``job_button_for``), never kept in a global."""

    def __init__(self, action: str, job_id: str, index: int | None = None) -> None:
        press = ButtonPress(action, job_id, index)
        super().__init__(discord.ui.Button(label=action, custom_id=Button("", action, job_id, index).data))
        self.press = press

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> JobButton:
        return cls(match["action"], match["job"], int(match["index"]) if match["index"] else None)

    async def clicked(self, interaction: discord.Interaction) -> None:
        """What a click does; ``job_button_for`` binds it."""

    async def callback(self, interaction: discord.Interaction) -> None:
        await self.clicked(interaction)


def job_button_for(on_click: ButtonClick) -> type[JobButton]:
    """The JobButton class one bot registers: a click calls ``on_click(interaction, action, job)``."""

    class BoundJobButton(JobButton, template=JOB_BUTTON_TEMPLATE):
        async def clicked(self, interaction: discord.Interaction) -> None:
            await on_click(interaction, self.press)

    return BoundJobButton


# -- forms on images and results ---------------------------------------------------------------

# A form's custom id says everything its answer needs: the kind, what it is about, then the person
# (discord.py keys open forms by custom id, so two people's forms never collide):
#   naibot-edit:<job id>:<user id>                            ✏️ Edit & re-run of a job
#   naibot-image:<img2img|reference>:<channel>:<message>:<user id>   a context menu's form on a message
#   naibot-login:<user id>, naibot-bind:<user id>             /login, and /group bind (the group: where it was sent)
# A submitted form is answered from its custom id and values alone (``FormSubmission``), never from
# state this process kept, so a form left open across a restart still works.
IMAGE_MODAL, EDIT_MODAL = "naibot-image", "naibot-edit"
_FORM_ID = re.compile(r"^(?:naibot-edit:(?P<job>[A-Za-z0-9_-]{1,40})"
                      r"|naibot-image:(?P<what>img2img|reference):(?P<channel>\d{1,20}):(?P<message>\d{1,20})"
                      r"|naibot-(?P<login>login|bind))"
                      r":(?P<user>\d{1,20})$")
TEXT_INPUT, LABEL, ACTION_ROW = 4, 18, 1
MAX_FORM_VALUE = 4000  # Discord's own limit on a text input's value


def edit_form_id(job_id: str, user_id: int) -> str:
    return f"{EDIT_MODAL}:{job_id}:{user_id}"


def image_form_id(what: str, channel_id: int, message_id: int, user_id: int) -> str:
    return f"{IMAGE_MODAL}:{what}:{channel_id}:{message_id}:{user_id}"


@dataclass(frozen=True)
class FormSubmission:
    """A submitted form of ours, read from the interaction alone: which form, about what, by whom,
    and the values typed (by text input custom id, each bounded)."""

    user_id: int
    values: dict[str, str]
    job_id: str | None = None  # an Edit form
    what: str | None = None  # a context menu's form: img2img or reference
    login: str | None = None  # a login form: "login" (one's own account) or "bind" (the group's)
    channel_id: int | None = None
    message_id: int | None = None


def read_submission(data: Any) -> FormSubmission | None:
    """The form a modal-submit interaction's ``data`` answers, or None if it is not one of ours."""
    if not isinstance(data, dict):
        return None
    found = _FORM_ID.match(str(data.get("custom_id", "")))
    if found is None:
        return None
    values: dict[str, str] = {}
    for component in data.get("components") or []:
        inner = ([component.get("component")] if component.get("type") == LABEL
                 else component.get("components") or [])
        for item in inner:
            if isinstance(item, dict) and item.get("type") == TEXT_INPUT and isinstance(item.get("custom_id"), str):
                values[item["custom_id"]] = str(item.get("value") or "")[:MAX_FORM_VALUE]
    return FormSubmission(
        user_id=int(found["user"]), values=values, job_id=found["job"], what=found["what"], login=found["login"],
        channel_id=int(found["channel"]) if found["channel"] else None,
        message_id=int(found["message"]) if found["message"] else None)


class FieldsModal(discord.ui.Modal):
    """A form of short text fields, prefilled. Submitting it is handled by the adapter's interaction
    listener from the custom id and values (``read_submission``), so this object keeps nothing."""

    def __init__(self, *, title: str, custom_id: str, fields: list[tuple[str, str, str, bool, int]]) -> None:
        """``fields``: (name, label, prefilled value, required, max length), at most five."""
        super().__init__(title=title[:45], custom_id=custom_id[:100], timeout=900)
        for name, label, value, required, max_length in fields[:5]:
            style = discord.TextStyle.paragraph if max_length > 200 else discord.TextStyle.short
            field: discord.ui.TextInput[Any] = discord.ui.TextInput(
                custom_id=name, required=required, max_length=max_length, style=style,
                default=value[:max_length] or None)
            self.add_item(discord.ui.Label(text=label[:45], component=field))
