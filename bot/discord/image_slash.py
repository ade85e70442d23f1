"""The slash commands on an attached picture (`/tool`, `/info`, `/upscale`, `/enhance`, `/variations`)
and the message context menus (Apps → …: five, Discord's limit per application), described in
English and Chinese like the rest of the table (``bot.discord.slash``). What each does is
``bot.discord.image_actions``'s, reached through the adapter's ``images``.
"""

from __future__ import annotations

from typing import Any, Protocol

import discord
from discord import app_commands

from bot.chat.texts.catalog import t

# /tool's type choice: NovelAI's Director Tools, as ``bot.chat.commands.images.TOOL_WORDS`` reads them.
TOOL_CHOICES = ("lineart", "sketch", "colorize", "emotion", "declutter", "bubbles", "bgremove")
# The context menus, in the order Discord lists them: (name's text key, what it does).
MESSAGE_MENUS = (("dc.menu.img2img", "img2img"), ("dc.menu.enhance", "enhance"), ("dc.menu.upscale", "upscale"),
                 ("dc.menu.reference", "reference"), ("dc.menu.info", "info"))


class PictureActions(Protocol):
    """What these commands call (``bot.discord.image_actions.ImageActions``; never imported here)."""

    async def on_attachment(self, interaction: discord.Interaction, what: str, attachment: discord.Attachment,
                            text: str) -> None: ...

    async def on_message(self, interaction: discord.Interaction, message: discord.Message, what: str) -> None: ...


class PictureBot(Protocol):
    @property
    def images(self) -> PictureActions: ...


def _text(key: str) -> app_commands.locale_str:
    return app_commands.locale_str(t("en", key), key=key)


def image_commands(bot: PictureBot) -> list[Any]:
    """The commands on a picture and the message context menus, calling into ``bot.images``."""

    @app_commands.command(name="tool", description=_text("menu.tool"))
    @app_commands.describe(image=_text("dc.opt.picture"), type=_text("dc.opt.tool"), prompt=_text("dc.opt.tool_prompt"),
                           emotion=_text("dc.opt.emotion"), defry=_text("dc.opt.defry"))
    @app_commands.choices(type=[app_commands.Choice(name=name, value=name) for name in TOOL_CHOICES])
    async def tool(interaction: discord.Interaction, image: discord.Attachment, type: str,
                   prompt: str | None = None, emotion: str | None = None,
                   defry: app_commands.Range[int, 0, 5] | None = None) -> None:
        words = [type, (emotion or "").strip() if type == "emotion" else "", prompt or ""]
        text = " ".join(word for word in words if word) + (f" defry:{defry}" if defry is not None else "")
        await bot.images.on_attachment(interaction, "tool", image, text)

    @app_commands.command(name="info", description=_text("menu.info"))
    @app_commands.describe(image=_text("dc.opt.picture"))
    async def info(interaction: discord.Interaction, image: discord.Attachment) -> None:
        await bot.images.on_attachment(interaction, "info", image, "")

    @app_commands.command(name="upscale", description=_text("menu.upscale"))
    @app_commands.describe(image=_text("dc.opt.picture"), scale=_text("dc.opt.upscale"))
    @app_commands.choices(scale=[app_commands.Choice(name="×2", value=2), app_commands.Choice(name="×4", value=4)])
    async def upscale(interaction: discord.Interaction, image: discord.Attachment, scale: int = 2) -> None:
        await bot.images.on_attachment(interaction, "upscale", image, str(scale))

    @app_commands.command(name="enhance", description=_text("menu.enhance"))
    @app_commands.describe(image=_text("dc.opt.picture"), prompt=_text("dc.opt.derived_prompt"))
    async def enhance(interaction: discord.Interaction, image: discord.Attachment, prompt: str | None = None) -> None:
        await bot.images.on_attachment(interaction, "enhance", image, prompt or "")

    @app_commands.command(name="variations", description=_text("menu.variations"))
    @app_commands.describe(image=_text("dc.opt.picture"), prompt=_text("dc.opt.derived_prompt"))
    async def variations(interaction: discord.Interaction, image: discord.Attachment,
                         prompt: str | None = None) -> None:
        await bot.images.on_attachment(interaction, "variations", image, prompt or "")

    def menu(key: str, what: str) -> app_commands.ContextMenu:
        async def on_message(interaction: discord.Interaction, message: discord.Message) -> None:
            await bot.images.on_message(interaction, message, what)
        return app_commands.ContextMenu(name=_text(key), callback=on_message)

    return [tool, info, upscale, enhance, variations, *(menu(key, what) for key, what in MESSAGE_MENUS)]
