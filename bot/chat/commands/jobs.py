"""`/queue`, `/status` and `/cancel` (and the Cancel button): where a person's jobs stand.

`/status` and `/cancel` without an id look at the person's recent jobs; `/queue` in a group lists
the group's waiting jobs (whose, at which place), elsewhere the person's own. An outage of the
queue is answered by the router's guard (``Conversation.guarded``), as for every command.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.chat.context import ChatContext, Conversation
from bot.chat.ports import Reply
from bot.chat.recent_jobs import RecentJobs
from bot.chat.texts.catalog import t
from bot.chat.texts.jobs import cancel_text, queue_text, status_text
from bot.rules.policy import NoAccount, Policy
from tasks.job import Job, JobState
from tasks.queue import JobQueue

# What a typed job id may look like (ids are 10 characters of lower-case base32; a little room
# for ids of other lengths). Anything else is never looked up nor echoed: a typed
# "@everyone <@&role>" or markup must not come back in a public answer.
_TYPED_ID = re.compile(r"[a-z0-9]{1,32}")
NOT_AN_ID = "?"


def typed_job_id(typed: str) -> str:
    """The typed id, lower-cased, if it has the shape of one; ``NOT_AN_ID`` otherwise."""
    word = typed.strip().lower()
    return word if _TYPED_ID.fullmatch(word) else NOT_AN_ID


@dataclass
class JobCommands:
    conv: Conversation
    queue: JobQueue
    recent: RecentJobs
    policy: Policy

    async def show_queue(self, ctx: ChatContext, _args: str = "") -> None:
        """In a group: the group's waiting jobs (whose, position); elsewhere: the person's own."""
        conv, queue = self.conv, self.queue
        if await conv.refused_banned(ctx):
            return
        lang = await conv.language(ctx)
        depths = await queue.lane_depths()
        group = ctx.group_key if ctx.chat.group else None
        candidates = await (self.recent.of_group(group) if group else self.recent.of_user(ctx.user_key))
        # Waiting jobs; running ones are listed with everything that runs.
        own = [job for job in candidates if job.state is JobState.QUEUED]
        running = await queue.get_many(await queue.running_ids())
        etas = await queue.estimated_waits(own)  # one round trip however many wait (a big group)
        average = await queue.average_duration()
        lanes = {job.account for job in own} or {await self._usual_account(ctx)}
        waiting = sum(depths.get(lane, 0) for lane in lanes)
        await conv.answer(ctx, Reply(queue_text(lang, own, running, waiting, average, etas, group=bool(group))))

    async def _usual_account(self, ctx: ChatContext) -> str:
        """The lane this person's next job would join (for the queue's total), best effort."""
        try:
            actor = await self.conv.actor(ctx)
            return (await self.policy.fund(actor, await self.policy.group_config(actor))).account
        except NoAccount:
            return self.conv.settings.bot.default_account

    async def _target(self, ctx: ChatContext, job_id: str | None, *, waiting_only: bool) -> Job | None:
        if job_id:
            job_id = typed_job_id(job_id)
            return None if job_id == NOT_AN_ID else await self.queue.get(job_id)
        for job in await self.recent.of_user(ctx.user_key):
            if not waiting_only or job.state is JobState.QUEUED:
                return job
        return None

    async def status(self, ctx: ChatContext, job_id: str | None = None) -> None:
        conv = self.conv
        if await conv.refused_banned(ctx):
            return
        lang = await conv.language(ctx)
        job = await self._target(ctx, job_id or None, waiting_only=False)
        if job is None and not job_id:
            text = t(lang, "status.no_jobs")  # nothing recent: say how to start, not "no job -"
        elif job is None:
            text = cancel_text(lang, "missing", typed_job_id(job_id or ""))
        else:
            text = status_text(job, lang, eta=await self.queue.estimated_wait(job))
        await conv.answer(ctx, Reply(text))

    async def cancel(self, ctx: ChatContext, job_id: str | None = None) -> str:
        """Cancel and say how it went; returns the outcome (``canceled``, ``forbidden``, ...)."""
        conv = self.conv
        if await conv.refused_banned(ctx):
            return "banned"
        lang = await conv.language(ctx)
        job = await self._target(ctx, job_id or None, waiting_only=True)
        if job is None:
            status, shown = ("missing", typed_job_id(job_id)) if job_id else ("nothing", "-")
        else:
            outcome = await self.queue.cancel(job.id, await conv.caller(ctx))
            status, shown = outcome.status, job.id
        await conv.answer(ctx, Reply(cancel_text(lang, status, shown or "-")))
        return status

    async def cancel_button(self, ctx: ChatContext, job: Job, lang: str) -> tuple[str, bool]:
        """The Cancel button under a status message: the notice, and whether it is an alert."""
        outcome = await self.queue.cancel(job.id, await self.conv.caller(ctx))
        return cancel_text(lang, outcome.status, job.id), not outcome.canceled
