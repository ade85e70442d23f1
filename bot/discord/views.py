"""The Discord views the bot shows: the login form (a modal) and the persistent job buttons.

They are given what to do (callables) rather than the bot, so this module imports nothing of the
adapter and two bots in one process would not share a button handler.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import discord

from bot.chat.ports import Button, ButtonPress
from bot.chat.texts.catalog import t
from bot.discord.sender import JOB_BUTTON_TEMPLATE

# Modal custom ids carry the user: discord.py keys open modals by custom id alone, so two people
# logging in at once must not share one.
LOGIN_MODAL, BIND_MODAL = "naibot-login", "naibot-bind"
ButtonClick = Callable[[discord.Interaction, ButtonPress], Awaitable[None]]


class LoginSubmit(Protocol):
    """What to do with a submitted login form: (interaction, target, target name, the fields)."""

    async def __call__(self, interaction: discord.Interaction, target: str, target_name: str, *,
                       token: str, email: str, password: str) -> None: ...


class LoginModal(discord.ui.Modal):
    """Credentials where only the person and the bot see them: a token, or an email and a password.

    Discord cannot mask a text input, so the placeholders say who sees it; nothing typed here ever
    appears in a message (answers are ephemeral and never repeat the input)."""

    def __init__(self, on_submit: LoginSubmit, lang: str, *, user_id: int, target: str, target_name: str) -> None:
        personal = target == "personal"
        super().__init__(title=t(lang, "dc.login.title" if personal else "dc.login.bind_title")[:45],
                         custom_id=f"{LOGIN_MODAL if personal else BIND_MODAL}:{user_id}", timeout=600)
        self.submit, self.target, self.target_name = on_submit, target, target_name
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

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.submit(interaction, self.target, self.target_name, token=self.token.value,
                          email=self.email.value, password=self.password.value)


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
