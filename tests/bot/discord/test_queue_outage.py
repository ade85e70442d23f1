"""The Discord bot end to end with its Redis stopped: every interaction gets an answer (ephemeral:
"the queue is unavailable, try again in a minute"), never a spinner (real discord.py, the Discord
stand-in, a private redis-server that the test kills)."""

from __future__ import annotations

from tests.fixtures.discord_e2e import ANN, BOB, DiscordWorld
from tests.fixtures.redis import PrivateRedis

UNAVAILABLE = "The queue is unavailable right now. Please try again in a minute."


async def test_generate_and_every_command_with_redis_stopped_are_answered_unavailable(
        discord_world: DiscordWorld, private_redis: PrivateRedis) -> None:
    world = discord_world
    world.deployment.overrides["REDIS_URL"] = private_redis.url
    await world.start_bot()
    private_redis.stop()
    answer = await world.answer(world.generate(ANN, "a fox", size="512x512"))
    assert answer.content.startswith(UNAVAILABLE)
    assert answer.ephemeral_for == ANN.id, "said only to the asker"
    # The commands slash.py hands straight to a family reach the guard through the tree's on_error.
    for name, options in (("queue", {}), ("status", {}), ("cancel", {}), ("settings", {}), ("account", {}),
                          ("group", {"action": "pause"})):
        answer = await world.ask(BOB, name, **options)
        assert answer.content.startswith(UNAVAILABLE), (name, answer.content)
