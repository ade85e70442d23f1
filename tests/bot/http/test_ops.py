"""GET /healthz and GET /metrics on the real app, against real workers, bots and stand-ins."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from bot.http.admin_state import queue_state
from bot.http.app import SecretKeyRefused
from novelai.accounts import Account
from novelai.request import GenerationRequest
from sandbox.novelai import OPUS_EMAIL, OPUS_PASSWORD
from sandbox.telegram import FloodLimits
from tasks.events import EventReader
from tasks.job import JobState, Requester
from tasks.keys import Keys
from tests.fixtures.deployment import Deployment, wait_until_finished
from tests.fixtures.discord_e2e import ANN as DISCORD_ANN
from tests.fixtures.discord_e2e import BOB as DISCORD_BOB
from tests.fixtures.discord_e2e import CAT as DISCORD_CAT
from tests.fixtures.discord_e2e import LI as DISCORD_LI
from tests.fixtures.discord_e2e import DiscordWorld
from tests.fixtures.http_e2e import ADMIN_KEY, ALICE_KEY, ApiWorld, auth, running_api, with_api
from tests.fixtures.redis import PrivateRedis
from tests.fixtures.telegram_e2e import ANN, TelegramWorld

SMALL = GenerationRequest(prompt="a cat", model="v4.5", width=512, height=512, steps=8)
EXPECTED_FAMILIES = {
    "naibot_redis_up", "naibot_jobs", "naibot_jobs_finished", "naibot_lane_depth", "naibot_generation_seconds",
    "naibot_novelai_errors", "naibot_platform_rate_limited", "naibot_delivery_lag_seconds", "naibot_workers_alive",
    "naibot_events_stream_lag", "naibot_chat_processes_alive", "naibot_discord_shards",
}


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


async def scrape(world: ApiWorld, key: str = ALICE_KEY) -> str:
    response = await world.client.get("/metrics", headers=auth(key))
    assert response.status_code == 200, response.text
    return response.text


async def beat(deployment: Deployment, worker: str = "test-worker", age: float = 0.0) -> None:
    """A worker heartbeat as a worker's sweeper writes it (for tests that need no real worker)."""
    services = deployment.services()
    await services.redis.zadd(Keys(deployment.prefix).workers, {worker: time.time() - age})
    await services.aclose()


# -- /healthz ----------------------------------------------------------------------------------


@pytest.mark.xdist_group("workers")
async def test_healthz_is_ok_with_a_live_worker(deployment: Deployment) -> None:
    await deployment.start_worker()
    async with running_api(with_api(deployment.settings)) as world:
        response = await world.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "redis": "ok", "workers": 1, "stream_lag": {}, "chat_processes": {}}


async def test_healthz_is_503_when_no_worker_has_beaten_lately(deployment: Deployment) -> None:
    await beat(deployment, age=3600)  # a worker that died an hour ago
    async with running_api(with_api(deployment.settings)) as world:
        response = await world.client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["workers"] == 0 and response.json()["redis"] == "ok"


async def test_healthz_needs_no_key_and_shows_stream_lag_per_group(deployment: Deployment) -> None:
    await beat(deployment)
    services = deployment.services()
    try:
        await EventReader(services.redis, deployment.prefix, "telegram-delivery", "host").ensure_group("$")
        for _ in range(2):
            await services.redis.xadd(Keys(deployment.prefix).events, {"type": "test"})
    finally:
        await services.aclose()
    async with running_api(with_api(deployment.settings)) as world:
        response = await world.client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["stream_lag"] == {"telegram-delivery": 2}


async def test_healthz_and_metrics_report_redis_down(deployment: Deployment,
                                                     private_redis: PrivateRedis) -> None:
    deployment.overrides["REDIS_URL"] = private_redis.url
    await beat(deployment)
    async with running_api(with_api(deployment.settings)) as world:
        assert (await world.client.get("/healthz")).status_code == 200
        assert sample(await scrape(world), "naibot_redis_up") == 1
        private_redis.stop()
        started = time.monotonic()
        response = await world.client.get("/healthz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "redis": "error", "workers": 0, "stream_lag": {},
                                   "chat_processes": {}}
        text = await scrape(world)
        assert time.monotonic() - started < 10, "answers come quickly, not after long timeouts"
    assert sample(text, "naibot_redis_up") == 0, "a scrape still succeeds and says Redis is down"


# -- /metrics: access and format ---------------------------------------------------------------


async def test_metrics_need_an_api_key_of_any_identity(deployment: Deployment) -> None:
    async with running_api(with_api(deployment.settings)) as world:
        assert (await world.client.get("/metrics")).status_code == 401
        assert (await world.client.get("/metrics", headers=auth("not-a-key-0123456789"))).status_code == 401
        for key in (ALICE_KEY, ADMIN_KEY):
            assert (await world.client.get("/metrics", headers=auth(key))).status_code == 200


async def test_metrics_public_setting_serves_without_a_key(deployment: Deployment) -> None:
    async with running_api(with_api(deployment.settings, metrics_public=True)) as world:
        assert (await world.client.get("/metrics")).status_code == 200


async def test_metrics_are_prometheus_text_with_every_family_from_the_first_scrape(deployment: Deployment) -> None:
    async with running_api(with_api(deployment.settings)) as world:
        response = await world.client.get("/metrics", headers=auth(ALICE_KEY))
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {family.name for family in text_string_to_metric_families(response.text)}
    assert not EXPECTED_FAMILIES - families, EXPECTED_FAMILIES - families
    text = response.text
    assert sample(text, "naibot_jobs", state="queued") == 0
    assert sample(text, "naibot_novelai_errors_total", kind="concurrency_locked") == 0, "known kinds start at 0"
    assert 'naibot_platform_rate_limited_total{platform="telegram"} 0.0' in text
    assert 'naibot_generation_seconds_bucket{le="+Inf"} 0.0' in text


async def test_lane_depths_and_queued_jobs_show_while_a_lane_waits(deployment: Deployment) -> None:
    await deployment.hold_lane()
    async with running_api(with_api(deployment.settings)) as world:
        for _ in range(3):
            await world.submit()
        text = await scrape(world)
    assert sample(text, "naibot_lane_depth", lane="default") == 3
    assert sample(text, "naibot_jobs", state="queued") == 3


# -- /metrics after real work --------------------------------------------------------------------


@pytest.mark.xdist_group("workers")
async def test_metrics_count_jobs_generation_time_and_novelai_errors_of_real_work(deployment: Deployment) -> None:
    await deployment.start_worker()
    services = deployment.services()
    person = Requester(platform="test", user_id="ann")

    async def run(forced: Iterable[int]) -> JobState:
        deployment.sandbox.faults.forced.extend(forced)
        job = await services.submitter.submit(SMALL, person, account="default")
        return (await wait_until_finished(services, [job.id]))[job.id].state

    try:
        async with running_api(with_api(deployment.settings)) as world:
            ids = [(await world.submit())["task_id"] for _ in range(2)]  # through the API, as clients do
            finished = await wait_until_finished(services, ids)
            assert all(job.state is JobState.DONE for job in finished.values())
            # Tokens and subscriptions (the worker's and this submitter's) are cached now, so a forced
            # status hits the generation itself.
            await services.submitter.subscriptions.get(Account.from_password("x", OPUS_EMAIL, OPUS_PASSWORD))
            assert await run([500]) is JobState.DONE, "a 500 is retried"
            assert await run([400]) is JobState.FAILED, "a 400 is final"
            text = await scrape(world)
    finally:
        await services.aclose()
    assert sample(text, "naibot_jobs", state="done") == 3
    assert sample(text, "naibot_jobs", state="failed") == 1
    assert sample(text, "naibot_jobs_finished_total", state="done") == 3
    assert sample(text, "naibot_generation_seconds_count") == 3, "failed jobs have no generation time"
    assert 0 < sample(text, "naibot_generation_seconds_sum") < 60
    assert sample(text, "naibot_generation_seconds_bucket", le="+Inf") == 3
    assert sample(text, "naibot_novelai_errors_total", kind="server") == 1
    assert sample(text, "naibot_novelai_errors_total", kind="bad_request") == 1
    assert sample(text, "naibot_workers_alive") == 1


@pytest.mark.xdist_group("workers")
async def test_telegram_429s_and_delivery_lag_are_counted(telegram_world: TelegramWorld) -> None:
    world = telegram_world
    await world.deployment.start_worker()
    await world.start_bot()
    # The bot paces itself for the fast limits it was started with; the stand-in now allows one
    # message at once and one a second, so two quick commands meet a 429 for sure.
    world.telegram.limits = FloodLimits(private_per_second=1.0, private_burst=1, group_per_minute=600,
                                        global_per_second=900)
    for prompt in ("a cat", "a dog"):
        world.say(ANN, f"/generate {prompt} --size 512x512 --steps 8")
    await world.wait(lambda: sum(1 for m in world.telegram.bot_messages(ANN.id) if m.photo) == 2, timeout=40)
    # ...and both status messages have had their last edit, so no more calls (and 429s) follow.
    statuses = [m for m in world.telegram.bot_messages(ANN.id) if not m.photo]
    await world.wait(lambda: all("Done" in (world.current(ANN.id, m.message_id).text or "") for m in statuses),
                     timeout=20)
    refused = len([c for c in world.telegram.calls(chat_id=ANN.id) if c.status == 429])
    assert refused >= 1
    async with running_api(with_api(world.deployment.settings)) as api:
        # Bots record in the background (a send never waits for a metric): allow them a moment.
        deadline = time.monotonic() + 10
        while (sample(text := await scrape(api), "naibot_platform_rate_limited_total", platform="telegram") < refused
               or sample(text, "naibot_delivery_lag_seconds_count", platform="telegram") < 2):
            assert time.monotonic() < deadline, text
            await asyncio.sleep(0.05)
    assert sample(text, "naibot_platform_rate_limited_total", platform="telegram") == refused
    assert sample(text, "naibot_platform_rate_limited_total", platform="discord") == 0
    assert sample(text, "naibot_delivery_lag_seconds_count", platform="telegram") == 2
    assert 0 < sample(text, "naibot_delivery_lag_seconds_sum", platform="telegram") < 40


@pytest.mark.xdist_group("workers")
async def test_discord_429s_are_counted_on_the_wire(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.start_worker()
    await world.start_bot()
    # The bot paces itself for 50 calls a second overall; the stand-in now allows 2, a limit Discord
    # announces only in a 429, which discord.py waits out without our code seeing it.
    world.discord.limits.global_per_second = 2
    users = [DISCORD_ANN, DISCORD_BOB, DISCORD_CAT, DISCORD_LI]
    for i in range(8):
        world.generate(users[i % 4], f"cat {i}", size="512x512", steps=8)
    await world.wait(lambda: len(world.results()) == 8, timeout=60)
    refused = world.discord.stats.rate_limited
    assert refused >= 1
    async with running_api(with_api(world.deployment.settings)) as api:
        deadline = time.monotonic() + 10
        while sample(text := await scrape(api), "naibot_platform_rate_limited_total", platform="discord") < refused:
            assert time.monotonic() < deadline, text
            await asyncio.sleep(0.05)
    assert sample(text, "naibot_platform_rate_limited_total", platform="discord") == refused
    assert sample(text, "naibot_delivery_lag_seconds_count", platform="discord") == 8


@pytest.mark.xdist_group("workers")
async def test_chat_processes_and_their_discord_shards_show_in_healthz_metrics_and_the_admin_page(
        discord_world: DiscordWorld) -> None:
    """Two Discord processes with a shard each: both beat (tasks.chat_presence), their shards show as
    connected; the one stopped cleanly leaves at once, and with it its shard."""
    world = discord_world
    even = await world.start_bot(NAIBOT_DISCORD__SHARD_COUNT="2", NAIBOT_DISCORD__SHARD_IDS="0")
    odd = await world.start_bot(NAIBOT_DISCORD__SHARD_COUNT="2", NAIBOT_DISCORD__SHARD_IDS="1")
    assert world.discord.live_shards() == [(0, 2), (1, 2)]
    await beat(world.deployment)
    services = world.deployment.services()
    try:
        async with running_api(with_api(world.deployment.settings)) as api:
            async def shown() -> tuple[dict, str, dict]:
                health = (await api.client.get("/healthz")).json()
                state = await queue_state(services.redis, world.deployment.settings, api.state.storage)
                return health, await scrape(api), state

            deadline = time.monotonic() + 20
            while sample((shown_now := await shown())[1], "naibot_discord_shards", state="connected") < 2:
                assert time.monotonic() < deadline, shown_now[1]
                await asyncio.sleep(0.05)
            health, text, state = shown_now
            assert health["chat_processes"] == {"discord": 2}
            assert sample(text, "naibot_chat_processes_alive", platform="discord") == 2
            assert sample(text, "naibot_chat_processes_alive", platform="telegram") == 0
            by_instance = {c["instance"]: c for c in state["chat_processes"]}
            assert set(by_instance) == {"shards-0", "shards-1"} and state["totals"]["chat_processes"] == 2
            assert by_instance["shards-1"]["shard_states"] == {"connected": "1"}
            assert by_instance["shards-1"]["shard_count"] == 2 and by_instance["shards-1"]["alive"]

            await world.stop_bot(odd)
            health, text, state = await shown()
            assert health["chat_processes"] == {"discord": 1}
            assert sample(text, "naibot_discord_shards", state="connected") == 1
            assert [c["instance"] for c in state["chat_processes"]] == ["shards-0"]
            assert even.runtime is not None
    finally:
        await services.aclose()


async def test_the_api_does_not_start_with_a_secret_key_that_is_not_the_deployments(deployment: Deployment) -> None:
    async with running_api(with_api(deployment.settings)):
        pass  # the first start records the deployment's key
    other = deployment.settings.model_copy(update={"security": deployment.settings.security.model_copy(
        update={"secret_key": SecretStr("another machine's key, not this deployment's at all")})})
    with pytest.raises(SecretKeyRefused) as refused:
        async with running_api(with_api(other)):
            pass
    assert "NAIBOT_SECRET_KEY" in str(refused.value)
