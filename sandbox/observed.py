"""What every stand-in shares: serving on a local port, letting tests await changes, and running
in a thread of its own for synchronous callers.

Tests drive a stand-in from another loop or thread than the one serving the bot, so every read
and change hops onto the server's loop (``_read`` / ``_mutate``), and ``wait_for`` re-checks a
condition after every change instead of sleeping and polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, Protocol, TypeVar

from aiohttp import web

T = TypeVar("T")


class _Stoppable(Protocol):
    async def stop(self) -> None: ...


S = TypeVar("S", bound=_Stoppable)


class ObservedServer:
    """An aiohttp server whose state tests can read, change and await from any loop or thread."""

    def __init__(self) -> None:
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread_id: int | None = None
        self._changed_condition: asyncio.Condition | None = None
        self._notify_pending = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        self._runner: web.AppRunner | None = None

    async def _serve(self, app: web.Application, host: str, port: int) -> str:
        self._loop = asyncio.get_running_loop()
        self._thread_id = threading.get_ident()
        self._changed_condition = asyncio.Condition()
        self._closing = False
        # A short shutdown timeout: stop() releases its own long waits, nothing else lingers.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self.url = f"http://{host}:{self._runner.addresses[0][1]}"
        return self.url

    async def _begin_shutdown(self) -> None:
        """Wake every waiter (they see ``_closing``) before connections are torn down."""
        self._closing = True
        await self._notify()

    async def _finish_shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for task in list(self._tasks):
            await task

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Return once ``predicate()`` holds; it is re-checked after every call the server answers and
        every change made through this object. Raises TimeoutError. Works from any loop."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("the sandbox is not started")
        waiting = self._wait_until(predicate, timeout)
        if asyncio.get_running_loop() is loop:
            met = await waiting
        else:
            met = await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(waiting, loop))
        if not met:
            raise TimeoutError(f"sandbox condition not met within {timeout} s")

    async def _wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        condition = self._changed_condition
        assert condition is not None, "started sandboxes have a condition"
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout), condition:
                await condition.wait_for(lambda: self._closing or predicate())
        return predicate()

    def _changed(self) -> None:
        """Wake every waiter soon. Called from sync code on the loop, so the notify is a task; pending
        ones are coalesced because each waiter re-checks its predicate anyway."""
        if self._loop is None or self._notify_pending:
            return
        self._notify_pending = True
        task = self._loop.create_task(self._notify())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _notify(self) -> None:
        self._notify_pending = False
        if self._changed_condition is not None:
            async with self._changed_condition:
                self._changed_condition.notify_all()

    def _read(self, action: Callable[[], T]) -> T:
        """Run ``action`` on the server's loop: directly when already there (or not serving), else by
        hopping over from the caller's thread and waiting, so handlers never see half-made changes."""
        loop = self._loop
        if loop is None or threading.get_ident() == self._thread_id or not loop.is_running():
            return action()

        async def hop() -> T:
            return action()

        return asyncio.run_coroutine_threadsafe(hop(), loop).result()

    def _mutate(self, action: Callable[[], T]) -> T:
        def then_notify() -> T:
            result = action()
            self._changed()
            return result

        return self._read(then_notify)


@contextlib.contextmanager
def run_in_thread(create: Callable[[], Coroutine[Any, Any, S]], name: str) -> Iterator[S]:
    """Start a stand-in on a loop in a background thread (for sync code, benchmarks, the demo) and
    stop it on exit."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name=name, daemon=True)
    thread.start()
    try:
        server = asyncio.run_coroutine_threadsafe(create(), loop).result()
        try:
            yield server
        finally:
            asyncio.run_coroutine_threadsafe(server.stop(), loop).result()
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()
