"""Pictures in Telegram, end to end: the real python-telegram-bot against the Bot API stand-in, a real
worker and the NovelAI stand-in, which tells which input each result was made from (the frame colour
of a result is ``marker_colour`` of the input's SHA-256)."""

from __future__ import annotations

import pytest

from bot.chat.ports import ACTION_ENHANCE, ACTION_UPSCALE, ACTION_VARIATIONS
from novelai.images import enhance_size
from sandbox.novelai.image_inputs import marker_colour, result_colour
from sandbox.telegram import StoredMessage
from tasks.job import JobState
from tests.fixtures.chat_pictures import img2img_sha, inputs_seen, noisy_png, picture_size, png, result_comment
from tests.fixtures.telegram_e2e import ANN, BOB, GROUP, TelegramWorld

pytestmark = pytest.mark.xdist_group("workers")

SMALL = "size:512x512 steps:8"


def photos(world: TelegramWorld, chat_id: int) -> list[StoredMessage]:
    return [m for m in world.telegram.bot_messages(chat_id) if m.photo]


def private_texts(world: TelegramWorld, chat_id: int) -> list[str]:
    return [m.text or "" for m in world.telegram.bot_messages(chat_id) if m.text]


def button(message: StoredMessage, action: str) -> str:
    assert message.reply_markup is not None
    for row in message.reply_markup["inline_keyboard"]:
        for item in row:
            if item["callback_data"].startswith(f"{action}:"):
                return str(item["callback_data"])
    raise AssertionError(f"no {action} button on message {message.message_id}")


async def first_result(world: TelegramWorld, chat_id: int, count: int = 1) -> StoredMessage:
    await world.wait(lambda: len(photos(world, chat_id)) >= count, timeout=60)
    return photos(world, chat_id)[count - 1]


async def test_a_photo_captioned_generate_redraws_that_photo(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    await world.start_bot()
    upload = png(600, 900, (200, 40, 40))
    command = world.telegram.user_message(ANN.id, ANN, f"/generate a cat in a hat strength:0.6 {SMALL}", photo=upload)
    await world.status_message(ANN.id, command)
    result = await first_result(world, ANN.id)
    (record,) = await inputs_seen(world.deployment)
    assert record["action"] == "img2img"
    sha = img2img_sha(upload, (512, 512))  # the size the command names
    assert [i["sha256"] for i in record["inputs"]] == [sha]
    original = world.telegram.file_bytes(result.photo[-1]["file_id"])
    assert result_colour(original) == marker_colour(sha)
    assert result_comment(original)["strength"] == 0.6
    # The result offers what to make of it next.
    for action in (ACTION_VARIATIONS, ACTION_ENHANCE, ACTION_UPSCALE):
        assert button(result, action).endswith(":0")


async def test_an_image_file_in_a_group_with_a_command_caption_is_used_too(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    await world.start_bot()
    upload = png(512, 512, (10, 90, 200))
    world.telegram.user_message(GROUP, ANN, f"/generate@naibot_test_bot a fox {SMALL}", document=upload,
                                file_name="fox.png", chat_type="supergroup", chat_title="Artists")
    result = await first_result(world, GROUP)
    made_from = marker_colour(img2img_sha(upload, (512, 512)))
    assert result_colour(world.telegram.file_bytes(result.photo[-1]["file_id"])) == made_from


async def test_a_reply_with_enhance_to_a_result_uses_the_stored_original(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    await world.start_bot()
    world.say(ANN, f"/generate a lighthouse {SMALL} seed:5")
    result = await first_result(world, ANN.id)
    downloads_before = len(world.telegram.calls("getFile"))
    world.telegram.user_message(ANN.id, ANN, "/enhance", reply_to=result.message_id)
    enhanced = await first_result(world, ANN.id, 2)
    assert len(world.telegram.calls("getFile")) == downloads_before, "a result of ours is never downloaded"
    record = (await inputs_seen(world.deployment))[-1]
    assert record["action"] == "img2img"
    width, height = enhance_size(512, 512, 1.5)
    image = world.telegram.file_bytes(enhanced.photo[-1]["file_id"])
    assert picture_size(image) == (width, height)
    assert "lighthouse" in (enhanced.caption or "")
    world.telegram.user_message(ANN.id, ANN, "/enhance factor:1", reply_to=result.message_id)
    same_size = await first_result(world, ANN.id, 3)
    assert picture_size(world.telegram.file_bytes(same_size.photo[-1]["file_id"])) == (512, 512)


async def test_an_enhance_factor_other_than_1_or_1_5_is_refused_with_the_choices(telegram_world: TelegramWorld
                                                                               ) -> None:
    world = telegram_world
    await world.start_bot()
    sent = world.telegram.user_message(ANN.id, ANN, "", photo=png(64, 64, (1, 2, 3)))
    command = world.telegram.user_message(ANN.id, ANN, "/enhance a cat factor:2", reply_to=sent["message_id"])
    answer = await world.status_message(ANN.id, command)
    assert "1, 1.5" in (answer.text or "")
    assert not world.telegram.calls("getFile"), "refused before the picture is read"


async def test_the_result_buttons_make_variations_and_upscales_of_that_image(telegram_world: TelegramWorld
                                                                             ) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    await world.start_bot()
    world.say(ANN, f"/generate a red boat {SMALL}")
    result = await first_result(world, ANN.id)
    world.telegram.press_button(ANN.id, result.message_id, ANN, button(result, ACTION_VARIATIONS))
    variation = await first_result(world, ANN.id, 2)
    record = (await inputs_seen(world.deployment))[-1]
    assert record["action"] == "img2img"
    assert "red boat" in (variation.caption or "")
    world.telegram.press_button(ANN.id, result.message_id, ANN, button(result, ACTION_UPSCALE))
    upscaled = await first_result(world, ANN.id, 3)
    assert picture_size(world.telegram.file_bytes(upscaled.photo[-1]["file_id"])) == (1024, 1024)


async def test_buttons_keep_working_after_a_restart(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    bot = await world.start_bot()
    world.say(ANN, f"/generate a windmill {SMALL}")
    result = await first_result(world, ANN.id)
    await world.stop_bot(bot)
    await world.start_bot()
    world.telegram.press_button(ANN.id, result.message_id, ANN, button(result, ACTION_VARIATIONS))
    await first_result(world, ANN.id, 2)


async def test_info_reads_a_png_file_and_its_button_runs_those_settings(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    await world.start_bot()
    world.say(ANN, f"/generate a blue owl {SMALL} seed:77")
    result = await first_result(world, ANN.id)
    original = world.telegram.file_bytes(result.photo[-1]["file_id"])
    sent = world.telegram.user_message(ANN.id, ANN, "", document=original, file_name="owl.png")
    command = world.telegram.user_message(ANN.id, ANN, "/info", reply_to=sent["message_id"])
    info = await world.status_message(ANN.id, command)
    assert "blue owl" in (info.text or "") and "77" in (info.text or "")
    data = button(info, "meta")
    world.telegram.press_button(ANN.id, info.message_id, ANN, data)
    again = await first_result(world, ANN.id, 2)
    assert "77" in (again.caption or "")


async def test_info_on_a_photo_asks_for_the_file(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.start_bot()
    sent = world.telegram.user_message(ANN.id, ANN, "", photo=png(64, 64, (1, 2, 3)))
    command = world.telegram.user_message(ANN.id, ANN, "/info", reply_to=sent["message_id"])
    answer = await world.status_message(ANN.id, command)
    assert "as a file" in (answer.text or "")


async def test_refusals_say_what_to_send_and_queue_nothing(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.start_bot(NAIBOT_IMAGES__MAX_INPUT_BYTES="65536")
    text = world.say(ANN, "just words")
    command = world.telegram.user_message(ANN.id, ANN, "/enhance", reply_to=text["message_id"])
    answer = await world.status_message(ANN.id, command)
    assert "has no picture" in (answer.text or "")
    command = world.telegram.user_message(ANN.id, ANN, "/upscale")
    answer = await world.status_message(ANN.id, command)
    assert "needs a picture" in (answer.text or "")
    big = noisy_png(200, 200)
    assert len(big) > 65536
    command = world.telegram.user_message(ANN.id, ANN, "/generate a cat", document=big, file_name="big.png")
    answer = await world.status_message(ANN.id, command)
    assert "larger than the 0.0625 MB" in (answer.text or "")
    assert not world.telegram.calls("getFile"), "refused on the declared size, before downloading"
    command = world.telegram.user_message(ANN.id, ANN, "/vibe a cat model:v5", photo=png(64, 64, (9, 9, 9)))
    answer = await world.status_message(ANN.id, command)
    assert "vibe" in (answer.text or "").lower()
    services = world.deployment.services()
    try:
        assert sum((await services.queue.lane_depths()).values()) == 0
    finally:
        await services.aclose()


async def test_someone_else_may_use_a_picture_in_the_chat_on_their_own_account(telegram_world: TelegramWorld
                                                                              ) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    await world.start_bot()
    upload = png(512, 512, (30, 160, 30))
    chat = {"chat_type": "supergroup", "chat_title": "Artists"}
    sent = world.telegram.user_message(GROUP, ANN, "", photo=upload, **chat)
    world.telegram.user_message(GROUP, BOB, f"/generate@naibot_test_bot a frog {SMALL}", reply_to=sent["message_id"],
                                **chat)
    result = await first_result(world, GROUP)
    made_from = marker_colour(img2img_sha(upload, (512, 512)))
    assert result_colour(world.telegram.file_bytes(result.photo[-1]["file_id"])) == made_from
    services = world.deployment.services()
    try:
        job = await services.queue.get(button(result, "again").split(":")[1])
        assert job is not None and job.requester.user_id == str(BOB.id) and job.state is JobState.DONE
    finally:
        await services.aclose()
