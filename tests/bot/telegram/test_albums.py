"""Albums in Telegram, end to end: a user sends several pictures at once (a media group: one update per
picture, one ``media_group_id``, the caption on one of them), the real python-telegram-bot gathers them
(``bot.telegram.albums``) and the command in the caption runs once with all of them, against a real
worker and the NovelAI stand-in. Which input made a result is read from its frame (``marker_colour`` of
the primary input's SHA-256) and from what the stand-in recorded (``/_sandbox/inputs``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from telegram import Message

from bot.telegram.adapter import TelegramBot
from novelai.images import prepare_mask
from sandbox.novelai.image_inputs import marker_colour, result_colour
from sandbox.telegram import StoredMessage
from tests.fixtures.chat_pictures import img2img_sha, inputs_seen, png
from tests.fixtures.cli_images import decoded, nothing_queued
from tests.fixtures.telegram_albums import VIBE_MODEL, album_photos, generations, photos, result_png, vibe_sha
from tests.fixtures.telegram_e2e import ANN, BOB, GROUP, TelegramWorld

pytestmark = pytest.mark.xdist_group("workers")

SMALL = "size:512x512 steps:8"


async def results(world: TelegramWorld, chat_id: int, count: int = 1) -> list[StoredMessage]:
    await world.wait(lambda: len(photos(world, chat_id)) >= count, timeout=60)
    return photos(world, chat_id)


def mask_sha(mask: bytes, size: tuple[int, int] = (512, 512)) -> str:
    return prepare_mask(decoded(mask), *size).sha256


def watch_albums(bot: TelegramBot) -> list[list[Message]]:
    """Albums the bot has finished acting on (its handler returned), so a test knows an album that
    should do nothing has been looked at, without sleeping."""
    done: list[list[Message]] = []
    handle: Callable[[list[Message]], Awaitable[None]] = bot.albums.on_album

    async def spy(messages: list[Message]) -> None:
        await handle(messages)
        done.append(messages)

    bot.albums.on_album = spy
    return done


async def requester_of(world: TelegramWorld, result: StoredMessage) -> str:
    """Who asked for the job a result message shows (its ↻ Again button names the job)."""
    assert result.reply_markup is not None
    job_id = next(item["callback_data"].split(":")[1] for row in result.reply_markup["inline_keyboard"]
                  for item in row if item["callback_data"].startswith("again:"))
    services = world.deployment.services()
    try:
        job = await services.queue.get(job_id)
    finally:
        await services.aclose()
    assert job is not None
    return job.requester.user_id


async def assert_painted_over(world: TelegramWorld, picture: bytes, mask: bytes) -> None:
    """One infill ran with ``picture`` as the image and ``mask`` as the mask, and its result was posted."""
    (result,) = await results(world, ANN.id)
    (generation,) = generations(await inputs_seen(world.deployment))
    assert generation["action"] == "infill"
    image_sha = img2img_sha(picture, (512, 512))
    assert [(i["field"], i["sha256"]) for i in generation["inputs"]][:2] == [
        ("parameters.image", image_sha), ("parameters.mask", mask_sha(mask))]
    assert result_colour(result_png(world, result)) == marker_colour(image_sha)


async def test_an_album_captioned_vibe_is_one_job_with_every_picture_as_a_vibe(telegram_world: TelegramWorld
                                                                             ) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    await world.start_bot()
    pictures = [png(300, 300, (200, 30, 30)), png(320, 240, (30, 200, 30)), png(240, 320, (30, 30, 200))]
    sent = album_photos(world, ANN, pictures, f"/vibe a cat {SMALL}")
    status = await world.status_message(ANN.id, sent[0])
    (result,) = await results(world, ANN.id)
    records = await inputs_seen(world.deployment)
    (generation,) = generations(records)
    assert generation["model"] == VIBE_MODEL
    expected = [vibe_sha(picture) for picture in pictures]  # in message order
    assert [(i["kind"], i["sha256"]) for i in generation["inputs"]] == [("vibe_encoding", sha) for sha in expected]
    assert sorted(i["sha256"] for r in records if not r["action"] for i in r["inputs"]) == sorted(expected), (
        "each picture encoded once")
    assert result_colour(result_png(world, result)) == marker_colour(expected[0])
    assert len(photos(world, ANN.id)) == 1 and "cat" in (result.caption or "")
    assert status.reply_to_message_id == sent[0]["message_id"], "the bot answers the captioned item"
    assert len(world.telegram.calls("getFile")) == 3, "each picture downloaded once"


async def test_an_album_of_picture_and_mask_files_inpaints_the_first_with_the_second(
        telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    await world.start_bot()
    picture, mask = png(512, 512, (90, 20, 20)), png(512, 512, (255, 255, 255))
    world.telegram.user_album(ANN.id, ANN, [("document", picture, "room.png"), ("document", mask, "mask.png")],
                              caption=f"/inpaint a hat {SMALL}")
    await assert_painted_over(world, picture, mask)


async def test_an_album_without_a_command_queues_nothing_and_gets_no_answer(telegram_world: TelegramWorld
                                                                           ) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    bot = await world.start_bot()
    done = watch_albums(bot)
    pictures = [png(64, 64, (1, 2, 3)), png(64, 64, (4, 5, 6))]
    album_photos(world, ANN, pictures, "holiday pictures, no command")
    world.telegram.user_album(ANN.id, ANN, [("document", p, f"{n}.png") for n, p in enumerate(pictures)])
    await world.wait(lambda: len(done) == 2)
    assert [len(album) for album in done] == [2, 2], "each album was gathered whole and looked at once"
    assert world.telegram.bot_messages(ANN.id) == []
    assert world.telegram.calls("getFile") == [], "nothing downloaded"
    assert await nothing_queued(world.deployment)
    assert generations(await inputs_seen(world.deployment)) == []


async def test_two_albums_sent_at_once_by_two_people_each_run_their_own_job(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    await world.start_bot()
    world.say(ANN, "hello", chat_id=GROUP)  # the group exists; the bot, an admin, sees every album item
    world.telegram.set_member(GROUP, world.telegram.bot_id, "administrator")
    ann_pictures = [png(300, 300, (250, 120, 0)), png(300, 300, (250, 250, 0))]
    bob_pictures = [png(300, 300, (0, 120, 250)), png(300, 300, (120, 0, 250)), png(300, 300, (0, 0, 90))]
    album_photos(world, ANN, ann_pictures, f"/vibe@naibot_test_bot a fox {SMALL}", chat_id=GROUP)
    album_photos(world, BOB, bob_pictures, f"/vibe a whale {SMALL}", chat_id=GROUP)
    made = await results(world, GROUP, 2)
    assert len(made) == 2
    by_user = {await requester_of(world, result): result for result in made}
    assert set(by_user) == {str(ANN.id), str(BOB.id)}
    ann, bob = by_user[str(ANN.id)], by_user[str(BOB.id)]
    assert "fox" in (ann.caption or "") and "whale" in (bob.caption or "")
    assert result_colour(result_png(world, ann)) == marker_colour(vibe_sha(ann_pictures[0]))
    assert result_colour(result_png(world, bob)) == marker_colour(vibe_sha(bob_pictures[0]))
    vibes_per_job = sorted(len(g["inputs"]) for g in generations(await inputs_seen(world.deployment)))
    assert vibes_per_job == [2, 3]


async def test_inpaint_sent_as_a_mask_in_reply_to_a_photo_paints_over_that_photo(telegram_world: TelegramWorld
                                                                                ) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    await world.start_bot()
    picture, mask = png(512, 512, (20, 90, 20)), png(512, 512, (255, 255, 255))
    sent = world.telegram.user_message(ANN.id, ANN, "", photo=picture)
    world.telegram.user_message(ANN.id, ANN, f"/inpaint a crown {SMALL}", document=mask, file_name="mask.png",
                                reply_to=sent["message_id"])
    await assert_painted_over(world, picture, mask)


async def test_an_album_keeps_its_order_when_the_caption_is_on_a_later_item(telegram_world: TelegramWorld
                                                                           ) -> None:
    """Any item of an album may carry its caption (a client, or the user editing it, can put it on the
    mask); the album's pictures are still used in the order they were sent: picture, then mask."""
    world = telegram_world
    await world.deployment.start_worker()
    await world.start_bot()
    picture, mask = png(512, 512, (20, 20, 120)), png(512, 512, (255, 255, 255))
    world.telegram.user_album(ANN.id, ANN, [("document", picture, "room.png"), ("document", mask, "mask.png")],
                              caption=f"/inpaint a lamp {SMALL}", caption_index=1)
    await world.wait(lambda: bool(photos(world, ANN.id)) or "mask" in " ".join(
        m.text or "" for m in world.telegram.bot_messages(ANN.id)), timeout=60)
    assert photos(world, ANN.id), [m.text for m in world.telegram.bot_messages(ANN.id)]
    await assert_painted_over(world, picture, mask)
