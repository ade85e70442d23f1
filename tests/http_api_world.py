"""The HTTP API under test: the real app (lifespan and all) on a test deployment, with API keys.

Requests go through ``httpx.ASGITransport`` into the very app ``naibot api`` serves, so routing,
dependencies, error handlers and the lifespan are the production ones; ``serve`` runs it in a
real uvicorn on a free port for clients that need a socket (schemathesis).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from bot.http_api import ApiState, create_app
from naibot.settings import ApiKeySettings, ApiSettings, Settings

ALICE_KEY = "alice-key-0123456789abcdef"
BOB_KEY = "bob-key-0123456789abcdef"
ADMIN_KEY = "admin-key-0123456789abcdef"
KEYS = [
    ApiKeySettings(key=ALICE_KEY, identity="alice", max_priority=7),
    ApiKeySettings(key=BOB_KEY, identity="bob", max_priority=3),
    ApiKeySettings(key=ADMIN_KEY, identity="root", max_priority=10, admin=True),
]


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def with_api(settings: Settings, **api: Any) -> Settings:
    """``settings`` with the test keys (and any other ``api`` values, e.g. status_cache_seconds)."""
    return settings.model_copy(update={"api": ApiSettings(keys=KEYS, **api)})


@dataclass
class ApiWorld:
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def state(self) -> ApiState:
        return self.app.state.api

    async def submit(self, key: str = ALICE_KEY, **body: Any) -> dict[str, Any]:
        response = await self.client.post("/generate", json={"prompt": "a cat", "width": 512, "height": 512,
                                                             **body}, headers=auth(key))
        assert response.status_code == 200, response.text
        return response.json()


@contextlib.asynccontextmanager
async def running_api(settings: Settings) -> AsyncIterator[ApiWorld]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            yield ApiWorld(app, client)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[str]:
    """The app in a real uvicorn on this event loop; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None,
                            access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done(), "uvicorn stopped while starting"
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
