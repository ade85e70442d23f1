"""The Telegram stand-in counts a call against the flood windows from when it ARRIVED, as Telegram does,
and keeps reaching calls while it makes a photo's thumbnails.

A stand-in busy with an earlier call (an upload's thumbnails, another stand-in's thread holding the GIL)
reaches a call later than it arrived; counting it from then bunches calls the bot spaced out into one
window and answers 429 to a bot that kept the limits (bench/chat_scale.py saw that at 30 messages a second).
"""

from __future__ import annotations

import asyncio
import io
import threading
import time
from collections.abc import Iterator

import pytest
from PIL import Image
from telegram import Bot

import sandbox.telegram.methods as methods
from sandbox.telegram import FloodLimits, SandboxUser, TelegramSandbox
from sandbox.telegram.flood import FloodControl
from sandbox.telegram.media import CheckedPhoto, check_photo


def test_calls_count_from_their_arrival_not_from_when_the_stand_in_got_to_them() -> None:
    now = [1000.0]
    flood = FloodControl(clock=lambda: now[0])
    limits = FloodLimits()
    # 30 calls (the overall limit a second) arrive at once, but the stand-in gets to them half a second later.
    with flood.arriving():
        now[0] += 0.5
        assert all(flood.admit(limits, 100 + chat, private=True) is None for chat in range(30))
    # A call arriving 1.2 s after them finds the overall window empty again (Telegram's view); counted
    # from when the stand-in got to the 30, the window would still hold them.
    now[0] += 0.7
    with flood.arriving():
        assert flood.admit(limits, 999, private=True) is None


def test_a_call_without_a_marked_arrival_counts_from_now() -> None:
    now = [1000.0]
    flood = FloodControl(clock=lambda: now[0])
    limits = FloodLimits()
    assert all(flood.admit(limits, 100 + chat, private=True) is None for chat in range(30))
    assert flood.admit(limits, 999, private=True) == 1


def test_each_request_keeps_its_own_arrival() -> None:
    """The arrival is per request (per task), so concurrent calls do not take each other's."""
    now = [1000.0]
    flood = FloodControl(clock=lambda: now[0])
    limits = FloodLimits(global_per_second=1)

    async def call(chat: int, arrive_at: float, release: asyncio.Event) -> int | None:
        now[0] = arrive_at
        with flood.arriving():
            await release.wait()
            return flood.admit(limits, chat, private=True)

    async def scenario() -> list[int | None]:
        first, second = asyncio.Event(), asyncio.Event()
        early = asyncio.create_task(call(1, 1000.0, first))
        await asyncio.sleep(0)
        late = asyncio.create_task(call(2, 1001.5, second))
        await asyncio.sleep(0)
        now[0] = 1001.6
        first.set()
        second.set()
        return [await early, await late]

    # The early call counts at 1000.0, so the late one (1001.5) finds room; had the early call taken the
    # late one's arrival, both would count at 1001.5 and the second would be refused.
    assert asyncio.run(scenario()) == [None, None]


def test_a_call_reached_out_of_order_keeps_the_window_sorted() -> None:
    """A call that arrived earlier but is admitted after a later one still leaves the window on time."""
    now = [1000.0]
    flood = FloodControl(clock=lambda: now[0])
    limits = FloodLimits(global_per_second=2)
    now[0] = 1000.0
    with flood.arriving():  # arrives at 1000.0 ...
        now[0] = 1000.5
        with flood.arriving():  # ... but a call arriving at 1000.5 is admitted first
            assert flood.admit(limits, 1, private=True) is None
        now[0] = 1000.6
        assert flood.admit(limits, 2, private=True) is None
    # At 1001.05 the 1000.0 call has left the window, the 1000.5 one not yet: one more fits.
    now[0] = 1001.05
    assert flood.admit(limits, 3, private=True) is None


def test_outside_a_request_a_call_counts_from_when_it_is_admitted_again() -> None:
    now = [1000.0]
    flood = FloodControl(clock=lambda: now[0])
    limits = FloodLimits(global_per_second=1)
    with flood.arriving():
        pass
    now[0] = 1005.0
    assert flood.admit(limits, 1, private=True) is None
    now[0] = 1005.5
    # Counted from 1005.0 (not from the mark left at 1000.0, which would find the window empty).
    assert flood.admit(limits, 2, private=True) == 1


@pytest.fixture
def held_photos(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Photo checks say they started (first event) and wait until released (second event, set at the end
    whatever happens)."""
    started, release = threading.Event(), threading.Event()

    def held(data: bytes) -> CheckedPhoto:
        started.set()
        release.wait(timeout=10)
        return check_photo(data)

    monkeypatch.setattr(methods, "check_photo", held)
    yield started, release
    release.set()


async def test_the_stand_in_answers_other_calls_while_it_makes_a_photos_thumbnails(
        telegram_sandbox: TelegramSandbox, held_photos: tuple[threading.Event, threading.Event]) -> None:
    started, release = held_photos
    user = SandboxUser(4242, "Ann", "ann", "en")
    telegram_sandbox.user_message(user.id, user, "hi")
    png = io.BytesIO()
    Image.new("RGB", (512, 512), (10, 200, 30)).save(png, format="PNG")
    async with Bot(telegram_sandbox.token, base_url=telegram_sandbox.base_url) as bot:
        photo = asyncio.create_task(bot.send_photo(user.id, png.getvalue()))
        assert await asyncio.to_thread(started.wait, 5)
        me = await bot.get_me()  # reached although the photo's check is still held
        assert me.id == telegram_sandbox.bot_id
        assert not photo.done()
        release.set()
        sent = await photo
    assert sent.photo[-1].width == 512


async def test_a_call_records_when_it_arrived_and_when_its_answer_was_ready(
        telegram_sandbox: TelegramSandbox, held_photos: tuple[threading.Event, threading.Event]) -> None:
    """``time`` is the arrival and ``answered`` the answer: a benchmark tells the stand-in's time from the bot's."""
    started, release = held_photos
    user = SandboxUser(4243, "Bo", "bo", "en")
    telegram_sandbox.user_message(user.id, user, "hi")
    png = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 30)).save(png, format="PNG")
    async with Bot(telegram_sandbox.token, base_url=telegram_sandbox.base_url) as bot:
        photo = asyncio.create_task(bot.send_photo(user.id, png.getvalue()))
        assert await asyncio.to_thread(started.wait, 5)
        released_at = time.time()
        release.set()
        await photo
    [call] = telegram_sandbox.calls("sendPhoto")
    assert call.answered is not None
    assert call.time < released_at <= call.answered
