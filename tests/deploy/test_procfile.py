"""The Procfile as an operator runs it: ``honcho start`` brings up worker, Telegram bot, Discord bot
and HTTP API as separate processes, configured only through the environment, against the
stand-ins; one job from each front end must come back finished."""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import httpx
import pytest

from sandbox.discord import DiscordSandbox
from sandbox.telegram import TelegramSandbox
from tasks.launch import ROOT, wait_for_heartbeats
from tests.fixtures.deployment import Deployment
from tests.fixtures.discord_e2e import ANN as DISCORD_ANN
from tests.fixtures.discord_e2e import GUILD, OWNER, SFW
from tests.fixtures.honcho import (
    HONCHO,
    IDLE_DISCORD,
    JOB_TIMEOUT,
    START_TIMEOUT,
    STOP_TIMEOUT,
    Honcho,
    dotenv,
    until,
    wait_for,
)
from tests.fixtures.http_e2e import free_port
from tests.fixtures.telegram_e2e import ANN as TELEGRAM_ANN
from tests.fixtures.telegram_e2e import FAST_LIMITS

pytestmark = pytest.mark.xdist_group("workers")

API_KEY = "DtiFTyN09t7KxD6GKIeXrhBEMvcfMy76ur9KCIH5104="  # random: `naibot api` refuses a guessable key
PROCFILE_NAMES = ("worker", "telegram", "discord", "api")
# The chat bots' lines idle without their token, so plain `honcho start` runs any subset of platforms.
PROCFILE_LINES = {"worker": "naibot worker", "telegram": "naibot telegram --if-configured",
                  "discord": "naibot discord --if-configured", "api": "naibot api"}


@asynccontextmanager
async def stand_ins() -> AsyncIterator[tuple[TelegramSandbox, DiscordSandbox]]:
    telegram = TelegramSandbox(limits=FAST_LIMITS)
    discord = DiscordSandbox(heartbeat_interval_ms=1000)
    await telegram.start()
    await discord.start()
    discord.add_guild(GUILD, "Artists", owner=OWNER, channels={SFW: False})
    discord.add_member(GUILD, DISCORD_ANN)
    try:
        yield telegram, discord
    finally:
        for stop in (telegram.stop(), discord.stop()):
            with suppress(Exception):
                await asyncio.wait_for(stop, 20)


def procfile_env(deployment: Deployment, telegram: TelegramSandbox, discord: DiscordSandbox, port: int
                 ) -> dict[str, str]:
    limits = discord.limits
    return {
        **deployment.env,
        "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "TELEGRAM_TOKEN": telegram.token, "TELEGRAM_API_URL": telegram.url,
        "NAIBOT_TELEGRAM__PRIVATE_PER_SECOND": str(telegram.limits.private_per_second),
        "NAIBOT_TELEGRAM__GROUP_PER_MINUTE": str(telegram.limits.group_per_minute),
        "NAIBOT_TELEGRAM__GLOBAL_PER_SECOND": str(telegram.limits.global_per_second),
        "DISCORD_TOKEN": discord.token, "DISCORD_API_URL": discord.api_url, "DISCORD_GATEWAY_URL": discord.gateway_url,
        "NAIBOT_DISCORD__GUILDS": f"[{GUILD}]",
        "NAIBOT_DISCORD__CHANNEL_PER_5S": str(limits.channel_per_5s),
        "NAIBOT_DISCORD__GLOBAL_PER_SECOND": str(limits.global_per_second),
        "NAIBOT_API__LISTEN": "127.0.0.1", "NAIBOT_API__PORT": str(port),
        "NAIBOT_API__KEYS": json.dumps([{"key": API_KEY, "identity": "procfile", "max_priority": 5}]),
        "NAIBOT_QUEUE__MAX_ANLAS_PER_JOB": "20",
        "PYTHONUNBUFFERED": "1",
    }


async def test_honcho_runs_the_procfile_and_each_front_end_completes_a_job(deployment: Deployment,
                                                                          tmp_path: Path) -> None:
    assert HONCHO.exists(), "honcho is a test dependency (pip install honcho)"
    procfile = (ROOT / "Procfile").read_text()
    assert all(re.search(rf"^{name}: {re.escape(PROCFILE_LINES[name])}$", procfile, re.M)
               for name in PROCFILE_NAMES), procfile
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with stand_ins() as (telegram, discord):
        honcho = Honcho(procfile_env(deployment, telegram, discord, port), tmp_path / "honcho.log")
        services = deployment.services()
        try:
            async with httpx.AsyncClient(base_url=base, timeout=10) as http:
                # Up: a worker's heartbeat, the bots polling / on the gateway, the API healthy.
                await wait_for_heartbeats(services.redis, deployment.prefix, honcho.process, set(), 1,
                                          timeout=START_TIMEOUT)

                async def api_healthy() -> bool:
                    try:
                        return (await http.get("/healthz")).status_code == 200
                    except httpx.TransportError:
                        return False

                await until(honcho, "the API's /healthz", api_healthy, START_TIMEOUT)
                # deleteWebhook starts polling; getUpdates is only recorded once its long poll ends.
                await wait_for(telegram, honcho, "the Telegram bot polling",
                               lambda: bool(telegram.calls("deleteWebhook")), START_TIMEOUT)
                await wait_for(discord, honcho, "the Discord bot on the gateway with its commands",
                               lambda: discord.connected() and any(c["name"] == "generate"
                                                                   for c in discord.commands(GUILD)), START_TIMEOUT)

                # One job from each front end, all at once.
                telegram.user_message(TELEGRAM_ANN.id, TELEGRAM_ANN, "/generate a cat --size 512x512 --steps 8")
                discord.slash_command(GUILD, SFW, DISCORD_ANN, "generate",
                                      {"prompt": "a dog", "size": "512x512", "steps": 8})
                submitted = await http.post("/generate", headers=headers,
                                            json={"prompt": "a fox", "width": 512, "height": 512, "steps": 8})
                assert submitted.status_code == 200, submitted.text
                task_id = submitted.json()["task_id"]
                assert {"task_id", "position", "total", "eta_seconds"} <= set(submitted.json())

                await wait_for(telegram, honcho, "the Telegram picture",
                               lambda: any(m.photo for m in telegram.bot_messages(TELEGRAM_ANN.id)), JOB_TIMEOUT)
                await wait_for(discord, honcho, "the Discord attachment message",
                               lambda: any(m.attachments and m.author_id == discord.bot_user_id
                                           for m in discord.messages(SFW)), JOB_TIMEOUT)

                async def api_done() -> bool:
                    status = (await http.get(f"/task_status/{task_id}", headers=headers)).json()
                    assert status["state"] in ("queued", "running", "done"), status
                    return status["state"] == "done"

                await until(honcho, "the API job", api_done, JOB_TIMEOUT)
                final = (await http.get(f"/task_status/{task_id}", headers=headers)).json()
                assert len(final["images"]) == 1
                image = await http.get(final["images"][0]["url"])
                assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
        finally:
            returncode = await honcho.stop()
            await services.aclose()
    log = honcho.log()
    # Each process said where it is and what it connects to when it started.
    for started in ("worker .* ready: redis", "Telegram bot .* up: Bot API", "Discord bot .* up: REST",
                    "HTTP API .* up on"):
        assert re.search(started, log), f"no start line matching {started!r}\n{honcho.tail()}"
    assert returncode is not None, f"honcho did not stop within {STOP_TIMEOUT:.0f} s of SIGTERM\n{honcho.tail()}"
    assert "sending SIGKILL" not in log, f"every process stopped on SIGTERM by itself\n{honcho.tail()}"


async def test_plain_honcho_start_runs_a_telegram_only_deployment_while_the_discord_line_idles(
        deployment: Deployment, tmp_path: Path) -> None:
    """README step 4 as written, for a deployment without Discord: the real Procfile and a ``.env``
    in the deployment's directory, nothing else configured. The discord process says once why it
    idles, the others stay up and a Telegram job comes back; SIGTERM stops all, the idle one with 0."""
    assert HONCHO.exists(), "honcho is a test dependency (pip install honcho)"
    home = tmp_path / "deployment"
    home.mkdir()
    (home / "Procfile").write_text((ROOT / "Procfile").read_text())
    (home / "settings.yaml").write_text("# defaults; the deployment is configured by .env\n")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    telegram = TelegramSandbox(limits=FAST_LIMITS)
    await telegram.start()
    configured = {name: value for name, value in deployment.env.items()
                  if name.startswith(("NAIBOT_", "NOVELAI_", "REDIS_", "STORAGE_"))}
    configured.update({
        "NAIBOT_SETTINGS": str(home / "settings.yaml"),
        "TELEGRAM_TOKEN": telegram.token, "TELEGRAM_API_URL": telegram.url,
        "NAIBOT_TELEGRAM__PRIVATE_PER_SECOND": str(telegram.limits.private_per_second),
        "NAIBOT_TELEGRAM__GROUP_PER_MINUTE": str(telegram.limits.group_per_minute),
        "NAIBOT_TELEGRAM__GLOBAL_PER_SECOND": str(telegram.limits.global_per_second),
        "NAIBOT_API__LISTEN": "127.0.0.1", "NAIBOT_API__PORT": str(port),
        "NAIBOT_API__KEYS": json.dumps([{"key": API_KEY, "identity": "procfile", "max_priority": 5}]),
        "NAIBOT_QUEUE__MAX_ANLAS_PER_JOB": "20",
    })
    (home / ".env").write_text(dotenv(configured))
    # The shell honcho is started from: no naibot configuration at all (no DISCORD_TOKEN either).
    shell = {name: value for name, value in os.environ.items()
             if not name.startswith(("NAIBOT_", "NOVELAI_", "REDIS_", "STORAGE_", "TELEGRAM_", "DISCORD_"))}
    shell.update({"PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
                  "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"})
    honcho = Honcho(shell, tmp_path / "honcho.log", cwd=home)
    services = deployment.services()
    try:
        await until(honcho, "the discord line's idle message", lambda: IDLE_DISCORD in honcho.log(), START_TIMEOUT)
        await wait_for_heartbeats(services.redis, deployment.prefix, honcho.process, set(), 1, timeout=START_TIMEOUT)
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            async def api_healthy() -> bool:
                try:
                    return (await http.get("/healthz")).status_code == 200
                except httpx.TransportError:
                    return False

            await until(honcho, "the API's /healthz", api_healthy, START_TIMEOUT)
        await wait_for(telegram, honcho, "the Telegram bot polling", lambda: bool(telegram.calls("deleteWebhook")),
                       START_TIMEOUT)
        telegram.user_message(TELEGRAM_ANN.id, TELEGRAM_ANN, "/generate a cat --size 512x512 --steps 8")
        await wait_for(telegram, honcho, "the Telegram picture",
                       lambda: any(m.photo for m in telegram.bot_messages(TELEGRAM_ANN.id)), JOB_TIMEOUT)
        log = honcho.log()
        assert honcho.process.poll() is None, f"honcho still runs everything\n{honcho.tail()}"
        assert " stopped (rc=" not in log, f"no process exited\n{honcho.tail()}"
        assert log.count(IDLE_DISCORD) == 1, f"said once\n{honcho.tail()}"
    finally:
        returncode = await honcho.stop()
        await services.aclose()
        with suppress(Exception):
            await asyncio.wait_for(telegram.stop(), 20)
    log = honcho.log()
    assert returncode is not None, f"honcho did not stop within {STOP_TIMEOUT:.0f} s of SIGTERM\n{honcho.tail()}"
    assert "sending SIGKILL" not in log, f"every process stopped on SIGTERM by itself\n{honcho.tail()}"
    assert re.search(r"^\S+ discord\.1 +\| naibot: DISCORD_TOKEN is not set", log, re.M), honcho.tail()
    # It stopped when told to (honcho shows the status of the shell it ran the line in, not ours).
    assert log.index("discord.1 stopped") > log.index("SIGTERM received"), honcho.tail()
