"""Styles and wildcards in Telegram, end to end: the real python-telegram-bot against the Bot API
stand-in, a real worker and the NovelAI stand-in. What NovelAI was asked is read back from the
result PNG's ``Comment`` chunk, which the stand-in writes from the request it received."""

from __future__ import annotations

from typing import Any

import pytest

from bot.chat.wildcards import expand
from sandbox.telegram import SandboxUser, StoredMessage
from tests.fixtures.chat_pictures import result_comment
from tests.fixtures.telegram_e2e import ANN, BOB, CAT, GROUP, LI, TelegramWorld

pytestmark = pytest.mark.xdist_group("workers")

SMALL = "size:512x512 steps:8"
HAIR = ["red hair", "blue hair", "silver hair", "green hair", "black hair"]


def photos(world: TelegramWorld, chat_id: int) -> list[StoredMessage]:
    return [m for m in world.telegram.bot_messages(chat_id) if m.photo]


async def nth_result(world: TelegramWorld, chat_id: int, count: int) -> tuple[StoredMessage, dict[str, Any]]:
    await world.wait(lambda: len(photos(world, chat_id)) >= count, timeout=60)
    result = photos(world, chat_id)[count - 1]
    return result, result_comment(world.telegram.file_bytes(result.photo[-1]["file_id"]))


async def answer(world: TelegramWorld, user_chat: int, text: str, *, user: SandboxUser = ANN,
                 chat_id: int | None = None) -> str:
    command = world.say(user, text, chat_id=chat_id)
    return (await world.status_message(user_chat, command)).text or ""


async def test_a_saved_style_changes_what_novelai_is_asked_and_the_caption_names_it(
        telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    await world.start_bot()
    saved = await answer(world, ANN.id, '/style save anime masterpiece, ..., detailed background '
                                        'neg:"lowres, blurry" steps:8 size:512x768 sampler:euler')
    assert "Saved style “anime” (yours)" in saved
    world.say(ANN, "/generate a cat in a hat style:anime scale:4")
    result, asked = await nth_result(world, ANN.id, 1)
    assert asked["prompt"].startswith("masterpiece, a cat in a hat, detailed background")
    assert (asked["steps"], asked["width"], asked["height"], asked["sampler"]) == (8, 512, 768, "k_euler")
    assert asked["scale"] == 4 and "lowres, blurry" in asked["uc"]
    assert "style: anime" in (result.caption or "")
    assert "masterpiece, a cat in a hat, detailed background" in (result.caption or "")


async def test_a_wildcard_is_picked_from_the_seed_and_the_same_seed_picks_it_again(
        telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    await world.start_bot()
    saved = await answer(world, ANN.id, "/wildcard add hair " + " | ".join(HAIR))
    assert "__hair__ (yours) has 5 entries" in saved
    for count, seed in enumerate((11, 12, 11), start=1):
        world.say(ANN, f"/generate 1girl, __hair__, beach {SMALL} seed:{seed}")
        result, asked = await nth_result(world, ANN.id, count)
        expected = expand("1girl, __hair__, beach", {"hair": HAIR}, seed)
        assert asked["prompt"].startswith(expected) and asked["seed"] == seed
        assert expected in (result.caption or "")  # the caption shows the expanded prompt
    asked_for = [result_comment(world.telegram.file_bytes(p.photo[-1]["file_id"]))["prompt"]
                 for p in photos(world, ANN.id)]
    assert asked_for[0] == asked_for[2]  # seed 11 twice: the same pick


async def test_unknown_names_are_refused_in_the_askers_language_and_nothing_runs(
        telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.start_bot()
    assert "I don't know the wildcard __nope__" in await answer(world, ANN.id, "/generate 1girl, __nope__")
    assert "I don't know the style “nope”" in await answer(world, ANN.id, "/generate 1girl style:nope")
    assert "我不认识通配词 __nope__" in await answer(world, LI.id, "/generate 1girl, __nope__", user=LI)
    help_text = await answer(world, LI.id, "/help", user=LI)
    assert "/style save" in help_text and "/wildcard add" in help_text
    services = world.deployment.services()
    try:
        assert await services.queue.lane_depths() == {}
    finally:
        await services.aclose()


async def test_group_styles_and_wildcards_are_managed_by_admins_and_used_by_members(
        telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    await world.start_bot()
    refused = await answer(world, GROUP, "/style@naibot_test_bot group save house watercolor, ...", user=BOB,
                           chat_id=GROUP)
    assert "Only this group's admins" in refused
    world.telegram.set_member(GROUP, CAT.id, "administrator")
    assert "(this group's)" in await answer(world, GROUP, "/style@naibot_test_bot group save house watercolor, ... "
                                                          f"{SMALL}", user=CAT, chat_id=GROUP)
    assert "(this group's)" in await answer(world, GROUP, "/wildcard@naibot_test_bot group add place lake | hill",
                                            user=CAT, chat_id=GROUP)
    world.say(BOB, "/generate@naibot_test_bot a bridge by the __place__ style:house seed:5", chat_id=GROUP)
    result, asked = await nth_result(world, GROUP, 1)
    place = expand("__place__", {"place": ["lake", "hill"]}, 5)
    assert asked["prompt"].startswith(f"watercolor, a bridge by the {place}")
    assert (asked["width"], asked["steps"]) == (512, 8)
    assert "style: house" in (result.caption or "")
