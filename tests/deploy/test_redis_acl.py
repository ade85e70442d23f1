"""The Redis ACL user of deploy/redis.conf is enough to run naibot, and no more (security M4).

A private redis-server runs with exactly the ``user naibot`` line of deploy/redis.conf (password
and key prefix swapped for the test's), the ``default`` user off, and an ``admin`` user only the
test uses to read ``ACL LOG``. Then a real Dramatiq worker process takes a job from submit to done
against the NovelAI stand-in, and the real Telegram bot runs a /generate (pacer windows, status
registry, delivery stream) and an email /login (attempt limits, sealed accounts, token lock) under
that user. Any refused command lands in ``ACL LOG`` and fails the test.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import shlex
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
import redis

from naibot.settings import load_settings
from sandbox.novelai import TABLET_EMAIL, TABLET_PASSWORD, NovelAISandbox
from sandbox.telegram import TelegramSandbox
from tasks.launch import ROOT
from tests.fixtures.deployment import Deployment, bounded, wait_until_finished
from tests.fixtures.http_e2e import ADMIN_KEY, ALICE_KEY, auth, running_api, with_api
from tests.fixtures.redis import PrivateRedis
from tests.fixtures.redis_acl import NAIBOT_PASSWORD, PREFIX, REDIS_CONF, conf_rules, for_test
from tests.fixtures.telegram_e2e import ANN, BOB, FAST_LIMITS, TelegramWorld

pytestmark = pytest.mark.xdist_group("workers")

SCALING = ROOT / "deploy" / "SCALING.md"
ADMIN_PASSWORD = secrets.token_hex(16)
SMALL = "--size 512x512 --steps 8"


def setuser_rules() -> list[str]:
    """The rules of the ``ACL SETUSER naibot`` command in deploy/SCALING.md."""
    found = re.findall(r"^\s*(?:redis-cli .*?)?ACL SETUSER naibot (.+)$", SCALING.read_text(), re.MULTILINE)
    assert found, "deploy/SCALING.md must give the ACL SETUSER line"
    return shlex.split(found[0].strip().strip("'\""))


def test_the_conf_and_the_scaling_guide_give_the_same_rules() -> None:
    conf, setuser = conf_rules(), setuser_rules()
    assert for_test(conf) == for_test(setuser)
    assert "~naibot:*" in conf and "resetchannels" in conf and "-@all" in conf
    assert not [rule for rule in conf if rule in {"+@all", "allcommands", "~*", "allkeys", "&*", "allchannels"}]
    assert not [rule for rule in conf if rule.lower() in {"+config", "+flushall", "+flushdb", "+debug", "+module",
                                                          "+shutdown", "+acl", "+@admin", "+@dangerous"}]
    assert "user default off" in REDIS_CONF.read_text().splitlines()


@pytest.fixture
def acl_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    config = ["--user", "default", "off",
              "--user", "admin", "on", f">{ADMIN_PASSWORD}", "~*", "&*", "+@all",
              "--user", "naibot", "on", *for_test(conf_rules())]
    server = PrivateRedis(tmp_path, config)
    server.start()
    yield server
    server.stop()


def acl_log(server: PrivateRedis) -> list[dict[str, object]]:
    admin = redis.Redis.from_url(server.url_for("admin", ADMIN_PASSWORD), decode_responses=True)
    try:
        return list(admin.acl_log())
    finally:
        admin.close()


@pytest_asyncio.fixture
async def acl_world(acl_redis: PrivateRedis, novelai_sandbox: NovelAISandbox, tmp_path: Path
                    ) -> AsyncIterator[TelegramWorld]:
    deployment = Deployment(sandbox=novelai_sandbox, prefix=PREFIX, storage_dir=tmp_path,
                            overrides={"REDIS_URL": acl_redis.url_for("naibot", NAIBOT_PASSWORD)})
    telegram = TelegramSandbox(limits=FAST_LIMITS)
    await telegram.start()
    world = TelegramWorld(deployment, telegram)
    try:
        yield world
    finally:
        for bot in list(world.bots):
            await bounded(world.stop_bot(bot), "stopping a Telegram bot")
        await bounded(telegram.stop(), "stopping the Telegram stand-in")
        deployment.stop_all()


def test_the_naibot_user_cannot_touch_other_keys_or_administer(acl_redis: PrivateRedis) -> None:
    client = redis.Redis.from_url(acl_redis.url_for("naibot", NAIBOT_PASSWORD))
    try:
        client.set(f"{PREFIX}:probe", "1")
        for refused in (lambda: client.get("other:key"), lambda: client.flushall(),
                        lambda: client.config_get("dir"), lambda: client.publish("chan", "x")):
            with pytest.raises(redis.exceptions.NoPermissionError):
                refused()
    finally:
        client.close()
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(port=acl_redis.port).ping()  # the default user is off


async def test_worker_and_telegram_bot_run_under_the_acl_user(acl_world: TelegramWorld,
                                                             acl_redis: PrivateRedis) -> None:
    world = acl_world
    settings = load_settings(env=world.env())
    assert settings.redis.url.startswith("redis://naibot:")
    await world.deployment.start_worker()
    await world.start_bot()

    world.say(ANN, f"/generate a cat under an ACL {SMALL} --seed 3")
    await world.wait(lambda: any(m.photo for m in world.telegram.bot_messages(ANN.id)), timeout=60)

    world.say(BOB, "/login")
    await world.wait(lambda: any("persistent API token" in (m.text or "")
                                 for m in world.telegram.bot_messages(BOB.id)))
    world.say(BOB, TABLET_EMAIL)
    await world.wait(lambda: any("password" in (m.text or "") for m in world.telegram.bot_messages(BOB.id)
                                 if "persistent API token" not in (m.text or "")))
    world.say(BOB, TABLET_PASSWORD)
    await world.wait(lambda: any("Logged in" in (m.text or "") for m in world.telegram.bot_messages(BOB.id)))
    world.say(BOB, f"/generate a dog on its own account {SMALL} --seed 4")
    await world.wait(lambda: any(m.photo for m in world.telegram.bot_messages(BOB.id)), timeout=60)
    await asyncio.sleep(0)

    refused = acl_log(acl_redis)
    assert not refused, f"commands refused to the naibot user: {refused}"
    for log in world.deployment.storage_dir.glob("worker-*.log"):
        assert "NOPERM" not in log.read_text(errors="replace"), log


async def test_the_http_api_runs_under_the_acl_user(acl_world: TelegramWorld, acl_redis: PrivateRedis) -> None:
    deployment = acl_world.deployment
    await deployment.start_worker()
    async with running_api(with_api(deployment.settings)) as api:
        assert (await api.client.get("/healthz")).status_code == 200
        job = await api.submit(ALICE_KEY, steps=8)
        services = deployment.services()
        try:
            await wait_until_finished(services, [job["task_id"]])
        finally:
            await services.aclose()
        status = (await api.client.get(f"/task_status/{job['task_id']}", headers=auth(ALICE_KEY))).json()
        assert status["state"] == "done" and status["images"], status
        assert (await api.client.get("/queue_status", headers=auth(ALICE_KEY))).status_code == 200
        assert (await api.client.get("/metrics", headers=auth(ADMIN_KEY))).status_code == 200
        assert (await api.client.get("/admin/state", headers=auth(ADMIN_KEY))).status_code == 200
        assert (await api.client.post("/login", data={"key": "not-a-key-at-all-1234"})).status_code == 401

    refused = acl_log(acl_redis)
    assert not refused, f"commands refused to the naibot user: {refused}"
