"""`naibot account add|list|status|remove` and `naibot rotate-key` with their Redis stopped (a private
redis-server, killed): the queue commands' one line on stderr, exit 1, no traceback; `account status`
never claims a cached token it could not store."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest

from sandbox.novelai import OPUS_TOKEN
from tests.fixtures.deployment import ROOT, Deployment
from tests.fixtures.redis import PrivateRedis

NEW_KEY = "RM5r2TTczUeTXunshOLjqKOFnoFDnWIZy8EErNO9v6k="  # random: rotate-key refuses a guessable new key


async def naibot_with_stdin(deployment: Deployment, *args: str, stdin: bytes = b"",
                            timeout: float = 60) -> tuple[int, str, str]:
    """The CLI as a process, with ``stdin`` piped in (a token, a key) and a bounded wait."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, env=deployment.env, cwd=ROOT, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(process.communicate(stdin), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


COMMANDS = [
    (("account", "list"), b""),
    (("account", "status", "default"), b""),
    (("account", "status", "main"), b""),
    (("account", "remove", "main"), b""),
    (("account", "add", "main", "--token"), OPUS_TOKEN.encode() + b"\n"),
    (("rotate-key", "--keep-key"), b""),
    (("rotate-key",), NEW_KEY.encode() + b"\n"),
]


@pytest.mark.parametrize(("args", "stdin"), COMMANDS, ids=[" ".join(a) for a, _ in COMMANDS])
async def test_admin_commands_with_redis_stopped_say_the_queue_is_unavailable_in_one_line_and_exit_1(
        deployment: Deployment, private_redis: PrivateRedis, args: tuple[str, ...], stdin: bytes) -> None:
    deployment.overrides["REDIS_URL"] = private_redis.url
    private_redis.stop()
    code, out, err = await naibot_with_stdin(deployment, *args, stdin=stdin)
    assert code == 1, (code, out, err)
    assert out == "", "nothing on stdout: in particular no `token_cached: True` for a token it could not cache"
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("naibot: the queue is unavailable right now, please try again "
                                                   "in a minute (Error 111"), err
    assert "Traceback" not in err and OPUS_TOKEN not in err and NEW_KEY not in err


async def test_account_list_json_with_redis_stopped_answers_the_error_as_json(
        deployment: Deployment, private_redis: PrivateRedis) -> None:
    deployment.overrides["REDIS_URL"] = private_redis.url
    private_redis.stop()
    code, out, err = await naibot_with_stdin(deployment, "account", "list", "--json")
    assert code == 1 and err == ""
    answer = json.loads(out)
    assert answer["kind"] == "queue_unavailable" and answer["error"].startswith("the queue is unavailable")

