"""Redis over TLS with a private CA, as deploy/SCALING.md sets it up for other machines (security M4).

A private redis-server serves TLS only, with a throwaway CA and server certificate, and the ACL
user of deploy/redis.conf. naibot is configured with ``rediss://`` and ``redis.ca_file``: a real
worker process (Dramatiq's broker included) takes a job from submit to done through it. Without the
CA the server is not trusted, and a CA file with a plain ``redis://`` URL is refused at start.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from naibot.redisconn import async_redis, sync_redis
from naibot.settings import SettingsError, load_settings
from tasks.job import JobState, Requester
from tests.fixtures.deployment import Deployment, wait_until_finished
from tests.fixtures.queue_jobs import SMALL
from tests.fixtures.redis import PrivateRedis
from tests.fixtures.redis_acl import NAIBOT_PASSWORD, PREFIX, conf_rules, for_test
from tests.fixtures.tls_files import make_tls_files

pytestmark = pytest.mark.xdist_group("workers")


def _redis_has_tls() -> bool:
    binary = shutil.which("redis-server")
    if binary is None:
        return False
    linked = subprocess.run(["ldd", binary], capture_output=True, text=True, check=False).stdout
    return "libssl" in linked


requires_tls = pytest.mark.skipif(not _redis_has_tls(), reason="this redis-server is built without TLS (no libssl)")


def _tls_server(tmp_path: Path, *, ip: bool = True) -> PrivateRedis:
    directory = tmp_path / "tls"
    directory.mkdir()
    server = PrivateRedis(tmp_path, ["--user", "default", "off", "--user", "naibot", "on", *for_test(conf_rules())],
                          tls=make_tls_files(directory, ip=ip))
    server.start()
    return server


@pytest.fixture
def tls_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = _tls_server(tmp_path)
    yield server
    server.stop()


def _env(server: PrivateRedis, **extra: str) -> dict[str, str]:
    return {"NAIBOT_SETTINGS": "/nonexistent/settings.yaml", "NAIBOT_REDIS__PREFIX": PREFIX,
            "REDIS_URL": server.url_for("naibot", NAIBOT_PASSWORD), **extra}


@requires_tls
def test_a_ca_file_with_a_plain_redis_url_is_refused(tls_redis: PrivateRedis) -> None:
    assert tls_redis.tls is not None
    with pytest.raises(SettingsError, match="ca_file needs a rediss:"):
        load_settings(env={"NAIBOT_SETTINGS": "/nonexistent/settings.yaml", "REDIS_URL": "redis://127.0.0.1:6379/0",
                           "NAIBOT_REDIS__CA_FILE": str(tls_redis.tls.ca)})


@requires_tls
async def test_rediss_with_the_ca_file_connects_and_without_it_the_server_is_not_trusted(
        tls_redis: PrivateRedis) -> None:
    assert tls_redis.tls is not None
    settings = load_settings(env=_env(tls_redis, NAIBOT_REDIS__CA_FILE=str(tls_redis.tls.ca)))
    client = sync_redis(settings.redis)
    try:
        client.set(f"{PREFIX}:tls", "over TLS")
        assert client.get(f"{PREFIX}:tls") == b"over TLS"
    finally:
        client.close()
    aclient = async_redis(settings.redis)
    try:
        assert await aclient.ping()
    finally:
        await aclient.aclose()

    untrusted = sync_redis(load_settings(env=_env(tls_redis)).redis)
    try:
        with pytest.raises(redis.exceptions.ConnectionError, match=r"(?i)certificate"):
            untrusted.ping()
    finally:
        untrusted.close()


@requires_tls
async def test_a_worker_runs_a_job_over_tls_as_the_acl_user(tls_redis: PrivateRedis, deployment: Deployment) -> None:
    assert tls_redis.tls is not None
    deployment.prefix = PREFIX
    deployment.overrides.update(_env(tls_redis, NAIBOT_REDIS__CA_FILE=str(tls_redis.tls.ca)))
    deployment.overrides.pop("NAIBOT_SETTINGS")
    await deployment.start_worker()
    services = deployment.services()
    try:
        job = await services.submitter.submit(SMALL, Requester(platform="test", user_id="ann"), account="default")
        assert (await wait_until_finished(services, [job.id]))[job.id].state is JobState.DONE
    finally:
        await services.aclose()


@requires_tls
def test_a_certificate_for_another_host_name_is_refused(tmp_path: Path) -> None:
    server = _tls_server(tmp_path, ip=False)  # signed by the CA, but for "localhost" only
    try:
        assert server.tls is not None
        settings = load_settings(env=_env(server, NAIBOT_REDIS__CA_FILE=str(server.tls.ca)))
        assert "ssl_check_hostname=true" in settings.redis.url
        client = sync_redis(settings.redis)
        try:
            with pytest.raises(redis.exceptions.ConnectionError, match=r"(?i)hostname|IP address mismatch"):
                client.ping()
        finally:
            client.close()
    finally:
        server.stop()
