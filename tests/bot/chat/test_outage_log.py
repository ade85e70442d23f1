"""``OutageLog``: a long outage of a loop that retries every second is a WARNING when it starts, a
reminder at most once a minute while it lasts, and an INFO when it is over (a clock the test moves)."""

from __future__ import annotations

import logging

import pytest

from bot.chat.outage_log import REMINDER_SECONDS, OutageLog


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_long_outage_is_reminded_of_once_a_minute_and_its_end_said_once(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tests.outage_log")
    clock = Clock()
    outage = OutageLog(logger, "telegram delivery", clock=clock)
    caplog.set_level(logging.INFO, logger=logger.name)
    error = ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    # Five minutes of retries, one a second (the loop's cadence), as the bot would make them.
    for second in range(300):
        clock.now = 1000.0 + second
        outage.failed(error)
    clock.now = 1300.0
    outage.succeeded()
    outage.succeeded()  # nothing more to say while it stays up

    lines = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert [level for level, _ in lines] == [logging.WARNING] * 5 + [logging.INFO]
    assert lines[0][1] == ("telegram delivery: Redis unavailable (ConnectionError: Error 111 connecting to "
                           "127.0.0.1:6379. Connection refused.); retrying, with a reminder at most once a "
                           "minute until it is back")
    assert [message.split(" (")[0] for _, message in lines[1:5]] == [
        f"telegram delivery: Redis still unavailable after {int(REMINDER_SECONDS) * n} s" for n in range(1, 5)]
    assert lines[-1][1] == "telegram delivery: Redis is back after 300 s (300 failed attempts)"
    assert not outage.down and outage.outages == 1

    # The next outage starts afresh: said at once, counted from its own start.
    clock.now = 2000.0
    outage.failed(error)
    assert caplog.records[-1].getMessage().startswith("telegram delivery: Redis unavailable (")
    assert outage.outages == 2 and outage.failures == 1
