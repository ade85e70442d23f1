"""The pacer: platform limits never exceeded, latest state wins, priorities, retry_after honoured."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator

import pytest

from bot.chat.pacer import PRIORITY_ANSWER, PRIORITY_POSITION, PRIORITY_RESULT, Limits, Pacer, Window
from bot.chat.ports import ChatRef, ChatUnavailable, RateLimited

GROUP = ChatRef("-100", group=True)
PRIVATE = ChatRef("42", group=False)


@pytest.fixture
async def pacer_factory() -> AsyncIterator:
    tasks: list[asyncio.Task[None]] = []

    def make(limits: Limits) -> Pacer:
        pacer = Pacer(limits)
        tasks.append(asyncio.create_task(pacer.run()))
        return pacer

    yield make
    for task in tasks:
        task.cancel()


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
