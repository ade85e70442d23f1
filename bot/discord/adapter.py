"""The Discord adapter: discord.py slash commands in front, the platform-free command layer behind.

Discord-specific here and in ``bot.discord.sender``: typed slash-command options (choices for
the model, autocomplete for sampler and size, descriptions in English and Chinese), answering
interactions within Discord's 3 seconds, persistent buttons (dynamic items: their custom ids
carry the job, so they work after a restart), the admin check (Manage Server, Administrator or a
configured role) and the NSFW rule of age-restricted channels. REST and gateway URLs come from
settings, so the bot runs unchanged against the offline stand-in.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from contextlib import suppress
from typing import Any

import discord
import yarl
from discord import app_commands

from bot.chat.generate_options import GenerateOptions, OptionError, parse_value, request_fields
from bot.chat.pacer import WINDOW_SLACK, Limits, Window
from bot.chat.ports import Button, ChatRef, Reply, parse_button_data
from bot.chat.router import ChatContext, CommandService
from bot.chat.runtime import ChatRuntime
from bot.chat.texts.catalog import t
from bot.chat.texts.jobs import error_text
from bot.discord.sender import JOB_BUTTON_TEMPLATE, DiscordSender, InteractionTokens, RateLimitTrace, job_view, mapped
from naibot.logs import register_secret
from naibot.settings import Settings, secret
from novelai.models import MODELS, SAMPLERS, SIZE_PRESETS
from tasks.services import QueueServices

log = logging.getLogger(__name__)
PLATFORM = "discord"
_WXH = re.compile(r"^\d{2,4}\s*[x×*]\s*\d{2,4}$")
MODEL_CHOICES = [app_commands.Choice(name=info.label, value=model_id) for model_id, info in MODELS.items()][:25]
# `/group <action>`: the words AccountCommands.group() reads for each choice (``bind`` opens a modal).
GROUP_ACTIONS = {"status": "status", "bind": "account bind", "lend": "account lend", "unbind": "unbind",
                 "quota": "quota", "priority": "priority", "pause": "pause", "resume": "resume",
                 "prefer": "prefer", "default": "default", "channels": "channels"}
ADMIN_ACTIONS = ("ban", "unban", "queue")
# Modal custom ids carry the user: discord.py keys open modals by custom id alone, so two people
# logging in at once must not share one.
LOGIN_MODAL, BIND_MODAL = "naibot-login", "naibot-bind"


def discord_limits(channel_per_5s: int, global_per_second: int) -> Limits:
    per_channel = [Window(channel_per_5s, 5.0 * WINDOW_SLACK)]
    return Limits(private=per_channel, group=per_channel, overall=[Window(global_per_second, WINDOW_SLACK)])


def point_at(settings: Settings) -> None:
    """discord.py reads its REST base and gateway from class attributes; set them from settings."""
    discord.http.Route.BASE = settings.discord.api_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord.gateway_url)


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


class InteractionAnswerer:
    """The first answer is the interaction response (within 3 s); later ones are follow-ups."""

    def __init__(self, interaction: discord.Interaction, tokens: InteractionTokens) -> None:
        self.interaction = interaction
        self.tokens = tokens
        self._lock = asyncio.Lock()

    async def reply(self, text: str, buttons: list[list[Button]] | None = None, *, private: bool = False) -> str:
        view = job_view(buttons)
        extra: dict[str, Any] = {"view": view} if view is not None else {}
        async with self._lock:
            response = self.interaction.response
            if not response.is_done():
                callback = await mapped(response.send_message(text, ephemeral=private, **extra))
                message_id = callback.message_id
            else:
                message = await mapped(self.interaction.followup.send(text, ephemeral=private, wait=True, **extra))
                message_id = message.id
        await self.tokens.remember(str(message_id), self.interaction.application_id, self.interaction.token)
        return str(message_id)

    async def edit(self, message_id: str, text: str) -> None:
        await mapped(self.interaction.followup.edit_message(int(message_id), content=text, view=None))

    async def notice(self, text: str) -> None:
        """A short note only the clicker sees."""
        async with self._lock:
            if not self.interaction.response.is_done():
                await mapped(self.interaction.response.send_message(text, ephemeral=True))
            else:
                await mapped(self.interaction.followup.send(text, ephemeral=True))


class LoginModal(discord.ui.Modal):
    """Credentials where only the person and the bot see them: a token, or an email and a password.

    Discord cannot mask a text input, so the placeholders say who sees it; nothing typed here ever
    appears in a message (answers are ephemeral and never repeat the input)."""

    def __init__(self, bot: DiscordBot, lang: str, *, user_id: int, target: str, target_name: str) -> None:
        personal = target == "personal"
        super().__init__(title=t(lang, "dc.login.title" if personal else "dc.login.bind_title")[:45],
                         custom_id=f"{LOGIN_MODAL if personal else BIND_MODAL}:{user_id}", timeout=600)
        self.bot, self.target, self.target_name = bot, target, target_name
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

    async def on_submit(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        await self.bot.on_login_submit(interaction, self.target, self.target_name, token=self.token.value,
                                       email=self.email.value, password=self.password.value)


class JobButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=JOB_BUTTON_TEMPLATE):
    """Any of our job buttons, rebuilt from its custom id whenever one is clicked (also after restarts)."""

    bot: DiscordBot | None = None

    def __init__(self, action: str, job_id: str) -> None:
        super().__init__(discord.ui.Button(label=action, custom_id=f"{action}:{job_id}"))
        self.action, self.job_id = action, job_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> JobButton:
        return cls(match["action"], match["job"])

    async def callback(self, interaction: discord.Interaction) -> None:
        if JobButton.bot is not None:
            await JobButton.bot.on_button(interaction, self.action, self.job_id)


class DiscordBot:
    """One bot process: the discord.py client, the pacer, the delivery loop and the commands."""

    def __init__(self, settings: Settings) -> None:
        token = secret(settings.discord.token)
        if not token:
            raise ValueError("DISCORD_TOKEN is not set")
        register_secret(token)
        self.settings = settings
        self.token = token
        point_at(settings)
        intents = discord.Intents.none()
        intents.guilds = True  # channel NSFW flags and member permissions come with guild data
        self.rate_limits = RateLimitTrace()  # counts Discord's 429s for /metrics
        self.client = discord.Client(intents=intents, http_trace=self.rate_limits.config)
        self.client.setup_hook = self._setup  # type: ignore[method-assign]
        self.tree = app_commands.CommandTree(self.client)
        self.commands: CommandService | None = None
        self.runtime: ChatRuntime | None = None
        self._runner: asyncio.Task[None] | None = None
        self._install_commands()
        JobButton.bot = self

    # -- lifecycle ---------------------------------------------------------------------------

    async def _setup(self) -> None:
        settings = self.settings

        def sender(services: QueueServices) -> DiscordSender:
            self.tokens = InteractionTokens(services.redis, settings.redis.prefix)
            return DiscordSender(self.client, self.tokens)

        self.runtime = ChatRuntime.start(
            platform=PLATFORM, settings=settings, make_sender=sender, nsfw_rule=settings.discord.nsfw_rule,
            limits=discord_limits(settings.discord.channel_per_5s, settings.discord.global_per_second))
        self.commands = self.runtime.commands
        self.rate_limits.on_rate_limited = self.runtime.count_rate_limited
        self.client.add_dynamic_items(JobButton)
        await self.tree.set_translator(Translator())
        await self._sync()
        log.info("Discord bot (pid %d) up: REST %s, gateway %s, Redis %s, prefix %s, commands %s",
                 os.getpid(), settings.discord.api_url, settings.discord.gateway_url,
                 settings.redis.url.split("@")[-1], settings.redis.prefix,
                 f"in guilds {settings.discord.guilds}" if settings.discord.guilds else "global")

    async def _sync(self) -> None:
        if self.settings.discord.guilds:
            for guild_id in self.settings.discord.guilds:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()

    async def _teardown(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()
            self.runtime = None

    async def start(self) -> None:
        """Log in and connect inside a running loop (tests, the demo); returns once ready."""
        await self.client.login(self.token)
        self._runner = asyncio.create_task(self.client.connect(reconnect=True))
        waiter = asyncio.create_task(self.client.wait_until_ready())
        done, _ = await asyncio.wait({waiter, self._runner}, return_when=asyncio.FIRST_COMPLETED)
        if self._runner in done:
            waiter.cancel()
            self._runner.result()  # connecting failed: raise why

    async def stop(self) -> None:
        await self._teardown()
        await self.client.close()
        if self._runner is not None:
            with suppress(asyncio.CancelledError, Exception):
                await self._runner

    def run(self) -> None:
        async def main() -> None:
            try:
                await self.start()
                assert self._runner is not None
                await self._runner
            finally:
                await self.stop()

        asyncio.run(main())

    # -- context -----------------------------------------------------------------------------

    def context(self, interaction: discord.Interaction) -> ChatContext:
        channel = interaction.channel
        in_guild = interaction.guild_id is not None
        nsfw = channel.is_nsfw() if in_guild and hasattr(channel, "is_nsfw") else None  # type: ignore[union-attr]
        user = interaction.user
        return ChatContext(
            platform=PLATFORM, user_id=str(user.id), display_name=user.display_name,
            chat=ChatRef(str(interaction.channel_id), group=in_guild),
            answerer=InteractionAnswerer(interaction, self.tokens), language_code=str(interaction.locale),
            age_restricted=nsfw,
            group_id=str(interaction.guild_id) if in_guild else None,
            group_title=interaction.guild.name if interaction.guild is not None else "",
            is_admin=self.admin_check(interaction),
            private=None,  # ephemeral answers are private already
            role_max_priority=self.role_max_priority(user),
        )

    def role_max_priority(self, user: discord.User | discord.Member) -> int | None:
        """The highest priority ``discord.role_priorities`` grants one of the member's roles."""
        if not isinstance(user, discord.Member):
            return None
        priorities = self.settings.discord.role_priorities
        return max((priorities[role.id] for role in user.roles if role.id in priorities), default=None)

    def admin_check(self, interaction: discord.Interaction):  # type: ignore[no-untyped-def]
        async def check() -> bool:
            member = interaction.user
            if not isinstance(member, discord.Member):
                return False
            permissions = member.guild_permissions
            if permissions.administrator or permissions.manage_guild:
                return True
            return any(role.id in self.settings.discord.admin_roles for role in member.roles)
        return check

    # -- commands ----------------------------------------------------------------------------

    def _install_commands(self) -> None:
        bot = self

        @app_commands.command(name="generate", description=_text("dc.generate"))
        @app_commands.describe(
            prompt=_text("dc.opt.prompt"), negative=_text("dc.opt.negative"), model=_text("dc.opt.model"),
            sampler=_text("dc.opt.sampler"), size=_text("dc.opt.size"), steps=_text("dc.opt.steps"),
            scale=_text("dc.opt.scale"), n=_text("dc.opt.n"), seed=_text("dc.opt.seed"),
            characters=_text("dc.opt.characters"), priority=_text("dc.opt.priority"))
        @app_commands.choices(model=MODEL_CHOICES)
        async def generate(interaction: discord.Interaction, prompt: str, negative: str | None = None,
                           model: str | None = None, sampler: str | None = None, size: str | None = None,
                           steps: app_commands.Range[int, 1, 50] | None = None,
                           scale: app_commands.Range[float, 0.0, 10.0] | None = None,
                           n: app_commands.Range[int, 1, 8] | None = None,
                           seed: app_commands.Range[int, 0, 4294967295] | None = None,
                           characters: str | None = None,
                           priority: app_commands.Range[int, 0, 10] | None = None) -> None:
            await bot.on_generate(interaction, prompt, {
                "negative": negative, "model": model, "sampler": sampler, "size": size, "steps": steps,
                "scale": scale, "n": n, "seed": seed, "characters": characters}, priority)

        @generate.autocomplete("sampler")
        async def sampler_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            return [app_commands.Choice(name=s, value=s) for s in SAMPLERS if current.lower() in s][:25]

        @generate.autocomplete("size")
        async def size_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            presets = [app_commands.Choice(name=f"{name} ({w}×{h})", value=name)
                       for name, (w, h) in SIZE_PRESETS.items() if current.lower() in name]
            typed = [app_commands.Choice(name=current, value=current)] if _WXH.match(current.strip()) else []
            return (typed + presets)[:25]

        @app_commands.command(name="queue", description=_text("menu.queue"))
        async def queue(interaction: discord.Interaction) -> None:
            await bot._service().show_queue(bot.context(interaction))

        @app_commands.command(name="status", description=_text("menu.status"))
        @app_commands.describe(job=_text("dc.opt.job"))
        async def status(interaction: discord.Interaction, job: str | None = None) -> None:
            await bot._service().status(bot.context(interaction), job)

        @app_commands.command(name="cancel", description=_text("menu.cancel"))
        @app_commands.describe(job=_text("dc.opt.job"))
        async def cancel(interaction: discord.Interaction, job: str | None = None) -> None:
            await bot._service().cancel(bot.context(interaction), job, bot.admin_check(interaction))

        @app_commands.command(name="settings", description=_text("menu.settings"))
        @app_commands.describe(change=_text("dc.opt.settings"))
        async def settings(interaction: discord.Interaction, change: str | None = None) -> None:
            await bot._service().settings_command(bot.context(interaction), change or "")

        @app_commands.command(name="help", description=_text("menu.help"))
        async def help_command(interaction: discord.Interaction) -> None:
            await bot._service().help(bot.context(interaction))

        @app_commands.command(name="login", description=_text("menu.login"))
        async def login(interaction: discord.Interaction) -> None:
            await bot.on_login(interaction)

        @app_commands.command(name="logout", description=_text("menu.logout"))
        async def logout(interaction: discord.Interaction) -> None:
            await bot._service().accounts.logout(bot.context(interaction))

        @app_commands.command(name="account", description=_text("menu.account"))
        async def account(interaction: discord.Interaction) -> None:
            await bot._service().accounts.account(bot.context(interaction))

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
            await bot._service().admin_commands.admin(bot.context(interaction), text)

        for command in (generate, queue, status, cancel, settings, help_command, login, logout, account, group,
                        admin):
            self.tree.add_command(command)

    def _service(self) -> CommandService:
        assert self.commands is not None, "the bot has not finished starting"
        return self.commands

    async def on_generate(self, interaction: discord.Interaction, prompt: str, raw: dict[str, Any],
                          priority: int | None) -> None:
        ctx = self.context(interaction)
        try:
            options = GenerateOptions(prompt=prompt, fields=typed_fields(raw), priority=priority)
        except OptionError as exc:
            lang = await self._service().language(ctx)
            await ctx.answerer.reply(error_text(exc, lang), private=True)
            return
        await self._service().generate_options(ctx, options)

    # -- accounts ----------------------------------------------------------------------------

    async def on_login(self, interaction: discord.Interaction) -> None:
        """`/login`: a modal, so the credentials never sit in a message anyone else could read."""
        service = self._service()
        ctx = self.context(interaction)
        if await service.refused_banned(ctx):
            return
        lang = await service.language(ctx)
        await mapped(interaction.response.send_modal(
            LoginModal(self, lang, user_id=interaction.user.id, target="personal", target_name="")))

    async def on_group(self, interaction: discord.Interaction, action: str, args: str) -> None:
        service = self._service()
        ctx = self.context(interaction)
        words = GROUP_ACTIONS.get(action)
        if words is None:
            await service.group_commands.group(ctx, f"{action} {args}".strip())  # answered with the usage
            return
        if action != "bind":
            await service.group_commands.group(ctx, f"{words} {args}".strip())
            return
        # Binding: the same checks as every admin action, then the credentials in a modal.
        if await service.refused_banned(ctx):
            return
        lang = await service.language(ctx)
        if not ctx.chat.group or ctx.group_key is None:
            await service.answer(ctx, Reply(t(lang, "group.only_in_groups"), private=True))
            return
        if not (await ctx.admin() or service.deployment_admin(ctx)):
            await service.answer(ctx, Reply(t(lang, "group.admins_only"), private=True))
            return
        await service.accounts.start_group_binding(ctx)
        await mapped(interaction.response.send_modal(
            LoginModal(self, lang, user_id=interaction.user.id, target=ctx.group_key, target_name=ctx.group_title)))

    async def on_login_submit(self, interaction: discord.Interaction, target: str, target_name: str, *,
                              token: str, email: str, password: str) -> None:
        service = self._service()
        ctx = self.context(interaction)
        token, email = token.strip(), email.strip()
        register_secret(token)
        register_secret(password)
        if await service.refused_banned(ctx):  # banned since the form was opened
            return
        if not token and not (email and password):
            lang = await service.language(ctx)
            await ctx.answerer.reply(t(lang, "dc.login.empty"), private=True)
            return
        # Checking with NovelAI may take longer than Discord's 3 s: "thinking…", visible to them only.
        await mapped(interaction.response.defer(ephemeral=True, thinking=True))
        if token:
            await service.accounts.finish_login(ctx, target, target_name, token=token)
        else:
            await service.accounts.finish_login(ctx, target, target_name, email=email, password=password)

    async def on_button(self, interaction: discord.Interaction, action: str, job_id: str) -> None:
        if parse_button_data(f"{action}:{job_id}") is None:
            return
        ctx = self.context(interaction)
        notice, _alert = await self._service().button(ctx, action, job_id, self.admin_check(interaction))
        answerer = ctx.answerer
        assert isinstance(answerer, InteractionAnswerer)
        await answerer.notice(notice)


def typed_fields(raw: dict[str, Any]) -> dict[str, Any]:
    """Slash-command options as GenerationRequest fields, checked by the same parser as text."""
    fields: dict[str, Any] = {}
    for name in ("negative", "model", "sampler", "size"):
        if raw.get(name):
            canonical, value = parse_value(name, str(raw[name]))
            fields.update(request_fields(canonical, value))
    for name, field in (("steps", "steps"), ("scale", "scale"), ("n", "n_samples"), ("seed", "seed")):
        if raw.get(name) is not None:
            fields[field] = raw[name]
    if raw.get("characters"):
        fields["characters"] = tuple(parse_value("char", part)[1]
                                     for part in str(raw["characters"]).split(";") if part.strip())
    return fields

