"""Albums: Telegram delivers each picture of a media group as its own update; a command needs them together.

A user who sends three pictures with the caption ``/vibe a cat`` produces three messages sharing a
``media_group_id``, only one of them captioned, arriving as separate updates within a fraction of a
second. The buffer holds them by (chat, media group) until the group has been quiet for
``QUIET_SECONDS`` (or ``MAX_WAIT_SECONDS`` after its first item, whatever keeps coming), then hands
the whole album to ``on_album``, in message order. An album with no command in any caption is
dropped: it was not for the bot.

Bounded: at most ``MAX_ITEMS`` items per album (Telegram's own limit is 10) and ``MAX_ALBUMS``
albums buffered at once per process (past it the oldest is flushed early). The buffer lives in this
process: with several bot processes behind one webhook, Telegram sends a chat's updates to whichever
process the balancer picks, so an album could be split (issue 19 moves it to Redis).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram import Message

log = logging.getLogger(__name__)

QUIET_SECONDS = 0.8
MAX_WAIT_SECONDS = 3.0
MAX_ITEMS = 10
MAX_ALBUMS = 200

AlbumHandler = Callable[[list[Message]], Awaitable[None]]


@dataclass
class _Album:
    first_seen: float
    messages: list[Message] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class AlbumBuffer:
    """Albums being gathered, by (chat, media group), and the tasks handing whole ones to ``on_album``.

    Every task is kept in ``_tasks`` until it ends: the event loop holds tasks only weakly, and ``stop``
    must wait for a command already running before the bot closes the services it uses."""

    def __init__(self, on_album: AlbumHandler, *, quiet: float = QUIET_SECONDS,
                 max_wait: float = MAX_WAIT_SECONDS) -> None:
        self.on_album = on_album
        self.quiet, self.max_wait = quiet, max_wait
        self._albums: dict[tuple[int, str], _Album] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def pending(self) -> int:
        """Albums being gathered now (not yet handed)."""
        return len(self._albums)

    def add(self, message: Message) -> None:
        """One item of an album (``message.media_group_id`` set)."""
        assert message.media_group_id is not None
        key = (message.chat_id, message.media_group_id)
        album = self._albums.get(key)
        if album is None:
            if len(self._albums) >= MAX_ALBUMS:
                self._flush_oldest()
            album = self._albums[key] = _Album(first_seen=time.monotonic())
            album.task = self._start(self._wait_then_hand(key, album), f"album-{message.media_group_id}")
        if len(album.messages) < MAX_ITEMS:
            album.messages.append(message)
        album.changed.set()

    def _start(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _wait_then_hand(self, key: tuple[int, str], album: _Album) -> None:
        deadline = album.first_seen + self.max_wait
        while True:
            album.changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                async with asyncio.timeout(min(self.quiet, left)):
                    await album.changed.wait()
            except TimeoutError:
                break  # quiet long enough
        # Taken out before the first await: an item arriving from now on starts a new album.
        if self._albums.get(key) is album:
            del self._albums[key]
            await self._hand(album)

    async def _hand(self, album: _Album) -> None:
        try:
            await self.on_album(sorted(album.messages, key=lambda m: m.message_id))
        except Exception:  # one album's failure never stops the others
            log.exception("handling an album failed")

    def _flush_oldest(self) -> None:
        """Hand the oldest album now, to make room. It leaves ``_albums`` at once, so a burst of new
        albums pushes out one more each, never the same one again."""
        key = min(self._albums, key=lambda k: self._albums[k].first_seen)
        album = self._albums.pop(key)
        if album.task is not None:
            album.task.cancel()
        self._start(self._hand(album), "album-flush")

    async def stop(self) -> None:
        """Drop the albums still being gathered (nothing was queued for them), then wait for the
        commands of albums already handed: the bot closes its services next."""
        waiting = [album.task for album in self._albums.values() if album.task is not None]
        self._albums.clear()
        for task in waiting:
            task.cancel()
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
