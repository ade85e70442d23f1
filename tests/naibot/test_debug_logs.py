"""At ``logging.level: DEBUG`` no raw update and no secret reaches the log (security L4).

The real ``naibot telegram`` process runs at DEBUG against the Bot API stand-in while a person logs
in with email and password; everything it wrote (its own lines, PTB's, httpx's, httpcore's) is
audited with the suite's log audit. Before the fix PTB's DEBUG output quoted every update, the
password included.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from naibot.logs import LIBRARY_FLOORS, setup_logging
from sandbox.novelai import TABLET_EMAIL, TABLET_PASSWORD
from tasks.launch import ROOT
from tests.fixtures.log_audit import scan_output
from tests.fixtures.telegram_e2e import BOB, TelegramWorld

pytestmark = pytest.mark.xdist_group("workers")

STOP_TIMEOUT = 20.0


async def _said(world: TelegramWorld, fragment: str, timeout: float = 30.0) -> None:
    def check() -> bool:
        return any(fragment in (m.text or "") for m in world.telegram.bot_messages(BOB.id))

    await world.wait(check, timeout)


async def test_a_login_at_debug_leaves_no_password_email_or_token_in_the_log(
        telegram_world: TelegramWorld, tmp_path: Path) -> None:
    world = telegram_world
    log_path = tmp_path / "telegram-debug.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "telegram"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env={**world.env(), "NAIBOT_LOGGING__LEVEL": "DEBUG"}, start_new_session=True)
    try:
        world.say(BOB, "/login")
        await _said(world, "persistent API token")
        world.say(BOB, TABLET_EMAIL)
        await _said(world, "password")
        world.say(BOB, TABLET_PASSWORD)
        await _said(world, "Logged in")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(process.wait, STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    output = log_path.read_text(errors="replace")
    assert " DEBUG " in output, "the bot should have logged at DEBUG"
    leaks = scan_output(log_path.name, output, {"the email typed in /login": TABLET_EMAIL,
                                                "the password typed in /login": TABLET_PASSWORD,
                                                "the bot token": world.telegram.token})
    assert not leaks, "\n".join(str(leak) for leak in leaks)


def test_at_debug_the_chat_and_http_libraries_stay_at_info_or_above() -> None:
    """discord.py's DEBUG dumps gateway events (a login modal's password), httpcore's every header:
    the same floor as PTB's, whatever ``logging.level`` says."""
    root = logging.getLogger()
    saved = root.level, {name: logging.getLogger(name).level for name in LIBRARY_FLOORS}
    try:
        setup_logging("DEBUG")
        assert root.isEnabledFor(logging.DEBUG)
        for name in ("telegram.ext.ExtBot", "telegram._bot", "discord.gateway", "discord.http", "httpcore.http11",
                     "httpx"):
            assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name
        assert not logging.getLogger("httpx").isEnabledFor(logging.INFO), "httpx logs request URLs at INFO"
    finally:
        root.setLevel(saved[0])
        for name, level in saved[1].items():
            logging.getLogger(name).setLevel(level)
