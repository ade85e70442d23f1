"""Redis Sentinel: the queue survives a failover (issue 19, "Outgrowing one machine").

A private master, a replica and a sentinel (``tests.fixtures.redis_sentinel``); a real worker
process and the test's own submitter configured with ``redis.sentinel`` only (``REDIS_URL``
points nowhere: the host and port come from the sentinel). Jobs are submitted before, during and
after ``SENTINEL FAILOVER``, until the old master has been turned into a replica of the new one
(which throws away whatever only it held). Every job the submitter was told is queued must end
done, and NovelAI (the stand-in) must have generated each prompt at most once, accepted ones once.

Three times: ``SENTINEL FAILOVER`` as Redis comes (no ``min-replicas-to-write``) and with the
``min-replicas-to-write 1`` of deploy/redis.conf's Sentinel section, and the master killed (-9).
Without naibot's listening to the sentinels' announcements (``naibot.redisconn._Switches``) the
first loses most jobs submitted in the ten seconds the old master stays writable (a client
writing 20 times a second kept 98 of 300 writes; deploy/SCALING.md).
With a single replica, ``min-replicas-to-write 1`` makes the new master refuse writes until the old
one has rejoined as its replica: submitters are told "the queue is unavailable" meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from naibot.redisconn import MasterMoved, _Switches, async_redis, sync_redis
from naibot.settings import SettingsError, load_settings
from novelai.request import GenerationRequest
from tasks.job import JobState, Requester
from tasks.queue import QueueUnavailable
from tasks.services import QueueServices
from tests.fixtures.deployment import Deployment, wait_until_finished
from tests.fixtures.redis import PrivateRedis
from tests.fixtures.redis_sentinel import MASTER_NAME, SentinelSet

pytestmark = pytest.mark.xdist_group("workers")

# What deploy/redis.conf's Sentinel section sets (see the module docstring).
NO_WRITES_WITHOUT_A_REPLICA = ["--min-replicas-to-write", "1", "--min-replicas-max-lag", "10"]


@pytest.fixture
def sentinels(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[SentinelSet]:
    """A master, one replica and a sentinel; the data nodes' extra configuration as the parameter."""
    (tmp_path / "redis").mkdir()
    servers = SentinelSet(tmp_path / "redis", replicas=1, config=getattr(request, "param", []))
    try:
        servers.start()
        yield servers
    finally:
        servers.stop()


def _configure(deployment: Deployment, servers: SentinelSet) -> None:
    deployment.overrides.update({
        # Nothing listens on port 9: were the URL's host used, nothing would work.
        "REDIS_URL": "redis://127.0.0.1:9/0",
        "NAIBOT_REDIS__SENTINEL__MASTER": MASTER_NAME,
        "NAIBOT_REDIS__SENTINEL__NODES": servers.nodes_setting,
    })


def _request(number: int) -> GenerationRequest:
    return GenerationRequest(prompt=f"failover cat {number}", model="v4.5", width=512, height=512, steps=8)


def _generations_per_prompt(deployment: Deployment) -> Counter[str]:
    """How many generations NovelAI (the stand-in) finished for each of the test's prompts (the
    client may add quality tags to the prompt it sends)."""
    found: Counter[str] = Counter()
    for request in deployment.sandbox.stats.requests:
        body = request["body"]
        if not (request["path"].startswith("/ai/generate-image") and request["status"] == 200
                and isinstance(body, dict)):
            continue
        if (match := re.search(r"failover cat \d+\b", str(body.get("input")))) is not None:
            found[match.group()] += 1
    return found


async def _submit(services: QueueServices, number: int, accepted: dict[str, str], refused: list[int]) -> None:
    """Submit one job; a refusal ("the queue is unavailable, try again") is an honest answer during a
    failover, but a job the submitter was given an id for must run."""
    try:
        job = await services.submitter.submit(_request(number), Requester(platform="test", user_id=f"u{number}"),
                                                  account="default")
    except QueueUnavailable:
        refused.append(number)
    else:
        accepted[job.id] = f"failover cat {number}"


def test_sentinel_settings_come_from_the_environment_and_the_password_stays_masked() -> None:
    settings = load_settings(env={"NAIBOT_SETTINGS": "/nonexistent/settings.yaml",
                                  "NAIBOT_REDIS__SENTINEL__MASTER": "main",
                                  "NAIBOT_REDIS__SENTINEL__NODES": "10.0.0.1:26379, 10.0.0.2:26379",
                                  "NAIBOT_REDIS__SENTINEL__PASSWORD": "sentinel-secret"})
    assert settings.redis.sentinel is not None
    assert settings.redis.sentinel.addresses == [("10.0.0.1", 26379), ("10.0.0.2", 26379)]
    assert "sentinel-secret" not in repr(settings.redis) and "sentinel-secret" not in settings.redis.address
    assert settings.redis.address.startswith("sentinel master main via 10.0.0.1:26379,10.0.0.2:26379")


@pytest.mark.parametrize(("env", "message"), [
    ({"NAIBOT_REDIS__SENTINEL__NODES": "a:26379"}, "sentinel.master is missing"),
    ({"NAIBOT_REDIS__SENTINEL__MASTER": "m", "NAIBOT_REDIS__SENTINEL__NODES": "a:26379,b"}, "node 2 is not host:port"),
    ({"NAIBOT_REDIS__SENTINEL__MASTER": "m"}, "sentinel.nodes is empty"),
    ({"NAIBOT_REDIS__SENTINEL__MASTER": "m", "NAIBOT_REDIS__SENTINEL__NODES": "a:1", "REDIS_URL": "unix:///r.sock"},
     "sentinel needs a redis:// or rediss:// url"),
])
def test_an_incomplete_sentinel_setting_is_refused_in_one_line(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message) as refused:
        load_settings(env={"NAIBOT_SETTINGS": "/nonexistent/settings.yaml", **env})
    assert len(str(refused.value).splitlines()) == 2  # "invalid settings:" and the one line


@pytest.mark.parametrize(("sentinels", "how"), [([], "failover"), (NO_WRITES_WITHOUT_A_REPLICA, "failover"),
                                                ([], "master killed")],
                         ids=["failover", "failover-min-replicas-to-write", "master-killed"], indirect=["sentinels"])
async def test_no_job_is_lost_or_run_twice_across_a_sentinel_failover(deployment: Deployment, sentinels: SentinelSet,
                                                                      how: str) -> None:
    _configure(deployment, sentinels)
    deployment.sandbox.step_latency = 0.01  # a job takes ~0.1 s: some are running at the failover
    await deployment.start_worker()
    services = deployment.services()
    accepted: dict[str, str] = {}
    refused: list[int] = []
    try:
        for number in range(8):
            await _submit(services, number, accepted, refused)
        old = sentinels.failover() if how == "failover" else sentinels.kill_master()
        # A steady trickle of people keeps submitting while the sentinel promotes a replica, the
        # clients find it and the old master is turned into its replica (the pause paces the
        # load: nothing waits on it), and a few more after that.
        number, after = 8, 0
        while after < 4:
            assert number < 250, f"the failover did not complete ({len(accepted)} accepted, {len(refused)} refused)"
            await _submit(services, number, accepted, refused)
            number += 1
            if after or await asyncio.to_thread(sentinels.failover_done, old):
                after += 1
            await asyncio.sleep(0.1)
        finished = await wait_until_finished(services, list(accepted), timeout=40)
        assert {job_id: job.state for job_id, job in finished.items() if job.state is not JobState.DONE} == {}
        generated = _generations_per_prompt(deployment)
        assert generated.total() == deployment.sandbox.stats.generations.total(), "the stand-in kept every request"
        assert {prompt: generated[prompt] for prompt in accepted.values() if generated[prompt] != 1} == {}, \
            "every accepted job generated exactly once"
        assert max(generated.values()) == 1, "no prompt (accepted or refused) generated twice"
        assert len(accepted) >= len(refused), f"most submissions are accepted across the failover ({refused=})"
        assert deployment.workers[0].poll() is None, "the worker rode the failover out"
    finally:
        with contextlib.suppress(Exception):
            await services.aclose()


async def test_a_master_demoted_under_a_plain_url_is_a_lost_connection_not_a_refused_write(tmp_path: Path) -> None:
    """A managed Redis fails over by moving its endpoint's name; connections made before still reach
    the old primary, now a replica. Its READONLY must read as "Redis away" (so callers ride it out
    and the next connection resolves the name again), not as a bug in the command."""
    old, new = PrivateRedis(tmp_path / "old"), PrivateRedis(tmp_path / "new")
    for node in (old, new):
        node.workdir.mkdir()
        node.start()
    settings = load_settings(env={"NAIBOT_SETTINGS": "/nonexistent/settings.yaml", "REDIS_URL": old.url})
    client, aclient = sync_redis(settings.redis), async_redis(settings.redis)
    try:
        client.set("naibot-test:demoted", "1")
        await aclient.set("naibot-test:demoted", "1")
        with sync_redis(settings.redis) as admin:
            admin.execute_command("REPLICAOF", "127.0.0.1", str(new.port))
        with pytest.raises(MasterMoved, match="read only replica"):
            client.set("naibot-test:demoted", "2")
        with pytest.raises(MasterMoved, match="read only replica"):
            await aclient.set("naibot-test:demoted", "2")
        with sync_redis(settings.redis) as admin:
            admin.execute_command("REPLICAOF", "NO", "ONE")  # the address is a writable master again
        assert client.set("naibot-test:demoted", "3") and await aclient.set("naibot-test:demoted", "3")
    finally:
        client.close()
        await aclient.aclose()
        old.stop()
        new.stop()


def test_a_promotion_pauses_sending_until_the_new_master_is_announced_and_other_masters_change_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The sentinels' announcements as they publish them (channel, text); the clients' state is the
    process's, so the test works on a copy of it."""
    monkeypatch.setattr(_Switches, "count", 0)
    monkeypatch.setattr(_Switches, "paused_until", 0.0)
    other = "slave 10.0.0.7:6379 10.0.0.7 6379 @ other 10.0.0.6 6379"
    _Switches.heard("+failover-state-send-slaveof-noone", other, "naibot")
    _Switches.heard("+switch-master", "other 10.0.0.6 6379 10.0.0.7 6379", "naibot")
    assert (_Switches.count, _Switches.paused()) == (0, False)

    _Switches.heard("+failover-state-send-slaveof-noone", "slave 10.0.0.6:6379 10.0.0.6 6379 @ naibot 10.0.0.5 6379",
                    "naibot")
    assert _Switches.paused() and _Switches.count == 0
    _Switches.heard("+promoted-slave", "slave 10.0.0.6:6379 10.0.0.6 6379 @ naibot 10.0.0.5 6379", "naibot")
    assert not _Switches.paused() and _Switches.count == 1
    _Switches.heard("+switch-master", "naibot 10.0.0.5 6379 10.0.0.6 6379", "naibot")
    assert _Switches.count == 2

    _Switches.heard("+failover-state-send-slaveof-noone", "slave 10.0.0.5:6379 10.0.0.5 6379 @ naibot 10.0.0.6 6379",
                    "naibot")
    _Switches.heard("-failover-abort-slave-timeout", "master naibot 10.0.0.6 6379", "naibot")
    assert not _Switches.paused() and _Switches.count == 2, "an aborted failover keeps the master"
