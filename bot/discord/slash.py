"""The slash-command table: every command, its typed options (choices for the model,
autocomplete for sampler and size, tag autocomplete for the prompt and the negative), descriptions in
English and Chinese, and how typed option
values become request fields. What each command does is the router's; this module only turns an
interaction into a call on it, through the few adapter methods ``SlashBot`` names.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import discord
from discord import app_commands

from bot.chat.context import ChatContext
from bot.chat.generate_options import STYLES_FIELD, parse_value, request_fields
from bot.chat.router import CommandRouter
from bot.chat.texts.catalog import t
from bot.discord.history import HistoryActions
from bot.discord.image_slash import PictureActions, image_commands
from bot.discord.images import GenerateFiles
from bot.discord.prompt_tools_slash import name_choices, prompt_tool_commands
from novelai.models import MODELS, SIZE_PRESETS
from novelai.request import GenerationRequest

PLATFORM = "discord"
_WXH = re.compile(r"^\d{2,4}\s*[x×*]\s*\d{2,4}$")
MODEL_CHOICES = [app_commands.Choice(name=info.label, value=model_id) for model_id, info in MODELS.items()][:25]
# `/group <action>`: the words GroupCommands.group() reads for each choice (``bind`` opens a modal).
GROUP_ACTIONS = {"status": "status", "bind": "account bind", "lend": "account lend", "unbind": "unbind",
                 "quota": "quota", "priority": "priority", "pause": "pause", "resume": "resume",
                 "prefer": "prefer", "default": "default", "channels": "channels"}
ADMIN_ACTIONS = ("ban", "unban", "queue")


class SlashBot(Protocol):
    """What the commands need of the adapter (the adapter is never imported here)."""

    def router(self) -> CommandRouter: ...

    def context(self, interaction: discord.Interaction) -> ChatContext: ...

    async def on_generate(self, interaction: discord.Interaction, prompt: str, raw: dict[str, Any],
                          priority: int | None, files: GenerateFiles) -> None: ...

    @property
    def images(self) -> PictureActions: ...

    async def on_login(self, interaction: discord.Interaction) -> None: ...

    @property
    def history(self) -> HistoryActions: ...

    async def on_group(self, interaction: discord.Interaction, action: str, args: str) -> None: ...


class Translator(app_commands.Translator):
    """Command and option descriptions in Chinese for zh-CN/zh-TW clients (English is the default)."""

    async def translate(self, string: app_commands.locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContextTypes) -> str | None:
        key = string.extras.get("key")
        if key and locale in (discord.Locale.chinese, discord.Locale.taiwan_chinese):
            return t("zh", key)
        return None


def _text(key: str) -> app_commands.locale_str:
    return app_commands.locale_str(t("en", key), key=key)


def slash_commands(bot: SlashBot) -> list[app_commands.Command[Any, Any, Any]]:
    """Every slash command, calling into ``bot``."""

    @app_commands.command(name="generate", description=_text("dc.generate"))
    @app_commands.describe(
        prompt=_text("dc.opt.prompt"), negative=_text("dc.opt.negative"), model=_text("dc.opt.model"),
        sampler=_text("dc.opt.sampler"), size=_text("dc.opt.size"), steps=_text("dc.opt.steps"),
        scale=_text("dc.opt.scale"), n=_text("dc.opt.n"), seed=_text("dc.opt.seed"),
        characters=_text("dc.opt.characters"), priority=_text("dc.opt.priority"),
        transparent=_text("dc.opt.transparent"), image=_text("dc.opt.image"), mask=_text("dc.opt.mask"),
        vibe1=_text("dc.opt.vibe"), vibe2=_text("dc.opt.vibe"), vibe3=_text("dc.opt.vibe"),
        reference=_text("dc.opt.reference"), strength=_text("dc.opt.strength"), noise=_text("dc.opt.noise"),
        style=_text("dc.opt.style"))
    @app_commands.choices(model=MODEL_CHOICES)
    async def generate(interaction: discord.Interaction, prompt: str, negative: str | None = None,
                       model: str | None = None, sampler: str | None = None, size: str | None = None,
                       steps: app_commands.Range[int, 1, 50] | None = None,
                       scale: app_commands.Range[float, 0.0, 10.0] | None = None,
                       n: app_commands.Range[int, 1, 8] | None = None,
                       seed: app_commands.Range[int, 0, 4294967295] | None = None,
                       characters: str | None = None,
                       priority: app_commands.Range[int, 0, 10] | None = None,
                       transparent: bool | None = None, image: discord.Attachment | None = None,
                       mask: discord.Attachment | None = None, vibe1: discord.Attachment | None = None,
                       vibe2: discord.Attachment | None = None, vibe3: discord.Attachment | None = None,
                       reference: discord.Attachment | None = None,
                       strength: app_commands.Range[float, 0.01, 0.99] | None = None,
                       noise: app_commands.Range[float, 0.0, 0.99] | None = None,
                       style: str | None = None) -> None:
        files = GenerateFiles(image=image, mask=mask, vibes=tuple(v for v in (vibe1, vibe2, vibe3) if v is not None),
                              reference=reference, strength=strength, noise=noise)
        await bot.on_generate(interaction, prompt, {
            "negative": negative, "model": model, "sampler": sampler, "size": size, "steps": steps,
            "scale": scale, "n": n, "seed": seed, "characters": characters, "transparent": transparent,
            "style": style}, priority, files)

    @generate.autocomplete("sampler")
    async def sampler_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=s, value=s) for s in model_samplers(interaction.namespace.model)
                if current.lower() in s][:25]

    @generate.autocomplete("prompt")
    async def prompt_tags(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await tag_choices(bot.router(), interaction, current)

    @generate.autocomplete("negative")
    async def negative_tags(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await tag_choices(bot.router(), interaction, current)

    @generate.autocomplete("style")
    async def style_names(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await name_choices(bot, interaction, "style", current, several=True)

    @generate.autocomplete("size")
    async def size_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        presets = [app_commands.Choice(name=f"{name} ({w}×{h})", value=name)
                   for name, (w, h) in SIZE_PRESETS.items() if current.lower() in name]
        typed = [app_commands.Choice(name=current, value=current)] if _WXH.match(current.strip()) else []
        return (typed + presets)[:25]

    @app_commands.command(name="queue", description=_text("menu.queue"))
    async def queue(interaction: discord.Interaction) -> None:
        await bot.router().jobs.show_queue(bot.context(interaction))

    @app_commands.command(name="status", description=_text("menu.status"))
    @app_commands.describe(job=_text("dc.opt.job"))
    async def status(interaction: discord.Interaction, job: str | None = None) -> None:
        await bot.router().jobs.status(bot.context(interaction), job)

    @app_commands.command(name="cancel", description=_text("menu.cancel"))
    @app_commands.describe(job=_text("dc.opt.job"))
    async def cancel(interaction: discord.Interaction, job: str | None = None) -> None:
        await bot.router().jobs.cancel(bot.context(interaction), job)

    @app_commands.command(name="history", description=_text("menu.history"))
    @app_commands.describe(page=_text("dc.opt.history_page"))
    async def history(interaction: discord.Interaction, page: app_commands.Range[int, 1, 10] | None = None) -> None:
        await bot.history.on_history(interaction, page)

    @app_commands.command(name="show", description=_text("menu.show"))
    @app_commands.describe(job=_text("dc.opt.show_job"))
    async def show(interaction: discord.Interaction, job: str) -> None:
        await bot.history.on_show(interaction, job)

    @app_commands.command(name="settings", description=_text("menu.settings"))
    @app_commands.describe(change=_text("dc.opt.settings"))
    async def settings(interaction: discord.Interaction, change: str | None = None) -> None:
        await bot.router().settings.settings(bot.context(interaction), change or "")

    @app_commands.command(name="help", description=_text("menu.help"))
    async def help_command(interaction: discord.Interaction) -> None:
        await bot.router().settings.help(bot.context(interaction))

    @app_commands.command(name="login", description=_text("menu.login"))
    async def login(interaction: discord.Interaction) -> None:
        await bot.on_login(interaction)

    @app_commands.command(name="logout", description=_text("menu.logout"))
    async def logout(interaction: discord.Interaction) -> None:
        await bot.router().account.logout(bot.context(interaction))

    @app_commands.command(name="account", description=_text("menu.account"))
    async def account(interaction: discord.Interaction) -> None:
        await bot.router().account.account(bot.context(interaction))

    @app_commands.command(name="group", description=_text("menu.group"))
    @app_commands.describe(action=_text("dc.opt.group_action"), args=_text("dc.opt.group_args"))
    @app_commands.choices(action=[app_commands.Choice(name=a, value=a) for a in GROUP_ACTIONS])
    async def group(interaction: discord.Interaction, action: str = "status", args: str | None = None) -> None:
        await bot.on_group(interaction, action, args or "")

    @app_commands.command(name="admin", description=_text("menu.admin"))
    @app_commands.describe(action=_text("dc.opt.admin_action"), user=_text("dc.opt.admin_user"))
    @app_commands.choices(action=[app_commands.Choice(name=a, value=a) for a in ADMIN_ACTIONS])
    async def admin(interaction: discord.Interaction, action: str, user: discord.User | None = None) -> None:
        text = f"{action} {PLATFORM}:{user.id}" if user is not None else action
        await bot.router().admin.admin(bot.context(interaction), text)

    return [generate, queue, status, cancel, history, show, settings, help_command, login, logout, account, group,
            admin, *image_commands(bot), *prompt_tool_commands(bot, typed_fields)]


async def tag_choices(router: CommandRouter, interaction: discord.Interaction, current: str
                      ) -> list[app_commands.Choice[str]]:
    """The tag being typed in a prompt option, completed from NovelAI's suggestions for the model picked so
    far (``bot.chat.tag_suggestions``): the name shows the tag and its count, the value is the whole prompt
    with the tag completed. Answers within Discord's 3 s from the cache or with nothing when NovelAI is slow;
    past 100 characters (Discord's limit for a value) no choices, so picking can never cut a prompt."""
    pairs = await router.tags.discord_choices(f"{PLATFORM}:{interaction.user.id}", current,
                                              interaction.namespace.model)
    return [app_commands.Choice(name=name, value=value) for name, value in pairs]


def model_samplers(model: str | None) -> tuple[str, ...]:
    """The samplers the website offers for the model picked so far in the command (the request's
    default model when none is), so autocomplete never suggests one the request would refuse."""
    info = MODELS.get(model or "") or MODELS[GenerationRequest.model_fields["model"].default]
    return info.samplers


def typed_fields(raw: dict[str, Any]) -> dict[str, Any]:
    """Slash-command options as GenerationRequest fields, checked by the same parser as text."""
    fields: dict[str, Any] = {}
    for name in ("negative", "model", "sampler", "size"):
        if raw.get(name):
            canonical, value = parse_value(name, str(raw[name]))
            fields.update(request_fields(canonical, value))
    for name, field in (("steps", "steps"), ("scale", "scale"), ("n", "n_samples"), ("seed", "seed"),
                        ("transparent", "transparent")):
        if raw.get(name) is not None:
            fields[field] = raw[name]
    if raw.get("characters"):
        fields["characters"] = tuple(parse_value("char", part)[1]
                                     for part in str(raw["characters"]).split(";") if part.strip())
    if raw.get("style"):  # saved styles, in order (bot.chat.styles applies them)
        fields[STYLES_FIELD] = parse_value("style", str(raw["style"]))[1]
    return fields

