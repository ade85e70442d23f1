"""The pacer: platform limits never exceeded, latest state wins, priorities, retry_after honoured;
with its windows in Redis, shared by bot processes and surviving a restart, and alone without Redis.

Every behaviour test runs twice: with this process's windows only (``memory``) and with the
platform's windows in Redis (``redis``), where it must not change."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import AsyncIterator, Callable

import pytest
import redis.asyncio as aioredis

from bot.chat.pacer import (
    PRIORITY_ANSWER,
    PRIORITY_POSITION,
    PRIORITY_RESULT,
    Limits,
    Pacer,
)
from bot.chat.ports import ChatRef, ChatUnavailable, RateLimited
from bot.chat.windows import SharedWindows, Window
from bot.keys import BotKeys
from tests.fixtures.redis import PrivateRedis

GROUP = ChatRef("-100", group=True)
PRIVATE = ChatRef("42", group=False)
PLATFORM = "telegram"


@pytest.fixture
async def run_pacers() -> AsyncIterator[Callable[[Pacer], Pacer]]:
    """Runs a pacer's loop until the test ends (``stop`` it earlier to play a killed process)."""
    tasks: list[asyncio.Task[None]] = []

    def run(pacer: Pacer) -> Pacer:
        tasks.append(asyncio.create_task(pacer.run()))
        return pacer

    yield run
    for task in tasks:
        task.cancel()


@pytest.fixture(params=["memory", "redis"])
async def pacer_factory(request: pytest.FixtureRequest, run_pacers, aredis, redis_prefix) -> AsyncIterator:
    shared: Callable[[], SharedWindows | None] = lambda: None  # noqa: E731
    if request.param == "redis":
        shared = lambda: SharedWindows(aredis, BotKeys(redis_prefix), PLATFORM)  # noqa: E731

    def make(limits: Limits) -> Pacer:
        return run_pacers(Pacer(limits, shared=shared()))

    yield make


def violations(stamps: list[float], window: Window) -> int:
    """How many calls had more than ``window.calls`` calls in the window ending at them."""
    stamps = sorted(stamps)
    return sum(1 for i, t in enumerate(stamps) if sum(1 for s in stamps[: i + 1] if s > t - window.seconds)
               > window.calls)


async def test_calls_in_a_chat_never_exceed_its_windows(pacer_factory) -> None:
    group_window, per_call = Window(5, 0.5), Window(1, 0.02)
    pacer = pacer_factory(Limits(private=[per_call], group=[per_call, group_window], overall=[Window(100, 1)]))
    stamps: list[float] = []

    def op_for(i: int):
        async def op() -> int:
            stamps.append(time.monotonic())
            return 1
        return op

    for i in range(15):
        pacer.submit(GROUP, f"msg{i}", op_for(i), priority=PRIORITY_POSITION)
    await pacer.idle()
    assert len(stamps) == 15
    assert violations(stamps, group_window) == 0
    assert violations(stamps, per_call) == 0


async def test_the_same_key_again_replaces_pending_work(pacer_factory) -> None:
    pacer = pacer_factory(Limits(private=[Window(1, 0.2)], group=[], overall=[Window(100, 1)]))
    sent: list[str] = []

    def edit(text: str):
        async def op() -> int:
            sent.append(text)
            return 1
        return op

    pacer.submit(PRIVATE, "first", edit("first"), priority=PRIORITY_POSITION)
    await asyncio.sleep(0.01)  # "first" is sent; the chat's window is now full for 0.2 s
    for n in range(50):
        pacer.submit(PRIVATE, "status", edit(f"position {50 - n}"), priority=PRIORITY_POSITION)
    await pacer.idle()
    assert sent == ["first", "position 1"], "fifty updates of one message became one call"


async def test_results_go_before_position_updates(pacer_factory) -> None:
    pacer = pacer_factory(Limits(private=[Window(1, 0.05)], group=[], overall=[Window(100, 1)]))
    order: list[str] = []

    def op_named(name: str):
        async def op() -> int:
            order.append(name)
            return 1
        return op

    pacer.submit(PRIVATE, "blocker", op_named("blocker"), priority=PRIORITY_POSITION)
    await asyncio.sleep(0.01)
    pacer.submit(PRIVATE, "pos1", op_named("pos1"), priority=PRIORITY_POSITION)
    pacer.submit(PRIVATE, "pos2", op_named("pos2"), priority=PRIORITY_POSITION)
    pacer.submit(PRIVATE, "result", op_named("result"), priority=PRIORITY_RESULT)
    await pacer.idle()
    assert order == ["blocker", "result", "pos1", "pos2"]


async def test_work_that_sends_nothing_costs_nothing(pacer_factory) -> None:
    pacer = pacer_factory(Limits(private=[Window(1, 10.0)], group=[], overall=[Window(100, 1)]))
    ran: list[str] = []

    async def nothing() -> int:
        ran.append("nothing")
        return 0

    async def something() -> int:
        ran.append("something")
        return 1

    pacer.submit(PRIVATE, "a", nothing, priority=PRIORITY_POSITION)
    pacer.submit(PRIVATE, "b", something, priority=PRIORITY_POSITION)
    await asyncio.wait_for(pacer.idle(), 2)
    assert ran == ["nothing", "something"]


async def test_retry_after_blocks_the_chat_and_the_work_is_retried(pacer_factory) -> None:
    pacer = pacer_factory(Limits(private=[], group=[], overall=[Window(100, 1)]))
    attempts: list[float] = []

    async def flaky() -> int:
        attempts.append(time.monotonic())
        if len(attempts) == 1:
            raise RateLimited(0.3)
        return 1

    pacer.submit(PRIVATE, "x", flaky, priority=PRIORITY_POSITION)
    await pacer.idle()
    assert len(attempts) == 2
    assert attempts[1] - attempts[0] >= 0.29
    assert pacer.rate_limited == 1


async def test_a_gone_chat_drops_its_pending_work(pacer_factory) -> None:
    pacer = pacer_factory(Limits(private=[Window(1, 0.05)], group=[], overall=[Window(100, 1)]))
    ran: list[str] = []

    async def gone() -> int:
        ran.append("gone")
        raise ChatUnavailable("blocked")

    async def later() -> int:
        ran.append("later")
        return 1

    pacer.submit(PRIVATE, "a", gone, priority=PRIORITY_ANSWER)
    pacer.submit(PRIVATE, "b", later, priority=PRIORITY_POSITION)
    await pacer.idle()
    assert ran == ["gone"]


async def test_call_returns_the_result_and_raises_the_error(pacer_factory) -> None:
    pacer = pacer_factory(Limits(private=[Window(1, 0.01)], group=[], overall=[Window(100, 1)]))

    async def answer() -> str:
        return "message-7"

    async def broken() -> str:
        raise ValueError("nope")

    assert await pacer.call(PRIVATE, answer) == "message-7"
    with pytest.raises(ValueError, match="nope"):
        await pacer.call(PRIVATE, broken)


async def test_work_heavier_than_a_window_waits_only_for_an_empty_window(pacer_factory) -> None:
    pacer = pacer_factory(Limits(private=[Window(1, 0.3)], group=[], overall=[Window(100, 1)]))
    stamps: list[float] = []

    async def album() -> int:
        stamps.append(time.monotonic())
        return 4

    async def nothing() -> int:
        stamps.append(time.monotonic())
        return 0

    pacer.submit(PRIVATE, "hand-over", nothing, priority=PRIORITY_POSITION)
    await asyncio.sleep(0.01)
    pacer.submit(PRIVATE, "album", album, priority=PRIORITY_RESULT, weight=4)
    await pacer.idle()
    assert stamps[1] - stamps[0] < 0.1, "a call that sent nothing does not hold the album back"


async def test_less_urgent_work_does_not_take_the_room_a_result_waits_for(pacer_factory) -> None:
    pacer = pacer_factory(Limits(private=[Window(10, 1)], group=[], overall=[Window(2, 0.3)]))
    order: list[str] = []

    def op_named(name: str, made: int = 1):
        async def op() -> int:
            order.append(name)
            return made
        return op

    pacer.submit(PRIVATE, "first", op_named("first"), priority=PRIORITY_POSITION)
    await asyncio.sleep(0.01)
    other = ChatRef("43", group=False)
    pacer.submit(PRIVATE, "album", op_named("album", 2), priority=PRIORITY_RESULT, weight=2)
    for n in range(3):
        pacer.submit(other, f"edit{n}", op_named(f"edit{n}"), priority=PRIORITY_POSITION)
    await pacer.idle()
    assert order.index("album") == 1, f"the album went first once the overall room was back: {order}"


async def test_a_key_runs_at_most_once_per_min_interval(pacer_factory) -> None:
    pacer = pacer_factory(Limits(private=[], group=[], overall=[Window(100, 1)]))
    stamps: list[float] = []

    async def free_edit() -> int:
        stamps.append(time.monotonic())
        return 0  # costs nothing against the chat, like an interaction-webhook edit

    for _ in range(3):
        pacer.submit(PRIVATE, "status", free_edit, priority=PRIORITY_POSITION, min_interval=0.2)
        await asyncio.sleep(0.05)
        await pacer.idle()
    assert len(stamps) == 3
    assert all(b - a >= 0.19 for a, b in itertools.pairwise(stamps)), stamps


async def test_a_key_waiting_its_interval_does_not_hold_up_other_work(pacer_factory) -> None:
    pacer = pacer_factory(Limits(private=[], group=[], overall=[Window(100, 1)]))
    order: list[str] = []

    def op_named(name: str):
        async def op() -> int:
            order.append(name)
            return 0
        return op

    pacer.submit(PRIVATE, "status", op_named("status-1"), priority=PRIORITY_RESULT, min_interval=0.3)
    await pacer.idle()
    pacer.submit(PRIVATE, "status", op_named("status-2"), priority=PRIORITY_RESULT, min_interval=0.3)
    pacer.submit(PRIVATE, "other", op_named("other"), priority=PRIORITY_POSITION)
    await pacer.idle()
    assert order == ["status-1", "other", "status-2"]


# -- the windows in Redis --------------------------------------------------------------------


def stamping(stamps: list[float], made: int = 1):
    async def op() -> int:
        stamps.append(time.monotonic())
        return made
    return op


# The pacer stamps a call in Redis (Redis' clock) just before it makes it; these tests stamp it in
# the op (this process's clock), a moment later. Two calls of different pacers may be stamped a
# few milliseconds closer than Redis saw them: the windows are checked that much shorter.
STAMP_TOLERANCE = 0.02


def shorter(window: Window) -> Window:
    return Window(window.calls, window.seconds - STAMP_TOLERANCE)


async def test_a_restarted_pacer_waits_for_the_window_its_predecessor_filled(aredis, redis_prefix,
                                                                             run_pacers) -> None:
    """The fault run's 429s after a restart: the new process must know the calls of the dead one."""
    per_minute = Window(3, 1.0)  # a group's 20 a minute, shrunk
    limits = Limits(private=[Window(1, 0.05)], group=[Window(1, 0.05), per_minute], overall=[Window(100, 1)])
    keys = BotKeys(redis_prefix)
    first = run_pacers(Pacer(limits, shared=SharedWindows(aredis, keys, PLATFORM)))
    stamps: list[float] = []
    for n in range(3):
        first.submit(GROUP, f"answer{n}", stamping(stamps), priority=PRIORITY_ANSWER)
    await first.idle()
    assert len(stamps) == 3
    # The first process is never used again (killed); a new one starts on the same Redis prefix.

    restarted = run_pacers(Pacer(limits, shared=SharedWindows(aredis, keys, PLATFORM)))
    restarted.submit(GROUP, "answer", stamping(stamps), priority=PRIORITY_ANSWER)
    await restarted.idle()
    assert stamps[3] - stamps[0] >= per_minute.seconds - STAMP_TOLERANCE, (
        f"sent {stamps[3] - stamps[0]:.3f} s after the first of the dead process's calls: the window was full")
    assert violations(stamps, shorter(per_minute)) == 0


async def test_two_pacers_sharing_a_budget_never_exceed_it_together(aredis, redis_prefix, run_pacers) -> None:
    group_window, per_call, overall = Window(4, 0.5), Window(1, 0.02), Window(6, 0.4)
    limits = Limits(private=[per_call], group=[per_call, group_window], overall=[overall])
    pacers = [run_pacers(Pacer(limits, shared=SharedWindows(aredis, BotKeys(redis_prefix), PLATFORM)))
              for _ in range(2)]
    in_group: list[float] = []
    everywhere: list[float] = []

    def both(made: int = 1):
        async def op() -> int:
            now = time.monotonic()
            in_group.append(now)
            everywhere.append(now)
            return made
        return op

    for n in range(6):
        for i, pacer in enumerate(pacers):
            pacer.submit(GROUP, f"p{i}-msg{n}", both(), priority=PRIORITY_POSITION)
            pacer.submit(ChatRef(f"{i}{n}", group=False), "hello", stamping(everywhere), priority=PRIORITY_POSITION)
    await asyncio.gather(*(pacer.idle() for pacer in pacers))
    assert len(in_group) == 12 and len(everywhere) == 24
    assert violations(in_group, shorter(group_window)) == 0
    assert violations(everywhere, shorter(overall)) == 0
    assert sum(pacer.calls_made for pacer in pacers) == 24


async def test_one_redis_call_per_send_and_the_windows_expire(aredis, redis_prefix, run_pacers) -> None:
    limits = Limits(private=[Window(5, 0.3)], group=[], overall=[Window(100, 1.0)])
    keys = BotKeys(redis_prefix)
    shared = SharedWindows(aredis, keys, PLATFORM)
    pacer = run_pacers(Pacer(limits, shared=shared))
    stamps: list[float] = []
    for n in range(5):
        pacer.submit(PRIVATE, f"m{n}", stamping(stamps), priority=PRIORITY_POSITION)
    await pacer.idle()
    assert len(stamps) == 5
    assert shared.calls == 5, "one round trip a send"
    chat_ttl = await aredis.pttl(keys.pace_chat(PLATFORM, PRIVATE.chat_id))
    overall_ttl = await aredis.pttl(keys.pace_overall(PLATFORM))
    assert 0 < chat_ttl <= 1300 and 0 < overall_ttl <= 2000, (chat_ttl, overall_ttl)
    assert await aredis.zcard(keys.pace_chat(PLATFORM, PRIVATE.chat_id)) == 5


async def test_a_429_in_one_process_holds_the_chat_in_every_process(aredis, redis_prefix, run_pacers) -> None:
    limits = Limits(private=[], group=[], overall=[Window(100, 1)])
    keys = BotKeys(redis_prefix)
    first, second = (run_pacers(Pacer(limits, shared=SharedWindows(aredis, keys, PLATFORM))) for _ in range(2))
    attempts: list[float] = []
    stamps: list[float] = []

    async def limited() -> int:
        attempts.append(time.monotonic())
        if len(attempts) == 1:
            raise RateLimited(0.4)
        return 1

    first.submit(PRIVATE, "x", limited, priority=PRIORITY_POSITION)
    await asyncio.sleep(0.1)
    second.submit(PRIVATE, "y", stamping(stamps), priority=PRIORITY_POSITION)
    await asyncio.gather(first.idle(), second.idle())
    assert len(attempts) == 2 and len(stamps) == 1
    assert stamps[0] - attempts[0] >= 0.4 - STAMP_TOLERANCE, "the other process waited out the retry_after"


async def test_without_redis_the_pacer_still_sends_on_its_own_windows(tmp_path, run_pacers, caplog) -> None:
    server = PrivateRedis(tmp_path)
    server.start()
    client = aioredis.Redis.from_url(server.url, socket_timeout=1, socket_connect_timeout=1)
    try:
        keys = BotKeys("naibot-test-outage")
        shared = SharedWindows(client, keys, PLATFORM, retry=0.3)
        per_chat = Window(1, 0.1)
        pacer = run_pacers(Pacer(Limits(private=[per_chat], group=[], overall=[Window(100, 1)]), shared=shared))

        async def answer() -> str:
            return "sent"

        assert await pacer.call(PRIVATE, answer) == "sent"
        assert await client.exists(keys.pace_chat(PLATFORM, PRIVATE.chat_id))
        server.stop()

        caplog.set_level(logging.INFO, logger="bot.chat.pacer")
        stamps: list[float] = []
        started = time.monotonic()
        for n in range(3):
            await asyncio.wait_for(pacer.call(PRIVATE, stamping(stamps)), 2.0)
            assert n or time.monotonic() - started < 1.0, "an answer goes out at once during an outage"
        assert shared.down
        assert violations(stamps, per_chat) == 0, "this process's windows still pace it"
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "Redis unreachable" in r.message]
        assert len(warnings) == 1, "logged once, not at every send"

        server.start()  # an empty server on the same port
        await asyncio.sleep(0.35)
        assert await asyncio.wait_for(pacer.call(PRIVATE, answer), 2.0) == "sent"
        assert not shared.down
        assert await client.exists(keys.pace_chat(PLATFORM, PRIVATE.chat_id)), "shared again once Redis is back"
    finally:
        await client.aclose()
        server.stop()


async def test_a_pacer_cancelled_as_work_arrives_still_stops() -> None:
    """A stop that lands in the same loop turn as new work (a bot stopping while its delivery loop
    still submits) ends the loop; Python 3.11's ``asyncio.wait_for`` swallowed that cancellation,
    and the bot's stop then waited for the pacer for ever."""
    pacer = Pacer(Limits(private=[Window(1, 60)], group=[Window(1, 60)], overall=[Window(1, 60)]))
    task = asyncio.create_task(pacer.run())
    sent = asyncio.Event()

    async def first() -> int:
        sent.set()
        return 1

    pacer.submit(PRIVATE, "first", first, priority=PRIORITY_POSITION)
    await sent.wait()
    pacer.submit(PRIVATE, "second", first, priority=PRIORITY_POSITION)  # waits out the 60 s window
    for _ in range(5):
        await asyncio.sleep(0)  # the loop now waits, with a timeout, for the window or new work
    pacer.submit(PRIVATE, "late", lambda: asyncio.sleep(0, result=0), priority=PRIORITY_POSITION)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2)
    assert task in done and task.cancelled(), "the pacer's loop ended when cancelled"
