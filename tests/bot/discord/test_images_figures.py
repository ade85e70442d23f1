"""Figures for pictures in Discord (issue 17's closing note): REST calls per job and the time from the
command to its status message, for `/generate` with an attached picture and for a context-menu Enhance
of a result, next to a text-only `/generate`.

Each job runs alone through the real bot, a worker and both stand-ins; the calls are counted from
the command until the result is posted and the status message says Done (CDN downloads apart: they
are no REST calls). The figures are printed (``-s`` shows them); the call counts are bounded, so a
change that adds calls per job is noticed, while the times are only printed."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import pytest

from sandbox.discord import StoredMessage
from tests.bot.discord.picture_helpers import answers, png
from tests.fixtures.discord_e2e import ANN, GUILD, SFW, DiscordWorld

pytestmark = pytest.mark.xdist_group("workers")

SMALL = {"size": "512x512", "steps": 8}
RUNS = 3


async def one_job(world: DiscordWorld, start: Callable[[], str]) -> tuple[Counter[str], float, int]:
    """(REST calls by route, seconds from the command to its status message, CDN downloads) of one job."""
    before, downloads = len(world.discord.calls()), sum(world.discord.stats.downloads.values())
    results = len(world.results())
    started = time.time()
    interaction = start()

    def status() -> StoredMessage | None:
        return next((m for m in answers(world, interaction) if m.ephemeral_for is None), None)

    await world.wait(lambda: status() is not None)
    message = status()
    assert message is not None
    answered = message.created_at - started
    await world.wait(lambda: len(world.results()) > results, timeout=60)
    await world.wait(lambda: "Done" in world.current(SFW, message.id).content)
    calls = Counter(call.route for call in world.discord.calls()[before:])
    return calls, answered, sum(world.discord.stats.downloads.values()) - downloads


async def test_rest_calls_and_time_to_status_with_and_without_a_picture(discord_world: DiscordWorld) -> None:
    world = discord_world
    await world.deployment.start_worker()
    await world.start_bot()
    picture = png(512, 512, (20, 80, 160))
    world.generate(ANN, "a quiet lake", **SMALL)
    await world.wait(lambda: bool(world.results()), timeout=60)
    source = world.results()[0].id
    kinds: dict[str, Callable[[], str]] = {
        "text-only /generate": lambda: world.generate(ANN, "a quiet lake", **SMALL),
        "/generate + attachment": lambda: world.generate(ANN, "a quiet lake", image=("lake.png", picture), **SMALL),
        "menu Enhance of a result": lambda: world.discord.message_command(GUILD, SFW, ANN, "Enhance", source),
    }
    figures: dict[str, tuple[list[int], list[float], list[int], Counter[str]]] = {}
    for kind, start in kinds.items():
        totals, times, downloads, routes = [], [], [], Counter[str]()
        for _ in range(RUNS):
            calls, answered, fetched = await one_job(world, start)
            totals.append(sum(calls.values()))
            times.append(answered)
            downloads.append(fetched)
            routes.update(calls)
        figures[kind] = (totals, times, downloads, routes)
    for kind, (totals, times, downloads, routes) in figures.items():
        print(f"\n{kind}: REST calls per job {totals}, CDN downloads {downloads}, command -> status message "
              f"{', '.join(f'{t * 1000:.0f} ms' for t in times)}; by route over {RUNS} jobs: {dict(routes)}")
    text = max(figures["text-only /generate"][0])
    # A picture to download adds the note while it is read (one follow-up); a stored result nothing.
    # (One status edit more or less is timing: a job may be seen queued before it starts.)
    assert max(figures["/generate + attachment"][0]) <= text + 2, figures
    assert max(figures["menu Enhance of a result"][0]) <= text + 1, figures
    assert figures["menu Enhance of a result"][2] == [0] * RUNS and figures["/generate + attachment"][2] == [1] * RUNS
    # Times are printed, never asserted (a loaded machine is no bug); bench/chat_pictures.py reports them.
