"""One upload per finished job when several bot processes of a platform read its events (Discord
shard ranges, Telegram webhook replicas): ``StatusRegistry.claim_delivery`` lets the first process
upload, holds the others off while it does, tells a process whose copy of the entry is stale that
the results are already delivered, and lets another try at once after a failed upload. A command
whose process died while answering is answered by another live process after a grace period."""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from bot.chat import delivery
from bot.chat.pacer import PRIORITY_STATE
from bot.chat.ports import ChatRef
from bot.chat.status_registry import StatusEntry, StatusRegistry
from bot.keys import BotKeys
from tests.fixtures.chat import ChatWorld, MakeChat
from tests.fixtures.chat_restarts import COMMAND_MESSAGE, kill_while_answering, start_bot


def registries(aredis: aioredis.Redis, prefix: str) -> tuple[StatusRegistry, StatusRegistry]:
    """Two processes' registries (each with its own in-process copy) on one Redis."""
    return (StatusRegistry(aredis, BotKeys(prefix), "discord", 3600),
            StatusRegistry(aredis, BotKeys(prefix), "discord", 3600))


async def test_only_the_first_process_to_claim_uploads(aredis: aioredis.Redis, redis_prefix: str) -> None:
    first, second = registries(aredis, redis_prefix)
    await first.register(StatusEntry(job_id="j1", chat=ChatRef("9001", group=True), message_id="m", language="en",
                                     account="default"))
    assert await first.claim_delivery("j1", 60)
    assert not await second.claim_delivery("j1", 60)
    assert 0 < await aredis.pttl(BotKeys(redis_prefix).status_delivering("discord", "j1")) <= 60_000


async def test_a_stale_copy_learns_the_results_were_delivered(aredis: aioredis.Redis, redis_prefix: str) -> None:
    first, second = registries(aredis, redis_prefix)
    await first.register(StatusEntry(job_id="j2", chat=ChatRef("9001", group=True), message_id="m", language="en",
                                     account="default"))
    stale = await second.get("j2")  # the second process read the entry before the upload
    assert stale is not None and not stale.delivered
    assert await first.claim_delivery("j2", 0.05)
    entry = await first.get("j2")
    assert entry is not None
    await first.update(entry, delivered=True)
    await aredis.delete(BotKeys(redis_prefix).status_delivering("discord", "j2"))  # as if the claim had lapsed
    assert not await second.claim_delivery("j2", 60)
    assert stale.delivered


async def test_a_failed_upload_releases_the_claim(aredis: aioredis.Redis, redis_prefix: str) -> None:
    first, second = registries(aredis, redis_prefix)
    await first.register(StatusEntry(job_id="j3", chat=ChatRef("9001", group=True), message_id="m", language="en",
                                     account="default"))
    assert await first.claim_delivery("j3", 60)
    await first.release_delivery("j3")
    assert await second.claim_delivery("j3", 60)


async def test_a_command_whose_process_died_is_answered_by_another_live_process_after_the_grace(
        make_chat: MakeChat, bots: list[ChatWorld]) -> None:
    """Two live processes: one dies while its command's first answer waits. The other, which reads
    the job's events, leaves the young entry to that command for ``ANSWER_GRACE_SECONDS``, then posts
    the status message itself (without a restart: its run loop looks again)."""
    survivor = await start_bot(make_chat, bots)
    dying = await start_bot(make_chat, bots)
    await kill_while_answering(dying)
    (job_id,) = await dying.queue.waiting_ids("default")
    await survivor.runtime.delivery.schedule(job_id, PRIORITY_STATE)  # as for one of the job's events
    await survivor.settle()
    assert survivor.sender.of("send_text") == [], "young: left to the command that is answering it"
    await survivor.runtime.delivery.rechecks_due(now=time.time() + delivery.ANSWER_GRACE_SECONDS)
    posted = await survivor.sender.wait_for("send_text", timeout=10)
    assert posted.reply_to == COMMAND_MESSAGE and job_id in posted.text
    entry = await survivor.registry.reload(job_id)
    assert entry is not None and entry.message_id == posted.message_id
    await survivor.settle()
    assert len(survivor.sender.of("send_text")) == 1
