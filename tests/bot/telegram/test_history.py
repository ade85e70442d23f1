"""`/history` and `/show` on Telegram, end to end: the real python-telegram-bot against the Bot API
stand-in, a real worker and the NovelAI stand-in. A page is an album of thumbnails and one message
with numbered buttons and ◀ ▶; picking one posts the result again with its buttons, which run jobs
as the presser's own."""

from __future__ import annotations

import re

import pytest

from bot.chat.ports import ACTION_AGAIN, ACTION_ENHANCE, ACTION_PNG, ACTION_UPSCALE, ACTION_VARIATIONS
from bot.keys import BotKeys
from naibot.redisconn import text
from sandbox.telegram import StoredMessage
from tasks.job import JobState
from tests.fixtures.chat_pictures import inputs_seen
from tests.fixtures.telegram_e2e import ANN, BOB, GROUP, LI, TelegramWorld

pytestmark = pytest.mark.xdist_group("workers")

SMALL = "size:512x512 steps:8"
JOB_LINE = re.compile(r"^\s+([a-z0-9]{10}) · expires in (\d+) h", re.M)
RETENTION_HOURS = 5


def photos(world: TelegramWorld, chat_id: int) -> list[StoredMessage]:
    return [m for m in world.telegram.bot_messages(chat_id) if m.photo]


def pages(world: TelegramWorld, chat_id: int) -> list[StoredMessage]:
    """The bot's history list messages (the ones with numbered pick buttons), in order."""
    return [m for m in world.telegram.bot_messages(chat_id) if m.text and "page" in m.text and m.reply_markup]


def keyboard(message: StoredMessage) -> list[list[tuple[str, str]]]:
    assert message.reply_markup is not None
    return [[(b["text"], b["callback_data"]) for b in row] for row in message.reply_markup["inline_keyboard"]]


def data_of(message: StoredMessage, action: str) -> str:
    for row in keyboard(message):
        for _, data in row:
            if data.startswith(f"{action}:"):
                return data
    raise AssertionError(f"no {action} button on {message.message_id}: {keyboard(message)}")


def answers(world: TelegramWorld) -> list[dict]:
    return [c.params for c in world.telegram.calls("answerCallbackQuery") if c.status == 200]


async def make_results(world: TelegramWorld, user, count: int, *, chat_id: int | None = None) -> None:
    chat = user.id if chat_id is None else chat_id
    before = len(photos(world, chat))
    for number in range(count):  # one after the other: the history's order is the order they were asked in
        command = world.say(user, f"/generate picture number {number} {SMALL}", chat_id=chat_id)
        await world.status_message(chat, command)
    await world.wait(lambda: len(photos(world, chat)) >= before + count, timeout=90)


async def test_history_pages_through_results_and_a_pick_posts_one_again_with_working_buttons(
        telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    await world.start_bot(NAIBOT_QUEUE__RETENTION_SECONDS=str(RETENTION_HOURS * 3600))
    await make_results(world, ANN, 7)
    results_before = len(photos(world, ANN.id))

    world.say(ANN, "/history")
    await world.wait(lambda: len(pages(world, ANN.id)) == 1)
    first = pages(world, ANN.id)[0]
    album = [m for m in photos(world, ANN.id)[results_before:] if m.media_group_id]
    assert len(album) == 6, "six thumbnails above the first page"
    assert "page 1 of 2" in (first.text or "")
    listed = JOB_LINE.findall(first.text or "")
    assert len(listed) == 6
    assert all(int(hours) in (RETENTION_HOURS - 1, RETENTION_HOURS) for _, hours in listed), "expiry = retention"
    services = world.deployment.services()
    try:
        jobs = [await services.queue.get(job_id) for job_id, _ in listed]
        assert all(job is not None and job.state is JobState.DONE for job in jobs)
        created = [job.created_at for job in jobs if job is not None]
        assert created == sorted(created, reverse=True), "newest first"
        assert "picture number 6" in (first.text or ""), "the newest is first"
        rows = keyboard(first)
        assert [text for text, _ in rows[0]] == ["1", "2", "3", "4", "5", "6"]
        assert [data for _, data in rows[0]] == [f"show:{job_id}" for job_id, _ in listed]
        assert rows[1] == [("▶", f"hist:{ANN.id}:1")], "no ◀ on the first page"

        # ▶: the second page, with the oldest result and a way back.
        world.telegram.press_button(ANN.id, first.message_id, ANN, f"hist:{ANN.id}:1")
        await world.wait(lambda: len(pages(world, ANN.id)) == 2)
        second = pages(world, ANN.id)[1]
        assert "page 2 of 2" in (second.text or "")
        (oldest_id, _), = JOB_LINE.findall(second.text or "")
        oldest = await services.queue.get(oldest_id)
        assert oldest is not None and "picture number 0" in oldest.generation.prompt
        assert keyboard(second) == [[("1", f"show:{oldest_id}")], [("◀", f"hist:{ANN.id}:0")]]

        # Picking it posts the original again, with the result's buttons; the notice says how to use it as input.
        shown_before = len(photos(world, ANN.id))
        world.telegram.press_button(ANN.id, second.message_id, ANN, f"show:{oldest_id}")
        await world.wait(lambda: len(photos(world, ANN.id)) > shown_before)
        shown = photos(world, ANN.id)[-1]
        assert "picture number 0" in (shown.caption or "")
        for action in (ACTION_AGAIN, ACTION_PNG, ACTION_VARIATIONS, ACTION_ENHANCE, ACTION_UPSCALE):
            assert data_of(shown, action).split(":")[1] == oldest_id
        assert any("reply to it with /generate" in (a.get("text") or "") for a in answers(world))

        # Its buttons run jobs as usual: Again makes a new result of the same prompt.
        world.telegram.press_button(ANN.id, shown.message_id, ANN, data_of(shown, ACTION_AGAIN))
        await world.wait(lambda: len(photos(world, ANN.id)) > shown_before + 1, timeout=60)
        again = photos(world, ANN.id)[-1]
        assert "picture number 0" in (again.caption or "") and again.message_id != shown.message_id

        # Use as input: a reply to the re-posted result uses the stored original (nothing downloaded).
        downloads = len(world.telegram.calls("getFile"))
        world.telegram.user_message(ANN.id, ANN, "/variations", reply_to=shown.message_id)
        await world.wait(lambda: len(photos(world, ANN.id)) > shown_before + 2, timeout=60)
        assert len(world.telegram.calls("getFile")) == downloads
        assert (await inputs_seen(world.deployment))[-1]["action"] == "img2img"
    finally:
        await services.aclose()


async def test_in_a_group_history_is_each_persons_own_and_show_posts_only_this_chats_results(
        telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    await world.start_bot()
    await make_results(world, ANN, 1, chat_id=GROUP)
    await make_results(world, BOB, 1)  # Bob's in his private chat
    services = world.deployment.services()
    try:
        world.say(ANN, "/history", chat_id=GROUP)
        await world.wait(lambda: len(pages(world, GROUP)) == 1)
        page = pages(world, GROUP)[0]
        ((anns_job, _),) = JOB_LINE.findall(page.text or "") or [("", "")]
        assert anns_job

        # Bob's /history in the group: his results there (none), not Ann's.
        world.say(BOB, "/history", chat_id=GROUP)
        await world.wait(lambda: any("No results of yours" in (m.text or "")
                                     for m in world.telegram.bot_messages(GROUP)))

        # A page button names its owner: Bob pressing Ann's page is told, and nothing is posted.
        posted = len(world.telegram.bot_messages(GROUP))
        world.telegram.press_button(GROUP, page.message_id, BOB, f"hist:{ANN.id}:0")
        await world.wait(lambda: any("someone else's history" in (a.get("text") or "") for a in answers(world)))
        assert len(world.telegram.bot_messages(GROUP)) == posted

        # /show: a result asked in this chat (Ann's) is posted for Bob too; one from another chat is not.
        shown_before = len(photos(world, GROUP))
        world.say(BOB, f"/show {anns_job}", chat_id=GROUP)
        await world.wait(lambda: len(photos(world, GROUP)) > shown_before)
        recent = await services.redis.lrange(BotKeys(world.deployment.prefix).user_recent(f"telegram:{BOB.id}"), 0, -1)
        (bobs_job,) = [text(job_id) for job_id in recent]
        world.say(BOB, f"/show {bobs_job}", chat_id=GROUP)
        await world.wait(lambda: any("was made in another chat" in (m.text or "")
                                     for m in world.telegram.bot_messages(GROUP)))
        world.say(BOB, "/show", chat_id=GROUP)
        await world.wait(lambda: any("/show JOB" in (m.text or "") for m in world.telegram.bot_messages(GROUP)))
    finally:
        await services.aclose()


async def test_history_answers_in_chinese_and_refuses_a_banned_person(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.start_bot(NAIBOT_BOT__ADMINS=f'["telegram:{ANN.id}"]')
    world.say(LI, "/history")
    await world.wait(lambda: any("还没有结果" in (m.text or "") for m in world.telegram.bot_messages(LI.id)))
    world.say(ANN, f"/admin ban {BOB.id}")
    await world.wait(lambda: any("is banned" in (m.text or "") for m in world.telegram.bot_messages(ANN.id)))
    world.say(BOB, "/history")
    world.say(BOB, "/show abcdefghij")
    await world.wait(lambda: sum("banned you" in (m.text or "") for m in world.telegram.bot_messages(BOB.id)) >= 2)
    assert not any("No results" in (m.text or "") for m in world.telegram.bot_messages(BOB.id))
