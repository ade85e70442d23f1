"""``AlbumBuffer`` on its own, gathering in Redis (the test's own key prefix): Telegram delivers an album as
one update per item, and the buffer hands the bot each album whole, once, in message order: after a quiet
spell, or at the latest ``max_wait`` after its first item, at most ``MAX_ITEMS`` items, at most
``MAX_ALBUMS`` albums held at once. Two buffers on one Redis stand for two bot processes behind one webhook:
an album whose items reach both is handed once, whole, by the one that saw its first item, or by the other
when that one is gone. Without Redis an album is gathered in the process, as before. Timings are small and
driven by the loop's own clock (``call_later``); the tests await events, never sleep."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import logging
from collections.abc import Callable

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from telegram import Chat, Message

from bot.keys import BotKeys
from bot.telegram import albums
from bot.telegram.album_store import MAX_ITEM_BYTES, MAX_ITEMS, AlbumStore, Taken, item_json
from bot.telegram.albums import AlbumBuffer, AlbumHandler
from tests.fixtures.redis import free_port

CHAT = Chat(4242, "private")
OTHER_CHAT = Chat(5151, "private")
# Long enough that nothing is handed by the clock while a test looks at something else.
NEVER = 30.0


def item(message_id: int, group: str = "g1", caption: str | None = None, chat: Chat = CHAT) -> Message:
    return Message(message_id, dtm.datetime.now(dtm.UTC), chat, media_group_id=group, caption=caption)


# A buffer gathering in the test's Redis, as a bot process does once started.
Buffers = Callable[..., AlbumBuffer]


@pytest.fixture
def buffers(aredis: aioredis.Redis, redis_prefix: str) -> Buffers:
    """Makes buffers on the test's Redis and key prefix; each is one bot process."""

    def make(on_album: AlbumHandler, *, quiet: float, max_wait: float) -> AlbumBuffer:
        return AlbumBuffer(on_album, store=AlbumStore(aredis, BotKeys(redis_prefix)), quiet=quiet, max_wait=max_wait)

    return make


class Later:
    """Items added by the loop's clock (``call_later``), each in a task of its own as PTB runs updates."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.handles: list[asyncio.TimerHandle] = []
        self.tasks: list[asyncio.Task[None]] = []

    def add(self, delay: float, buffer: AlbumBuffer, message: Message,
            then: Callable[[], None] | None = None) -> None:
        def fire() -> None:
            if then is not None:
                then()
            self.tasks.append(asyncio.create_task(buffer.add(message)))
        self.handles.append(self.loop.call_later(delay, fire))

    async def cancel(self) -> None:
        for handle in self.handles:
            handle.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


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


async def test_an_album_is_handed_once_with_its_items_in_message_order(buffers: Buffers) -> None:
    handed = Handed()
    buffer = buffers(handed, quiet=0.05, max_wait=NEVER)
    for message_id in (12, 10, 11):  # concurrent update handlers may add them in any order
        await buffer.add(item(message_id, caption="/vibe a cat" if message_id == 10 else None))
    await handed.wait_for(1)
    assert handed.ids() == [[10, 11, 12]]
    assert handed.albums[0][0].caption == "/vibe a cat"
    assert handed.albums[0][0].chat_id == CHAT.id and handed.albums[0][0].media_group_id == "g1"
    assert buffer.pending == 0
    await buffer.stop()
    assert len(handed.albums) == 1


async def test_an_album_waits_for_a_quiet_spell_after_its_last_item(buffers: Buffers) -> None:
    loop = asyncio.get_running_loop()
    handed = Handed()
    quiet = 0.2
    buffer = buffers(handed, quiet=quiet, max_wait=NEVER)
    started = loop.time()
    await buffer.add(item(1))
    late: list[float] = []
    later = Later()
    # Inside the first quiet spell: it must join the album.
    later.add(quiet / 2, buffer, item(2), then=lambda: late.append(loop.time()))
    await handed.wait_for(1)
    await later.cancel()
    assert handed.ids() == [[1, 2]]
    assert handed.times[0] - late[0] >= quiet * 0.9, "handed a quiet spell after the last item, not the first"
    assert handed.times[0] - started >= quiet * 1.4
    await buffer.stop()


async def test_max_wait_hands_the_album_even_while_items_keep_coming(buffers: Buffers) -> None:
    loop = asyncio.get_running_loop()
    handed = Handed()
    quiet, max_wait = 0.1, 0.3
    buffer = buffers(handed, quiet=quiet, max_wait=max_wait)
    started = loop.time()
    await buffer.add(item(1))
    # A new item every half quiet spell for well past max_wait: the album is never quiet.
    later = Later()
    for n in range(1, 30):
        later.add(quiet / 2 * n, buffer, item(1 + n))
    try:
        await handed.wait_for(1)
    finally:
        await later.cancel()
    waited = handed.times[0] - started
    # Items kept coming for 1.45 s, never a quiet spell apart; the album went at max_wait, while they
    # still came. Only lower bounds on time: a loaded machine makes everything later, never earlier.
    assert waited >= max_wait * 0.9, f"handed after {waited:.3f} s"
    first = handed.ids()[0]
    assert first == list(range(1, len(first) + 1)) and len(first) < 30, "handed before the items stopped"
    await buffer.stop()


async def test_an_album_keeps_at_most_max_items_the_first_in_message_order(buffers: Buffers) -> None:
    handed = Handed()
    buffer = buffers(handed, quiet=0.05, max_wait=NEVER)
    for message_id in range(1, MAX_ITEMS + 3):
        await buffer.add(item(message_id))
    await handed.wait_for(1)
    assert handed.ids() == [list(range(1, MAX_ITEMS + 1))]
    await buffer.stop()


async def test_an_item_telegram_sends_twice_is_gathered_once(buffers: Buffers) -> None:
    """Telegram pushes an update again when the webhook's answer to it was lost: the album holds each
    message once (by message id), whichever process got the copy."""
    handed = Handed()
    buffer = buffers(handed, quiet=0.05, max_wait=NEVER)
    for message_id in (1, 2, 1):
        await buffer.add(item(message_id, caption="/vibe" if message_id == 1 else None))
    await handed.wait_for(1)
    assert handed.ids() == [[1, 2]]
    await buffer.stop()


async def test_albums_of_different_chats_or_groups_are_handed_apart(buffers: Buffers) -> None:
    handed = Handed()
    buffer = buffers(handed, quiet=0.05, max_wait=NEVER)
    await buffer.add(item(1, "g1"))
    await buffer.add(item(1, "g1", chat=OTHER_CHAT))
    await buffer.add(item(2, "g2"))
    await buffer.add(item(3, "g1"))
    await handed.wait_for(3)
    assert sorted((album[0].chat_id, album[0].media_group_id, [m.message_id for m in album])
                  for album in handed.albums) == [
        (CHAT.id, "g1", [1, 3]), (CHAT.id, "g2", [2]), (OTHER_CHAT.id, "g1", [1])]
    await buffer.stop()


async def test_one_failing_handler_does_not_stop_another_album(buffers: Buffers,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    handed = Handed()

    async def handler(messages: list[Message]) -> None:
        if messages[0].media_group_id == "bad":
            raise RuntimeError("this album's command blew up")
        await handed(messages)

    buffer = buffers(handler, quiet=0.05, max_wait=NEVER)
    with caplog.at_level(logging.ERROR, logger="bot.telegram.albums"):
        await buffer.add(item(1, "bad"))
        await buffer.add(item(2, "good"))
        await handed.wait_for(1)
        await buffer.add(item(3, "later"))  # the buffer still works after a failure
        await handed.wait_for(2)
    assert handed.ids() == [[2], [3]]
    assert "handling an album failed" in caplog.text and "this album's command blew up" in caplog.text
    await buffer.stop()


async def test_stop_drops_albums_still_being_gathered(buffers: Buffers) -> None:
    handed = Handed()
    buffer = buffers(handed, quiet=0.05, max_wait=NEVER)
    await buffer.add(item(1, "g1"))
    await buffer.add(item(2, "g2"))
    assert buffer.pending == 2
    await buffer.stop()
    assert buffer.pending == 0
    # Nothing is left that could hand them later: a new album after stop is handed, the old ones never.
    await buffer.add(item(3, "g3"))
    await handed.wait_for(1)
    assert handed.ids() == [[3]]
    await buffer.stop()


async def test_stop_waits_for_an_album_whose_command_is_running(buffers: Buffers) -> None:
    """A stopping bot closes its runtime (Redis, the queue) right after ``stop``: a command already
    running must end first, or it would act on closed services."""
    running, release, finished = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def handler(messages: list[Message]) -> None:
        running.set()
        await release.wait()
        finished.set()

    buffer = buffers(handler, quiet=0.01, max_wait=NEVER)
    await buffer.add(item(1))
    async with asyncio.timeout(5):
        await running.wait()
    stopping = asyncio.create_task(buffer.stop())
    await asyncio.sleep(0)  # let stop() run up to its first wait (a yield, not a timed sleep)
    assert not stopping.done(), "stop() returned while the album's command was still running"
    release.set()
    async with asyncio.timeout(5):
        await stopping
    assert finished.is_set()


async def test_past_max_albums_the_oldest_are_handed_at_once(buffers: Buffers, monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    """The cap holds even for a burst: every album past it pushes out one more of the oldest, never
    the same one twice."""
    monkeypatch.setattr(albums, "MAX_ALBUMS", 2)
    handed = Handed()
    buffer = buffers(handed, quiet=NEVER, max_wait=NEVER)
    for number in range(1, 5):  # a burst: four albums, one right after the other
        await buffer.add(item(number, f"g{number}"))
    assert buffer.pending == 2
    await handed.wait_for(2)
    assert sorted(handed.ids()) == [[1], [2]]
    await buffer.stop()
    assert len(handed.albums) == 2


async def test_stop_waits_for_an_album_handed_early_by_the_cap(buffers: Buffers, monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
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

    buffer = buffers(handler, quiet=0.05, max_wait=NEVER)
    await buffer.add(item(1, "g1"))
    await buffer.add(item(2, "g2"))  # pushes g1 out at once; g2 is handed after its quiet spell
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


# -- two processes on one Redis ----------------------------------------------------------------------


async def test_an_album_split_between_two_processes_is_handed_once_whole_by_its_first(buffers: Buffers
                                                                                      ) -> None:
    first_handed, second_handed = Handed(), Handed()
    first = buffers(first_handed, quiet=0.1, max_wait=NEVER)
    second = buffers(second_handed, quiet=0.1, max_wait=NEVER)
    await first.add(item(10, caption="/vibe a cat"))
    await second.add(item(11))
    await first.add(item(12))
    await first_handed.wait_for(1)
    assert first_handed.ids() == [[10, 11, 12]]
    assert first_handed.albums[0][0].caption == "/vibe a cat"
    assert second.pending == 1, "the other process only watches it"
    await first.stop()
    await second.stop()
    assert second_handed.albums == []


async def test_a_late_item_reaching_the_other_process_keeps_the_album_open(buffers: Buffers) -> None:
    """The quiet spell counts from the album's last item wherever it arrived (Redis' clock)."""
    loop = asyncio.get_running_loop()
    handed, other = Handed(), Handed()
    quiet = 0.2
    first = buffers(handed, quiet=quiet, max_wait=NEVER)
    second = buffers(other, quiet=quiet, max_wait=NEVER)
    await first.add(item(1))
    late: list[float] = []
    later = Later()
    later.add(quiet / 2, second, item(2), then=lambda: late.append(loop.time()))
    await handed.wait_for(1)
    await later.cancel()
    assert handed.ids() == [[1, 2]]
    assert handed.times[0] - late[0] >= quiet * 0.9
    await first.stop()
    await second.stop()
    assert other.albums == []


async def test_when_the_collector_is_gone_another_process_takes_the_album_over(
        buffers: Buffers, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(albums, "TAKEOVER_SECONDS", 0.1)
    loop = asyncio.get_running_loop()
    gone, taker = Handed(), Handed()
    max_wait = 0.2
    first = buffers(gone, quiet=NEVER, max_wait=max_wait)
    second = buffers(taker, quiet=NEVER, max_wait=max_wait)
    started = loop.time()
    await first.add(item(1, caption="/vibe"))
    await second.add(item(2))
    await first.stop()  # the collector stops (or dies) before the album is due
    with caplog.at_level(logging.WARNING, logger="bot.telegram.albums"):
        await taker.wait_for(1)
    assert taker.ids() == [[1, 2]] and gone.albums == []
    assert taker.times[0] - started >= (max_wait + 0.1) * 0.9, "the collector had its chance first"
    assert "took over album g1" in caplog.text
    await second.stop()


# -- Redis down, item size -----------------------------------------------------------------------------


async def test_without_redis_an_album_is_gathered_in_the_process(redis_prefix: str,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    """Every command is answered also when Redis is down: the album is still handed whole (its command
    then meets the outage and says so)."""
    nowhere = aioredis.Redis(port=free_port(), socket_connect_timeout=1)
    handed = Handed()
    buffer = AlbumBuffer(handed, store=AlbumStore(nowhere, BotKeys(redis_prefix)), quiet=0.05, max_wait=NEVER)
    with caplog.at_level(logging.WARNING, logger="bot.telegram.albums"):
        for message_id in (2, 1, 3):
            await buffer.add(item(message_id, caption="/vibe" if message_id == 1 else None))
        await handed.wait_for(1)
    assert handed.ids() == [[1, 2, 3]]
    assert "Redis did not answer" in caplog.text
    await buffer.stop()
    await nowhere.aclose()


async def test_a_collector_that_cannot_take_its_album_hands_what_it_received(
        buffers: Buffers, monkeypatch: pytest.MonkeyPatch) -> None:
    """Redis stops answering after the items were added: past the takeover time the collector hands
    the items that reached it, rather than nothing."""
    monkeypatch.setattr(albums, "TAKEOVER_SECONDS", 0.1)
    handed = Handed()
    buffer = buffers(handed, quiet=0.05, max_wait=0.2)
    await buffer.add(item(1, caption="/vibe"))
    await buffer.add(item(2))
    assert buffer.store is not None
    takes: list[str] = []

    async def down(*args: object, **kwargs: object) -> Taken:
        takes.append("tried")
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(buffer.store, "take", down)
    await handed.wait_for(1)
    assert handed.ids() == [[1, 2]] and takes
    await buffer.stop()


def _with_reply(text: str, caption: str | None = None) -> Message:
    replied = Message(5, dtm.datetime.now(dtm.UTC), CHAT, text=text)
    return Message(6, dtm.datetime.now(dtm.UTC), CHAT, media_group_id="g1", caption=caption,
                   reply_to_message=replied)


def test_an_item_over_the_size_bound_loses_its_replied_to_text_first() -> None:
    small = item_json(_with_reply("short"))
    assert small is not None and "short" in small
    big = item_json(_with_reply("字" * 4096 * 3, caption="/vibe"))
    assert big is not None and len(big.encode()) <= MAX_ITEM_BYTES
    rebuilt = Message.de_json(json.loads(big), None)
    assert rebuilt.caption == "/vibe" and rebuilt.reply_to_message is not None
    assert rebuilt.reply_to_message.message_id == 5 and rebuilt.reply_to_message.text is None
    assert item_json(item(1, caption="x" * (MAX_ITEM_BYTES + 1))) is None
