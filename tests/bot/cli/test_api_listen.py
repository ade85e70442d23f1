"""`naibot api` and its port: a port that is taken is one line naming the fix (exit 2) and never an
"up on" line first; on a free port the "up on" line names the address served, and comes once the
port accepts connections."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys

import httpx

from tests.fixtures.deployment import ROOT, Deployment
from tests.fixtures.redis import free_port


async def test_a_taken_port_is_one_line_naming_the_fix_and_exit_2(deployment: Deployment) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "api", "--port", str(port), env=deployment.env, cwd=ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            out, err = await asyncio.wait_for(process.communicate(), 60)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert process.returncode == 2, err.decode()
    assert out == b""
    assert err.decode().splitlines() == [
        f"naibot: cannot listen on 127.0.0.1:{port}: address already in use (another naibot api? "
        "set api.port / NAIBOT_API__PORT)"]


async def test_on_a_free_port_the_up_line_names_the_port_served_once_it_accepts(deployment: Deployment) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "api", "--port", str(port), env=deployment.env, cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    assert process.stderr is not None
    seen: list[str] = []
    try:
        async with asyncio.timeout(60):
            while "HTTP API" not in (line := (await process.stderr.readline()).decode()):
                assert line, f"naibot api ended without an up line: {seen}"
                seen.append(line)
        assert f"up on 127.0.0.1:{port}:" in line, line
        async with httpx.AsyncClient() as client:  # no waiting: the port is served when the line is out
            response = await client.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert response.status_code in (200, 503)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
