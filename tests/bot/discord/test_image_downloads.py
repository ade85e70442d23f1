"""Attachment downloads are bounded: by the size Discord declares (nothing fetched), by the bytes
actually streamed (a server that lies about or omits the length), and in time; a failed download
reads as "unavailable". Against a small local HTTP server on a free port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp import web

import bot.discord.images as images
from bot.chat.ports import ChatImageError
from bot.discord.images import Downloads
from tests.fixtures.aiohttp_server import served

LIMIT = 1000


@pytest_asyncio.fixture
async def server() -> AsyncIterator[tuple[str, list[str]]]:
    hits: list[str] = []
    release = asyncio.Event()

    async def ok(request: web.Request) -> web.Response:
        hits.append("ok")
        return web.Response(body=b"x" * 100)

    async def endless(request: web.Request) -> web.StreamResponse:
        hits.append("endless")
        response = web.StreamResponse()  # chunked: no Content-Length to refuse up front
        await response.prepare(request)
        for _ in range(100):
            await response.write(b"y" * 256)
        return response

    async def stalled(request: web.Request) -> web.StreamResponse:
        hits.append("stalled")
        response = web.StreamResponse()
        await response.prepare(request)
        await release.wait()  # sends nothing more until the test is over
        return response

    app = web.Application()
    app.add_routes([web.get("/ok.png", ok), web.get("/endless.png", endless), web.get("/stalled.png", stalled)])
    async with served(app) as port:
        try:
            yield f"http://127.0.0.1:{port}", hits
        finally:
            release.set()  # the stalled answer ends before the server is cleaned up


async def test_a_picture_within_the_limit_is_fetched(server: tuple[str, list[str]]) -> None:
    url, _ = server
    downloads = Downloads()
    try:
        assert await downloads.fetcher(f"{url}/ok.png", 100)(LIMIT) == b"x" * 100
    finally:
        await downloads.close()


async def test_a_declared_size_over_the_limit_is_refused_before_any_request(server: tuple[str, list[str]]) -> None:
    url, hits = server
    downloads = Downloads()
    try:
        with pytest.raises(ChatImageError) as refused:
            await downloads.fetcher(f"{url}/ok.png", LIMIT + 1)(LIMIT)
        assert refused.value.reason == "too_big" and hits == []
    finally:
        await downloads.close()


async def test_a_stream_past_the_limit_is_cut_off(server: tuple[str, list[str]]) -> None:
    url, _ = server
    downloads = Downloads()
    try:
        with pytest.raises(ChatImageError) as refused:
            await downloads.fetcher(f"{url}/endless.png", 10)(LIMIT)  # declared small, streams 25 KB
        assert refused.value.reason == "too_big"
    finally:
        await downloads.close()


async def test_a_stalled_download_gives_up_in_time(server: tuple[str, list[str]],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    url, _ = server
    monkeypatch.setattr(images, "DOWNLOAD_SECONDS", 0.3)
    downloads = Downloads()
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(ChatImageError) as refused:
            await downloads.fetcher(f"{url}/stalled.png", None)(LIMIT)
        assert refused.value.reason == "unavailable" and loop.time() - started < 5
    finally:
        await downloads.close()


async def test_a_missing_file_reads_as_unavailable(server: tuple[str, list[str]]) -> None:
    url, _ = server
    downloads = Downloads()
    try:
        with pytest.raises(ChatImageError) as refused:
            await downloads.fetcher(f"{url}/gone.png", None)(LIMIT)
        assert refused.value.reason == "unavailable"
    finally:
        await downloads.close()
