"""The Discord adapter: discord.py slash commands in front, the platform-free command layer behind.

Discord-specific here and in ``bot.discord.sender``: typed slash-command options (choices for
the model, autocomplete for sampler and size, descriptions in English and Chinese), answering
interactions within Discord's 3 seconds, persistent buttons (dynamic items: their custom ids
carry the job, so they work after a restart), the admin check (Manage Server, Administrator or a
configured role) and the NSFW rule of age-restricted channels. REST and gateway URLs come from
settings, so the bot runs unchanged against the offline stand-in. The client is always discord.py's
``AutoShardedClient``: one process runs one shard, all of them, or a range (``bot.discord.shards``).

One piece although past 400 lines: it is the one place discord.py's client, command tree and
interactions meet the command layer; the slash commands, pictures, forms, shards and sending each
live in their own module beside it.
"""

from __future__ import annotations

import asyncio
import logging
import os
from contextlib import suppress
from typing import Any

import discord
import yarl
from discord import app_commands

from bot.chat.context import OUTAGE, AdminCheck, ChatContext
from bot.chat.generate_options import GenerateOptions
from bot.chat.pacer import WINDOW_SLACK, Limits
from bot.chat.ports import ACTION_EDIT, Button, ButtonPress, ChatRef, parse_button_data
from bot.chat.router import CommandRouter
from bot.chat.runtime import ChatRuntime
from bot.chat.startup import refuse_another_secret_key
from bot.chat.windows import Window
from bot.discord.history import DiscordHistory
from bot.discord.image_actions import ImageActions
from bot.discord.images import Downloads, GenerateFiles
from bot.discord.sender import DiscordSender, InteractionTokens, RateLimitTrace, job_view, mapped
from bot.discord.shards import IdentifyPacer, ShardPlan, shard_summary
from bot.discord.slash import GROUP_ACTIONS, PLATFORM, Translator, slash_commands, typed_fields
from bot.discord.startup import GatewayWatch, gateway_failure, login_failure
from bot.discord.views import FormSubmission, LoginModal, job_button_for, read_submission
from bot.keys import BotKeys
from naibot.logs import register_secret
from naibot.settings import Settings, secret
from tasks.services import QueueServices

log = logging.getLogger(__name__)


def discord_limits(channel_per_5s: int, global_per_second: int) -> Limits:
    per_channel = [Window(channel_per_5s, 5.0 * WINDOW_SLACK)]
    return Limits(private=per_channel, group=per_channel, overall=[Window(global_per_second, WINDOW_SLACK)])


def point_at(settings: Settings) -> None:
    """discord.py reads its REST base and gateway from class attributes; set them from settings."""
    discord.http.Route.BASE = settings.discord.api_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord.gateway_url)


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
        # The bot has no voice: discord.py's start-up warnings about voice libraries are noise.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        intents = discord.Intents.none()
        intents.guilds = True  # channel NSFW flags and member permissions come with guild data
        self.rate_limits = RateLimitTrace()  # counts Discord's 429s for /metrics
        # Nothing the bot says pings anyone: prompts, names and typed words reach messages, and
        # "@everyone" or "<@&role>" in them must stay text. discord.py applies the client's default to
        # every channel send and edit, interaction response, follow-up and interaction-webhook edit
        # (``ConnectionState.allowed_mentions``, read as ``previous_allowed_mentions``).
        # Always the sharded client, even for one shard: a bot that outgrows 2,500 servers (where
        # Discord requires shards) then only needs settings, and there is one code path to test.
        self.shards = ShardPlan.from_settings(settings.discord)
        self._shard_states: dict[int, str] = {}  # for the presence beat; the log says the same
        ranges: dict[str, Any] = {} if self.shards.ids is None else {"shard_ids": list(self.shards.ids)}
        self.client = discord.AutoShardedClient(
            intents=intents, http_trace=self.rate_limits.config, allowed_mentions=discord.AllowedMentions.none(),
            shard_count=self.shards.count, **ranges)
        self.identify_pacer = IdentifyPacer()
        self.client.before_identify_hook = self.identify_pacer.before_identify  # type: ignore[method-assign]
        # discord.py calls setup_hook once logged in; set on the instance rather than subclassing Client.
        self.client.setup_hook = self._setup  # type: ignore[method-assign]
        self.tree = app_commands.CommandTree(self.client)
        self.commands: CommandRouter | None = None
        self.runtime: ChatRuntime | None = None
        self._runner: asyncio.Task[None] | None = None
        # Commands on pictures (attachments, context menus, the Edit form); one download session.
        self.downloads = Downloads()
        self._images = ImageActions(self, self.downloads)
        # /history's gallery and /show (its page buttons and select menu are dynamic items too).
        self._history = DiscordHistory(self)
        for command in slash_commands(self):
            self.tree.add_command(command)
        # The slash commands that call a family directly (/queue, /status, ...) reach the one guard
        # here; the adapter's own entry points (/generate, /login, /group, buttons) call it themselves.
        self.tree.on_error = self._on_command_error  # type: ignore[method-assign]
        # Submitted forms (Edit & re-run, the context menus' forms) are answered from what they carry.
        self.client.event(self.on_interaction)
        for listener in (self.on_shard_ready, self.on_shard_resumed, self.on_shard_disconnect):
            self.client.event(listener)

    # -- lifecycle ---------------------------------------------------------------------------

    async def _setup(self) -> None:
        settings = self.settings
        await refuse_another_secret_key(settings)

        def sender(services: QueueServices) -> DiscordSender:
            self.tokens = InteractionTokens(services.redis, BotKeys(settings.redis.prefix))
            return DiscordSender(self.client, self.tokens)

        self.runtime = ChatRuntime.start(
            platform=PLATFORM, settings=settings, make_sender=sender, nsfw_rule=settings.discord.nsfw_rule,
            limits=discord_limits(settings.discord.channel_per_5s, settings.discord.global_per_second),
            instance=self.shards.instance, describe=self.presence)
        self.commands = self.runtime.commands
        self.rate_limits.on_rate_limited = self.runtime.count_rate_limited
        self.client.add_dynamic_items(job_button_for(self.on_button), *self._history.items())
        await self.tree.set_translator(Translator())
        if self.shards.holds_first:
            await self._sync()
        log.info("Discord bot (pid %d) up: REST %s, gateway %s, Redis %s, prefix %s, commands %s",
                 os.getpid(), settings.discord.api_url, settings.discord.gateway_url,
                 settings.redis.address, settings.redis.prefix,
                 "registered by the process with shard 0" if not self.shards.holds_first
                 else f"in guilds {settings.discord.guilds}" if settings.discord.guilds else "global")

    async def _shard_count(self) -> None:
        """Ask Discord (``GET /gateway/bot``) how many IDENTIFYs may start at once and, unless
        ``discord.shard_count`` fixes it, how many shards the bot should have. Setting the count here
        (rather than leaving it to discord.py) keeps ``discord.gateway_url`` the URL connected to."""
        count, _url, limits = await self.client.http.get_bot_gateway()
        self.identify_pacer.max_concurrency = int(limits.get("max_concurrency") or 1)
        if self.client.shard_count is None:
            self.client.shard_count = count

    def shard_status(self) -> dict[int, dict[str, Any]]:
        """Each shard this process runs: whether its connection is open and its heartbeat latency."""
        return {shard_id: {"open": not shard.is_closed(), "latency": shard.latency}
                for shard_id, shard in sorted(self.client.shards.items())}

    def presence(self) -> dict[str, Any]:
        """What this process's beat says (``tasks.chat_presence``): its shards by state (connecting
        until READY, connected, reconnecting after a disconnect) and its guilds."""
        count = self.client.shard_count
        ids = self.shards.ids if self.shards.ids is not None else tuple(range(count or 0))
        summary = shard_summary(count, {shard_id: self._shard_states.get(shard_id, "connecting") for shard_id in ids})
        return {**summary, "guilds": len(self.client.guilds)}

    def _shard_state(self, shard_id: int, state: str) -> None:
        self._shard_states[shard_id] = state
        if self.runtime is not None and self.runtime.presence is not None:
            self.runtime.presence.changed()

    async def on_shard_ready(self, shard_id: int) -> None:
        self._shard_state(shard_id, "connected")
        log.info("Discord shard %d of %s ready (%d guilds on it)", shard_id, self.client.shard_count,
                 sum(1 for guild in self.client.guilds if guild.shard_id == shard_id))

    async def on_shard_resumed(self, shard_id: int) -> None:
        self._shard_state(shard_id, "connected")
        log.info("Discord shard %d of %s resumed", shard_id, self.client.shard_count)

    async def on_shard_disconnect(self, shard_id: int) -> None:
        """Logged at INFO: discord.py reconnects a lost shard by itself (and a stopping bot closes them all)."""
        self._shard_state(shard_id, "reconnecting")
        log.info("Discord shard %d of %s disconnected", shard_id, self.client.shard_count)

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
        """Log in and connect inside a running loop (tests, the demo, ``run``); returns once ready.

        Raises ``StartFailed`` (one line, no token) for what an operator must fix: a rejected
        token, an API or gateway that cannot be reached (see ``bot.discord.startup``)."""
        settings = self.settings.discord
        try:
            await self.client.login(self.token)
            await self._shard_count()
        except Exception as exc:
            if (failure := login_failure(exc, settings.api_url)) is not None:
                raise failure from None
            raise
        with GatewayWatch() as watch:
            self._runner = asyncio.create_task(self.client.connect(reconnect=True))
            waiter = asyncio.create_task(self.client.wait_until_ready())
            contenders: set[asyncio.Future[Any]] = {waiter, self._runner, watch.failed}
            done, _ = await asyncio.wait(contenders, return_when=asyncio.FIRST_COMPLETED)
        if waiter in done:
            watch.failed.cancel()
            # From here on a lost gateway is discord.py's to reconnect to, not a failed start.
            log.info("Discord bot ready on the gateway: %s (%d guilds)", self.shards.label(self.client.shard_count),
                     len(self.client.guilds))
            return
        waiter.cancel()
        if watch.failed in done:
            self._runner.cancel()  # discord.py would retry, then fail on its own state (see startup)
            cause = watch.failed.result()
        else:
            watch.failed.cancel()
            cause = self._runner.exception() or RuntimeError("the gateway connection ended before ready")
        if (failure := gateway_failure(cause, settings.gateway_url)) is not None:
            raise failure from None
        raise cause

    async def stop(self) -> None:
        await self._teardown()
        await self.downloads.close()
        await self.client.close()
        if self._runner is not None:
            with suppress(asyncio.CancelledError, Exception):
                await self._runner

    def run(self) -> None:
        """Run until stopped (SIGINT, SIGTERM); ``StartFailed`` if it cannot start."""
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
        # hasattr does not narrow the channel union (DM, group DM and partial channels have no is_nsfw).
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

    def admin_check(self, interaction: discord.Interaction) -> AdminCheck:
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

    @property
    def images(self) -> ImageActions:
        return self._images

    @property
    def history(self) -> DiscordHistory:
        return self._history

    @property
    def bot_user_id(self) -> int | None:
        """The bot's own user id (its results are its attachments), once logged in."""
        return self.client.user.id if self.client.user is not None else None

    def router(self) -> CommandRouter:
        assert self.commands is not None, "the bot has not finished starting"
        return self.commands

    async def on_generate(self, interaction: discord.Interaction, prompt: str, raw: dict[str, Any],
                          priority: int | None, files: GenerateFiles | None = None) -> None:
        """Answered once the job is recorded and queued (a few Redis calls, well within Discord's
        3 s): a bot that dies before that leaves nothing taken (Discord tells the person the
        application did not respond), one that dies after it leaves a record the restarted bot
        completes; Redis trouble is answered by the guard, so the interaction always gets a word."""
        if files is not None and (files.attached or files.settings()):
            await self.images.generate(interaction, prompt, raw, priority, files)  # pictures: image_actions
            return
        ctx = self.context(interaction)
        router = self.router()
        await router.conv.guarded(ctx, self._generate(ctx, router, prompt, raw, priority))

    async def _generate(self, ctx: ChatContext, router: CommandRouter, prompt: str, raw: dict[str, Any],
                        priority: int | None) -> None:
        """The ban check first (``generate_from``), then the typed options are read, each value
        capped and parsed by the same grammar as text; a refusal is answered privately."""
        await router.generate.generate_from(
            ctx, lambda: GenerateOptions(prompt=prompt, fields=typed_fields(raw), priority=priority))

    # -- accounts ----------------------------------------------------------------------------

    async def on_login(self, interaction: discord.Interaction) -> None:
        """`/login`: a modal, so the credentials never sit in a message anyone else could read."""
        router = self.router()
        ctx = self.context(interaction)
        await router.conv.guarded(ctx, self._login(interaction, ctx, router))

    async def _login(self, interaction: discord.Interaction, ctx: ChatContext, router: CommandRouter) -> None:
        if await router.conv.refused_banned(ctx):
            return
        lang = await router.conv.language(ctx)
        await mapped(interaction.response.send_modal(LoginModal(lang, user_id=interaction.user.id, personal=True)))

    async def on_group(self, interaction: discord.Interaction, action: str, args: str) -> None:
        router = self.router()
        ctx = self.context(interaction)
        await router.conv.guarded(ctx, self._group(interaction, ctx, router, action, args))

    async def _group(self, interaction: discord.Interaction, ctx: ChatContext, router: CommandRouter, action: str,
                     args: str) -> None:
        words = GROUP_ACTIONS.get(action)
        if words is None:
            await router.group.group(ctx, f"{action} {args}".strip())  # answered with the usage
            return
        if action != "bind":
            await router.group.group(ctx, f"{words} {args}".strip())
            return
        # Binding: the same checks as every admin action, then the credentials in a modal.
        if await router.group.refused_admin_action(ctx) is not None:
            return
        assert ctx.group_key is not None
        await router.group.allow_binding(ctx)
        lang = await router.conv.language(ctx)
        await mapped(interaction.response.send_modal(LoginModal(lang, user_id=interaction.user.id, personal=False)))

    async def on_login_form(self, interaction: discord.Interaction, form: FormSubmission) -> None:
        """A submitted login form: one's own account, or the group's of the server it was sent in
        (a bind needs the admin right ``/group bind`` recorded in Redis, checked by ``finish_login``)."""
        router = self.router()
        ctx = self.context(interaction)
        values = form.values
        token, email, password = values.get("token", "").strip(), values.get("email", "").strip(), values.get(
            "password", "")
        register_secret(token)
        register_secret(password)
        if form.user_id != interaction.user.id:
            return  # Discord shows a form only to the person it was opened for; anything else is not ours
        if form.login == "bind":
            if ctx.group_key is None:
                return  # a bind form outside a server cannot name a group
            target, target_name = ctx.group_key, ctx.group_title
        else:
            target, target_name = "personal", ""
        await router.conv.guarded(ctx, self._login_submit(interaction, ctx, router, target, target_name,
                                                          token=token, email=email, password=password))

    async def _login_submit(self, interaction: discord.Interaction, ctx: ChatContext, router: CommandRouter,
                            target: str, target_name: str, *, token: str, email: str, password: str) -> None:
        if await router.conv.refused_banned(ctx):  # banned since the form was opened
            return
        if not token and not (email and password):
            await router.conv.say(ctx, "dc.login.empty", private=True)
            return
        # Checking with NovelAI may take longer than Discord's 3 s: "thinking…", visible to them only.
        await mapped(interaction.response.defer(ephemeral=True, thinking=True))
        if token:
            await router.account.finish_login(ctx, target, target_name, token=token)
        else:
            await router.account.finish_login(ctx, target, target_name, email=email, password=password)

    async def _on_command_error(self, interaction: discord.Interaction,
                                error: app_commands.AppCommandError) -> None:
        """A slash command failed: an outage of the queue is answered like everywhere else (the
        interaction gets a word, never a spinner); anything else is logged."""
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        if isinstance(original, OUTAGE) and self.commands is not None:
            await self.commands.conv.unavailable(self.context(interaction), original)
            return
        log.error("slash command %s failed: %s", getattr(interaction.command, "name", "?"), original,
                  exc_info=original)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Every interaction comes here besides the command tree and the views; a submitted form of
        ours is answered from its custom id and values (``read_submission``), never from an object
        this process kept, so a form opened before a restart works after it."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        form = read_submission(interaction.data)
        if form is None:
            return
        if form.login is not None:
            await self.on_login_form(interaction, form)
        else:
            await self.images.on_form(interaction, form)

    async def on_button(self, interaction: discord.Interaction, press: ButtonPress) -> None:
        if parse_button_data(Button("", press.action, press.job_id, press.index).data) is None:
            return
        if press.action == ACTION_EDIT:  # a form, which only the adapter can open
            await self.images.edit(interaction, press)
            return
        ctx = self.context(interaction)
        notice, _alert = await self.router().button(ctx, press)
        answerer = ctx.answerer
        assert isinstance(answerer, InteractionAnswerer)
        await answerer.notice(notice)
