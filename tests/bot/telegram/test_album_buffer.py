"""``AlbumBuffer`` on its own: Telegram delivers an album as one update per item, and the buffer hands the
bot each album whole, once, in message order: after a quiet spell, or at the latest ``max_wait`` after its
first item, at most ``MAX_ITEMS`` items, at most ``MAX_ALBUMS`` albums held at once. Timings are small and
driven by the loop's own clock (``call_later``); the tests await events, never sleep."""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging

import pytest
from telegram import Chat, Message

from bot.telegram import albums
from bot.telegram.albums import MAX_ITEMS, AlbumBuffer

CHAT = Chat(4242, "private")
OTHER_CHAT = Chat(5151, "private")
# Long enough that nothing is handed by the clock while a test looks at something else.
NEVER = 30.0


def item(message_id: int, group: str = "g1", caption: str | None = None, chat: Chat = CHAT) -> Message:
    return Message(message_id, dtm.datetime.now(dtm.UTC), chat, media_group_id=group, caption=caption)


class Handed:
    """Records what the buffer hands over, when, and lets a test await a number of albums."""

    def __init__(self) -> None:
        self.albums: list[list[Message]] = []
        self.times: list[float] = []
        self.changed = asyncio.Event()

    async def __call__(self, messages: list[Message]) -> None:
        self.albums.append(messages)
        self.times.append(asyncio.get_running_loop().time())
        self.changed.set()

    async def wait_for(self, count: int, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while len(self.albums) < count:
                self.changed.clear()
                await self.changed.wait()

    def ids(self) -> list[list[int]]:
        return [[m.message_id for m in album] for album in self.albums]


async def test_an_album_is_handed_once_with_its_items_in_message_order() -> None:
    handed = Handed()
    buffer = AlbumBuffer(handed, quiet=0.05, max_wait=NEVER)
    for message_id in (12, 10, 11):  # concurrent update handlers may add them in any order
        buffer.add(item(message_id, caption="/vibe a cat" if message_id == 10 else None))
    await handed.wait_for(1)
    assert handed.ids() == [[10, 11, 12]]
    assert handed.albums[0][0].caption == "/vibe a cat"
    assert buffer.pending == 0
    await buffer.stop()
    assert len(handed.albums) == 1


async def test_an_album_waits_for_a_quiet_spell_after_its_last_item() -> None:
    loop = asyncio.get_running_loop()
    handed = Handed()
    quiet = 0.2
    buffer = AlbumBuffer(handed, quiet=quiet, max_wait=NEVER)
    started = loop.time()
    buffer.add(item(1))
    late: list[float] = []

    def add_late() -> None:
        late.append(loop.time())
        buffer.add(item(2))

    loop.call_later(quiet / 2, add_late)  # inside the first quiet spell: it must join the album
    await handed.wait_for(1)
    assert handed.ids() == [[1, 2]]
    assert handed.times[0] - late[0] >= quiet * 0.9, "handed a quiet spell after the last item, not the first"
    assert handed.times[0] - started >= quiet * 1.4
    await buffer.stop()


async def test_max_wait_hands_the_album_even_while_items_keep_coming() -> None:
    loop = asyncio.get_running_loop()
    handed = Handed()
    quiet, max_wait = 0.1, 0.3
    buffer = AlbumBuffer(handed, quiet=quiet, max_wait=max_wait)
    started = loop.time()
    buffer.add(item(1))
    # A new item every half quiet spell for well past max_wait: the album is never quiet.
    handles = [loop.call_later(quiet / 2 * n, buffer.add, item(1 + n)) for n in range(1, 30)]
    try:
        await handed.wait_for(1)
    finally:
        for handle in handles:
            handle.cancel()
    waited = handed.times[0] - started
    # Items kept coming for 1.45 s, never a quiet spell apart; the album went at max_wait, while they
    # still came. Only lower bounds on time: a loaded machine makes everything later, never earlier.
    assert waited >= max_wait * 0.9, f"handed after {waited:.3f} s"
    first = handed.ids()[0]
    assert first == list(range(1, len(first) + 1)) and len(first) < 30, "handed before the items stopped"
    await buffer.stop()


async def test_an_album_keeps_at_most_max_items_the_first_in_message_order() -> None:
    handed = Handed()
    buffer = AlbumBuffer(handed, quiet=0.05, max_wait=NEVER)
    for message_id in range(1, MAX_ITEMS + 3):
        buffer.add(item(message_id))
    await handed.wait_for(1)
    assert handed.ids() == [list(range(1, MAX_ITEMS + 1))]
    await buffer.stop()


async def test_albums_of_different_chats_or_groups_are_handed_apart() -> None:
    handed = Handed()
    buffer = AlbumBuffer(handed, quiet=0.05, max_wait=NEVER)
    buffer.add(item(1, "g1"))
    buffer.add(item(1, "g1", chat=OTHER_CHAT))
    buffer.add(item(2, "g2"))
    buffer.add(item(3, "g1"))
    await handed.wait_for(3)
    assert sorted((album[0].chat_id, album[0].media_group_id, [m.message_id for m in album])
                  for album in handed.albums) == [
        (CHAT.id, "g1", [1, 3]), (CHAT.id, "g2", [2]), (OTHER_CHAT.id, "g1", [1])]
    await buffer.stop()


async def test_one_failing_handler_does_not_stop_another_album(caplog: pytest.LogCaptureFixture) -> None:
    handed = Handed()

    async def handler(messages: list[Message]) -> None:
        if messages[0].media_group_id == "bad":
            raise RuntimeError("this album's command blew up")
        await handed(messages)

    buffer = AlbumBuffer(handler, quiet=0.05, max_wait=NEVER)
    with caplog.at_level(logging.ERROR, logger="bot.telegram.albums"):
        buffer.add(item(1, "bad"))
        buffer.add(item(2, "good"))
        await handed.wait_for(1)
        buffer.add(item(3, "later"))  # the buffer still works after a failure
        await handed.wait_for(2)
    assert handed.ids() == [[2], [3]]
    assert "handling an album failed" in caplog.text and "this album's command blew up" in caplog.text
    await buffer.stop()


async def test_stop_drops_albums_still_being_gathered() -> None:
    handed = Handed()
    buffer = AlbumBuffer(handed, quiet=0.05, max_wait=NEVER)
    buffer.add(item(1, "g1"))
    buffer.add(item(2, "g2"))
    assert buffer.pending == 2
    await buffer.stop()
    assert buffer.pending == 0
    # Nothing is left that could hand them later: a new album after stop is handed, the old ones never.
    buffer.add(item(3, "g3"))
    await handed.wait_for(1)
    assert handed.ids() == [[3]]
    await buffer.stop()


async def test_stop_waits_for_an_album_whose_command_is_running() -> None:
    """A stopping bot closes its runtime (Redis, the queue) right after ``stop``: a command already
    running must end first, or it would act on closed services."""
    running, release, finished = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def handler(messages: list[Message]) -> None:
        running.set()
        await release.wait()
        finished.set()

    buffer = AlbumBuffer(handler, quiet=0.01, max_wait=NEVER)
    buffer.add(item(1))
    async with asyncio.timeout(5):
        await running.wait()
    stopping = asyncio.create_task(buffer.stop())
    await asyncio.sleep(0)  # let stop() run up to its first wait (a yield, not a timed sleep)
    assert not stopping.done(), "stop() returned while the album's command was still running"
    release.set()
    async with asyncio.timeout(5):
        await stopping
    assert finished.is_set()


async def test_past_max_albums_the_oldest_are_handed_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cap holds even for a burst: every album past it pushes out one more of the oldest, never
    the same one twice."""
    monkeypatch.setattr(albums, "MAX_ALBUMS", 2)
    handed = Handed()
    buffer = AlbumBuffer(handed, quiet=NEVER, max_wait=NEVER)
    for number in range(1, 5):  # a burst: no await between the adds
        buffer.add(item(number, f"g{number}"))
    assert buffer.pending == 2
    await handed.wait_for(2)
    assert sorted(handed.ids()) == [[1], [2]]
    await buffer.stop()
    assert len(handed.albums) == 2


async def test_stop_waits_for_an_album_handed_early_by_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """An album pushed out by the cap is handed by a task of its own: the buffer keeps it (the loop
    holds only weak references to tasks) and ``stop`` waits for it like any running album."""
    monkeypatch.setattr(albums, "MAX_ALBUMS", 1)
    running, release, second = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def handler(messages: list[Message]) -> None:
        if messages[0].media_group_id == "g2":
            second.set()
            return
        running.set()
        await release.wait()

    buffer = AlbumBuffer(handler, quiet=0.05, max_wait=NEVER)
    buffer.add(item(1, "g1"))
    buffer.add(item(2, "g2"))  # pushes g1 out at once; g2 is handed after its quiet spell
    async with asyncio.timeout(5):
        await running.wait()
        await second.wait()
    assert buffer.pending == 0
    stopping = asyncio.create_task(buffer.stop())
    await asyncio.sleep(0)  # let stop() run up to its first wait (a yield, not a timed sleep)
    assert not stopping.done(), "stop() returned while the pushed-out album's command was running"
    release.set()
    async with asyncio.timeout(5):
        await stopping
