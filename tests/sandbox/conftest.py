"""Fixtures of the NovelAI stand-in's own tests: an HTTP client on the test's stand-in, and an Opus
login's Authorization header (the stand-in itself comes from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from sandbox.novelai import OPUS_EMAIL, NovelAISandbox


@pytest_asyncio.fixture
async def client(novelai_sandbox: NovelAISandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=novelai_sandbox.url, timeout=10) as http:
        yield http


@pytest.fixture
def opus(novelai_sandbox: NovelAISandbox) -> dict[str, str]:
    return {"Authorization": f"Bearer {novelai_sandbox.issue_token(OPUS_EMAIL)}"}
