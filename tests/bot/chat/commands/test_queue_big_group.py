"""`/queue` in a big group reads its jobs' positions and waits in a few round trips, not a few per job."""

from __future__ import annotations

import time
from typing import Any

from bot.chat.texts.jobs import duration_text
from tests.fixtures.chat import ChatWorld, answers

PEOPLE = 12
JOBS_EACH = 3


async def test_queue_in_a_big_group_lists_every_place_and_wait_from_batch_reads(chat: ChatWorld) -> None:
    queue = chat.queue
    jobs = [await chat.generated(chat.in_group(str(10 + person), f"P{person}"), f"prompt {person}-{n}")
            for n in range(JOBS_EACH) for person in range(PEOPLE)]
    await chat.settle()
    await queue.record_duration(jobs[0], 60.0)
    # No job runs: a wait is whole averages, the same whenever it is read.
    await queue.redis.hdel(queue.keys.lane_rounds("default"), "running_since")
    calls: dict[str, int] = {"positions": 0, "estimated_wait": 0}
    script = queue._scripts._scripts["positions"]

    async def counted_script(keys: list[str], args: list[Any]) -> Any:
        calls["positions"] += 1
        return await script(keys=keys, args=args)

    real_wait = queue.estimated_wait

    async def counted_wait(job: Any) -> float | None:
        calls["estimated_wait"] += 1
        return await real_wait(job)

    queue._scripts._scripts["positions"] = counted_script  # type: ignore[assignment]
    queue.estimated_wait = counted_wait  # type: ignore[method-assign]
    asker = chat.in_group("99", "Asker")
    started = time.perf_counter()
    await chat.command(asker, "/queue")
    assert time.perf_counter() - started < 30  # a hang guard, not a timing claim
    assert calls == {"positions": 1, "estimated_wait": 0}, "the group's 36 jobs in one read (none runs: no other)"
    queue.estimated_wait = real_wait  # type: ignore[method-assign]

    text = answers(asker).only.text
    total = PEOPLE * JOBS_EACH
    assert text.startswith(f"📋 Queue: {total} waiting, 0 running")
    for job in jobs:
        alone = await queue.get(job.id)
        assert alone is not None and alone.position is not None
        wait = duration_text(await real_wait(alone), "en")
        assert f"• {job.id} · {job.requester.display_name} · position {alone.position} of {total} · wait {wait}" in text
