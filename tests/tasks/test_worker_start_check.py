"""At start the worker asks NovelAI once about the default account: a refused ``NOVELAI_TOKEN`` is one
ERROR with the fix, an unreachable NovelAI one WARNING, and either way the worker runs on."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sandbox.novelai import OPUS_TOKEN
from tasks.launch import ROOT, wait_for_heartbeats, worker_environment
from tests.fixtures.deployment import WORKER_BOOT_TIMEOUT, Deployment
from tests.fixtures.novelai_tokens import WRONG_TOKEN, use_token
from tests.fixtures.redis import free_port
from tests.tasks.worker_log_lines import log_path, matching, wait_for_line

pytestmark = pytest.mark.xdist_group("workers")

# The worker's "ready" line, in any format.
READY = r"worker \S+ ready: redis"
REFUSED = ("ERROR naibot.worker: the default NovelAI account (NOVELAI_TOKEN) was refused by NovelAI: check the "
           "token (naibot account status default)")


async def start_naibot_worker(deployment: Deployment) -> subprocess.Popen[bytes]:
    """``naibot worker`` itself (the CLI handler), logging to ``worker-0.log``, ready when it beats."""
    services = deployment.services()
    try:
        with log_path(deployment).open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "worker", "--processes", "1", "--threads", "2"],
                env=worker_environment(deployment.env), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        deployment.workers.append(process)  # stopped by the fixture
        await wait_for_heartbeats(services.redis, deployment.prefix, process, set(), 1, timeout=WORKER_BOOT_TIMEOUT)
    finally:
        await services.aclose()
    return process


async def test_a_refused_default_token_is_one_error_at_start_and_the_worker_runs_on(deployment: Deployment
                                                                                     ) -> None:
    use_token(deployment, WRONG_TOKEN)
    process = await start_naibot_worker(deployment)
    path = log_path(deployment)
    await wait_for_line(path, READY)
    errors = matching(path, r" (ERROR|CRITICAL) ")
    assert len(errors) == 1 and REFUSED in errors[0], errors
    assert process.poll() is None, "other accounts may be fine: the worker keeps running"
    assert WRONG_TOKEN not in path.read_text()


async def test_an_unreachable_novelai_at_start_is_one_warning(deployment: Deployment) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    use_token(deployment, OPUS_TOKEN)
    deployment.overrides.update({"NOVELAI_API_URL": closed, "NOVELAI_IMAGE_URL": closed})
    process = await deployment.start_worker()
    path = log_path(deployment)
    await wait_for_line(path, READY)
    warned = matching(path, r"default NovelAI account")
    assert len(warned) == 1 and " WARNING naibot.worker: could not check the default NovelAI account " \
        f"(NOVELAI_TOKEN) at start: NovelAI at {closed} is unreachable" in warned[0], warned
    assert not matching(path, r" (ERROR|CRITICAL) ")
    assert process.poll() is None


async def test_an_accepted_default_token_is_said_once_without_alarm(deployment: Deployment) -> None:
    use_token(deployment, OPUS_TOKEN)
    await deployment.start_worker()
    path = log_path(deployment)
    await wait_for_line(path, READY)
    said = matching(path, r"default NovelAI account")
    assert len(said) == 1 and " INFO naibot.worker: the default NovelAI account (NOVELAI_TOKEN) is accepted" \
        in said[0], said
    assert not matching(path, r" (WARNING|ERROR|CRITICAL) ")
    asked = [r for r in deployment.sandbox.stats.requests if r["path"] == "/user/subscription"]
    assert len(asked) == 1, "one call to NovelAI"
