"""Albums: Telegram delivers each picture of a media group as its own update; a command needs them together.

A user who sends three pictures with the caption ``/vibe a cat`` produces three messages sharing a
``media_group_id``, only one of them captioned, arriving as separate updates within a fraction of a
second. The buffer holds them by (chat, media group) until the group has been quiet for
``QUIET_SECONDS`` (or ``MAX_WAIT_SECONDS`` after its first item, whatever keeps coming), then hands
the whole album to ``on_album``, in message order. An album with no command in any caption is
dropped: it was not for the bot.

The album is gathered in Redis (``bot.telegram.album_store``), because with several bot processes behind
one webhook the balancer sends each update to whichever process it picks, so one album's items reach
different processes. Every process that receives an item appends it (``Message`` as JSON) to the album's
hash and moves its "last item" time, in one Lua script on Redis' clock; the process whose item created
the hash is the album's *collector*: it alone waits for the quiet spell (or ``MAX_WAIT_SECONDS``), then
takes every item and deletes the hash in one script, so the album is handed once, whole, wherever its
items arrived. The others only *watch*: should the album still be in Redis ``TAKEOVER_SECONDS`` past
``MAX_WAIT_SECONDS`` (its collector stopped or died), the first watcher to look takes it over, with the
same atomic take. What no one takes expires with the hash's TTL (``MAX_WAIT_SECONDS`` +
``TAKEOVER_SECONDS`` + ``EXPIRE_SLACK_SECONDS``). One process alone behaves as before: it is the
collector of every album.

While Redis does not answer, an item is gathered in this process, as before Redis held albums (an
album whose items all reach this process is still whole), and its command then meets the outage and
answers "the queue is unavailable"; a collector that cannot take its album from Redis hands, once the
takeover time has passed, the items it received itself. Nothing is lost silently then, but with
several processes an album may be answered in parts.

Bounded: at most ``MAX_ITEMS`` items per album (Telegram's own limit is 10), each at most
``MAX_ITEM_BYTES`` of JSON, and ``MAX_ALBUMS`` albums collected or watched at once per process (past
it the oldest is handed, or no longer watched, early).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from telegram import Message

from bot.chat.context import OUTAGE
from bot.telegram.album_store import MAX_ITEM_BYTES, MAX_ITEMS, Added, AlbumStore
from naibot.cancelling import cancel_and_wait

log = logging.getLogger(__name__)

QUIET_SECONDS = 0.8
MAX_WAIT_SECONDS = 3.0
MAX_ALBUMS = 200
# A watcher takes the album over when its collector has not taken it this long past max_wait.
TAKEOVER_SECONDS = 2.0
# The album's hash outlives the takeover time by this much; then Redis drops what no one took.
EXPIRE_SLACK_SECONDS = 5.0
# "Never" for the take script's quiet spell (a watcher does not wait for one), in milliseconds.
_NEVER_MS = 10**12

AlbumHandler = Callable[[list[Message]], Awaitable[None]]


@dataclass
class _Album:
    """One album this process takes part in: collecting it, watching it, or gathering it here alone
    (``shared`` False: Redis did not answer). ``messages`` are the items this process received."""

    first_seen: float
    shared: bool
    collector: bool
    album_id: str = ""
    messages: list[Message] = field(default_factory=list)
    # Set on a new local item, or when the album must go now (``hurry``: the MAX_ALBUMS cap).
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    hurry: bool = False
    # ``stop`` dropped it: nothing is handed, even by a task that missed its cancellation.
    dropped: bool = False
    task: asyncio.Task[None] | None = None

    def keep(self, message: Message) -> None:
        if len(self.messages) < MAX_ITEMS and all(m.message_id != message.message_id for m in self.messages):
            self.messages.append(message)


# (chat, media group, album id); the album id is "" for an album gathered in this process only.
_Key = tuple[int, str, str]
_HERE = ""


class AlbumBuffer:
    """Albums being gathered, and the tasks handing whole ones to ``on_album``.

    ``store`` is set once the bot's Redis is up (``TelegramBot._started``); without it, or while Redis
    does not answer, albums are gathered in this process. Every task is kept in ``_tasks`` until it
    ends: the event loop holds tasks only weakly, and ``stop`` must wait for a command already running
    before the bot closes the services it uses."""

    def __init__(self, on_album: AlbumHandler, *, store: AlbumStore | None = None, quiet: float = QUIET_SECONDS,
                 max_wait: float = MAX_WAIT_SECONDS) -> None:
        self.on_album = on_album
        self.store = store
        self.quiet, self.max_wait = quiet, max_wait
        self._albums: dict[_Key, _Album] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def pending(self) -> int:
        """Albums this process collects, watches or gathers now (not yet handed)."""
        return len(self._albums)

    @property
    def ttl(self) -> float:
        """How long an album's hash lives in Redis: past its takeover, with some slack."""
        return self.max_wait + TAKEOVER_SECONDS + EXPIRE_SLACK_SECONDS

    async def add(self, message: Message) -> None:
        """One item of an album (``message.media_group_id`` set): into Redis, or here while Redis is down."""
        assert message.media_group_id is not None
        chat, group = message.chat_id, message.media_group_id
        here = self._albums.get((chat, group, _HERE))
        if here is None and self.store is not None:
            try:
                added = await self.store.add(message, self.ttl)
            except OUTAGE as exc:
                log.warning("gathering an album in this process: Redis did not answer (%s: %s)",
                            type(exc).__name__, exc)
            else:
                if added is None:
                    log.warning("an album item is over %d bytes as JSON; it is left out", MAX_ITEM_BYTES)
                    return
                here = self._albums.get((chat, group, _HERE))  # Redis failed for another item meanwhile
                if here is None:
                    self._shared((chat, group, added.album_id), added, message)
                    return
        self._here((chat, group, _HERE), message)

    def _register(self, key: _Key, album: _Album, work: Coroutine[Any, Any, None]) -> None:
        if len(self._albums) >= MAX_ALBUMS:
            self._flush_oldest()
        self._albums[key] = album
        album.task = self._start(work, f"album-{key[1]}")

    def _shared(self, key: _Key, added: Added, message: Message) -> None:
        album = self._albums.get(key)
        if album is None:
            album = _Album(first_seen=time.monotonic() - added.age, shared=True, collector=added.collector,
                           album_id=added.album_id)
            work = self._collect(key, album) if added.collector else self._watch(key, album)
            self._register(key, album, work)
        album.keep(message)

    def _here(self, key: _Key, message: Message) -> None:
        album = self._albums.get(key)
        if album is None:
            album = _Album(first_seen=time.monotonic(), shared=False, collector=True)
            self._register(key, album, self._gather_here(key, album))
        album.keep(message)
        album.changed.set()

    def _start(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _nap(self, album: _Album, seconds: float) -> None:
        """Wait ``seconds``, or less if the album must go now (``hurry``) or is dropped (``stop``)."""
        if album.hurry or album.dropped or seconds <= 0:
            return
        album.changed.clear()
        with suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await album.changed.wait()

    def _done(self, key: _Key, album: _Album) -> None:
        """The album leaves ``_albums`` (if the cap has not taken it out already): an item arriving from
        now on starts a new album."""
        if self._albums.get(key) is album:
            del self._albums[key]

    async def _collect(self, key: _Key, album: _Album) -> None:
        """The collector: take the album from Redis once it is due (on Redis' clock), then hand it."""
        assert self.store is not None
        chat, group, album_id = key
        # Past this, Redis has not answered for so long that a watcher could take over: hand what came here.
        give_up = album.first_seen + self.max_wait + TAKEOVER_SECONDS
        # Not due before a quiet spell after its first item: no Redis call until then.
        await self._nap(album, album.first_seen + min(self.quiet, self.max_wait) - time.monotonic())
        while not album.dropped:
            quiet, due = (0.0, 0.0) if album.hurry else (self.quiet, self.max_wait)
            try:
                taken = await self.store.take(chat, group, album_id, quiet=quiet, due=due)
            except OUTAGE as exc:
                if time.monotonic() < give_up and not album.hurry:
                    await self._nap(album, min(self.quiet, give_up - time.monotonic()))
                    continue
                if album.dropped:
                    return
                log.warning("handing the %d album item(s) this process received: Redis did not answer (%s: %s)",
                            len(album.messages), type(exc).__name__, exc)
                self._done(key, album)
                await self._hand(album.messages)
                return
            if album.dropped:
                return
            if taken.messages is not None:
                self._done(key, album)
                await self._hand(taken.messages)
                return
            if not taken.wait:  # taken over by a watcher, or expired: nothing left to hand
                log.info("album %s was gone from Redis before its collector took it", group)
                self._done(key, album)
                return
            await self._nap(album, taken.wait)

    async def _watch(self, key: _Key, album: _Album) -> None:
        """A watcher: should the album still be in Redis well past max_wait, its collector is gone; take
        it over. Usually the collector has taken it by then and this ends with one look."""
        assert self.store is not None
        chat, group, album_id = key
        due = self.max_wait + TAKEOVER_SECONDS
        await self._nap(album, album.first_seen + due - time.monotonic())
        while not album.hurry and not album.dropped:  # the cap took it out: no longer watched
            try:
                taken = await self.store.take(chat, group, album_id, quiet=_NEVER_MS / 1000, due=due)
            except OUTAGE as exc:
                log.info("could not look whether album %s was taken: %s", group, type(exc).__name__)
                break
            if album.dropped:
                return
            if taken.messages is not None:
                log.warning("took over album %s: its collector did not take it in time", group)
                self._done(key, album)
                await self._hand(taken.messages)
                return
            if not taken.wait:
                break
            await self._nap(album, taken.wait)
        self._done(key, album)

    async def _gather_here(self, key: _Key, album: _Album) -> None:
        """An album gathered in this process only (Redis did not answer): quiet or max_wait, as ever."""
        deadline = album.first_seen + self.max_wait
        while not album.hurry and not album.dropped:
            album.changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                async with asyncio.timeout(min(self.quiet, left)):
                    await album.changed.wait()
            except TimeoutError:
                break  # quiet long enough
        if album.dropped:
            return
        self._done(key, album)
        await self._hand(album.messages)

    async def _hand(self, messages: list[Message]) -> None:
        try:
            await self.on_album(sorted(messages, key=lambda m: m.message_id))
        except Exception:  # one album's failure never stops the others
            log.exception("handling an album failed")

    def _flush_oldest(self) -> None:
        """Make room: the oldest album leaves ``_albums`` at once (so a burst of new albums pushes out one
        more each, never the same one again) and goes now: collected or gathered here, it is handed;
        watched, it is no longer watched."""
        key = min(self._albums, key=lambda k: self._albums[k].first_seen)
        album = self._albums.pop(key)
        album.hurry = True
        album.changed.set()

    async def settled(self) -> None:
        """Wait until every album this process takes part in is done with: handed (its command ended),
        taken over, or found gone. What tests await instead of sleeping; ``stop`` drops them instead."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def stop(self) -> None:
        """Drop the albums still being gathered (nothing was queued for them; in Redis, another process
        watching one may still take it over), then wait for the commands of albums already handed: the
        bot closes its services next."""
        waiting = [album.task for album in self._albums.values() if album.task is not None]
        for album in self._albums.values():
            album.dropped = True
            album.changed.set()
        self._albums.clear()
        await cancel_and_wait(waiting)
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
