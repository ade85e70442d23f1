"""``naibot sandbox novelai|telegram|discord`` as a newcomer runs them: real processes on free ports. Each
prints the lines that point the bot at it, and those lines work when pasted; a busy port is one line and
exit 2 (first-run report, findings 11 and 20)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from naibot.settings import load_settings
from sandbox.novelai import OPUS_TOKEN
from tests.bot.cli.naibot_process import naibot, run_naibot
from tests.fixtures.redis import free_port


def pasted(lines: list[str]) -> dict[str, str]:
    """The ``NAME=value`` lines of a banner, as a shell or .env reader would take them."""
    return dict(line.split("=", 1) for line in lines if "=" in line and line.split("=", 1)[0].isupper())


async def test_novelai_prints_its_accounts_and_the_lines_that_point_the_bot_at_it() -> None:
    port = free_port()
    async with naibot("sandbox", "novelai", "--port", str(port)) as stand_in:
        await stand_in.until("^Control API: ")
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=url) as client:
            config = (await client.post("/_sandbox/config", json={})).json()
            login = await client.post("/user/login", json={"key": "x"})
    lines = stand_in.lines
    assert f"  token {OPUS_TOKEN}  tier 3 (Opus), 1000 Anlas" in lines
    assert "  email opus@example.com  password opus-password  tier 3 (Opus), 1000 Anlas" in lines
    assert "  email paper@example.com  password paper-password  tier 0 (Paper), 0 Anlas" in lines
    assert any("coloured shapes" in line for line in lines)
    env = pasted(lines)
    assert env == {"NOVELAI_API_URL": url, "NOVELAI_IMAGE_URL": url, "NOVELAI_TOKEN": OPUS_TOKEN}
    settings = load_settings(env=env)
    assert (settings.novelai.api_url, settings.novelai.image_url) == (url, url)
    assert config["step_latency"] == 0.03, "positions and progress are visible by default, as in the demo"
    assert login.status_code in (400, 401), "it is the NovelAI stand-in that answers"


async def test_novelai_step_latency_zero_answers_at_once() -> None:
    port = free_port()
    async with naibot("sandbox", "novelai", "--port", str(port), "--step-latency", "0",
                      "--user", "me@example.com:pw:1:50") as stand_in:
        await stand_in.until("^Control API: ")
        async with httpx.AsyncClient() as client:
            config = (await client.post(f"http://127.0.0.1:{port}/_sandbox/config", json={})).json()
    assert config["step_latency"] == 0
    assert "  email me@example.com  password pw  tier 1 (Tablet), 50 Anlas" in stand_in.lines
    assert {"NOVELAI_EMAIL": "me@example.com", "NOVELAI_PASSWORD": "pw"}.items() <= pasted(stand_in.lines).items()


async def test_telegram_prints_the_lines_that_point_the_bot_at_it() -> None:
    port = free_port()
    async with naibot("sandbox", "telegram", "--port", str(port)) as stand_in:
        await stand_in.until("^Control API: ")
        env = pasted(stand_in.lines)
        async with httpx.AsyncClient() as client:
            me = (await client.get(f"{env['TELEGRAM_API_URL']}/bot{env['TELEGRAM_TOKEN']}/getMe")).json()
    assert env["TELEGRAM_API_URL"] == f"http://127.0.0.1:{port}"
    assert me["ok"] and me["result"]["is_bot"]
    assert load_settings(env=env).telegram.api_url == env["TELEGRAM_API_URL"]


async def test_discord_exists_and_prints_the_lines_that_point_the_bot_at_it() -> None:
    port = free_port()
    async with naibot("sandbox", "discord", "--port", str(port)) as stand_in:
        await stand_in.until("^Control API: ")
        env = pasted(stand_in.lines)
        async with httpx.AsyncClient() as client:
            me = await client.get(f"{env['DISCORD_API_URL']}/users/@me",
                                  headers={"Authorization": f"Bot {env['DISCORD_TOKEN']}"})
            joined = await client.post(f"http://127.0.0.1:{port}/_sandbox/guilds/9000/members",
                                       json={"user": {"id": 2001, "username": "you"}})
    assert env["DISCORD_API_URL"] == f"http://127.0.0.1:{port}/api/v10"
    assert env["DISCORD_GATEWAY_URL"] == f"ws://127.0.0.1:{port}/gateway"
    assert me.status_code == 200 and me.json()["bot"] is True
    assert joined.status_code == 201, "the stand-in starts with the guild the chat client joins"
    settings = load_settings(env=env)
    assert (settings.discord.api_url, settings.discord.gateway_url) == (env["DISCORD_API_URL"],
                                                                        env["DISCORD_GATEWAY_URL"])


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


@pytest.mark.parametrize("service", ["novelai", "telegram", "discord"])
async def test_a_busy_port_is_one_line_and_exit_2(service: str, busy_port: int) -> None:
    status, out, err = await run_naibot("sandbox", service, "--port", str(busy_port))
    assert (status, out, err) == (
        2, "", f"naibot: cannot listen on 127.0.0.1:{busy_port}: address already in use (pick another with --port)\n")
