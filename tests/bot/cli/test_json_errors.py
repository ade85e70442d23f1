"""`--json` answers every error as JSON on stdout, `{"error": ..., "kind": ...}`, with the exit status
the plain answer has: a script that parses stdout never gets a sentence on stderr instead."""

from __future__ import annotations

import json

import pytest

from tests.fixtures.cli_run import naibot
from tests.fixtures.deployment import Deployment
from tests.fixtures.redis import PrivateRedis

CASES = [
    (("generate", "a cat", "--steps", "500"), 2, "invalid"),
    (("generate", "a cat", "--account", "nosuch"), 2, "unknown_account"),
    (("status", "nosuchjob1"), 1, "not_found"),
    (("cancel", "nosuchjob1"), 1, "not_found"),
]


@pytest.mark.parametrize(("args", "code", "kind"), CASES, ids=[" ".join(a) for a, _, _ in CASES])
async def test_with_json_an_error_is_json_on_stdout_with_the_same_exit_status(
        deployment: Deployment, args: tuple[str, ...], code: int, kind: str) -> None:
    plain = await naibot(deployment, *args)
    answered = await naibot(deployment, *args, "--json")
    assert plain[0] == answered[0] == code, (plain, answered)
    assert answered[2] == "", "nothing on stderr"
    error = json.loads(answered[1])
    assert error["kind"] == kind
    assert plain[2] == f"naibot: {error['error']}\n", "the same sentence as the plain answer"


@pytest.mark.parametrize("args", [("queue",), ("status", "abcdefghij"), ("cancel", "abcdefghij"),
                                  ("generate", "a cat", "--wait")], ids=" ".join)
async def test_with_json_redis_stopped_is_json_on_stdout_and_exit_1(
        deployment: Deployment, private_redis: PrivateRedis, args: tuple[str, ...]) -> None:
    deployment.overrides["REDIS_URL"] = private_redis.url
    private_redis.stop()
    code, out, err = await naibot(deployment, *args, "--json", timeout=30)
    assert (code, err) == (1, "")
    error = json.loads(out)
    assert error["kind"] == "queue_unavailable"
    assert error["error"].startswith("the queue is unavailable right now, please try again in a minute")
