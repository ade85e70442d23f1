"""Albums with several Telegram bot processes behind one webhook, end to end (issue 19, "Outgrowing one
machine"): the Bot API stand-in pushes each update to the one webhook URL Telegram knows, a round-robin
balancer (``tests.fixtures.webhook_balancer``) passes each to the next of two real bots in webhook mode on
one Redis, so one album's items reach both; the album is still one command with every picture, run
once. And with Redis stopped, an album's command is still answered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import redis.asyncio as aioredis

from bot.keys import BotKeys
from bot.telegram.adapter import TelegramBot
from naibot.settings import load_settings
from sandbox.novelai.image_inputs import marker_colour, result_colour
from tests.fixtures.chat_pictures import inputs_seen, png
from tests.fixtures.cli_images import nothing_queued
from tests.fixtures.http_e2e import free_port
from tests.fixtures.redis import PrivateRedis
from tests.fixtures.telegram_albums import album_photos, generations, photos, result_png, vibe_sha
from tests.fixtures.telegram_e2e import ANN, TelegramWorld
from tests.fixtures.webhook_balancer import WebhookBalancer

pytestmark = pytest.mark.xdist_group("workers")

SMALL = "size:512x512 steps:8"
SECRET = "Vw3nQ8sLk2Pz7Ty0bXr5_cMd9HfJ4aGe1UoKiN6q-Z"
UNAVAILABLE = "The queue is unavailable right now. Please try again in a minute."


@pytest_asyncio.fixture
async def balanced(telegram_world: TelegramWorld) -> AsyncIterator[tuple[WebhookBalancer, list[TelegramBot]]]:
    """Two bot processes in webhook mode behind one balancer; Telegram is given the balancer's URL."""
    world = telegram_world
    ports = [free_port(), free_port()]
    balancer = WebhookBalancer([f"http://127.0.0.1:{port}/telegram" for port in ports])
    url = await balancer.start(free_port())  # listening first: setWebhook checks that something answers
    bots = []
    try:
        for port in ports:
            env = {**world.env(), "NAIBOT_TELEGRAM__MODE": "webhook", "NAIBOT_TELEGRAM__WEBHOOK_URL": url,
                   "NAIBOT_TELEGRAM__WEBHOOK_LISTEN": "127.0.0.1", "NAIBOT_TELEGRAM__WEBHOOK_PORT": str(port),
                   "NAIBOT_TELEGRAM__WEBHOOK_SECRET": SECRET}
            bot = TelegramBot(load_settings(env=env))
            world.bots.append(bot)  # the world's fixture stops it, whatever happens here
            await bot.start_webhook()
            bots.append(bot)
        yield balancer, bots
    finally:
        await balancer.stop()


async def test_an_album_whose_items_reach_two_bot_processes_is_one_job_with_every_picture(
        telegram_world: TelegramWorld, balanced: tuple[WebhookBalancer, list[TelegramBot]],
        aredis: aioredis.Redis) -> None:
    world = telegram_world
    balancer, bots = balanced
    await world.deployment.start_worker()
    pictures = [png(300, 300, (210, 40, 40)), png(320, 240, (40, 210, 40)), png(240, 320, (40, 40, 210))]
    sent = album_photos(world, ANN, pictures, f"/vibe a heron {SMALL}")
    status = await world.status_message(ANN.id, sent[0], timeout=30)
    await world.wait(lambda: len(photos(world, ANN.id)) >= 1, timeout=60)
    group = sent[0]["media_group_id"]
    in_album = balancer.backends_of(lambda update: update.get("message", {}).get("media_group_id") == group)
    assert in_album == {0, 1}, "the balancer sent the album's items to both bot processes"
    (generation,) = generations(await inputs_seen(world.deployment))
    expected = [vibe_sha(picture) for picture in pictures]  # every picture, in message order
    assert [(i["kind"], i["sha256"]) for i in generation["inputs"]] == [("vibe_encoding", sha) for sha in expected]
    result = photos(world, ANN.id)[0]
    assert result_colour(result_png(world, result)) == marker_colour(expected[0])
    assert "heron" in (result.caption or "")
    assert status.reply_to_message_id == sent[0]["message_id"], "the bot answers the captioned item"
    assert len(world.telegram.calls("getFile")) == 3, "each picture downloaded once, by one process"
    album_key = BotKeys(world.deployment.prefix).telegram_album(str(ANN.id), group)
    assert not await aredis.exists(album_key), "the album left Redis when it was taken"
    # The process that only watched the album has looked once more (past its takeover time) and found
    # it taken: no second job, now or later.
    async with asyncio.timeout(30):
        await asyncio.gather(*(bot.albums.settled() for bot in bots))
    assert [bot.albums.pending for bot in bots] == [0, 0]
    assert len(generations(await inputs_seen(world.deployment))) == 1
    assert await nothing_queued(world.deployment)
    entries = BotKeys(world.deployment.prefix).status("telegram", "")
    jobs = {key.decode()[len(entries):].split(":")[0] async for key in aredis.scan_iter(match=f"{entries}*")}
    assert len(jobs) == 1, f"one command ran: one job has a status entry, not {sorted(jobs)}"
    # Both processes' delivery loops look after that job: one posts its result, once, under its status message.
    assert [(m.message_id, bool(m.photo)) for m in world.telegram.bot_messages(ANN.id)] == [
        (status.message_id, False), (result.message_id, True)]


async def test_an_album_with_redis_stopped_is_answered_unavailable(telegram_world: TelegramWorld,
                                                                   private_redis: PrivateRedis) -> None:
    world = telegram_world
    world.deployment.overrides["REDIS_URL"] = private_redis.url
    await world.start_bot()
    private_redis.stop()
    sent = album_photos(world, ANN, [png(64, 64, (9, 9, 9)), png(64, 64, (8, 8, 8))], f"/vibe a moth {SMALL}")
    answer = await world.status_message(ANN.id, sent[0], timeout=30)
    assert (answer.text or "").startswith(UNAVAILABLE), answer.text
