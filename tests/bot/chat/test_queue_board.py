"""The queue board's pieces: when a group gets one, and that it fits Telegram's limits however long
the group's queue and names are (4,096 characters, 100 buttons, 64-byte callback data)."""

from __future__ import annotations

from bot.chat.pacer import Limits, Window, telegram_limits
from bot.chat.queue_board import BOARD_MAX_JOBS, board_buttons, board_threshold
from bot.chat.texts.catalog import t
from bot.chat.texts.jobs import board_text
from bot.discord.adapter import discord_limits
from tasks.job import Requester
from tests.fixtures.chat_jobs import make_job


def test_telegram_groups_get_a_board_above_a_quarter_of_their_minute_and_discord_never() -> None:
    assert board_threshold(telegram_limits(1.0, 20, 30)) == 5
    assert board_threshold(telegram_limits(30.0, 600, 900)) == 150
    assert board_threshold(discord_limits(5, 50)) is None
    assert board_threshold(Limits(private=[], group=[Window(8, 60.0)], overall=[])) == 2


def test_a_board_of_two_hundred_long_named_jobs_fits_one_telegram_message() -> None:
    name = "Ｗ" * 80 + " 🎨" * 40
    jobs = [make_job(id=f"{i:010d}", position=i + 1, total=200, created_at=float(i),
                     requester=Requester(platform="telegram", user_id=str(i), display_name=name))
            for i in range(200)]
    for lang in ("en", "zh"):
        text = board_text(lang, jobs, BOARD_MAX_JOBS)
        assert len(text.encode("utf-16-le")) // 2 <= 4096
        listed = [job for job in jobs if job.id in text]
        assert listed and listed[0] is jobs[0] and len(listed) <= BOARD_MAX_JOBS
        assert text.splitlines()[-1] == t(lang, "board.more", count=len(jobs) - len(listed))
        buttons = [b for row in board_buttons(jobs, lang) for b in row]
        assert len(buttons) == BOARD_MAX_JOBS <= 100
        assert all(len(b.data.encode()) <= 64 and b.data == f"cancel:{b.job_id}" for b in buttons)
        assert all(len(row) <= 8 for row in board_buttons(jobs, lang))
    assert "200 jobs" in board_text("en", jobs, BOARD_MAX_JOBS)
