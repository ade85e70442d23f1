"""A button acts only in the chat its message was posted in (issue 13, "button actions bound to
the chat"). Button data names only the job, and a custom Telegram client can send any callback
data from any chat: a press from elsewhere must not cancel, repeat or fetch someone's job."""

from __future__ import annotations

from bot.chat.ports import ACTION_AGAIN, ACTION_CANCEL, ACTION_PNG, Button
from tasks.job import JobState
from tests.fixtures.chat import ChatWorld, MakeChat, answers, make_context

ELSEWHERE = ("That button belongs to a message in another chat.", True)


async def test_a_cancel_pressed_in_another_chat_leaves_the_job_waiting(chat: ChatWorld) -> None:
    ann = chat.in_group("1", "Ann")
    job = await chat.generated(ann, "a fox")
    # Ann herself, from her private chat, and a stranger's group: neither holds that message.
    for elsewhere in (chat.context("1", "Ann"), chat.context("3", "Mallory", group="-200")):
        assert await chat.press(elsewhere, Button("✖", ACTION_CANCEL, job.id)) == ELSEWHERE
    assert await chat.waiting() == [job.id]
    # Pressed where the status message is, it works.
    assert await chat.press(ann, Button("✖", ACTION_CANCEL, job.id)) == (f"🚫 Job {job.id} is canceled.", False)


async def test_the_same_chat_id_on_another_platform_is_another_chat(chat: ChatWorld) -> None:
    job = await chat.generated(chat.in_group("1", "Ann"), "a fox")
    twin = make_context("1", "Ann", group=job.requester.chat_id, platform="discord")
    assert await chat.press(twin, Button("✖", ACTION_CANCEL, job.id)) == ELSEWHERE
    assert await chat.waiting() == [job.id]


async def test_again_pressed_in_another_chat_queues_nothing(chat: ChatWorld) -> None:
    job = await chat.generated(chat.context("1", "Ann"), "a secret fox")
    mallory = chat.context("3", "Mallory")
    assert await chat.press(mallory, Button("again", ACTION_AGAIN, job.id)) == ELSEWHERE
    await chat.settle()
    assert await chat.waiting() == [job.id]
    assert answers(mallory).answers == []


async def test_originals_are_not_sent_to_another_chat(make_chat: MakeChat) -> None:
    chat = await make_chat()
    job = await chat.generated(chat.context("1", "Ann"), "a secret fox", "--size 512x512")
    assert (await chat.finish(job.id, [b"\x89PNG\r\n\x1a\nmine"])).state is JobState.DONE
    mallory = chat.context("3", "Mallory")
    assert await chat.press(mallory, Button("png", ACTION_PNG, job.id)) == ELSEWHERE
    await chat.settle()
    assert chat.sender.of("send_files") == []
