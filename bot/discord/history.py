"""`/history` and `/show` on Discord: an ephemeral gallery with a select menu, and one result posted again.

`/history [page]` answers only the asker (ephemeral): the page's results as thumbnails (one embed
each, its image an attachment), the list (number, job id, prompt, when it expires), a select menu to
pick one and ◀ ▶ buttons. Turning a page edits that same message (a deferred update, then the
original response edited: new text, embeds and attachments); picking one posts the result in the
channel with its usual buttons, through the router exactly as Telegram's numbered buttons do
(``ACTION_SHOW``: the ban check, "asked in this channel", then ``HistoryCommands.pick``).

Both components are dynamic items: their custom ids say whose history and which page, so an old
gallery still works after a restart, and nothing is kept in this process:
  naibot-hist:<user id>:<page>      a page button (page from 0)
  naibot-pick:<user id>             the select menu; its values are job ids
"""

from __future__ import annotations

import io
import re
import time
from typing import Any, Protocol

import discord

from bot.chat.context import ChatContext
from bot.chat.ports import ACTION_SHOW, ButtonPress
from bot.chat.router import CommandRouter
from bot.chat.texts.catalog import t
from bot.chat.texts.history import HistoryPage, entry_label, history_text
from bot.discord.sender import CONTENT_LIMIT, mapped

TURN_TEMPLATE = r"naibot-hist:(?P<user>[0-9]{1,20}):(?P<page>[0-9])"
PICK_TEMPLATE = r"naibot-pick:(?P<user>[0-9]{1,20})"
# Discord's limit on an option's label.
OPTION_LABEL = 100


class HistoryBot(Protocol):
    """What the gallery needs of the adapter (the adapter is never imported here)."""

    def router(self) -> CommandRouter: ...

    def context(self, interaction: discord.Interaction) -> ChatContext: ...


class HistoryActions(Protocol):
    """What the slash commands call (``DiscordHistory``)."""

    async def on_history(self, interaction: discord.Interaction, page: int | None) -> None: ...

    async def on_show(self, interaction: discord.Interaction, job: str) -> None: ...


class DiscordHistory:
    def __init__(self, bot: HistoryBot) -> None:
        self.bot = bot

    def items(self) -> list[type[discord.ui.DynamicItem[Any]]]:
        """The dynamic items to register with the client (``Client.add_dynamic_items``)."""
        history = self

        class TurnButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TURN_TEMPLATE):
            def __init__(self, user_id: int, page: int, label: str = "▶") -> None:
                super().__init__(discord.ui.Button(label=label, custom_id=f"naibot-hist:{user_id}:{page}",
                                                   style=discord.ButtonStyle.secondary))
                self.user_id, self.page = user_id, page

            @classmethod
            async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                                     match: re.Match[str]) -> TurnButton:
                return cls(int(match["user"]), int(match["page"]))

            async def callback(self, interaction: discord.Interaction) -> None:
                await history.on_turn(interaction, self.user_id, self.page)

        class PickMenu(discord.ui.DynamicItem[discord.ui.Select[Any]], template=PICK_TEMPLATE):
            def __init__(self, user_id: int) -> None:
                super().__init__(discord.ui.Select(custom_id=f"naibot-pick:{user_id}",
                                                   options=[discord.SelectOption(label="-")]))
                self.user_id = user_id

            @classmethod
            async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                                     match: re.Match[str]) -> PickMenu:
                return cls(int(match["user"]))

            async def callback(self, interaction: discord.Interaction) -> None:
                data: dict[str, Any] = dict(interaction.data or {})
                values = [str(value) for value in data.get("values") or []]
                await history.on_pick(interaction, self.user_id, values[0] if values else "")

        return [TurnButton, PickMenu]

    # -- the commands ----------------------------------------------------------------------------

    async def on_history(self, interaction: discord.Interaction, page: int | None) -> None:
        router = self.bot.router()
        ctx = self.bot.context(interaction)
        await router.conv.guarded(ctx, self._history(interaction, ctx, router, (page or 1) - 1, update=False))

    async def on_turn(self, interaction: discord.Interaction, user_id: int, page: int) -> None:
        router = self.bot.router()
        ctx = self.bot.context(interaction)
        if user_id != interaction.user.id:  # an ephemeral gallery is only its owner's; a forged id is not
            await self._notice(interaction, t(await router.conv.language(ctx), "history.not_yours"))
            return
        await router.conv.guarded(ctx, self._history(interaction, ctx, router, page, update=True))

    async def _history(self, interaction: discord.Interaction, ctx: ChatContext, router: CommandRouter, page: int,
                       *, update: bool) -> None:
        # Reading up to six results from storage may take longer than Discord's 3 s (S3): acknowledge
        # first ("thinking…" only the asker sees, or a silent update of the gallery), then fill it in.
        if update:
            await mapped(interaction.response.defer())
        else:
            await mapped(interaction.response.defer(ephemeral=True, thinking=True))
        if await router.conv.refused_banned(ctx):
            return
        lang = await router.conv.language(ctx)
        found = await router.history.page_of(ctx.user_key, ctx.user_id, ctx.chat, page)
        if not found.entries:
            if update:
                await mapped(interaction.edit_original_response(content=t(lang, "history.empty"), embeds=[],
                                                                attachments=[], view=None))
            else:
                await router.conv.say(ctx, "history.empty", private=True)
            return
        content = history_text(found, lang, time.time(), "history.hint_menu")[:CONTENT_LIMIT]
        pictures = await router.history.thumbnails(found)
        files = [discord.File(io.BytesIO(picture.png), filename=picture.filename) for picture in pictures]
        embeds = [discord.Embed(description=picture.caption).set_image(url=f"attachment://{picture.filename}")
                  for picture in pictures]
        view = self.gallery_view(found, lang)
        if update:
            await mapped(interaction.edit_original_response(content=content, embeds=embeds, attachments=files,
                                                            view=view))
        else:
            await mapped(interaction.followup.send(content, embeds=embeds, files=files, view=view, ephemeral=True,
                                                   wait=True))

    @staticmethod
    def gallery_view(page: HistoryPage, lang: str) -> discord.ui.View:
        """The select menu (one option per result: its label, its job id as value) and ◀ ▶."""
        view = discord.ui.View(timeout=None)
        options = [discord.SelectOption(label=entry_label(entry)[:OPTION_LABEL], value=entry.job.id,
                                        description=entry.job.id) for entry in page.entries]
        view.add_item(discord.ui.Select(custom_id=f"naibot-pick:{page.owner_id}", options=options,
                                        placeholder=t(lang, "history.select"), row=0))
        if page.page > 0:
            view.add_item(discord.ui.Button(label="◀", custom_id=f"naibot-hist:{page.owner_id}:{page.page - 1}",
                                            row=1))
        if page.page < page.pages - 1:
            view.add_item(discord.ui.Button(label="▶", custom_id=f"naibot-hist:{page.owner_id}:{page.page + 1}",
                                            row=1))
        return view

    async def on_pick(self, interaction: discord.Interaction, user_id: int, job_id: str) -> None:
        """A result picked in the menu: posted in the channel through the router (its checks); the
        picker hears where and how to use it as input."""
        router = self.bot.router()
        ctx = self.bot.context(interaction)
        lang = await router.conv.language(ctx)
        if user_id != interaction.user.id:
            await self._notice(interaction, t(lang, "history.not_yours"))
            return
        if not job_id.isalnum() or not job_id.isascii() or len(job_id) > 32:
            await self._notice(interaction, t(lang, "callback.gone"))
            return
        notice, _alert = await router.button(ctx, ButtonPress(ACTION_SHOW, job_id))
        await self._notice(interaction, notice)

    async def on_show(self, interaction: discord.Interaction, job: str) -> None:
        """`/show JOB`: the result goes to the channel; the asker hears so, privately."""
        router = self.bot.router()
        ctx = self.bot.context(interaction)
        notice = await router.conv.guarded(ctx, router.history.show(ctx, job))
        if notice:
            await self._notice(interaction, notice)

    @staticmethod
    async def _notice(interaction: discord.Interaction, text: str) -> None:
        if not interaction.response.is_done():
            await mapped(interaction.response.send_message(text, ephemeral=True))
        else:
            await mapped(interaction.followup.send(text, ephemeral=True))
