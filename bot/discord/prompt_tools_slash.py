"""`/style` and `/wildcard` as slash commands: an ``action`` choice (as `/group` has), the name, whether
it is the server's own set, and for ``save`` the options `/generate` has (the style's prompt, where
``...`` stands for the prompt typed later). What each does is ``bot.chat.commands.prompt_tools``'s;
the typed options are read by the same parsers as text, after the ban check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import discord
from discord import app_commands

from bot.chat.commands.prompt_tools import STYLE_ACTIONS, WILDCARD_ACTIONS, Kind, typed_command
from bot.chat.context import ChatContext
from bot.chat.router import CommandRouter
from bot.chat.texts.catalog import t
from novelai.models import MODELS

MODEL_CHOICES = [app_commands.Choice(name=info.label, value=model_id) for model_id, info in MODELS.items()][:25]
FieldReader = Callable[[dict[str, Any]], dict[str, Any]]


class ToolBot(Protocol):
    """What the commands need of the adapter (never imported here)."""

    def router(self) -> CommandRouter: ...

    def context(self, interaction: discord.Interaction) -> ChatContext: ...


def _text(key: str) -> app_commands.locale_str:
    return app_commands.locale_str(t("en", key), key=key)


def prompt_tool_commands(bot: ToolBot, read_fields: FieldReader) -> list[Any]:
    """`/style` and `/wildcard`, calling into the router; ``read_fields`` turns typed options into
    request fields (``bot.discord.slash.typed_fields``, handed in so this module never imports it)."""

    @app_commands.command(name="style", description=_text("menu.style"))
    @app_commands.describe(
        action=_text("dc.opt.tool_action"), name=_text("dc.opt.tool_name"), group=_text("dc.opt.tool_group"),
        prompt=_text("dc.opt.style_prompt"), negative=_text("dc.opt.negative"), model=_text("dc.opt.model"),
        size=_text("dc.opt.size"), steps=_text("dc.opt.steps"), scale=_text("dc.opt.scale"),
        sampler=_text("dc.opt.sampler"), characters=_text("dc.opt.characters"))
    @app_commands.choices(action=[app_commands.Choice(name=a, value=a) for a in STYLE_ACTIONS], model=MODEL_CHOICES)
    async def style(interaction: discord.Interaction, action: str = "list", name: str | None = None,
                    group: bool = False, prompt: str | None = None, negative: str | None = None,
                    model: str | None = None, size: str | None = None,
                    steps: app_commands.Range[int, 1, 50] | None = None,
                    scale: app_commands.Range[float, 0.0, 10.0] | None = None, sampler: str | None = None,
                    characters: str | None = None) -> None:
        raw = {"negative": negative, "model": model, "size": size, "steps": steps, "scale": scale,
               "sampler": sampler, "characters": characters}
        router, ctx = bot.router(), bot.context(interaction)
        await router.conv.guarded(ctx, router.prompt_tools.run(
            ctx, "style", lambda: typed_command("style", action, name, group, prompt or "",
                                                read_fields(raw) if action == "save" else {})))

    @app_commands.command(name="wildcard", description=_text("menu.wildcard"))
    @app_commands.describe(action=_text("dc.opt.tool_action"), name=_text("dc.opt.tool_name"),
                           entries=_text("dc.opt.wildcard_entries"), group=_text("dc.opt.tool_group"))
    @app_commands.choices(action=[app_commands.Choice(name=a, value=a) for a in WILDCARD_ACTIONS])
    async def wildcard(interaction: discord.Interaction, action: str = "list", name: str | None = None,
                       entries: str | None = None, group: bool = False) -> None:
        router, ctx = bot.router(), bot.context(interaction)
        await router.conv.guarded(ctx, router.prompt_tools.run(
            ctx, "wildcard", lambda: typed_command("wildcard", action, name, group, entries or "")))

    @style.autocomplete("name")
    async def style_name(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await name_choices(bot, interaction, "style", current)

    @wildcard.autocomplete("name")
    async def wildcard_name(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await name_choices(bot, interaction, "wildcard", current)

    return [style, wildcard]


async def name_choices(bot: ToolBot, interaction: discord.Interaction, kind: Kind, current: str, *,
                       several: bool = False) -> list[app_commands.Choice[str]]:
    """Saved names that start with what is typed (the person's, then the server's); for /generate's
    ``style`` option (``several``) the last of a comma list is completed. Two Redis reads, well
    inside Discord's 3 s; nothing at all if Redis is away."""
    names = await bot.router().prompt_tools.suggest(bot.context(interaction), kind, current, several=several)
    return [app_commands.Choice(name=name, value=name) for name in names]
