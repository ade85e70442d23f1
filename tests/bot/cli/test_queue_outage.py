"""The CLI with its Redis stopped (a private redis-server, killed): `naibot generate|status|cancel|
queue` each say "the queue is unavailable" in one line on stderr and exit 1, no traceback (with
``--json``, as JSON on stdout: tests/bot/cli/test_json_errors.py)."""

from __future__ import annotations

import pytest

from tests.fixtures.cli_run import naibot
from tests.fixtures.deployment import Deployment
from tests.fixtures.redis import PrivateRedis


@pytest.mark.parametrize("args", [("generate", "a cat", "--size", "512x512"), ("generate", "a cat", "--wait"),
                                  ("status", "abcdefghij"), ("cancel", "abcdefghij"), ("queue",)],
                         ids=" ".join)
async def test_every_queue_command_with_redis_stopped_says_unavailable_in_one_line_and_exits_1(
        deployment: Deployment, private_redis: PrivateRedis, args: tuple[str, ...]) -> None:
    deployment.overrides["REDIS_URL"] = private_redis.url
    private_redis.stop()
    code, out, err = await naibot(deployment, *args, timeout=30)
    assert code == 1, (code, out, err)
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("naibot: the queue is unavailable right now"), err
    assert "Traceback" not in err
