"""The Telegram bot end to end: real python-telegram-bot against the Bot API stand-in, a real worker,
the NovelAI stand-in and Redis."""

from __future__ import annotations

import asyncio

import pytest

from bot.keys import BotKeys
from sandbox.telegram import FloodLimits, SandboxUser
from tasks.job import JobState
from tests.fixtures.deployment import wait_until_finished
from tests.fixtures.telegram_e2e import ANN, BOB, CAT, GROUP, LI, TelegramWorld, positions

pytestmark = pytest.mark.xdist_group("workers")

SMALL = "--size 512x512 --steps 8"


def job_id_in(text: str) -> str:
    return text.split("Job ")[1].split()[0].strip(" ·")


async def test_private_chat_generate_ends_with_the_picture(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    await world.start_bot()
    command = world.say(ANN, f"/generate a cat in a hat, night {SMALL} --seed 7")
    status = await world.status_message(ANN.id, command)
    await world.wait(lambda: any(m.photo for m in world.telegram.bot_messages(ANN.id)))
    photo = next(m for m in world.telegram.bot_messages(ANN.id) if m.photo)
    assert "7" in photo.caption and "512×512" in photo.caption
    assert photo.reply_markup is not None, "a single picture carries the Again / PNG buttons"
    await world.wait(lambda: "Done" in (world.current(ANN.id, status.message_id).text or ""))


async def test_group_users_see_positions_count_down_and_get_albums(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    world.deployment.sandbox.step_latency = 0.1  # jobs of ~0.8 s, so positions visibly move
    await world.deployment.hold_lane()
    await world.start_bot()
    commands = [world.say(user, f"/generate@naibot_test_bot a {user.first_name} cat {SMALL} --n 2",
                          chat_id=GROUP) for user in (ANN, BOB, CAT)]
    statuses = [await world.status_message(GROUP, c) for c in commands]
    await world.wait(lambda: all(positions(world.texts_of(GROUP, s.message_id)) for s in statuses))
    # Commands are handled concurrently, so who is third depends on arrival at the queue.
    firsts = {s.message_id: positions(world.texts_of(GROUP, s.message_id))[0] for s in statuses}
    assert sorted(firsts.values()) == [1, 2, 3]
    third = next(message_id for message_id, first in firsts.items() if first == 3)
    await world.deployment.start_worker(threads=1)
    await world.deployment.release_lane()
    await world.wait(lambda: len([c for c in world.telegram.calls("sendMediaGroup", GROUP) if c.status == 200]) == 3,
                     timeout=60)
    last = positions(world.texts_of(GROUP, third))
    assert last == sorted(last, reverse=True) and last[-1] < last[0], f"counted down: {last}"
    albums = [m for m in world.telegram.bot_messages(GROUP) if m.media_group_id]
    assert len(albums) == 6 and all(m.caption for m in albums)
    assert world.telegram.stats.too_many_requests == 0


async def test_cancel_by_button_and_refusal_for_others(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.hold_lane()
    await world.start_bot()
    command = world.say(ANN, f"/generate@naibot_test_bot a dog {SMALL}", chat_id=GROUP)
    status = await world.status_message(GROUP, command)
    await world.wait(lambda: world.current(GROUP, status.message_id).reply_markup is not None)
    data = world.current(GROUP, status.message_id).reply_markup["inline_keyboard"][0][0]["callback_data"]
    assert data.startswith("cancel:") and len(data.encode()) <= 64
    job_id = data.split(":", 1)[1]
    world.telegram.press_button(GROUP, status.message_id, BOB, data)
    await world.wait(lambda: any(c.params.get("show_alert") for c in world.telegram.calls("answerCallbackQuery")))
    services = world.deployment.services()
    try:
        assert (await services.queue.get(job_id)).state is JobState.QUEUED, "Bob may not cancel Ann's job"
        world.telegram.press_button(GROUP, status.message_id, ANN, data)
        await world.wait(lambda: "Canceled" in (world.current(GROUP, status.message_id).text or ""))
        assert (await services.queue.get(job_id)).state is JobState.CANCELED
    finally:
        await services.aclose()


async def test_group_admin_may_cancel_anyones_job_by_command(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.hold_lane()
    await world.start_bot()
    command = world.say(ANN, f"/generate@naibot_test_bot a fox {SMALL}", chat_id=GROUP)
    world.telegram.set_member(GROUP, CAT.id, "administrator")
    status = await world.status_message(GROUP, command)
    await world.wait(lambda: "Job " in (world.current(GROUP, status.message_id).text or ""))
    job_id = job_id_in(world.current(GROUP, status.message_id).text)
    refused = world.say(BOB, f"/cancel@naibot_test_bot {job_id}", chat_id=GROUP)
    assert "only" in (await world.status_message(GROUP, refused)).text.lower()
    allowed = world.say(CAT, f"/cancel@naibot_test_bot {job_id}", chat_id=GROUP)
    assert "cancel" in (await world.status_message(GROUP, allowed)).text.lower()
    await world.wait(lambda: "Canceled" in (world.current(GROUP, status.message_id).text or ""))


async def test_bad_options_are_answered_and_nothing_is_queued(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.start_bot()
    command = world.say(ANN, "/generate a cat --steps 500 --wings 2")
    answer = await world.status_message(ANN.id, command)
    assert "wings" in answer.text
    command = world.say(ANN, "/generate a cat --steps 500")
    answer = await world.status_message(ANN.id, command)
    assert "steps" in answer.text.lower() and "50" in answer.text
    services = world.deployment.services()
    try:
        assert await services.queue.lane_depths() == {}
    finally:
        await services.aclose()


async def test_chinese_user_is_answered_in_chinese(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.hold_lane()
    await world.start_bot()
    command = world.say(LI, f"/generate 一只猫 {SMALL}")
    status = await world.status_message(LI.id, command)
    await world.wait(lambda: "排队" in (world.current(LI.id, status.message_id).text or ""))
    help_command = world.say(LI, "/help")
    assert "生成" in (await world.status_message(LI.id, help_command)).text


async def test_settings_defaults_apply_to_later_commands(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    await world.start_bot()
    saved = world.say(ANN, "/settings set size 512x512")
    await world.status_message(ANN.id, saved)
    steps = world.say(ANN, "/settings set steps 8")
    await world.status_message(ANN.id, steps)
    world.say(ANN, "/generate a tiny owl")
    await world.wait(lambda: any(m.photo for m in world.telegram.bot_messages(ANN.id)))
    photo = next(m for m in world.telegram.bot_messages(ANN.id) if m.photo)
    assert "512×512" in photo.caption


async def test_restarted_bot_delivers_what_finished_while_it_was_down(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.hold_lane()
    first = await world.start_bot()
    commands = [world.say(user, f"/generate a {user.first_name} bird {SMALL}") for user in (ANN, BOB)]
    statuses = [await world.status_message(c["chat"]["id"], c) for c in commands]
    for status in statuses:
        await world.wait(lambda s=status: "Job " in (world.current(s.chat_id, s.message_id).text or ""))
    job_ids = [job_id_in(world.current(s.chat_id, s.message_id).text or "") for s in statuses]
    await world.stop_bot(first)  # the bot goes down with both jobs waiting
    await world.deployment.start_worker()
    await world.deployment.release_lane()
    services = world.deployment.services()
    try:
        finished = await wait_until_finished(services, job_ids)
        assert all(job.state is JobState.DONE for job in finished.values())
    finally:
        await services.aclose()
    assert not any(m.photo for u in (ANN, BOB) for m in world.telegram.bot_messages(u.id))
    await world.start_bot()  # comes back: finds the finished jobs and delivers them
    await world.wait(lambda: all(any(m.photo for m in world.telegram.bot_messages(u.id)) for u in (ANN, BOB)))
    for status in statuses:
        await world.wait(lambda s=status: "Done" in (world.current(s.chat_id, s.message_id).text or ""))
    photos = [m for u in (ANN, BOB) for m in world.telegram.bot_messages(u.id) if m.photo]
    assert len(photos) == 2, "each result delivered exactly once"


async def test_two_hundred_queued_jobs_in_one_group_never_trip_the_flood_limit(telegram_world: TelegramWorld
                                                                                ) -> None:
    world = telegram_world
    users = [SandboxUser(10_000 + i, f"user{i}", None, "en") for i in range(200)]
    # Setup, not under test: 200 people queue a job each (limits off so this takes a moment).
    world.telegram.limits = FloodLimits(enabled=False)
    await world.deployment.hold_lane()
    unlimited = {"NAIBOT_TELEGRAM__PRIVATE_PER_SECOND": "10000", "NAIBOT_TELEGRAM__GROUP_PER_MINUTE": "1000000",
                 "NAIBOT_TELEGRAM__GLOBAL_PER_SECOND": "100000"}
    setup_bot = await world.start_bot(**unlimited)
    for user in users:
        world.say(user, f"/generate@naibot_test_bot a cat {SMALL}", chat_id=GROUP)
    services = world.deployment.services()
    try:
        await world.wait(lambda: len(world.telegram.bot_messages(GROUP)) == 200, timeout=60)
        await world.deployment.wait_for_depth(200)
        await world.stop_bot(setup_bot)
        # The stand-in did not count the setup's calls (limits off): neither may the bot's windows in
        # Redis, which a restarted bot otherwise honours (it would rightly wait out the minute).
        keys = BotKeys(world.deployment.prefix)
        await services.redis.delete(keys.pace_chat("telegram", str(GROUP)), keys.pace_overall("telegram"))

        # Under test: Telegram's real limits, a bot paced for them, and the whole queue moving.
        world.telegram.limits = FloodLimits()
        calls_before = len(world.telegram.calls(chat_id=GROUP))
        bot = await world.start_bot(NAIBOT_TELEGRAM__PRIVATE_PER_SECOND="1", NAIBOT_TELEGRAM__GROUP_PER_MINUTE="20",
                                    NAIBOT_TELEGRAM__GLOBAL_PER_SECOND="30")
        await world.deployment.start_worker()
        await world.deployment.release_lane()
        await asyncio.sleep(8)  # ~200 pops, each moving 200 positions: 40,000 position changes
        assert (await services.queue.lane_depths()).get("default", 0) < 200, "the queue moved"
    finally:
        await services.aclose()
    made = [c for c in world.telegram.calls(chat_id=GROUP)[calls_before:] if c.method != "answerCallbackQuery"]
    assert world.telegram.stats.too_many_requests == 0
    assert 0 < len(made) <= 20, f"{len(made)} calls in under a minute in one group"
    assert bot.pacer.pending() <= 2 * 200, "pending work is bounded by messages, not by events"


async def test_again_and_original_png_buttons_work(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    await world.start_bot()
    world.say(ANN, f"/generate a heron {SMALL} --seed 11")
    await world.wait(lambda: any(m.photo for m in world.telegram.bot_messages(ANN.id)))
    photo = next(m for m in world.telegram.bot_messages(ANN.id) if m.photo)
    buttons = {b["callback_data"].split(":")[0]: b["callback_data"] for b in photo.reply_markup["inline_keyboard"][0]}
    world.telegram.press_button(ANN.id, photo.message_id, ANN, buttons["png"])
    await world.wait(lambda: any(m.document for m in world.telegram.bot_messages(ANN.id)))
    document = next(m for m in world.telegram.bot_messages(ANN.id) if m.document)
    original = world.telegram.file_bytes(document.document["file_id"])
    assert original.startswith(b"\x89PNG") and b"NovelAI" in original, "the original PNG, metadata intact"
    world.telegram.press_button(ANN.id, photo.message_id, ANN, buttons["again"])
    await world.wait(lambda: len([m for m in world.telegram.bot_messages(ANN.id) if m.photo]) == 2)
    again = [m for m in world.telegram.bot_messages(ANN.id) if m.photo][1]
    assert "seed 11" not in again.caption, "again means a new seed"


async def test_deleted_status_message_still_gets_its_results(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.hold_lane()
    await world.start_bot()
    command = world.say(ANN, f"/generate a lynx {SMALL}")
    status = await world.status_message(ANN.id, command)
    await world.wait(lambda: "Job " in (world.current(ANN.id, status.message_id).text or ""))
    world.telegram.delete_message(ANN.id, status.message_id)
    await world.deployment.start_worker()
    await world.deployment.release_lane()
    await world.wait(lambda: any(m.photo for m in world.telegram.bot_messages(ANN.id)))


async def test_a_chat_that_blocked_the_bot_is_given_up_without_crashing(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.hold_lane()
    bot = await world.start_bot()
    blocked = world.say(ANN, f"/generate a wolf {SMALL}")
    await world.status_message(ANN.id, blocked)
    world.telegram.block(ANN.id)
    await world.deployment.start_worker()
    await world.deployment.release_lane()
    other = world.say(BOB, f"/generate a bear {SMALL}")
    await world.status_message(BOB.id, other)
    await world.wait(lambda: any(m.photo for m in world.telegram.bot_messages(BOB.id)), timeout=30)
    await bot.pacer.idle()
    refused = [c for c in world.telegram.calls(chat_id=ANN.id) if c.status == 403]
    assert 1 <= len(refused) <= 2, [(c.method, c.params.get("text", "")[:40], c.time) for c in refused]


async def test_command_menu_is_registered_in_english_and_chinese(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.start_bot()
    menus = {c.params.get("language_code"): c.params["commands"] for c in world.telegram.calls("setMyCommands")
             if c.status == 200}
    assert set(menus) == {None, "zh"}
    names = {command["command"] for command in menus[None]}
    assert names == {"generate", "queue", "status", "cancel", "settings", "account", "login", "logout", "group",
                     "help", "enhance", "variations", "upscale", "vibe", "ref", "inpaint", "tool", "info",
                     "history", "show", "style", "wildcard", "tags"}
    assert any("生成" in command["description"] for command in menus["zh"])


async def test_queue_command_lists_own_waiting_jobs_with_positions(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.hold_lane()
    await world.start_bot()
    for prompt in ("a first owl", "a second owl"):
        command = world.say(ANN, f"/generate {prompt} {SMALL}")
        status = await world.status_message(ANN.id, command)
        await world.wait(lambda s=status: "Job " in (world.current(ANN.id, s.message_id).text or ""))
    answer = await world.status_message(ANN.id, world.say(ANN, "/queue"))
    assert "2 waiting" in answer.text
    assert "position 1 of 2" in answer.text and "position 2 of 2" in answer.text
    assert "a second owl" in answer.text
