"""Uncaught exceptions reach stderr only through the redactor (issue 13).

Each case runs a real process and reads everything it wrote: a wrong Telegram token (PTB's
``InvalidToken("The token `<TOKEN>` was rejected")`` carries it) ends ``naibot telegram`` with one
line and no token, whatever the token's shape; a thread and an asyncio task die with a registered
secret in their message and the hooks redact it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap

import pytest

from naibot.logs import REDACTED
from sandbox.telegram import TelegramSandbox
from tasks.launch import ROOT
from tests.fixtures.redis import REDIS_URL, TEST_SECRET_KEY

RUN_TIMEOUT = 60.0
# One shaped like a real bot token (the log patterns know it), one no pattern knows: only the
# literal registered at start redacts it.
WRONG_TOKENS = ("987654321:AAwrongwrongwrongwrongwrongwrong0123", "not-a-token-shape-but-secret-4711")
SECRET = "zebra-violin-secret-8841"


@pytest.fixture
def telegram(telegram_sandbox: TelegramSandbox) -> TelegramSandbox:
    return telegram_sandbox


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NAIBOT_", "NOVELAI_", "REDIS_", "TELEGRAM_"))}
    env.update({"NAIBOT_SETTINGS": os.devnull, "REDIS_URL": REDIS_URL,
                "NAIBOT_SECRET_KEY": TEST_SECRET_KEY, "PYTHONPATH": str(ROOT), **extra})
    return env


async def _run(*argv: str, env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, *argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        output, _ = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")


@pytest.mark.parametrize("token", WRONG_TOKENS, ids=["token-shaped", "odd-shaped"])
async def test_a_wrong_telegram_token_never_reaches_the_output(telegram: TelegramSandbox, token: str) -> None:
    status, output = await _run("-m", "bot.cli", "telegram",
                                env=_env(TELEGRAM_TOKEN=token, TELEGRAM_API_URL=telegram.url,
                                         NAIBOT_REDIS__PREFIX="naibot-test:uncaught"))
    assert status == 2, output
    assert output.strip() == "naibot: Telegram rejected TELEGRAM_TOKEN (check it with @BotFather)", output[-2000:]
    assert token not in output
    # The stand-in really refused that token, so PTB's exception had it to print.
    assert [call.status for call in telegram.calls("getMe")] == [401]


PROGRAM = textwrap.dedent(f"""
    import asyncio, gc, threading
    from naibot.excepthooks import install_exception_hooks
    from naibot.logs import register_secret

    install_exception_hooks()  # what every process does first (bot.cli.main, tasks.actors)
    register_secret({SECRET!r})

    def dies() -> None:
        raise RuntimeError("thread failed with {SECRET}")

    thread = threading.Thread(target=dies, name="doomed")
    thread.start()
    thread.join()

    async def boom() -> None:
        raise RuntimeError("task failed with {SECRET}")

    async def main() -> None:
        task = asyncio.get_running_loop().create_task(boom())
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        del task  # never awaited: the loop reports "Task exception was never retrieved"
        gc.collect()

    asyncio.run(main())
    raise RuntimeError("main failed with {SECRET}")
""")


async def test_exceptions_in_a_thread_a_task_and_the_main_thread_are_redacted() -> None:
    # No logging set up, as early at start-up: only the hooks stand between the secret and stderr.
    status, output = await _run("-c", PROGRAM, env=_env())
    assert status == 1
    assert "Exception in thread doomed" in output and "thread failed with" in output
    assert "never retrieved" in output and "task failed with" in output
    assert "main failed with" in output
    assert SECRET not in output
    assert output.count(REDACTED) >= 3, output
