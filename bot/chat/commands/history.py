"""`/history` and `/show`: a person's recent results in this chat, paged, and one of them posted again.

`/history [page]` answers with a page: the results as thumbnails (an album on Telegram), then one
message listing them (number, job id, prompt, when it expires) with a numbered button per result and
◀ ▶ to turn pages. Picking one, or `/show JOB`, posts that result again exactly as the delivery loop
posts a new one: the original images, the caption, and the result's buttons (Again, Original PNG,
Variations, Enhance, Upscale), which then run jobs through the router like any other press (the
presser's account, quotas, bans and costs). A re-posted result is remembered as a result message
(``ResultMessages``), so "use as input" is what it is for any result: reply to it with `/generate`,
`/vibe`, `/ref` or `/inpaint` (Discord: Apps → Use as img2img / reference on it), and the stored
original is used, never a download. The pick's notice says so.

Who sees what: the history lists the asker's own jobs asked in this chat (``RecentJobs.history``);
`/show` and a pick post only a job asked in this chat (``posted_here``: whoever asked it, its result
was in this chat already), since a button's data names only the job and a forged one must not pull
a result from another chat into this one.

Results live as long as their job does: ``queue.retention_seconds`` after it ended; every line says
when that is. Pages are one digit in a button's data: at most ``HISTORY_JOBS`` (60) jobs, six a page.
"""

from __future__ import annotations

import asyncio
import io
import time
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from bot.chat.commands.generate import GenerateCommands
from bot.chat.commands.jobs import NOT_AN_ID, typed_job_id
from bot.chat.context import ChatContext, Conversation
from bot.chat.delivery import result_buttons
from bot.chat.pacer import PRIORITY_ANSWER, Pacer
from bot.chat.ports import ACTION_HISTORY, ACTION_SHOW, Button, ChatRef, ChatSender, Picture, Reply
from bot.chat.recent_jobs import HISTORY_JOBS, RecentJobs
from bot.chat.result_messages import ResultMessages
from bot.chat.texts.catalog import t
from bot.chat.texts.history import HistoryEntry, HistoryPage, entry_label, history_text
from bot.chat.texts.jobs import caption
from storage.base import Storage, StorageError
from tasks.job import Job, JobState
from tasks.queue import JobQueue

PAGE_SIZE = 6
MAX_PAGES = -(-HISTORY_JOBS // PAGE_SIZE)
# Thumbnails on a page: the longer side, in pixels (a page of six stays well under a megabyte).
THUMBNAIL_SIDE = 384
# What a thumbnail is when its file cannot be read (gone from storage before its job, unreadable):
# the page keeps its numbering, and a pick says the files are gone.
_MISSING = (KeyError, StorageError, UnidentifiedImageError, OSError)


def thumbnail(png: bytes) -> bytes:
    """A small JPEG of a result, for a page of them (the original stays in storage for picks)."""
    with Image.open(io.BytesIO(png)) as image:
        small = image.convert("RGB")
        small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        out = io.BytesIO()
        small.save(out, format="JPEG", quality=85)
        return out.getvalue()


def placeholder() -> bytes:
    """A plain grey square standing in for a thumbnail whose file cannot be read."""
    out = io.BytesIO()
    Image.new("RGB", (THUMBNAIL_SIDE, THUMBNAIL_SIDE), (128, 128, 128)).save(out, format="JPEG")
    return out.getvalue()


def has_result(job: Job) -> bool:
    return job.state is JobState.DONE and bool(job.images)


def shown_here(job: Job, ctx: ChatContext) -> bool:
    """Whether the job was asked in this chat (the router's ``posted_here``, which this family may
    not import): only then may it be posted here again."""
    asked = job.requester
    return asked.platform == ctx.platform and bool(asked.chat_id) and asked.chat_id == ctx.chat.chat_id


def typed_page(args: str) -> int:
    """`/history 2` → page index 1; anything else → the first page."""
    word = args.strip().split(maxsplit=1)[0] if args.strip() else ""
    return max(0, min(int(word) - 1, MAX_PAGES - 1)) if word.isdigit() and len(word) <= 3 else 0


@dataclass
class HistoryCommands:
    conv: Conversation
    queue: JobQueue
    recent: RecentJobs
    generate: GenerateCommands
    results: ResultMessages
    storage: Storage
    pacer: Pacer
    sender: ChatSender
    retention_seconds: int

    # -- reading ---------------------------------------------------------------------------------

    async def page_of(self, user_key: str, owner_id: str, chat: ChatRef, page: int) -> HistoryPage:
        """Page ``page`` (from 0, clamped to the last) of the person's results in the chat, newest first."""
        jobs = [job for job in await self.recent.history(user_key, chat.chat_id) if has_result(job)]
        pages = max(1, -(-len(jobs) // PAGE_SIZE))
        page = max(0, min(page, pages - 1))
        chosen = jobs[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
        entries = tuple(HistoryEntry(number, job, self.expires_at(job)) for number, job in enumerate(chosen, 1))
        return HistoryPage(owner_id=owner_id, page=page, pages=pages, entries=entries)

    def expires_at(self, job: Job) -> float | None:
        """When the job (and so its result) is forgotten: retention after it ended."""
        return job.finished_at + self.retention_seconds if job.finished_at else None

    async def thumbnails(self, page: HistoryPage) -> list[Picture]:
        """The first image of each result on the page, small, captioned with its number and prompt."""
        pictures = []
        for entry in page.entries:
            try:
                png = await asyncio.to_thread(self.storage.get, entry.job.images[0].key)
                small = await asyncio.to_thread(thumbnail, png)
            except _MISSING:
                small = placeholder()
            pictures.append(Picture(png=small, caption=entry_label(entry), filename=f"history-{entry.number}.jpg"))
        return pictures

    # -- Telegram-style pages (an album, then the list with its buttons) --------------------------

    async def history(self, ctx: ChatContext, args: str = "") -> None:
        """`/history [page]`: the asker's results in this chat, one page."""
        if await self.conv.refused_banned(ctx):
            return
        lang = await self.conv.language(ctx)
        page = await self.page_of(ctx.user_key, ctx.user_id, ctx.chat, typed_page(args))
        if not page.entries:
            await self.conv.answer(ctx, Reply(t(lang, "history.empty")))
            return
        await self.post_page(ctx, page, lang)

    async def post_page(self, ctx: ChatContext, page: HistoryPage, lang: str) -> None:
        pictures = await self.thumbnails(page)
        chat = ctx.chat
        await self.pacer.call(chat, lambda: self.sender.send_pictures(chat, pictures, reply_to=ctx.message_id),
                              weight=self.sender.pictures_cost(len(pictures)))
        text = history_text(page, lang, time.time(), "history.hint")
        await self.conv.answer(ctx, Reply(text, self.page_buttons(page)))

    @staticmethod
    def page_buttons(page: HistoryPage) -> list[list[Button]]:
        """A numbered button per result (posts it again), then ◀ ▶ where there is a page that way."""
        picks = [Button(str(entry.number), ACTION_SHOW, entry.job.id) for entry in page.entries]
        turns = []
        if page.page > 0:
            turns.append(Button("◀", ACTION_HISTORY, page.owner_id, page.page - 1))
        if page.page < page.pages - 1:
            turns.append(Button("▶", ACTION_HISTORY, page.owner_id, page.page + 1))
        return [row for row in (picks, turns) if row]

    async def turn_page(self, ctx: ChatContext, owner_id: str, page: int, lang: str) -> tuple[str, bool]:
        """◀ / ▶ under a page: the presser's own history only (a page button names its owner); the
        new page is posted below (Telegram cannot swap an album's photos), the press answered at once."""
        if owner_id != ctx.user_id:
            return t(lang, "history.not_yours"), True

        async def post() -> None:
            found = await self.page_of(ctx.user_key, ctx.user_id, ctx.chat, page)
            if found.entries:
                await self.post_page(ctx, found, lang)
            else:
                await self.conv.answer(ctx, Reply(t(lang, "history.empty")))

        self.generate.in_background(ctx, post())
        return t(lang, "history.turning", page=page + 1), False

    # -- posting one result again -----------------------------------------------------------------

    async def show(self, ctx: ChatContext, args: str = "") -> str | None:
        """`/show JOB`: post that result here again with its buttons; returns the notice for the
        asker (platforms that answer privately say it), None when refused (already answered)."""
        if await self.conv.refused_banned(ctx):
            return None
        lang = await self.conv.language(ctx)
        typed = args.strip().split(maxsplit=1)[0] if args.strip() else ""
        if not typed:
            await self.conv.answer(ctx, Reply(t(lang, "show.usage"), private=True))
            return None
        job_id = typed_job_id(typed)
        job = None if job_id == NOT_AN_ID else await self.queue.get(job_id)
        if job is None or not shown_here(job, ctx):
            await self.conv.answer(ctx, Reply(t(lang, "show.missing", id=job_id), private=True))
            return None
        if not has_result(job):
            await self.conv.answer(ctx, Reply(t(lang, "show.no_result", id=job.id), private=True))
            return None
        if not await self.stored(job):
            await self.conv.answer(ctx, Reply(t(lang, "show.files_gone", id=job.id), private=True))
            return None
        self.repost(ctx, job, lang)
        return t(lang, self.posted_key)

    async def pick(self, ctx: ChatContext, job: Job, lang: str) -> tuple[str, bool]:
        """A numbered button (or Discord's select) on a page: the router has checked the ban and that
        the job was asked in this chat. Posts it again; the notice says how to use it as input."""
        if not has_result(job):
            return t(lang, "show.no_result", id=job.id), True
        if not await self.stored(job):
            return t(lang, "show.files_gone", id=job.id), True
        self.repost(ctx, job, lang)
        return t(lang, self.posted_key), False

    async def stored(self, job: Job) -> bool:
        """Whether the job's images are still in storage (a look, not a read); unsure counts as yes,
        and the re-post itself says so if they cannot be read."""
        try:
            return all([await asyncio.to_thread(self.storage.exists, image.key) for image in job.images])
        except (StorageError, OSError):
            return True

    @property
    def posted_key(self) -> str:
        """Where a re-posted result is used as input differs: a reply (Telegram), the Apps menu (Discord)."""
        return "history.posted_menu" if self.sender.has_forms else "history.posted"

    def repost(self, ctx: ChatContext, job: Job, lang: str) -> None:
        """Queue the re-post on the chat's pacer (the press or command is answered meanwhile)."""
        weight = self.sender.pictures_cost(len(job.images)) + 1
        self.pacer.submit(ctx.chat, f"show:{job.id}:{ctx.user_id}", lambda: self._post(ctx, job, lang),
                          priority=PRIORITY_ANSWER, weight=weight)

    async def _post(self, ctx: ChatContext, job: Job, lang: str) -> int:
        """The result as the delivery loop posts it: originals, captions, the result's buttons. Where
        each picture is a message of its own (a Telegram album) the buttons cannot ride on it and
        follow in a message of their own, as they do on the status message of a new result."""
        paid_by = str(job.requester.reply.get("paid_by") or "") or None
        chat = ctx.chat
        try:
            pictures = [Picture(png=await asyncio.to_thread(self.storage.get, image.key),
                                caption=caption(job, lang, image_index=index, paid_by=paid_by),
                                filename=f"{job.id}-{index}.png")
                        for index, image in enumerate(job.images)]
        except (KeyError, StorageError):  # removed before its job, or storage is down: say so, once
            await self.sender.send_text(chat, t(lang, "show.files_gone", id=job.id), reply_to=ctx.message_id)
            return 1
        buttons = result_buttons(job, lang, forms=self.sender.has_forms)
        sent = await self.sender.send_pictures(chat, pictures, buttons, reply_to=ctx.message_id,
                                               summary=caption(job, lang, paid_by=paid_by))
        calls = self.sender.pictures_cost(len(pictures))
        if len(pictures) > 1 and calls > 1:  # an album: its buttons on a message below it
            await self.sender.send_text(chat, t(lang, "history.buttons", id=job.id), buttons)
            calls += 1
        if len(set(sent)) == len(sent):  # one message per picture: a reply to one uses its original
            await self.results.remember(chat.chat_id, sent, job.id)
        return calls
