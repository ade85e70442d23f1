"""The registry of status messages: the truth the delivery loop converges on, shared by the command
layer and the delivery loop of one bot process (and any process after a restart)."""

from __future__ import annotations

from bot.chat.ports import ChatRef
from bot.chat.status_registry import StatusEntry, StatusRegistry
from bot.keys import BotKeys


def entry(job_id: str = "job1") -> StatusEntry:
    return StatusEntry(job_id=job_id, chat=ChatRef("42", False), message_id="7", language="en", account="default")


async def test_a_late_update_from_an_older_copy_does_not_undo_a_retirement(aredis, redis_prefix) -> None:
    registry = StatusRegistry(aredis, BotKeys(redis_prefix), "telegram", 600)
    older = entry()
    await registry.register(older)
    # The chat was given up meanwhile, through a fresh copy read back from Redis.
    fresh = StatusRegistry(aredis, BotKeys(redis_prefix), "telegram", 600)
    current = await fresh.get("job1")
    assert current is not None
    await fresh.retire(current)
    older.retired = False  # the older copy never heard of it
    await registry.update(older, first_position=3)
    stored = await StatusRegistry(aredis, BotKeys(redis_prefix), "telegram", 600).get("job1")
    assert stored is not None and stored.retired and stored.first_position == 3
    assert await registry.live() == []


async def test_an_update_after_forget_does_not_bring_the_record_back(aredis, redis_prefix) -> None:
    registry = StatusRegistry(aredis, BotKeys(redis_prefix), "telegram", 600)
    record = entry("job2")
    await registry.register(record)
    await registry.forget("job2")
    await registry.update(record, delivered=True)
    assert await registry.get("job2") is None
