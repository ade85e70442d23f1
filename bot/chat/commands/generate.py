"""`/generate`, and the buttons under a result that make more of it (Again, Original PNG).

The order of a `/generate` is the product's promise: refusals (a bad option, a ban, no account, a
quota, a full queue) are answered privately and nothing is posted for them; the status entry is
recorded before the job exists and the job before the first reply goes out, so a crash at any
point leaves either nothing taken or a record the restarted bot completes (it posts the status
message that never went out); the job is remembered before it is queued, so `/cancel` finds it at
once. Redis trouble anywhere is answered by the one guard (``Conversation.guarded``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from bot.chat.context import ChatContext, Conversation
from bot.chat.delivery import Delivery
from bot.chat.generate_options import STYLES_FIELD, GenerateOptions, parse_generate
from bot.chat.nsfw import NsfwRule, apply_nsfw_rule
from bot.chat.pacer import PRIORITY_ANSWER, PRIORITY_STATE, Pacer
from bot.chat.ports import ChatRef, ChatSender, Picture, Reply
from bot.chat.recent_jobs import RecentJobs
from bot.chat.status_registry import StatusEntry, StatusRegistry
from bot.chat.styles import Styles
from bot.chat.texts.catalog import t
from bot.chat.texts.jobs import caption, refusal_text
from bot.chat.user_settings import UserSettings, apply_defaults
from bot.chat.wildcards import Wildcards, has_wildcards
from bot.rules.policy import GroupPaused, Policy
from bot.rules.quotas import Charge
from naibot.refusal import Refusal
from novelai.request import GenerationRequest, draw_seed
from storage.base import Storage
from tasks.image_submit import ImageJobs, PlannedJob
from tasks.job import AnyRequest, Job, Requester, new_job_id
from tasks.submit import Submitter

log = logging.getLogger(__name__)

@dataclass
class RequestBuilder:
    """A person's options over their saved defaults and styles, with wildcards expanded, validated,
    with the chat's NSFW rule applied.

    The order: saved defaults < the ``style:`` styles in order < typed options (``bot.chat.styles``);
    then the seed (typed, else drawn here) picks the wildcards (``bot.chat.wildcards``), so the
    request, the price and the NSFW rule all see the prompt NovelAI will get, and the job keeps it."""

    user_settings: UserSettings
    nsfw_rule: NsfwRule = "allow"
    styles: Styles | None = None
    wildcards: Wildcards | None = None

    async def build(self, ctx: ChatContext, options: GenerateOptions) -> tuple[GenerationRequest, int | None]:
        """Raises a refusal if anything is wrong. The priority is what was asked for (None = the
        policy's default); ``submit`` checks it. The styles used are noted on ``ctx.progress``."""
        defaults = await self.user_settings.get(ctx.user_key)
        if self.styles is not None:
            options, ctx.progress.styles = await self.styles.apply(options, ctx.user_key, ctx.group_key)
        fields, priority = apply_defaults(defaults, options)
        fields.pop(STYLES_FIELD, None)  # no styles kept here: the names mean nothing to a request
        prompt, characters = options.prompt, fields.get("characters", ())
        texts = (prompt, *(character.prompt for character in characters))
        if self.wildcards is not None and any(has_wildcards(text) for text in texts):
            seed = fields.get("seed")
            fields["seed"] = seed = draw_seed() if seed is None else seed
            prompt, expanded = await self.wildcards.expand_request(prompt, characters, seed, ctx.user_key,
                                                                   ctx.group_key)
            if characters:
                fields["characters"] = expanded
        request = GenerationRequest(prompt=prompt, **fields).resolved()
        return apply_nsfw_rule(request, self.nsfw_rule, ctx.age_restricted), priority


@dataclass
class GenerateCommands:
    conv: Conversation
    requests: RequestBuilder
    policy: Policy
    submitter: Submitter
    registry: StatusRegistry
    recent: RecentJobs
    delivery: Delivery
    pacer: Pacer
    sender: ChatSender
    storage: Storage
    image_jobs: ImageJobs
    _background: set[asyncio.Task[Any]] = field(default_factory=set, init=False, repr=False)

    async def generate(self, ctx: ChatContext, text: str) -> Job | None:
        """`/generate` typed as text (Telegram): the ban check first, then parse the options."""
        return await self.generate_from(ctx, lambda: parse_generate(text))

    async def generate_from(self, ctx: ChatContext, read: Callable[[], GenerateOptions]) -> Job | None:
        """`/generate` from what the person typed, however the platform hands it over: the ban
        check first, and only then ``read`` (the text grammar, or Discord's typed options), so a
        banned person's text is never parsed. A refusal while reading is answered privately."""
        if await self.conv.refused_banned(ctx):
            return None
        try:
            options = read()
        except Refusal as refusal:
            await self.refuse(ctx, refusal)
            return None
        return await self._generate(ctx, options)

    async def generate_options(self, ctx: ChatContext, options: GenerateOptions) -> Job | None:
        """`/generate` with options already typed by the platform (Discord's slash command)."""
        if await self.conv.refused_banned(ctx):
            return None
        return await self._generate(ctx, options)

    async def _generate(self, ctx: ChatContext, options: GenerateOptions) -> Job | None:
        """Answer at once with the status message, then queue; the delivery loop edits it from there."""
        lang = await self.conv.language(ctx)
        try:
            request, priority = await self.requests.build(ctx, options)
        except Refusal as refusal:
            await self.refuse(ctx, refusal, lang)
            return None
        return await self.submit(ctx, request, priority, lang)

    async def refuse(self, ctx: ChatContext, refusal: Refusal, lang: str | None = None) -> None:
        lang = lang or await self.conv.language(ctx)
        await self.conv.answer(ctx, Reply(refusal_text(refusal, lang, bot=self.conv.bot), private=True))

    async def submit(self, ctx: ChatContext, request: AnyRequest, priority: int | None, lang: str, *,
                     plan: PlannedJob | None = None) -> Job | None:
        """Decide who pays and at what priority, charge the quotas, record, queue, then answer.

        Record first, then answer: the status entry (no message yet) and the job are in Redis
        before the first reply, which may wait tens of seconds for the chat's pacing slot. A bot
        killed during that wait leaves a queued job with an entry whose message never went out, and
        the restarted bot's delivery loop posts it (``Delivery.refresh``). Every refusal (policy or
        queue) is answered privately, and nothing is posted for it. Redis trouble anywhere is raised
        to the one guard (``Conversation.guarded``), which answers it.

        ``plan``: a job with input images, planned (read, prepared, checked) by ``ImageJobs``; its
        id is the plan's, and its inputs are stored only once every refusal has been said."""
        job_id = plan.job_id if plan is not None else new_job_id()
        policy = self.policy
        try:
            actor = await self.conv.actor(ctx)
            config = await policy.group_config(actor)
            if config is not None and config.paused and not policy.exempt(actor):
                raise GroupPaused()
            funding = await policy.fund(actor, config)
            chosen = policy.priority_for(actor, config, priority)
            charge = await policy.charge(actor, funding, config, request)
        except Refusal as refusal:
            await self.refuse(ctx, refusal, lang)
            return None
        account = funding.account
        reply: dict[str, object] = {"group": ctx.chat.group}
        if actor.group:
            reply["group_key"] = actor.group
        if funding.source == "shared" and funding.paid_by:
            reply["paid_by"] = funding.paid_by
        if charge.counters or charge.cooldown_key:
            reply["charges"] = charge.to_data()
        if ctx.progress.styles:
            reply["styles"] = list(ctx.progress.styles)
        requester = Requester(platform=self.conv.platform, user_id=ctx.user_id, display_name=ctx.display_name,
                              chat_id=ctx.chat.chat_id, reply=reply)
        # 1. The entry first (a job is never queued without one); its message is still to come, so
        #    this process's delivery loop leaves it to us until we have answered.
        entry = StatusEntry(job_id=job_id, chat=ctx.chat, message_id="", language=lang, account=account,
                            reply_to=ctx.message_id, asker=ctx.display_name)
        answering = self.delivery.answering
        answering.add(job_id)
        try:
            await self.registry.register(entry)
            # 2. Remembered before it is queued, so `/cancel` and `/queue` find it the moment it
            #    waits (an id whose job was refused reads back as missing and is skipped).
            await self.recent.remember(job_id, ctx.user_key, actor.group, chat=ctx.chat.chat_id)
            # 3. The job.
            try:
                max_anlas, max_waiting = policy.max_anlas(funding, config), policy.max_waiting(actor, config)
                if plan is None:
                    job = await self.submitter.submit(request, requester, account=account, priority=chosen,
                                                      job_id=job_id, max_anlas=max_anlas, max_waiting=max_waiting)
                else:
                    job = await self.image_jobs.queue(plan, requester, account=account, priority=chosen,
                                                      max_anlas=max_anlas, max_waiting=max_waiting)
            except Refusal as refusal:
                await self._refund(job_id, charge)
                await self.registry.forget(job_id)
                await self.refuse(ctx, refusal, lang)
                return None
            # 4. Only now the answer (it may wait for the chat's pacing slot). From here on the job
            #    is safe: an outage must not make anyone send it again.
            ctx.progress.queued = True
            if await self.delivery.takes_to_board(entry):
                # A busy group: the chat's queue board lists the job with its Cancel button (one
                # edit, first in the chat's line); its own message is posted when it starts.
                await self.registry.update(entry, on_board=True, first_position=job.position)
                priority_next = PRIORITY_ANSWER
            else:
                message_id = await self.conv.answer(ctx, Reply(t(lang, "status.submitting")))
                # Set on the entry this process holds before Redis is asked: if Redis is down now, the
                # delivery loop's resync (when it is back) edits this message rather than posting one.
                await self.registry.update(entry, message_id=message_id, first_position=job.position)
                priority_next = PRIORITY_STATE
        finally:
            answering.discard(job_id)
        await self.delivery.schedule(job.id, priority_next)
        return job

    async def _refund(self, job_id: str, charge: Charge) -> None:
        if charge.counters or charge.cooldown_key:
            await self.policy.quotas.refund(job_id, charge.counters, cooldown_key=charge.cooldown_key)

    # -- the result's buttons ------------------------------------------------------------------

    async def again(self, ctx: ChatContext, job: Job, lang: str) -> str:
        """🔁 Again: the same request with a new seed (an upscale or a tool: the same again), as the
        presser's own job (their account, quotas and default priority: pressing someone else's button
        must not borrow theirs). A job with input images gets its own copies of them."""
        async def run() -> Job | None:
            # The same request, so its caption names the styles it was made with.
            ctx.progress.styles = tuple(job.requester.reply.get("styles") or ())
            try:
                planned = await self.image_jobs.plan_again(job)
            except Refusal as refusal:
                await self.refuse(ctx, refusal, lang)
                return None
            return await self.submit(ctx, planned.request, None, lang, plan=planned)

        self.in_background(ctx, run())
        return t(lang, "callback.again")

    def in_background(self, ctx: ChatContext, work: Coroutine[Any, Any, object]) -> None:
        """Run a button's job submission after the press is answered: through the chat, inside the
        same guard as a command, kept referenced until done (a bare task may be collected first)."""
        task = asyncio.create_task(self.conv.guarded(ctx, work))
        self._background.add(task)
        task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:  # a bug: say so, never lose it silently
            log.error("a button's job submission failed", exc_info=task.exception())

    async def originals(self, ctx: ChatContext, job: Job, lang: str) -> str:
        """🖼 Original PNG: the stored files as documents (metadata intact), paced with the rest."""
        pictures = [
            Picture(png=await asyncio.to_thread(self.storage.get, image.key),
                    caption=caption(job, lang, image_index=i), filename=f"{job.id}-{i}.png")
            for i, image in enumerate(job.images)
        ]
        if pictures:
            self.pacer.submit(ctx.chat, f"png:{job.id}:{ctx.user_id}",
                              lambda: self._files(ctx.chat, pictures), priority=PRIORITY_ANSWER,
                              weight=self.sender.pictures_cost(len(pictures)))
        return t(lang, "callback.png")

    async def _files(self, chat: ChatRef, pictures: list[Picture]) -> int:
        await self.sender.send_files(chat, pictures)
        return self.sender.pictures_cost(len(pictures))
