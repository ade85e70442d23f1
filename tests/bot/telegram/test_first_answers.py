"""Small chat answers a newcomer met on their first run (issue 14, findings 12 and 22), through the
real bot (python-telegram-bot) against the Bot API stand-in, on Redis; no worker is needed, since
no job has to run.

Silence is asserted the only way it can be without waiting a fixed time: after the command that
must stay unanswered, a /help in the same chat; once /help is answered, the earlier update has
been handled too (the silent path takes no await at all, the /help answer several).
"""

from __future__ import annotations

import pytest

from sandbox.telegram import SandboxUser, StoredMessage
from tests.fixtures.telegram_e2e import ANN, BOB, GROUP, LI, TelegramWorld

pytestmark = pytest.mark.xdist_group("workers")

BOT = "naibot_test_bot"


async def answer_to(world: TelegramWorld, chat_id: int, command: dict) -> str:
    return (await world.status_message(chat_id, command)).text or ""


async def answers_to(world: TelegramWorld, chat_id: int, command: dict, sentinel_user: SandboxUser
                     ) -> list[StoredMessage]:
    """Every reply to ``command`` once a later /help in the same chat has been answered."""
    help_command = world.say(sentinel_user, f"/help@{BOT}" if chat_id < 0 else "/help",
                             chat_id=chat_id if chat_id < 0 else None)
    await world.status_message(chat_id, help_command)
    return world.replies_to(chat_id, command["message_id"])


# -- finding 12 ----------------------------------------------------------------------------------

async def test_status_without_any_job_says_there_are_none_yet_and_how_to_start(telegram_world: TelegramWorld
                                                                                 ) -> None:
    world = telegram_world
    await world.start_bot()
    english = await answer_to(world, ANN.id, world.say(ANN, "/status"))
    assert english == "You have no jobs yet; try /generate 1girl, red hair, beach"
    chinese = await answer_to(world, LI.id, world.say(LI, "/status"))
    assert chinese == "你还没有任务；试试 /generate 1girl, red hair, beach"
    # A typed id that does not exist is still "I can't find job ...".
    assert "can't find job nosuchjob" in await answer_to(world, ANN.id, world.say(ANN, "/status nosuchjob"))


# -- finding 22 ----------------------------------------------------------------------------------

async def test_login_in_a_group_by_someone_the_bot_cannot_reach_gets_one_reply(telegram_world: TelegramWorld
                                                                               ) -> None:
    world = telegram_world
    await world.start_bot()
    command = world.say(BOB, f"/login@{BOT}", chat_id=GROUP)  # Bob never opened a private chat with the bot
    # Both halves said (in one reply, or in the two there used to be), then count the replies.
    await world.wait(lambda: all(any(part in (m.text or "") for m in world.replies_to(GROUP, command["message_id"]))
                                 for part in ("Logins happen only in private", "press Start")))
    assert [m.text for m in world.replies_to(GROUP, command["message_id"])] == [
        f"Logins happen only in private, and I can't message you privately yet: open a chat with me (@{BOT}), "
        "press Start, and send /login there."]


async def test_unknown_command_in_private_points_to_help_and_elsewhere_is_left_alone(
        telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.start_bot()
    assert await answer_to(world, ANN.id, world.say(ANN, "/foo")) == "I don't know /foo; /help lists what I can do"
    assert await answer_to(world, LI.id, world.say(LI, "/foo bar")) == "我不认识 /foo；/help 会列出我能做的事"
    # Addressed to this bot by name, in private: the same pointer.
    assert "I don't know /foo;" in await answer_to(world, ANN.id, world.say(ANN, f"/foo@{BOT}"))
    # Another bot's command, even in private, and any unknown command in a group: not ours to answer.
    assert await answers_to(world, ANN.id, world.say(ANN, "/foo@otherbot"), ANN) == []
    assert await answers_to(world, GROUP, world.say(ANN, f"/foo@{BOT}", chat_id=GROUP), ANN) == []


async def test_group_status_shows_the_deployment_wide_waiting_cap(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.start_bot(NAIBOT_QUEUE__MAX_WAITING_PER_USER="7")
    text = await answer_to(world, GROUP, world.say(ANN, f"/group@{BOT} status", chat_id=GROUP))
    assert "Per member: ∞ images a day, 7 waiting at once, 0 s between jobs" in text


async def test_choosing_a_language_is_confirmed_in_it_as_applying_now(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.start_bot()
    text = await answer_to(world, ANN.id, world.say(ANN, "/settings language zh"))
    assert text == "已保存：语言（language） = 简体中文，现在起生效。"
    back = await answer_to(world, ANN.id, world.say(ANN, "/settings language en"))
    assert back == "Saved: language = English. It applies from now on."
    # Other defaults still apply from the next /generate.
    steps = await answer_to(world, ANN.id, world.say(ANN, "/settings set steps 20"))
    assert steps == "Saved: steps = 20. It applies from your next /generate."


@pytest.mark.parametrize(("options", "line"), [
    ("--n 0", "• number of images must be between 1 and 8 (got 0)"),
    ("--steps 0", "• steps must be between 1 and 50 (got 0)"),
    ("--scale 99", "• guidance scale must be between 0 and 10 (got 99)"),
    ("--rescale 5", "• guidance rescale must be between 0 and 1 (got 5)"),
    ("--seed -1", "• seed must be between 0 and 4294967295 (got -1)"),
    ("--preset 9", "• negative preset must be one of 0 Heavy, 1 Light, 2 Furry Focus, 3 Human Focus, 4 None "
                   "for NAI Diffusion V4.5 Full (got 9)"),
    ("--size 1000x1000", "• width must be a multiple of 64 (got 1000; try 960 or 1024)"),
])
async def test_option_errors_name_the_option_in_plain_words_only(telegram_world: TelegramWorld, options: str,
                                                                 line: str) -> None:
    world = telegram_world
    await world.start_bot()
    text = await answer_to(world, ANN.id, world.say(ANN, f"/generate a cat --model v4.5 {options}"))
    assert line in text.splitlines(), text
    for internal in ("n_samples", "cfg_rescale", "uc_preset", "(prompt guidance)"):
        assert internal not in text


async def test_option_errors_in_chinese_name_the_option_once(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.start_bot()
    text = await answer_to(world, LI.id, world.say(LI, "/generate 一只猫 --n 0 --rescale 5"))
    assert text.splitlines()[1:] == ["• 图片张数必须在 1 到 8 之间（你写的是 0）",
                                     "• 引导重缩放必须在 0 到 1 之间（你写的是 5）"]


async def test_unknown_model_lists_the_same_models_as_everywhere_else(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.start_bot()
    text = await answer_to(world, ANN.id, world.say(ANN, "/generate a cat --model v9"))
    assert text == ("I don't know the model “v9”. Try one of: v3, furry-v3, v4, v4-curated, v4.5, v4.5-curated, "
                    "v5, v5-curated, v5-medium.")
    help_text = await answer_to(world, ANN.id, world.say(ANN, "/help"))
    assert "model (m): v3, furry-v3, v4, v4-curated, v4.5, v4.5-curated, v5, v5-curated, v5-medium\n" in help_text
