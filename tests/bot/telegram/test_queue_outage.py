"""The Telegram bot end to end with its Redis stopped: every command is still answered, with "the
queue is unavailable, try again in a minute" (real python-telegram-bot, the Bot API stand-in, a
private redis-server that the test kills)."""

from __future__ import annotations

from tests.fixtures.redis import PrivateRedis
from tests.fixtures.telegram_e2e import ANN, BOB, GROUP, LI, TelegramWorld

UNAVAILABLE = "The queue is unavailable right now. Please try again in a minute."


async def test_generate_and_every_command_with_redis_stopped_are_answered_unavailable(
        telegram_world: TelegramWorld, private_redis: PrivateRedis) -> None:
    world = telegram_world
    world.deployment.overrides["REDIS_URL"] = private_redis.url
    await world.start_bot()
    private_redis.stop()
    in_group = world.say(ANN, "/generate@naibot_test_bot a fox --size 512x512", chat_id=GROUP)
    assert (await world.status_message(GROUP, in_group)).text.startswith(UNAVAILABLE)
    for line in ("/generate a cat", "/queue", "/status", "/cancel", "/settings", "/account"):
        command = world.say(BOB, line)
        answer = await world.status_message(BOB.id, command)
        assert answer.text.startswith(UNAVAILABLE), (line, answer.text)
    # In the person's own language, which needs no Redis.
    chinese = world.say(LI, "/generate 一只猫")
    assert (await world.status_message(LI.id, chinese)).text.startswith("队列暂时不可用")
    # Nothing was left saying "Adding your job…".
    assert not any("Adding your job" in (m.text or "") for chat in (GROUP, BOB.id)
                   for m in world.telegram.bot_messages(chat))
