"""Redis stopped under the command layer: every command and button is answered "the queue is
unavailable, try again in a minute" (privately), by the one guard, never dropped; a command whose
job was already queued is never told to send it again.

A private redis-server (``private_redis``) is stopped (killed) under a real ``ChatRuntime``."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from bot.chat.ports import ACTION_AGAIN, ACTION_CANCEL, ACTION_PNG, Button, ChatRef
from tests.fixtures.chat import ROOT_ID, ChatWorld, MakeChat, RecordingAnswerer, answers
from tests.fixtures.redis import PrivateRedis

UNAVAILABLE = "The queue is unavailable right now. Please try again in a minute."
ZH_UNAVAILABLE = "队列暂时不可用，请过一分钟再试。"


async def world_on(make_chat: MakeChat, private_redis: PrivateRedis) -> ChatWorld:
    return await make_chat(REDIS_URL=private_redis.url)


def said_unavailable(answerer: RecordingAnswerer) -> None:
    only = answerer.only
    assert only.text.startswith(UNAVAILABLE), answerer.texts
    assert only.private, "said only to the asker where the platform can"


COMMANDS = ["/generate a fox", "/g a fox --steps 20", "/queue", "/status", "/status abcdefghij", "/cancel",
            "/cancel abcdefghij", "/settings", "/settings set steps 20", "/account", "/login", "/logout",
            "/group", "/group pause"]


@pytest.mark.parametrize("line", COMMANDS)
@pytest.mark.parametrize("where", ["private", "group"])
async def test_every_command_is_answered_queue_unavailable_while_redis_is_down(
        make_chat: MakeChat, private_redis: PrivateRedis, line: str, where: str) -> None:
    chat = await world_on(make_chat, private_redis)
    private_redis.stop()
    ctx = chat.context("1", "Ann") if where == "private" else chat.in_group("1", "Ann", admin=True)
    result = await asyncio.wait_for(chat.command(ctx, line), 10)
    assert result is None
    said_unavailable(answers(ctx))


@pytest.mark.parametrize("line", ["/admin queue", "/admin ban 2", "/admin unban 2"])
async def test_admin_commands_are_answered_queue_unavailable_while_redis_is_down(
        make_chat: MakeChat, private_redis: PrivateRedis, line: str) -> None:
    chat = await world_on(make_chat, private_redis)
    private_redis.stop()
    root = chat.context(ROOT_ID, "Root")
    assert await asyncio.wait_for(chat.command(root, line), 10) is None
    said_unavailable(answers(root))


async def test_the_unavailable_answer_is_in_the_askers_platform_language_without_redis(
        make_chat: MakeChat, private_redis: PrivateRedis) -> None:
    chat = await world_on(make_chat, private_redis)
    private_redis.stop()
    li = chat.context("7", "Li", language="zh-hans")
    await chat.command(li, "/generate 一只猫")
    assert answers(li).only.text.startswith(ZH_UNAVAILABLE)


@pytest.mark.parametrize("action", [ACTION_CANCEL, ACTION_AGAIN, ACTION_PNG])
async def test_every_button_is_answered_queue_unavailable_while_redis_is_down(
        make_chat: MakeChat, private_redis: PrivateRedis, action: str) -> None:
    chat = await world_on(make_chat, private_redis)
    job = await chat.generated(chat.in_group("1", "Ann"), "a fox")
    private_redis.stop()
    bob = chat.in_group("2", "Bob")
    notice, alert = await asyncio.wait_for(chat.press(bob, Button("b", action, job.id)), 10)
    assert notice.startswith(UNAVAILABLE) and alert
    await chat.settle()
    assert answers(bob).answers == []


async def test_again_whose_submit_meets_the_outage_is_answered_in_the_chat(
        make_chat: MakeChat, private_redis: PrivateRedis, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Again button answers at once and submits in the background: Redis going away in between
    is answered by the same guard, in the chat."""
    chat = await world_on(make_chat, private_redis)
    job = await chat.generated(chat.in_group("1", "Ann"), "a fox")
    submit = chat.router.generate.submit

    async def stop_then_submit(*args: object, **kwargs: object) -> object:
        private_redis.stop()
        return await submit(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(chat.router.generate, "submit", stop_then_submit)
    bob = chat.in_group("2", "Bob")
    assert await chat.press(bob, Button("again", ACTION_AGAIN, job.id)) == ("Queued again with a new seed.", False)
    await chat.settle(10)
    said_unavailable(answers(bob))


class HeldAnswerer(RecordingAnswerer):
    """Holds the first reply (as a busy group's pacer would) until released."""

    def __init__(self, name: str, ids: object) -> None:
        super().__init__(name, ids)  # type: ignore[arg-type]
        self.waiting = asyncio.Event()
        self.release = asyncio.Event()

    async def reply(self, text: str, buttons: object = None, *, private: bool = False) -> str:
        self.waiting.set()
        await self.release.wait()
        return await super().reply(text, buttons, private=private)  # type: ignore[arg-type]


async def test_a_job_queued_before_the_outage_is_not_refused_and_its_message_is_kept(
        make_chat: MakeChat, private_redis: PrivateRedis) -> None:
    """Record first, then answer: Redis going away while the first answer waits for its slot does
    not turn a queued job into "try again" (sending it again would queue it twice)."""
    chat = await world_on(make_chat, private_redis)
    held = HeldAnswerer("group", lambda: "m-held")
    ctx = replace(chat.in_group("1", "Ann"), answerer=held)
    command = asyncio.create_task(chat.command(ctx, "/generate a fox"))
    await asyncio.wait_for(held.waiting.wait(), 10)
    queued = await chat.queue.waiting_ids("default")
    assert len(queued) == 1, "the job is queued before the first answer goes out"
    private_redis.stop()
    held.release.set()
    await asyncio.wait_for(command, 10)
    assert held.texts == ["⏳ Adding your job to the queue…"], "no 'try again' for a queued job"
    entry = await chat.registry.get(queued[0])
    assert entry is not None and entry.message_id == "m-held", "the delivery loop edits it once Redis is back"
    assert entry.chat == ChatRef("-100", True)
