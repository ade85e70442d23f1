"""A command the bot has taken is never lost: record first, then answer.

The first answer of a `/generate` may wait tens of seconds for a busy group's pacing slot. The
status entry and the job are in Redis before it goes out, so a bot killed during that wait (here:
the command's task cancelled while its answer is held) leaves a record; a NEW runtime on the same
Redis prefix (the restarted bot) posts the status message that never went out, and the job waits
in its lane as if nothing had happened."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest

from bot.chat.ports import ACTION_AGAIN, Button
from bot.chat.texts.catalog import t
from tasks.job import JobState
from tests.fixtures.chat import GROUP_ID, ChatWorld, MakeChat, RecordingAnswerer, answers
from tests.fixtures.chat_restarts import COMMAND_MESSAGE, StuckAnswerer, kill, kill_while_answering, start_bot


async def restarted(make_chat: MakeChat, bots: list[ChatWorld]) -> ChatWorld:
    """A new bot process on the same Redis prefix; its delivery loop starts with a resync."""
    chat = await start_bot(make_chat, bots)
    await chat.runtime.delivery.resync()
    await chat.settle()
    return chat


async def test_a_bot_killed_while_the_first_answer_waits_posts_it_after_the_restart(
        make_chat: MakeChat, bots: list[ChatWorld]) -> None:
    first = await start_bot(make_chat, bots)
    await kill_while_answering(first)
    (job_id,) = await first.queue.waiting_ids("default")  # recorded and queued before the answer
    assert await first.registry.live() == [job_id]

    second = await restarted(make_chat, bots)
    (posted,) = second.sender.of("send_text")
    assert posted.chat is not None and posted.chat.chat_id == GROUP_ID
    assert posted.reply_to == COMMAND_MESSAGE, "it answers the command that was taken"
    assert posted.text.startswith("⏳ Queued: position 1 of 1") and job_id in posted.text
    assert [[b.action for b in row] for row in posted.buttons] == [["cancel"]]
    entry = await second.registry.get(job_id)
    assert entry is not None and entry.message_id == posted.message_id
    raw = await second.services.redis.hgetall(second.keys.status("telegram", job_id))
    assert raw[b"message_id"].decode() == posted.message_id, "stored, so a second restart does not post it again"
    assert await second.queue.waiting_ids("default") == [job_id]
    assert await second.recent_ids("telegram:1") == [job_id], "/cancel and /queue find it"

    # And the rest of its life is ordinary: done, delivered in reply to that status message.
    done = await second.finish(job_id, [b"\x89PNG\r\n\x1a\nfox"])
    assert done.state is JobState.DONE
    await second.runtime.delivery.schedule(job_id, 0)
    sent = await second.sender.wait_for("send_pictures")
    assert sent.reply_to == posted.message_id


async def test_a_second_restart_does_not_post_the_status_message_again(
        make_chat: MakeChat, bots: list[ChatWorld]) -> None:
    first = await start_bot(make_chat, bots)
    await kill_while_answering(first)
    second = await restarted(make_chat, bots)
    assert len(second.sender.of("send_text")) == 1
    await second.runtime.stop()  # and that one goes too
    third = await restarted(make_chat, bots)
    assert third.sender.of("send_text") == []


async def test_a_bot_killed_before_the_job_was_queued_says_it_was_lost_after_the_restart(
        make_chat: MakeChat, bots: list[ChatWorld], monkeypatch: pytest.MonkeyPatch) -> None:
    """The entry is recorded before the job: a kill between the two leaves an entry without a job,
    and the restarted bot tells the person the command did not make it (it never goes silent)."""
    first = await start_bot(make_chat, bots)
    reached = asyncio.Event()

    async def dies_here(*args: object, **kwargs: object) -> None:
        reached.set()
        await asyncio.Event().wait()

    monkeypatch.setattr(first.router.generate.submitter, "submit", dies_here)
    ctx = replace(first.in_group("1", "Ann"), message_id=COMMAND_MESSAGE)
    command = asyncio.create_task(first.command(ctx, "/generate a fox"))
    await asyncio.wait_for(reached.wait(), 10)
    assert await first.queue.lane_depths() == {}
    assert len(await first.registry.live()) == 1, "the entry is written before the job"
    await kill(first, command)

    second = await restarted(make_chat, bots)
    (posted,) = second.sender.of("send_text")
    assert posted.text == t("en", "status.lost") and posted.reply_to == COMMAND_MESSAGE
    assert await second.registry.live() == [], "said once, then forgotten"


async def test_a_refresh_while_the_first_answer_waits_leaves_it_to_the_command(chat: ChatWorld) -> None:
    """In the process that is answering, the delivery loop (a queue event, a resync after a Redis
    blip) must not post a second status message for the entry whose answer is on its way."""
    held = RecordingAnswerer("group", lambda: "m-first")
    release = asyncio.Event()
    waiting = asyncio.Event()
    reply = held.reply

    async def slow_reply(text: str, buttons: Any = None, *, private: bool = False) -> str:
        waiting.set()
        await release.wait()
        return await reply(text, buttons, private=private)

    held.reply = slow_reply  # type: ignore[method-assign]
    ctx = replace(chat.in_group("1", "Ann"), answerer=held)
    command = asyncio.create_task(chat.command(ctx, "/generate a fox"))
    await asyncio.wait_for(waiting.wait(), 10)
    await chat.runtime.delivery.resync()
    await chat.settle()
    assert chat.sender.of("send_text") == []
    release.set()
    job = await command
    await chat.settle()
    assert chat.sender.of("send_text") == [] and held.texts == ["⏳ Adding your job to the queue…"]
    edit = await chat.sender.wait_for("edit_text")
    assert edit.message_id == "m-first" and job.id in edit.text


async def test_again_is_recorded_before_its_first_answer_too(make_chat: MakeChat, bots: list[ChatWorld]) -> None:
    first = await start_bot(make_chat, bots)
    original = await first.generated(first.in_group("1", "Ann"), "a fox")
    stuck = StuckAnswerer()
    bob = replace(first.in_group("2", "Bob"), answerer=stuck)
    assert await first.press(bob, Button("again", ACTION_AGAIN, original.id)) == (
        "Queued again with a new seed.", False)
    await asyncio.wait_for(stuck.waiting.wait(), 10)
    again_id = next(i for i in await first.queue.waiting_ids("default") if i != original.id)
    (background,) = first.router.generate._background
    await kill(first, background)

    second = await restarted(make_chat, bots)
    posted = [s for s in second.sender.of("send_text") if again_id in s.text]
    # Nothing to reply to (a button press): the late status message names whose job it is.
    assert len(posted) == 1
    assert posted[0].text.startswith("For Bob, who asked before the bot restarted:\n⏳ Queued: position 2 of 2")
    assert answers(bob).answers == []
