"""The status cache on its own: single flight, expiry, errors, forgetting, bounded size."""

from __future__ import annotations

import asyncio

import pytest

from bot.http.status_cache import StatusCache


class Source:
    """A fetch that counts its calls and finishes only when the test says so."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.release = asyncio.Event()
        self.fail = False

    async def __call__(self, key: str) -> str:
        self.calls.append(key)
        await self.release.wait()
        if self.fail:
            raise ConnectionError("redis is away")
        return f"{key}#{len(self.calls)}"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_concurrent_misses_share_one_fetch() -> None:
    source = Source()
    cache = StatusCache(1.0, source)
    waiting = [asyncio.create_task(cache.get("job")) for _ in range(1000)]
    await asyncio.sleep(0)
    source.release.set()
    results = await asyncio.gather(*waiting)
    assert {value for value, _ in results} == {"job#1"}
    assert source.calls == ["job"] and cache.fetches == 1


async def test_entries_are_served_until_they_expire() -> None:
    source, clock = Source(), Clock()
    source.release.set()
    cache = StatusCache(1.0, source, clock=clock)
    assert await cache.get("job") == ("job#1", 0.0)
    clock.now += 0.5
    assert await cache.get("job") == ("job#1", 0.5)
    clock.now += 0.5
    assert (await cache.get("job"))[0] == "job#2"


async def test_a_failed_fetch_reaches_every_waiter_and_is_not_cached() -> None:
    source = Source()
    source.fail = True
    cache = StatusCache(1.0, source)
    waiting = [asyncio.create_task(cache.get("job")) for _ in range(3)]
    await asyncio.sleep(0)
    source.release.set()
    for result in await asyncio.gather(*waiting, return_exceptions=True):
        assert isinstance(result, ConnectionError)
    source.fail = False
    assert (await cache.get("job"))[0] == "job#2"


async def test_a_poller_that_hangs_up_does_not_cancel_the_others_fetch() -> None:
    source = Source()
    cache = StatusCache(1.0, source)
    first = asyncio.create_task(cache.get("job"))
    second = asyncio.create_task(cache.get("job"))
    await asyncio.sleep(0)
    first.cancel()
    source.release.set()
    assert (await second)[0] == "job#1"
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_forget_during_a_fetch_keeps_its_possibly_stale_result_out() -> None:
    source = Source()
    cache = StatusCache(1.0, source)
    early = asyncio.create_task(cache.get("job"))
    await asyncio.sleep(0)
    cache.forget("job")
    source.release.set()
    assert (await early)[0] == "job#1"
    assert (await cache.get("job"))[0] == "job#2", "fetched anew after the change"


async def test_ttl_zero_fetches_every_time() -> None:
    source = Source()
    source.release.set()
    cache = StatusCache(0, source)
    await asyncio.gather(*(cache.get("job") for _ in range(5)))
    assert len(source.calls) == 5


async def test_size_stays_bounded_whatever_keys_clients_make_up() -> None:
    source = Source()
    source.release.set()
    cache = StatusCache(60.0, source, max_entries=100)
    for index in range(1000):
        await cache.get(f"made-up-{index}")
    assert len(cache._entries) <= 100
    assert "made-up-999" in cache._entries, "the newest stay"
