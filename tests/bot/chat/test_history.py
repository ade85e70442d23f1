"""`/history` and `/show` in the command layer, through the router, on the real Redis with a
recording platform: what a page holds and says, what its buttons carry, who may turn or pick, what a
re-post looks like, and how the history list is bounded."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from bot.chat.commands.history import PAGE_SIZE, HistoryCommands, typed_page
from bot.chat.ports import ACTION_AGAIN, ACTION_HISTORY, ACTION_SHOW, ACTION_VARIATIONS, Button, parse_button_data
from bot.chat.recent_jobs import HISTORY_JOBS
from bot.chat.texts.history import HistoryEntry, HistoryPage
from bot.chat.texts.jobs import duration_text
from tasks.job import Job
from tests.fixtures.chat import ChatWorld, MakeChat, answers
from tests.fixtures.png_files import encoded

RETENTION = 3 * 3600


def png(colour: tuple[int, int, int], size: int = 512) -> bytes:
    return encoded(Image.new("RGB", (size, size), colour))


async def finished(chat: ChatWorld, ctx, prompt: str, count: int = 1) -> Job:
    job = await chat.generated(ctx, prompt, "--size 512x512" + (f" --n {count}" if count > 1 else ""))
    return await chat.finish(job.id, [png((index * 40, 90, 200)) for index in range(count)])


async def test_a_page_holds_six_finished_results_of_this_chat_newest_first_with_their_expiry(
        make_chat: MakeChat) -> None:
    chat = await make_chat(NAIBOT_QUEUE__RETENTION_SECONDS=str(RETENTION))
    ann = chat.context("1", "Ann")
    done = [await finished(chat, ann, f"fox number {n}") for n in range(7)]
    await finished(chat, chat.in_group("1", "Ann"), "asked in the group")  # another chat: not listed
    waiting = await chat.generated(ann, "still waiting")  # no result yet: not listed

    await chat.command(ann, "/history")
    await chat.settle()
    (album,) = chat.sender.of("send_pictures")
    assert len(album.pictures) == PAGE_SIZE
    assert [p.caption for p in album.pictures][:2] == ["1 · fox number 6", "2 · fox number 5"]
    with Image.open(io.BytesIO(album.pictures[0].png)) as thumb:
        assert thumb.format == "JPEG" and max(thumb.size) <= 384, "thumbnails, not the originals"
    page = answers(ann).last
    assert page.text.startswith("🗂 Your results in this chat · page 1 of 2")
    newest = done[-1]
    assert newest.finished_at is not None
    left = newest.finished_at + RETENTION - time.time()
    shown = {duration_text(left, "en"), duration_text(left + 1, "en")}  # a second may pass in between
    assert any(f"{newest.id} · expires in {text}" in page.text for text in shown), page.text
    assert waiting.id not in page.text and "asked in the group" not in page.text
    picks, turns = page.buttons
    assert [(b.label, b.action, b.job_id) for b in picks] == [
        (str(n), ACTION_SHOW, job.id) for n, job in enumerate(reversed(done[1:]), 1)]
    assert [(b.label, b.action, b.job_id, b.index) for b in turns] == [("▶", ACTION_HISTORY, "1", 1)]


async def test_the_page_buttons_fit_telegrams_64_bytes_and_read_back_for_the_longest_ids() -> None:
    discord_id = "9" * 20
    entries = tuple(HistoryEntry(n, Job.model_construct(id="a" * 10), None) for n in range(1, 7))
    rows = HistoryCommands.page_buttons(HistoryPage(owner_id=discord_id, page=4, pages=10, entries=entries))
    for button in (b for row in rows for b in row):
        assert len(button.data.encode()) <= 64
        press = parse_button_data(button.data)
        assert press is not None and (press.action, press.job_id, press.index) == (
            button.action, button.job_id, button.index)
    assert [b.index for b in rows[-1]] == [3, 5]
    assert typed_page("3") == 2 and typed_page("") == 0 and typed_page("abc") == 0 and typed_page("999") == 9


async def test_only_the_owner_turns_their_pages_and_the_next_page_is_posted(chat: ChatWorld) -> None:
    ann, bob = chat.in_group("1", "Ann"), chat.in_group("2", "Bob")
    for n in range(PAGE_SIZE + 1):
        await finished(chat, ann, f"owl {n}")
    await chat.command(ann, "/history")
    await chat.settle()
    turn = answers(ann).last.buttons[-1][0]
    assert await chat.press(bob, turn) == ("That is someone else's history: send /history for yours.", True)
    await chat.settle()
    assert len(chat.sender.of("send_pictures")) == 1, "nothing posted for Bob's press"
    assert await chat.press(ann, turn) == ("Page 2…", False)
    await chat.settle()
    assert len(chat.sender.of("send_pictures")) == 2
    assert "page 2 of 2" in answers(ann).last.text and "owl 0" in answers(ann).last.text


async def test_show_reposts_a_result_of_this_chat_with_its_buttons_and_remembers_it_as_a_result(
        make_chat: MakeChat) -> None:
    chat = await make_chat(NAIBOT_QUEUE__MAX_ANLAS_PER_JOB="100")
    ann, bob = chat.in_group("1", "Ann"), chat.in_group("2", "Bob")
    job = await finished(chat, ann, "two cranes", count=2)
    await chat.command(bob, f"/show {job.id.upper()}")
    await chat.settle()
    (posted,) = chat.sender.of("send_pictures")
    assert posted.chat == bob.chat and len(posted.pictures) == 2 and "two cranes" in posted.pictures[0].caption
    # Where each picture is a message (a Telegram album), the buttons follow on a message of their own.
    (below,) = [call for call in chat.sender.of("send_text") if call.text == f"⬆️ {job.id}"]
    actions = {(b.action, b.index) for row in below.buttons for b in row}
    assert {(ACTION_AGAIN, None), (ACTION_VARIATIONS, 0), (ACTION_VARIATIONS, 1)} <= actions
    assert await chat.router.results.find(bob.chat.chat_id, posted.message_id or "") == (job.id, 0)


async def test_show_refuses_results_from_elsewhere_unfinished_jobs_bad_ids_and_banned_people(chat: ChatWorld) -> None:
    ann_private, ann_group = chat.context("1", "Ann"), chat.in_group("1", "Ann")
    private = await finished(chat, ann_private, "a secret")
    waiting = await chat.generated(ann_group, "not yet")
    await chat.command(ann_group, f"/show {private.id}")
    assert "was made in another chat" in answers(ann_group).last.text
    await chat.command(ann_group, f"/show {waiting.id}")
    assert f"Job {waiting.id} has no result" in answers(ann_group).last.text
    await chat.command(ann_group, "/show <@&123>")
    assert "No result ? in this chat" in answers(ann_group).last.text
    await chat.command(ann_group, "/show")
    assert "/show JOB" in answers(ann_group).last.text
    # A forged pick of a job from another chat is refused like any button of another chat.
    assert await chat.press(ann_group, Button("1", ACTION_SHOW, private.id)) == (
        "That button belongs to a message in another chat.", True)
    await chat.policy.ban("telegram:1", by="telegram:900")
    await chat.command(ann_group, "/history")
    assert "banned" in answers(ann_group).last.text
    await chat.settle()
    assert not chat.sender.of("send_pictures")


async def test_the_history_list_keeps_sixty_jobs_per_person_and_chat_and_expires_with_them(chat: ChatWorld) -> None:
    recent = chat.router.jobs.recent
    for n in range(HISTORY_JOBS + 5):
        await recent.remember(f"job{n:06d}", "telegram:1", chat="42")
    key = chat.keys.user_history("telegram:1", "42")
    redis = chat.services.redis
    assert await redis.llen(key) == HISTORY_JOBS
    assert (await redis.lindex(key, 0)).decode() == f"job{HISTORY_JOBS + 4:06d}", "newest first"
    assert 0 < await redis.ttl(key) <= chat.settings.queue.retention_seconds
    assert await redis.llen(chat.keys.user_history("telegram:1", "43")) == 0


async def test_a_reposted_results_buttons_follow_the_groups_quota_and_a_banned_person_cannot_pick(
        chat: ChatWorld) -> None:
    ann, boss = chat.in_group("1", "Ann"), chat.in_group("3", "Boss", admin=True)
    assert await chat.command(boss, "/group quota images:1") == "quota"
    job = await finished(chat, ann, "a quota fox")  # today's one image
    await chat.command(ann, f"/show {job.id}")
    await chat.settle()
    (posted,) = chat.sender.of("send_pictures")
    again = next(b for row in posted.buttons for b in row if b.action == ACTION_AGAIN)
    assert await chat.press(ann, again) == ("Queued again with a new seed.", False)
    await chat.settle()
    assert "You have used your 1 images for today in this group" in answers(ann).last.text
    assert answers(ann).last.private
    assert len(await chat.waiting()) == 0, "refused: nothing queued"

    await chat.policy.ban("telegram:1", by="telegram:900")
    notice, alert = await chat.press(ann, Button("1", ACTION_SHOW, job.id))
    assert alert and "banned" in notice
    await chat.settle()
    assert len(chat.sender.of("send_pictures")) == 1, "nothing posted for a banned person"


async def test_a_result_whose_files_are_gone_keeps_its_place_on_the_page_and_a_pick_says_so(chat: ChatWorld) -> None:
    ann = chat.context("1", "Ann")
    kept = await finished(chat, ann, "kept heron")
    gone = await finished(chat, ann, "gone heron")
    chat.storage.delete(gone.images[0].key)
    await chat.command(ann, "/history")
    await chat.settle()
    (album,) = chat.sender.of("send_pictures")
    assert [p.caption for p in album.pictures] == ["1 · gone heron", "2 · kept heron"]
    with Image.open(io.BytesIO(album.pictures[0].png)) as grey:
        assert grey.getpixel((5, 5)) == pytest.approx((128, 128, 128), abs=3)
    assert kept.id in answers(ann).last.text and gone.id in answers(ann).last.text
    said = f"The images of {gone.id} are no longer stored (or storage is unreachable right now)."
    assert await chat.press(ann, Button("1", ACTION_SHOW, gone.id)) == (said, True)
    await chat.command(ann, f"/show {gone.id}")
    assert answers(ann).last.text == said and answers(ann).last.private
    await chat.settle()
    assert len(chat.sender.of("send_pictures")) == 1, "nothing posted"
