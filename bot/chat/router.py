"""The platform-free commands: what `/generate`, `/queue`, `/cancel`, `/status`, `/settings`,
`/help` and the buttons do, whatever chat they come from.

Adapters turn a platform update into a ``ChatContext`` and the command's text, call one method
here, and nothing else. Every answer goes out through the pacer (so a burst of commands in a
group cannot trip the platform's limits) and every text comes from the presenter, in the
asker's language.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from redis.exceptions import RedisError

from bot.chat.commands.account import AccountCommands
from bot.chat.commands.admin import AdminCommands
from bot.chat.commands.group import GroupCommands
from bot.chat.delivery import Delivery
from bot.chat.generate_options import GenerateOptions, OptionError, parse_generate
from bot.chat.nsfw import NsfwRule, apply_nsfw_rule
from bot.chat.pacer import PRIORITY_ANSWER, PRIORITY_STATE, Pacer
from bot.chat.ports import ACTION_AGAIN, ACTION_CANCEL, ACTION_PNG, Button, ChatRef, ChatSender, Picture, Reply
from bot.chat.status_registry import StatusEntry, StatusRegistry
from bot.chat.texts.catalog import pick_language, t
from bot.chat.texts.jobs import (
    cancel_text,
    caption,
    error_text,
    help_text,
    queue_text,
    settings_reset_text,
    settings_saved_text,
    settings_text,
    status_text,
)
from bot.chat.user_settings import UserSettings, apply_defaults, parse_settings_command
from bot.rules.logins import Logins
from bot.rules.policy import Actor, Banned, GroupPaused, NoAccount, Policy, PriorityTooHigh
from bot.rules.quotas import Charge, CoolingDown, QuotaExceeded
from naibot.settings import Settings
from novelai.errors import InvalidRequest
from novelai.request import GenerationRequest
from storage.base import Storage
from tasks.job import Job, JobState, Requester, new_job_id
from tasks.queue import Caller, QueueFull, QueueUnavailable
from tasks.services import QueueServices
from tasks.spending import SpendRefused
from tasks.submit import UnknownAccount

log = logging.getLogger(__name__)
# How many of a user's recent jobs `/status` and `/cancel` without an id look at.
RECENT_JOBS = 20
# How many of a group's recent jobs `/queue` in that group looks at.
RECENT_GROUP_JOBS = 100
# Answers that can be refused before anything is queued.
_REFUSALS = (OptionError, InvalidRequest, QueueFull, QueueUnavailable, SpendRefused, UnknownAccount)
# Refusals of the group's and the deployment's rules (who pays, quotas, pauses, priorities).
_POLICY_REFUSALS = (NoAccount, GroupPaused, PriorityTooHigh, QuotaExceeded, CoolingDown, Banned)


class Answerer(Protocol):
    """How a command answers on its platform: a reply to the command message on Telegram, the
    interaction response (then follow-ups) on Discord. ``private``: only the asker sees it where
    the platform can do that."""

    async def reply(self, text: str, buttons: list[list[Button]] | None = None, *, private: bool = False) -> str:
        """Send an answer; returns its message id."""
        ...

    async def edit(self, message_id: str, text: str) -> None: ...


@dataclass
class PacedAnswerer:
    """Answers as ordinary chat messages, paced like everything else the bot sends."""

    pacer: Pacer
    sender: ChatSender
    chat: ChatRef
    reply_to: str | None = None

    async def reply(self, text: str, buttons: list[list[Button]] | None = None, *, private: bool = False) -> str:
        return await self.pacer.call(self.chat, lambda: self.sender.send_text(self.chat, text, buttons,
                                                                              reply_to=self.reply_to))

    async def edit(self, message_id: str, text: str) -> None:
        await self.pacer.call(self.chat, lambda: self.sender.edit_text(self.chat, message_id, text))


AdminCheck = Callable[[], Awaitable[bool]]


@dataclass(frozen=True)
class ChatContext:
    """Who wrote, where, in which language, and how to answer them."""

    platform: str
    user_id: str
    display_name: str
    chat: ChatRef
    answerer: Answerer = field(compare=False, repr=False)
    language_code: str | None = None
    # Whether the channel is age-restricted, where the platform knows (Discord); None elsewhere.
    age_restricted: bool | None = None
    # The group the chat belongs to: the Telegram group itself, or the Discord guild of the channel.
    group_id: str | None = None
    group_title: str = ""
    # Whether the person administers that group (asked lazily: it may cost a platform call).
    is_admin: AdminCheck | None = field(default=None, compare=False, repr=False)
    # How to reach the person privately (Telegram: their private chat); None where ``answerer``
    # can already answer privately (Discord's ephemeral messages).
    private: Answerer | None = field(default=None, compare=False, repr=False)
    # The highest priority the person's roles grant (Discord roles in settings), if any.
    role_max_priority: int | None = None

    @property
    def user_key(self) -> str:
        return f"{self.platform}:{self.user_id}"

    @property
    def group_key(self) -> str | None:
        return f"{self.platform}:{self.group_id}" if self.group_id else None

    async def admin(self) -> bool:
        return self.is_admin is not None and await self.is_admin()


class CommandService:
    def __init__(self, *, platform: str, settings: Settings, services: QueueServices, user_settings: UserSettings,
                 registry: StatusRegistry, sender: ChatSender, pacer: Pacer, delivery: Delivery,
                 storage: Storage, policy: Policy, bot_username: str | None = None,
                 nsfw_rule: NsfwRule = "allow") -> None:
        self.platform = platform
        self.settings = settings
        self.services = services
        self.queue = services.queue
        self.user_settings = user_settings
        self.registry = registry
        self.sender = sender
        self.pacer = pacer
        self.delivery = delivery
        self.storage = storage
        self.bot_username = bot_username
        self.nsfw_rule = nsfw_rule
        self.policy = policy
        logins = Logins(settings, services.redis, policy.store, services.client, policy.directory, policy.groups,
                        services.queue)
        self.accounts = AccountCommands(self, logins)
        self.group_commands = GroupCommands(self, self.accounts)
        self.admin_commands = AdminCommands(self)

    # -- helpers -----------------------------------------------------------------------------

    async def language(self, ctx: ChatContext) -> str:
        return await self.language_of(ctx.user_key, ctx.language_code)

    async def language_of(self, user_key: str, platform_code: str | None = None) -> str:
        """The person's saved language, else their platform's, else the deployment default."""
        try:
            saved = await self.user_settings.language(user_key)
        except (RedisError, OSError):  # the language must never stop a reply
            saved = None
        return pick_language(saved, platform_code, self.settings.bot.default_language)

    async def answer(self, ctx: ChatContext, reply: Reply) -> str:
        return await ctx.answerer.reply(reply.text, reply.buttons or None, private=reply.private)

    async def say(self, ctx: ChatContext, key: str, **params: object) -> None:
        """Answer with one text of the presenter's table, in the asker's language."""
        await self.answer(ctx, Reply(t(await self.language(ctx), key, **params)))

    async def actor(self, ctx: ChatContext) -> Actor:
        return Actor(user_key=ctx.user_key, display_name=ctx.display_name, group=ctx.group_key,
                     channel_id=ctx.chat.chat_id, group_admin=ctx.chat.group and await ctx.admin(),
                     deployment_admin=self.deployment_admin(ctx), role_max_priority=ctx.role_max_priority)

    def deployment_admin(self, ctx: ChatContext) -> bool:
        return ctx.user_key in self.settings.bot.admins

    async def refused_banned(self, ctx: ChatContext) -> bool:
        """Answer a banned person privately and say so; every command and button asks this first."""
        try:
            banned = await self.policy.is_banned(ctx.user_key)
        except (RedisError, OSError):
            return False  # the queue's own checks report Redis trouble
        if banned:
            await self.answer(ctx, Reply(t(await self.language(ctx), "policy.banned"), private=True))
        return banned

    def _group_recent_key(self, group: str) -> str:
        return f"{self.queue.keys.prefix}:bot:group:{group}:recent"

    def _recent_key(self, user_key: str) -> str:
        return f"{self.queue.keys.prefix}:bot:user:{user_key}:recent"

    async def _remember(self, user_key: str, job_id: str) -> None:
        async with self.queue.redis.pipeline(transaction=True) as pipe:
            pipe.lpush(self._recent_key(user_key), job_id)
            pipe.ltrim(self._recent_key(user_key), 0, RECENT_JOBS - 1)
            pipe.expire(self._recent_key(user_key), self.settings.queue.retention_seconds)
            await pipe.execute()

    async def _recent_jobs(self, user_key: str) -> list[Job]:
        ids = [i.decode() for i in await self.queue.redis.lrange(self._recent_key(user_key), 0, RECENT_JOBS - 1)]
        return await self.queue.get_many(ids)

    async def _caller(self, ctx: ChatContext, is_admin: AdminCheck | None = None) -> Caller:
        admin_chats: frozenset[str] = frozenset()
        admin_groups: frozenset[str] = frozenset()
        check = is_admin or ctx.is_admin
        if ctx.chat.group and check is not None and await check():
            admin_chats = frozenset({f"{self.platform}:{ctx.chat.chat_id}"})
            admin_groups = frozenset({ctx.group_key}) if ctx.group_key else frozenset()
        return Caller(user_key=ctx.user_key, admin_chats=admin_chats, admin_groups=admin_groups,
                      deployment_admin=self.deployment_admin(ctx))

    # -- /generate ---------------------------------------------------------------------------

    async def build_request(self, ctx: ChatContext, options: GenerateOptions) -> tuple[GenerationRequest, int | None]:
        """Apply the user's saved defaults under the given options, validate. Raises refusals.

        The priority is what was asked for (None = the policy's default); ``submit`` checks it."""
        defaults = await self.user_settings.get(ctx.user_key)
        fields, priority = apply_defaults(defaults, options)
        request = GenerationRequest(prompt=options.prompt, **fields).resolved()
        request = apply_nsfw_rule(request, self.nsfw_rule, ctx.age_restricted)
        return request, priority

    async def generate(self, ctx: ChatContext, text: str) -> Job | None:
        """`/generate` typed as text (Telegram): parse the options, then as ``generate_options``."""
        try:
            options = parse_generate(text)
        except OptionError as exc:
            await self.answer(ctx, Reply(error_text(exc, await self.language(ctx)), private=True))
            return None
        return await self.generate_options(ctx, options)

    async def generate_options(self, ctx: ChatContext, options: GenerateOptions) -> Job | None:
        """Answer at once with the status message, then queue; the delivery loop edits it from there."""
        if await self.refused_banned(ctx):
            return None
        lang = await self.language(ctx)
        try:
            request, priority = await self.build_request(ctx, options)
        except _REFUSALS as exc:
            await self.answer(ctx, Reply(error_text(exc, lang), private=True))
            return None
        return await self.submit(ctx, request, priority, lang)

    async def submit(self, ctx: ChatContext, request: GenerationRequest, priority: int | None, lang: str
                     ) -> Job | None:
        """Decide who pays and at what priority, charge the quotas, answer, queue.

        Policy refusals (no account, paused group, quota, priority) are answered privately before
        anything is posted; the queue's own refusals turn the status message into the reason."""
        job_id = new_job_id()
        try:
            actor = await self.actor(ctx)
            config = await self.policy.group_config(actor)
            if config is not None and config.paused and not self.policy.exempt(actor):
                raise GroupPaused()
            funding = await self.policy.fund(actor, config)
            chosen = self.policy.priority_for(actor, config, priority)
            charge = await self.policy.charge(actor, funding, config, request)
        except (*_POLICY_REFUSALS, RedisError, OSError) as exc:
            await self.answer(ctx, Reply(self.refusal_text(exc, lang), private=True))
            return None
        account = funding.account
        # The status message is registered *before* the job exists, so a crash at any point leaves
        # a record the restarted bot reconciles: nothing finished goes undelivered.
        message_id = await self.answer(ctx, Reply(t(lang, "status.submitting")))
        entry = StatusEntry(job_id=job_id, chat=ctx.chat, message_id=message_id, language=lang, account=account)
        await self.registry.register(entry)
        reply: dict[str, object] = {"message_id": message_id, "group": ctx.chat.group}
        if actor.group:
            reply["group_key"] = actor.group
        if funding.source == "shared" and funding.paid_by:
            reply["paid_by"] = funding.paid_by
        if charge.counters or charge.cooldown_key:
            reply["charges"] = charge.to_data()
        requester = Requester(platform=self.platform, user_id=ctx.user_id, display_name=ctx.display_name,
                              chat_id=ctx.chat.chat_id, reply=reply)
        # Remembered before it is queued, so `/cancel` and `/queue` find it the moment it waits
        # (an id whose job was refused reads back as missing and is skipped).
        await self._remember(ctx.user_key, job_id)
        if actor.group:
            await self._remember_in_group(actor.group, job_id)
        try:
            job = await self.services.submitter.submit(
                request, requester, account=account, priority=chosen, job_id=job_id,
                max_anlas=self.policy.max_anlas(funding, config), max_waiting=self.policy.max_waiting(actor, config))
        except _REFUSALS as exc:
            await self._refund(job_id, charge)
            await self.registry.forget(job_id)
            await ctx.answerer.edit(message_id, error_text(exc, lang))
            return None
        await self.registry.update(entry, first_position=job.position)
        await self.delivery.schedule(job.id, PRIORITY_STATE)
        return job

    async def _refund(self, job_id: str, charge: Charge) -> None:
        if charge.counters or charge.cooldown_key:
            await self.policy.quotas.refund(job_id, charge.counters, cooldown_key=charge.cooldown_key)

    async def _remember_in_group(self, group: str, job_id: str) -> None:
        key = self._group_recent_key(group)
        async with self.queue.redis.pipeline(transaction=True) as pipe:
            pipe.lpush(key, job_id)
            pipe.ltrim(key, 0, RECENT_GROUP_JOBS - 1)
            pipe.expire(key, self.settings.queue.retention_seconds)
            await pipe.execute()

    def refusal_text(self, error: Exception, lang: str) -> str:
        """A policy refusal in plain words (with the limit or the way out named)."""
        if isinstance(error, NoAccount):
            return t(lang, "policy.no_account_group" if error.in_group else "policy.no_account",
                     bot=self.bot_username or "")
        if isinstance(error, GroupPaused):
            return t(lang, "policy.paused")
        if isinstance(error, PriorityTooHigh):
            return t(lang, "policy.priority_too_high", asked=error.asked, allowed=error.allowed)
        if isinstance(error, QuotaExceeded):
            return t(lang, f"policy.quota.{error.name}", used=error.used, limit=error.limit)
        if isinstance(error, CoolingDown):
            return t(lang, "policy.cooldown", seconds=max(1, round(error.seconds_left)))
        if isinstance(error, Banned):
            return t(lang, "policy.banned")
        if isinstance(error, RedisError | OSError):
            return error_text(QueueUnavailable(str(error)), lang)
        return error_text(error, lang)

    # -- /queue, /status, /cancel ------------------------------------------------------------

    async def show_queue(self, ctx: ChatContext) -> None:
        """In a group: the group's waiting jobs (whose, position); elsewhere: the person's own."""
        if await self.refused_banned(ctx):
            return
        lang = await self.language(ctx)
        try:
            depths = await self.queue.lane_depths()
            group = ctx.group_key if ctx.chat.group else None
            if group:
                ids = [i.decode() for i in await self.queue.redis.lrange(self._group_recent_key(group), 0, -1)]
                candidates = await self.queue.get_many(ids)
            else:
                candidates = await self._recent_jobs(ctx.user_key)
            # Waiting jobs; running ones are listed with everything that runs.
            own = [job for job in candidates if job.state is JobState.QUEUED]
            running = await self.queue.get_many(await self.queue.running_ids())
            etas = {job.id: await self.queue.estimated_wait(job) for job in own}
            average = await self.queue.average_duration()
            lanes = {job.account for job in own} or {await self._usual_account(ctx)}
            waiting = sum(depths.get(lane, 0) for lane in lanes)
            text = queue_text(lang, own, running, waiting, average, etas, group=bool(group))
        except QueueUnavailable as exc:
            text = error_text(exc, lang)
        await self.answer(ctx, Reply(text))

    async def _usual_account(self, ctx: ChatContext) -> str:
        """The lane this person's next job would join (for the queue's total), best effort."""
        try:
            actor = await self.actor(ctx)
            return (await self.policy.fund(actor, await self.policy.group_config(actor))).account
        except NoAccount:
            return self.settings.bot.default_account

    async def _target(self, ctx: ChatContext, job_id: str | None, *, waiting_only: bool) -> Job | None:
        if job_id:
            return await self.queue.get(job_id.strip().lower())
        for job in await self._recent_jobs(ctx.user_key):
            if not waiting_only or job.state is JobState.QUEUED:
                return job
        return None

    async def status(self, ctx: ChatContext, job_id: str | None) -> None:
        if await self.refused_banned(ctx):
            return
        lang = await self.language(ctx)
        try:
            job = await self._target(ctx, job_id, waiting_only=False)
            if job is None:
                text = cancel_text(lang, "missing", job_id or "-")
            else:
                text = status_text(job, lang, eta=await self.queue.estimated_wait(job))
        except QueueUnavailable as exc:
            text = error_text(exc, lang)
        await self.answer(ctx, Reply(text))

    async def cancel(self, ctx: ChatContext, job_id: str | None, is_admin: AdminCheck | None = None) -> str:
        """Cancel and say how it went; returns the outcome (``canceled``, ``forbidden``, ...)."""
        if await self.refused_banned(ctx):
            return "banned"
        lang = await self.language(ctx)
        try:
            job = await self._target(ctx, job_id, waiting_only=True)
            if job is None:
                status, shown = ("missing", job_id) if job_id else ("nothing", "-")
            else:
                outcome = await self.queue.cancel(job.id, await self._caller(ctx, is_admin))
                status, shown = outcome.status, job.id
        except QueueUnavailable as exc:
            await self.answer(ctx, Reply(error_text(exc, lang)))
            return "unavailable"
        await self.answer(ctx, Reply(cancel_text(lang, status, shown or "-")))
        return status

    # -- /settings, /help --------------------------------------------------------------------

    async def settings_command(self, ctx: ChatContext, args: str) -> None:
        if await self.refused_banned(ctx):
            return
        lang = await self.language(ctx)
        try:
            command = parse_settings_command(args)
            if command.action == "set":
                value = await self.user_settings.set(ctx.user_key, command.name or "", command.value or "")
                lang = await self.language(ctx)  # the user may just have changed it
                text = settings_saved_text(lang, command.name or "", value)
            elif command.action == "reset":
                await self.user_settings.reset(ctx.user_key, command.name)
                lang = await self.language(ctx)
                text = settings_reset_text(lang, command.name)
            else:
                text = settings_text(lang, await self.user_settings.get(ctx.user_key))
        except OptionError as exc:
            text = error_text(exc, lang)
        await self.answer(ctx, Reply(text))

    async def help(self, ctx: ChatContext) -> None:
        lang = await self.language(ctx)
        await self.answer(ctx, Reply(help_text(lang, bot_username=self.bot_username if ctx.chat.group else None)))

    # -- buttons -----------------------------------------------------------------------------

    async def button(self, ctx: ChatContext, action: str, job_id: str, is_admin: AdminCheck | None = None
                     ) -> tuple[str, bool]:
        """Handle a button press; returns the short notice to show the presser and whether it is an alert."""
        lang = await self.language(ctx)
        if await self.policy.is_banned(ctx.user_key):
            return t(lang, "policy.banned"), True
        job = await self.queue.get(job_id)
        if job is None:
            return t(lang, "callback.gone"), True
        if action == ACTION_CANCEL:
            outcome = await self.queue.cancel(job.id, await self._caller(ctx, is_admin))
            return cancel_text(lang, outcome.status, job.id), not outcome.canceled
        if action == ACTION_AGAIN:
            again = job.request.model_copy(update={"seed": None}).resolved()
            # The presser's own default priority: pressing someone else's button must not borrow theirs.
            asyncio.create_task(self.submit(ctx, again, None, lang))  # noqa: RUF006 - answered via the chat
            return t(lang, "callback.again"), False
        if action == ACTION_PNG:
            await self._send_originals(ctx, job, lang)
            return t(lang, "callback.png"), False
        return t(lang, "callback.gone"), True

    async def _send_originals(self, ctx: ChatContext, job: Job, lang: str) -> None:
        pictures = [
            Picture(png=await asyncio.to_thread(self.storage.get, image.key),
                    caption=caption(job, lang, image_index=i), filename=f"{job.id}-{i}.png")
            for i, image in enumerate(job.images)
        ]
        if pictures:
            self.pacer.submit(ctx.chat, f"png:{job.id}:{ctx.user_id}",
                              lambda: self._files(ctx.chat, pictures), priority=PRIORITY_ANSWER,
                              weight=self.sender.pictures_cost(len(pictures)))

    async def _files(self, chat: ChatRef, pictures: list[Picture]) -> int:
        await self.sender.send_files(chat, pictures)
        return self.sender.pictures_cost(len(pictures))
