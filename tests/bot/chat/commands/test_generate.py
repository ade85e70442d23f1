"""`/generate` and the buttons under a result (Again, Original PNG), through the router, on the real
Redis: what the asker is told (and whether privately), and what the queue, the status registry,
the recent jobs and the quotas hold afterwards. No worker, no platform."""

from __future__ import annotations

import re

from bot.chat.delivery import status_buttons
from bot.chat.ports import ACTION_AGAIN, ACTION_PNG, Button
from tasks.job import JobState
from tests.fixtures.chat import (
    GROUP_ID,
    PLATFORM,
    ChatWorld,
    MakeChat,
    answers,
)

GROUP = f"{PLATFORM}:{GROUP_ID}"
BANNED = "You can't use this bot: a deployment admin has banned you."


async def nothing_queued(chat: ChatWorld) -> None:
    assert await chat.queue.lane_depths() == {}
    assert await chat.registry.live() == []


async def test_generate_queues_a_job_and_answers_a_status_message_registered_for_it(chat: ChatWorld) -> None:
    ctx = chat.context("1", "Ann")
    job = await chat.command(ctx, "/generate a red fox --steps 20")

    status = answers(ctx).only
    assert status.text == "⏳ Adding your job to the queue…" and not status.private
    stored = await chat.queue.get(job.id)
    assert stored is not None and stored.state is JobState.QUEUED
    assert stored.request.prompt == "a red fox" and stored.request.steps == 20
    assert stored.account == "default" and stored.priority == 5
    assert await chat.waiting("default") == [job.id]
    assert (await chat.lane_priorities())[job.id] == 5
    assert stored.requester.user_key == "telegram:1"
    # Registered (in Redis, not only in memory) for the message that was answered.
    assert await chat.registry.live() == [job.id]
    raw = await chat.services.redis.hgetall(chat.keys.status(PLATFORM, job.id))
    assert raw[b"message_id"].decode() == status.message_id and raw[b"chat_id"] == b"1"
    assert raw[b"first_position"] == b"1"
    assert await chat.recent_ids("telegram:1") == [job.id]
    # The delivery side finds the entry: the status message is refreshed with the job's place.
    refreshed = await chat.sender.wait_for("edit_text")
    assert refreshed.message_id == status.message_id
    assert refreshed.text.startswith("⏳ Queued: position 1 of 1") and f"/cancel {job.id}" in refreshed.text
    assert refreshed.buttons == [[Button("✖ Cancel", "cancel", job.id)]]


async def test_the_short_names_g_and_gen_generate_too(chat: ChatWorld) -> None:
    ctx = chat.context()
    first = await chat.command(ctx, "/g a cat")
    second = await chat.command(ctx, "/gen a dog")
    assert set(await chat.waiting()) == {first.id, second.id}


async def test_a_bad_option_is_answered_privately_and_queues_nothing(chat: ChatWorld) -> None:
    ctx = chat.in_group("1", "Ann")
    assert await chat.command(ctx, "/generate a fox --steps many") is None
    refusal = answers(ctx).only
    assert refusal.private
    assert "“many” is not a number I can use for steps" in refusal.text
    await nothing_queued(chat)
    assert await chat.recent_ids("telegram:1") == []


async def test_an_unknown_option_is_answered_with_a_guess(chat: ChatWorld) -> None:
    ctx = chat.context()
    assert await chat.command(ctx, "/generate a fox --stpes 20") is None
    assert answers(ctx).only.text == "I don't know the option --stpes. Did you mean --steps?"
    await nothing_queued(chat)


async def test_a_banned_user_is_refused_before_the_options_are_read(chat: ChatWorld) -> None:
    await chat.policy.ban("telegram:1", "telegram:900")
    ctx = chat.in_group("1", "Ann")
    assert await chat.command(ctx, "/generate a fox --bogus 3") is None
    refusal = answers(ctx).only
    assert refusal.text == BANNED and refusal.private
    await nothing_queued(chat)


async def test_without_an_account_where_the_default_is_not_allowed_the_refusal_is_private(make_chat: MakeChat) -> None:
    chat = await make_chat(NAIBOT_BOT__ALLOW_DEFAULT_ACCOUNT="false")
    ctx = chat.context("1", "Ann")
    assert await chat.command(ctx, "/generate a fox") is None
    refusal = answers(ctx).only
    assert refusal.private and refusal.text.startswith("You have no NovelAI account here yet. Log in with /login")
    await nothing_queued(chat)
    # In a group the refusal names the bot to open a private chat with.
    in_group = chat.in_group("1", "Ann")
    assert await chat.command(in_group, "/generate a fox") is None
    assert answers(in_group).only.private
    assert "Open a private chat with me (@naibot_test) and send /login" in answers(in_group).only.text
    await nothing_queued(chat)


async def test_a_paused_group_refuses_members_privately_but_not_its_admins(chat: ChatWorld) -> None:
    await chat.policy.groups.update(GROUP, {"paused": True})
    member = chat.in_group("1", "Ann")
    assert await chat.command(member, "/generate a fox") is None
    refusal = answers(member).only
    assert refusal.private
    assert refusal.text == "This group is not taking new jobs right now (an admin paused it). Try again later."
    await nothing_queued(chat)
    admin = chat.in_group("3", "Boss", admin=True)
    job = await chat.generated(admin, "a fox")
    assert await chat.waiting() == [job.id]


async def test_asking_above_the_priority_limit_is_refused_with_the_limit(chat: ChatWorld) -> None:
    ctx = chat.context("1", "Ann")
    assert await chat.command(ctx, "/generate a fox --priority 9") is None
    refusal = answers(ctx).only
    assert refusal.private
    assert refusal.text == "Priority 9 is above your limit here: the most you may ask for is 5."
    await nothing_queued(chat)
    lower = await chat.generated(ctx, "a fox", "--priority 3")
    assert lower.priority == 3 and (await chat.lane_priorities())[lower.id] == 3


async def test_group_admins_and_deployment_admins_may_ask_for_more(chat: ChatWorld) -> None:
    boss = await chat.generated(chat.in_group("3", "Boss", admin=True), "a fox", "--priority 8")
    root = await chat.generated(chat.context("900", "Root"), "a fox", "--priority 10")
    assert (await chat.lane_priorities()) == {boss.id: 8, root.id: 10}
    # Higher priority goes first.
    assert await chat.waiting() == [root.id, boss.id]


async def test_a_member_over_the_daily_image_quota_is_refused_and_not_charged_again(chat: ChatWorld) -> None:
    await chat.policy.groups.update(GROUP, {"quota": {"images_per_day": 1}})
    ctx = chat.in_group("1", "Ann")
    counter = chat.policy.quotas.member_images_key(GROUP, "telegram:1")
    first = await chat.generated(ctx, "a fox")
    assert await chat.policy.quotas.used(counter) == 1
    assert first.requester.reply["charges"] == [[counter, 1]]
    assert await chat.command(ctx, "/generate another fox") is None
    refusal = answers(ctx).last
    assert refusal.private
    assert refusal.text == "You have used your 1 images for today in this group (1 so far)."
    assert await chat.policy.quotas.used(counter) == 1
    assert await chat.waiting() == [first.id]


async def test_a_member_in_cooldown_is_refused_with_the_seconds_left(chat: ChatWorld) -> None:
    await chat.policy.groups.update(GROUP, {"quota": {"cooldown_seconds": 60}})
    ctx = chat.in_group("1", "Ann")
    first = await chat.generated(ctx, "a fox")
    assert await chat.command(ctx, "/generate another fox") is None
    refusal = answers(ctx).last
    assert refusal.private
    assert re.fullmatch(r"Slow down a little: you can start another job here in (59|60) s\.", refusal.text)
    assert await chat.waiting() == [first.id]
    # Another member is not held up by Ann's cooldown.
    assert await chat.generated(chat.in_group("2", "Bob"), "a cat")


async def test_a_full_queue_is_answered_privately_posts_no_status_message_and_refunds_the_quota(
        chat: ChatWorld) -> None:
    await chat.policy.groups.update(GROUP, {"quota": {"images_per_day": 10, "max_waiting": 1}})
    ctx = chat.in_group("1", "Ann")
    counter = chat.policy.quotas.member_images_key(GROUP, "telegram:1")
    first = await chat.generated(ctx, "a fox")
    assert await chat.command(ctx, "/generate another fox") is None

    # The job is queued before the status message goes out, so a refusal of the queue posts none.
    assert len(answers(ctx).answers) == 2
    refusal = answers(ctx).last
    assert refusal.private and not refusal.edits
    assert refusal.text == "You already have 1 jobs waiting (the limit is 1). Wait for one to finish or /cancel one."
    assert await chat.policy.quotas.used(counter) == 1, "the refused job's image is given back"
    assert await chat.waiting() == [first.id]
    assert await chat.registry.live() == [first.id], "the refused job's status entry is forgotten"
    # Its id was remembered before queueing; it reads back as missing.
    assert len(await chat.recent_ids("telegram:1")) == 2
    assert [job.id for job in await chat.router.jobs.recent.of_user("telegram:1")] == [first.id]


async def test_the_deployments_waiting_limit_applies_in_private_chats_too(make_chat: MakeChat) -> None:
    chat = await make_chat(NAIBOT_QUEUE__MAX_WAITING_PER_USER="1")
    ctx = chat.context("1", "Ann")
    first = await chat.generated(ctx, "a fox")
    assert await chat.command(ctx, "/generate another fox") is None
    assert answers(ctx).last.shown.startswith("You already have 1 jobs waiting (the limit is 1).")
    assert await chat.waiting() == [first.id]


async def test_again_queues_a_new_job_with_a_new_seed_as_the_presser(chat: ChatWorld) -> None:
    ann = chat.in_group("1", "Ann")
    original = await chat.generated(ann, "a fox", "--seed 1234")
    bob = chat.in_group("2", "Bob")
    again = Button("🔁 Again (new seed)", ACTION_AGAIN, original.id)

    notice, alert = await chat.press(bob, again)
    assert (notice, alert) == ("Queued again with a new seed.", False)
    await chat.settle()

    status = answers(bob).only
    assert status.text == "⏳ Adding your job to the queue…"
    (new_id,) = await chat.recent_ids("telegram:2")
    new = await chat.queue.get(new_id)
    assert new is not None and new.id != original.id
    assert new.requester.user_key == "telegram:2"
    assert (await chat.registry.get(new_id)).message_id == status.message_id
    assert new.request.prompt == "a fox" and new.request.seed not in (None, 1234)
    assert new.priority == 5 and new.account == "default"
    assert set(await chat.waiting()) == {original.id, new_id}
    assert await chat.recent_ids("telegram:1") == [original.id]


async def test_again_is_held_to_the_pressers_own_quota(chat: ChatWorld) -> None:
    await chat.policy.groups.update(GROUP, {"quota": {"images_per_day": 1}})
    original = await chat.generated(chat.in_group("1", "Ann"), "a fox")
    bob = chat.in_group("2", "Bob")
    await chat.generated(bob, "a cat")
    await chat.press(bob, Button("again", ACTION_AGAIN, original.id))
    await chat.settle()
    refusal = answers(bob).last
    assert refusal.private and refusal.text.startswith("You have used your 1 images for today")
    assert len(await chat.waiting()) == 2


async def test_png_button_sends_the_stored_originals_as_files(make_chat: MakeChat) -> None:
    chat = await make_chat(NAIBOT_QUEUE__MAX_ANLAS_PER_JOB="100")  # two images are not free
    ann = chat.in_group("1", "Ann")
    job = await chat.generated(ann, "a fox", "--n 2 --size 512x512")
    pngs = [b"\x89PNG\r\n\x1a\nfirst", b"\x89PNG\r\n\x1a\nsecond"]
    done = await chat.finish(job.id, pngs)
    assert done.state is JobState.DONE
    png_button = next(b for row in status_buttons(done, "en") for b in row if b.action == ACTION_PNG)

    bob = chat.in_group("2", "Bob")
    assert await chat.press(bob, png_button) == ("Sending the original PNG files…", False)
    sent = await chat.sender.wait_for("send_files")
    assert sent.chat == bob.chat
    assert [p.png for p in sent.pictures] == pngs
    assert [p.filename for p in sent.pictures] == [f"{job.id}-0.png", f"{job.id}-1.png"]
    assert "Results for Ann" in sent.pictures[0].caption and "Seed 4242" in sent.pictures[0].caption
    assert "Seed 4243" in sent.pictures[1].caption
    assert answers(bob).answers == [], "the files go to the chat, not as an answer"


async def test_a_button_of_a_job_that_is_gone_says_so(chat: ChatWorld) -> None:
    ctx = chat.context()
    assert await chat.press(ctx, Button("again", ACTION_AGAIN, "nosuchjob2")) == (
        "That job is no longer available.", True)
    await nothing_queued(chat)


async def test_a_banned_user_pressing_a_button_is_refused_with_an_alert(chat: ChatWorld) -> None:
    job = await chat.generated(chat.context("1", "Ann"), "a fox")
    await chat.policy.ban("telegram:2", "telegram:900")
    bob = chat.context("2", "Bob")
    assert await chat.press(bob, Button("again", ACTION_AGAIN, job.id)) == (BANNED, True)
    await chat.settle()
    assert await chat.waiting() == [job.id]
