"""LaneHold.confirm: no round trip right after the pop that renewed both leases, a renewal otherwise,
and never a generation on a lane found lost (the mechanism; the leases themselves are checked against
Redis and the stand-in in test_queue_lane_lease.py)."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import cast

import pytest

from tasks.worker import LaneHold, LaneLost, WorkerContext


class FakeQueue:
    """Answers ``hold`` as Redis would for a lane that is (or is no longer) this worker's."""

    def __init__(self) -> None:
        self.holds: list[tuple[str, str, str | None]] = []
        self.lane_held = True

    async def hold(self, account: str, owner: str, job_id: str | None = None) -> tuple[bool, bool]:
        self.holds.append((account, owner, job_id))
        return self.lane_held, True


def lane_hold(lease_seconds: float = 30.0) -> tuple[LaneHold, FakeQueue]:
    queue = FakeQueue()
    ctx = SimpleNamespace(queue=queue, settings=SimpleNamespace(queue=SimpleNamespace(lease_seconds=lease_seconds)))
    return LaneHold(cast(WorkerContext, ctx), "acct", "owner-1"), queue


async def test_confirm_right_after_a_pop_sends_no_renewal() -> None:
    hold, queue = lane_hold()
    hold.renewed(time.monotonic())
    await hold.confirm()
    assert queue.holds == []


async def test_confirm_renews_when_the_last_renewal_is_not_recent() -> None:
    hold, queue = lane_hold()
    await hold.confirm()  # nothing renewed yet
    assert queue.holds == [("acct", "owner-1", None)]
    hold.renewed(time.monotonic() - 2 * LaneHold.FRESH_SECONDS)
    await hold.confirm()
    assert len(queue.holds) == 2


async def test_a_short_lease_trusts_a_renewal_for_a_tenth_of_it_only() -> None:
    hold, queue = lane_hold(lease_seconds=2.0)
    hold.renewed(time.monotonic() - 0.3)  # older than 2 s / 10, younger than FRESH_SECONDS
    await hold.confirm()
    assert len(queue.holds) == 1


async def test_confirm_on_a_lost_lane_refuses_even_after_a_recent_renewal() -> None:
    hold, queue = lane_hold()
    queue.lane_held = False
    with pytest.raises(LaneLost):
        await hold.confirm()
    hold.renewed(time.monotonic())
    with pytest.raises(LaneLost):
        await hold.confirm()
    assert len(queue.holds) == 1


async def test_a_renewal_that_finds_the_lane_lost_is_not_trusted_later() -> None:
    hold, queue = lane_hold()
    queue.lane_held = False
    assert not await hold.renew()
    queue.lane_held = True  # whatever Redis says later, the lane was lost and stays so
    with pytest.raises(LaneLost):
        await hold.confirm()
