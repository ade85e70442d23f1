"""The README's five-minute path, walked as a newcomer walks it (issue 14, "Done means").

In a directory of its own: the repository's ``settings.yaml`` copied as it is, ``deploy/env.example``
copied to ``.env`` with every placeholder replaced by a real value and the Discord line left out
(a Telegram-only deployment), plus the lines "Offline stand-in" says point the bot at the stand-ins.
Then, from a shell that holds no naibot variable at all: ``naibot settings check`` passes,
plain ``honcho start`` brings the deployment up (the discord line idles), ``/healthz`` answers, one
job from Telegram and one from ``naibot generate … --wait`` come back as pictures, and SIGTERM stops
everything. What the first-run report found broken on this path (findings 2, 4, 5, 7, 8, 9) would
each stop it at a different step.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from sandbox.novelai import OPUS_TOKEN
from sandbox.telegram import TelegramSandbox
from tasks.launch import ROOT, wait_for_heartbeats
from tests.fixtures.deployment import Deployment
from tests.fixtures.honcho import (
    HONCHO,
    IDLE_DISCORD,
    JOB_TIMEOUT,
    START_TIMEOUT,
    STOP_TIMEOUT,
    Honcho,
    until,
    wait_for,
)
from tests.fixtures.http_e2e import free_port
from tests.fixtures.redis import REDIS_URL
from tests.fixtures.telegram_e2e import ANN, FAST_LIMITS

pytestmark = pytest.mark.xdist_group("workers")

CLI_TIMEOUT = 90.0
PLACEHOLDER = re.compile(r"change-me|\.\.\.")


def filled_env_example(values: dict[str, str], drop: set[str]) -> str:
    """``deploy/env.example`` with each ``NAME=placeholder`` line given its real value (keeping the
    line's quoting), the lines in ``drop`` left out, comments kept."""
    lines = []
    for line in (ROOT / "deploy" / "env.example").read_text().splitlines():
        name = line.partition("=")[0]
        if line.startswith("#") or "=" not in line:
            lines.append(line)
        elif name in drop:
            continue
        elif name in values:
            quote = "'" if line.partition("=")[2].startswith("'") else ""
            lines.append(f"{name}={quote}{values[name]}{quote}")
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def clean_shell() -> dict[str, str]:
    """A newcomer's shell after ``source .venv/bin/activate``: no naibot configuration of its own."""
    shell = {name: value for name, value in os.environ.items()
             if not name.startswith(("NAIBOT_", "NOVELAI_", "REDIS_", "STORAGE_", "TELEGRAM_", "DISCORD_", "MINIO_"))}
    shell.update({"PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
                  "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"})
    return shell


async def naibot(home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """``naibot ARGV`` typed in the deployment's directory (off the event loop: the stand-ins it
    talks to are served by this loop)."""
    return await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "bot.cli", *argv], cwd=home,
                                   env=clean_shell(), capture_output=True, text=True, timeout=CLI_TIMEOUT)


async def test_the_readme_five_minute_path_runs_a_telegram_only_deployment_from_env_example(
        deployment: Deployment, tmp_path: Path) -> None:
    assert HONCHO.exists(), "honcho is installed with naibot (pyproject dependencies)"
    home = tmp_path / "mybot"
    home.mkdir()
    (home / "settings.yaml").write_text((ROOT / "settings.yaml").read_text())
    (home / "Procfile").write_text((ROOT / "Procfile").read_text())
    images = tmp_path / "images"
    port = free_port()
    telegram = TelegramSandbox(limits=FAST_LIMITS)
    await telegram.start()
    admin_key, prometheus_key = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    env_file = filled_env_example({
        "NAIBOT_SECRET_KEY": secrets.token_urlsafe(32),
        "REDIS_URL": REDIS_URL,
        "NOVELAI_TOKEN": OPUS_TOKEN,
        "TELEGRAM_TOKEN": telegram.token,
        "STORAGE_DIR": str(images),
        "NAIBOT_API__KEYS": (f'[{{"key": "{admin_key}", "identity": "admin", "max_priority": 10, "admin": true}}, '
                             f'{{"key": "{prometheus_key}", "identity": "prometheus", "max_priority": 0}}]'),
    }, drop={"DISCORD_TOKEN"})
    assert not PLACEHOLDER.search("\n".join(line for line in env_file.splitlines() if not line.startswith("#")))
    # README "Offline stand-in": the lines that point the bot at the stand-ins (and this test's own
    # key prefix and port, so it shares nothing with other tests).
    env_file += "".join(f"{name}={value}\n" for name, value in {
        "NOVELAI_API_URL": deployment.sandbox.url, "NOVELAI_IMAGE_URL": deployment.sandbox.url,
        "TELEGRAM_API_URL": telegram.url, "NAIBOT_REDIS__PREFIX": deployment.prefix,
        "NAIBOT_API__PORT": str(port),
        "NAIBOT_TELEGRAM__PRIVATE_PER_SECOND": str(telegram.limits.private_per_second),
    }.items())
    (home / ".env").write_text(env_file)

    check = await naibot(home, "settings", "check")
    assert check.returncode == 0, check.stderr
    assert deployment.prefix in check.stdout, "the CLI read the .env next to settings.yaml"
    assert OPUS_TOKEN not in check.stdout + check.stderr and admin_key not in check.stdout + check.stderr

    honcho = Honcho(clean_shell(), tmp_path / "honcho.log", cwd=home)
    services = deployment.services()
    try:
        await until(honcho, "the discord line's idle message", lambda: IDLE_DISCORD in honcho.log(), START_TIMEOUT)
        await wait_for_heartbeats(services.redis, deployment.prefix, honcho.process, set(), 1, timeout=START_TIMEOUT)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            async def healthy() -> bool:
                try:
                    return (await http.get("/healthz")).json().get("status") == "ok"
                except (httpx.TransportError, ValueError):
                    return False

            await until(honcho, "curl -s localhost:PORT/healthz", healthy, START_TIMEOUT)
        await wait_for(telegram, honcho, "the Telegram bot polling", lambda: bool(telegram.calls("getUpdates")),
                       START_TIMEOUT)

        telegram.user_message(ANN.id, ANN, "/generate a cat in a hat")
        generated = await naibot(home, "generate", "a cat in a hat, night", "--model", "v4.5", "--size", "portrait",
                                 "--wait")
        assert generated.returncode == 0, f"{generated.stderr}\n{honcho.tail()}"
        paths = [Path(line) for line in generated.stdout.split()]
        assert paths and all(path.is_file() and path.is_relative_to(images) for path in paths), generated.stdout
        assert paths[0].read_bytes().startswith(b"\x89PNG")
        await wait_for(telegram, honcho, "the Telegram picture",
                       lambda: any(m.photo for m in telegram.bot_messages(ANN.id)), JOB_TIMEOUT)
        assert honcho.process.poll() is None and " stopped (rc=" not in honcho.log(), honcho.tail()
    finally:
        returncode = await honcho.stop()
        await services.aclose()
        await asyncio.wait_for(telegram.stop(), 20)
    log = honcho.log()
    assert returncode is not None, f"honcho did not stop within {STOP_TIMEOUT:.0f} s of SIGTERM\n{honcho.tail()}"
    assert "Traceback" not in log, honcho.tail()
    for secret in (OPUS_TOKEN, telegram.token, admin_key, prometheus_key):
        assert secret not in log, "no secret in the deployment's output"
