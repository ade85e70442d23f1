"""Figures for pictures in Discord (issue 17's closing note): REST calls per job and the time from the
command to its status message, for `/generate` with an attached picture next to a text-only one.

Each job runs alone through the real bot, a worker and both stand-ins; the calls are counted from
the command until the result is posted and the status message says Done. The figures are printed
(``-s`` shows them) and bounded, so a change that adds calls per job is noticed."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from tests.bot.discord.picture_helpers import answers, png
from tests.fixtures.discord_e2e import ANN, SFW, DiscordWorld

pytestmark = pytest.mark.xdist_group("workers")

SMALL = {"size": "512x512", "steps": 8}
RUNS = 3


async def one_job(world: DiscordWorld, **options: object) -> tuple[Counter[str], float]:
    """(REST calls by route, seconds from the command to its status message) of one job."""
    before = len(world.discord.calls())
    results = len(world.results())
    started = time.time()
    interaction = world.generate(ANN, "a quiet lake", **SMALL, **options)  # type: ignore[arg-type]

    def status() -> object:
        return next((m for m in answers(world, interaction) if m.ephemeral_for is None), None)

    await world.wait(lambda: status() is not None)
    message = status()
    assert message is not None
    answered = message.created_at - started  # type: ignore[attr-defined]
    await world.wait(lambda: len(world.results()) > results, timeout=60)
    await world.wait(lambda: "Done" in world.current(SFW, message.id).content)  # type: ignore[attr-defined]
    calls = Counter(call.route for call in world.discord.calls()[before:])
    return calls, answered


async def test_rest_calls_and_time_to_status_with_and_without_a_picture(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.start_worker()
    await world.start_bot()
    figures: dict[str, tuple[list[int], list[float], Counter[str]]] = {}
    for kind, options in (("text", {}), ("picture", {"image": ("lake.png", png(512, 512, (20, 80, 160)))})):
        totals, times, routes = [], [], Counter[str]()
        for _ in range(RUNS):
            calls, answered = await one_job(world, **options)
            totals.append(sum(calls.values()))
            times.append(answered)
            routes.update(calls)
        figures[kind] = (totals, times, routes)
    for kind, (totals, times, routes) in figures.items():
        print(f"\n{kind}: REST calls per job {totals}, command -> status message "
              f"{', '.join(f'{t * 1000:.0f} ms' for t in times)}; by route over {RUNS} jobs: {dict(routes)}")
    text_calls, picture_calls = max(figures["text"][0]), max(figures["picture"][0])
    # A picture adds the note while it is read (one interaction callback) and nothing per edit.
    assert picture_calls <= text_calls + 2, figures
    assert max(figures["picture"][1]) < 3.0, "answered within Discord's 3 s"

