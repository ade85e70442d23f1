"""`/queue`, `/status`, `/cancel` and the Cancel button, through the router, on the real Redis."""

from __future__ import annotations

from bot.chat.ports import ACTION_CANCEL, Button
from tasks.job import JobState
from tests.fixtures.chat import ChatWorld, answers


async def test_queue_in_private_lists_the_askers_own_waiting_jobs(chat: ChatWorld) -> None:
    ann, bob = chat.context("1", "Ann"), chat.context("2", "Bob")
    fox = await chat.generated(ann, "a fox")
    cat = await chat.generated(ann, "a cat")
    dog = await chat.generated(bob, "a dog")

    await chat.command(ann, "/queue")
    text = answers(ann).last.text
    assert not answers(ann).last.private
    assert text.startswith("📋 Queue: 3 waiting, 0 running\n\nYour jobs:\n")
    # Fair order: Bob's first job goes before Ann's second.
    assert f"• {fox.id} · position 1 of 3 · wait unknown · a fox" in text
    assert f"• {cat.id} · position 3 of 3 · wait unknown · a cat" in text
    assert dog.id not in text and "a dog" not in text


async def test_queue_in_a_group_lists_that_groups_jobs_with_names(chat: ChatWorld) -> None:
    ann_here = await chat.generated(chat.in_group("1", "Ann"), "group fox")
    bob_here = await chat.generated(chat.in_group("2", "Bob"), "group dog")
    ann_private = await chat.generated(chat.context("1", "Ann"), "secret cat")

    cat = chat.in_group("4", "Cat")
    await chat.command(cat, "/queue")
    text = answers(cat).only.text
    assert text.startswith("📋 Queue: 3 waiting, 0 running\n\nJobs from this chat:\n")
    assert f"• {ann_here.id} · Ann · position 1 of 3" in text
    assert f"• {bob_here.id} · Bob · position 2 of 3" in text
    assert ann_private.id not in text and "secret cat" not in text


async def test_queue_shows_what_runs_without_its_prompt(chat: ChatWorld) -> None:
    ann = chat.context("1", "Ann")
    running = await chat.generated(ann, "a private prompt")
    assert await chat.queue.acquire_lane("default", "w")
    assert (await chat.queue.pop("default", "w")).job_id == running.id
    bob = chat.context("2", "Bob")
    await chat.command(bob, "/queue")
    assert answers(bob).only.text == (f"📋 Queue: 0 waiting, 1 running\n\nYou have no jobs waiting.\n\n"
                                      f"Running now:\n• {running.id} · Ann")


async def test_queue_with_nothing_anywhere_says_it_is_empty(chat: ChatWorld) -> None:
    ctx = chat.context()
    await chat.command(ctx, "/queue")
    assert answers(ctx).only.text == "The queue is empty. Start something with /generate."


async def test_queue_with_only_other_peoples_jobs_says_you_have_none(chat: ChatWorld) -> None:
    await chat.generated(chat.context("2", "Bob"), "a dog")
    ann = chat.context("1", "Ann")
    await chat.command(ann, "/queue")
    assert answers(ann).only.text == "📋 Queue: 1 waiting, 0 running\n\nYou have no jobs waiting."


async def test_status_with_an_id_describes_that_job(chat: ChatWorld) -> None:
    first = await chat.generated(chat.context("2", "Bob"), "a dog")
    ann = chat.context("1", "Ann")
    mine = await chat.generated(ann, "a fox")
    await chat.command(ann, f"/status {first.id.upper()}")
    assert answers(ann).last.text == (f"⏳ Queued: position 1 of 2\n░░░░░░░░░░░░\n"
                                      f"Job {first.id} · to cancel: /cancel {first.id}")
    # Without an id: the asker's newest job.
    await chat.command(ann, "/status")
    assert answers(ann).last.text.startswith("⏳ Queued: position 2 of 2")
    assert f"Job {mine.id}" in answers(ann).last.text


async def test_status_of_a_finished_job_says_it_is_done(chat: ChatWorld) -> None:
    ann = chat.context("1", "Ann")
    job = await chat.generated(ann, "a fox")
    await chat.finish(job.id, [b"png"])
    await chat.command(ann, "/status")
    assert answers(ann).last.text == f"✅ Done: 1 image\nJob {job.id}"


async def test_status_of_an_unknown_id_says_it_cannot_be_found(chat: ChatWorld) -> None:
    ctx = chat.context()
    await chat.command(ctx, "/status nosuchjob")
    assert answers(ctx).only.text == "I can't find job nosuchjob. Check the id with /queue."


async def test_status_without_any_job_says_there_are_none_yet_and_how_to_start(chat: ChatWorld) -> None:
    ctx = chat.context()
    await chat.command(ctx, "/status")
    assert answers(ctx).only.text == "You have no jobs yet; try /generate 1girl, red hair, beach"


async def test_cancel_without_an_id_cancels_the_askers_newest_waiting_job(chat: ChatWorld) -> None:
    ann = chat.context("1", "Ann")
    older = await chat.generated(ann, "a fox")
    newer = await chat.generated(ann, "a cat")
    assert await chat.command(ann, "/cancel") == "canceled"
    assert answers(ann).last.text == f"🚫 Job {newer.id} is canceled."
    canceled = await chat.queue.get(newer.id)
    assert canceled is not None and canceled.state is JobState.CANCELED
    assert await chat.waiting() == [older.id]
    assert await chat.queue.user_waiting_ids("telegram:1") == [older.id]


async def test_cancel_with_nothing_waiting_or_an_unknown_id(chat: ChatWorld) -> None:
    ctx = chat.context()
    assert await chat.command(ctx, "/cancel") == "nothing"
    assert answers(ctx).last.text == "You have no waiting jobs to cancel."
    assert await chat.command(ctx, "/cancel nosuchjob") == "missing"
    assert answers(ctx).last.text == "I can't find job nosuchjob. Check the id with /queue."


async def test_cancel_of_a_running_job_is_refused(chat: ChatWorld) -> None:
    ann = chat.context("1", "Ann")
    job = await chat.generated(ann, "a fox")
    assert await chat.queue.acquire_lane("default", "w")
    await chat.queue.pop("default", "w")
    assert await chat.command(ann, f"/cancel {job.id}") == "running"
    assert answers(ann).last.text == f"Job {job.id} is already running and can no longer be canceled."


async def test_cancelling_someone_elses_job_is_forbidden(chat: ChatWorld) -> None:
    job = await chat.generated(chat.in_group("1", "Ann"), "a fox")
    bob = chat.in_group("2", "Bob")
    assert await chat.command(bob, f"/cancel {job.id}") == "forbidden"
    assert answers(bob).only.text == f"Only the person who asked for job {job.id} or a group admin can cancel it."
    assert await chat.waiting() == [job.id]


async def test_a_group_admin_may_cancel_members_jobs_in_their_group_only(chat: ChatWorld) -> None:
    in_group = await chat.generated(chat.in_group("1", "Ann"), "a fox")
    in_private = await chat.generated(chat.context("1", "Ann"), "a cat")
    boss = chat.in_group("3", "Boss", admin=True)
    assert await chat.command(boss, f"/cancel {in_private.id}") == "forbidden"
    assert await chat.command(boss, f"/cancel {in_group.id}") == "canceled"
    assert answers(boss).last.text == f"🚫 Job {in_group.id} is canceled."
    assert await chat.waiting() == [in_private.id]


async def test_a_deployment_admin_may_cancel_any_job(chat: ChatWorld) -> None:
    job = await chat.generated(chat.context("1", "Ann"), "a fox")
    assert await chat.command(chat.context("900", "Root"), f"/cancel {job.id}") == "canceled"
    assert await chat.waiting() == []


async def test_the_cancel_button_cancels_for_its_owner_and_alerts_anyone_else(chat: ChatWorld) -> None:
    ann = chat.in_group("1", "Ann")
    job = await chat.generated(ann, "a fox")
    # The button as the status message shows it.
    refreshed = await chat.sender.wait_for("edit_text")
    (button,) = refreshed.buttons[0]
    assert button == Button("✖ Cancel", ACTION_CANCEL, job.id)

    bob = chat.in_group("2", "Bob")
    assert await chat.press(bob, button) == (
        f"Only the person who asked for job {job.id} or a group admin can cancel it.", True)
    assert await chat.waiting() == [job.id]
    assert await chat.press(ann, button) == (f"🚫 Job {job.id} is canceled.", False)
    assert await chat.waiting() == []
    # Pressed again (the message not refreshed yet): it still reads as canceled, no harm done.
    assert await chat.press(ann, button) == (f"🚫 Job {job.id} is canceled.", False)
