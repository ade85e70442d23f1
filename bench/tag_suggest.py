"""Benchmark of tag autocomplete: prints figures, asserts nothing.

The real bot (``bot.discord.adapter.DiscordBot``, discord.py) runs in this process against the Discord stand-in
(``sandbox.discord``, REST + gateway, in its own thread and event loop), which drops an autocomplete answered
after 3 s as Discord does; NovelAI is the stand-in in its own process (``naibot sandbox novelai``), its
``suggest-tags`` answering from its built-in Danbooru list. A person typing in ``/generate``'s prompt option is
one ``APPLICATION_COMMAND_AUTOCOMPLETE`` interaction; the latency is from the stand-in creating it (the gateway
dispatch) to the stand-in accepting the bot's callback with its choices (type 8), measured in this process
with ``time.perf_counter``, one interaction at a time. Each interaction comes from another member, so the
per-person budget of NovelAI lookups (10 per 10 s) never turns a cold lookup into a cache-only answer.

(1) cold cache, NovelAI quick: every prefix typed for the first time (a login is made before, untimed);
(2) warm cache: the same prefixes again (one Redis MGET, no NovelAI call);
(3) cold cache, NovelAI slow (the stand-in's ``slow_seconds`` fault, 3 s): new prefixes; the bot answers at its
    1.5 s deadline from a shorter prefix's cache entry or with nothing;
(4) warm cache, NovelAI slow: the prefixes of (1) again.

Every Redis key lives under one ``naibot-bench:<random>`` prefix and is deleted afterwards (never FLUSHDB).
Run: ``.venv/bin/python bench/tag_suggest.py``.
"""
# ruff: noqa: E402 - the path fix below has to run before any import.

from __future__ import annotations

import sys

# Run as a script, bench/ is sys.path[0]; bench/discord.py would shadow discord.py's ``discord`` package.
sys.path[0] = __file__.rsplit("/bench/", 1)[0]

import asyncio
import itertools
import statistics
import time
from dataclasses import dataclass

import httpx

from bench.common import bench_session, deployment_env, discord_env, pct, start_novelai_stand_in
from bot.discord.adapter import DiscordBot
from naibot.settings import load_settings
from sandbox.discord import DiscordSandbox, DiscordUser, running_discord
from sandbox.novelai.tags import ANIME_TAGS

NOVELAI_EMAIL = "bench-tags@example.com"
NOVELAI_PASSWORD = "bench-tags-password"
GUILD = 9000
CHANNEL = 9100
OWNER = DiscordUser(9001, "bench_owner", "Bench Owner")
SAMPLES = 60
SLOW_SECONDS = 3.0
ANSWER_TIMEOUT = 5.0


@dataclass
class Run:
    label: str
    seconds: list[float]
    with_choices: int
    unanswered: int

    def line(self) -> str:
        if not self.seconds:
            return f"{self.label}: no answers ({self.unanswered} unanswered)"
        ms = [s * 1000 for s in self.seconds]
        return (f"{self.label}: n={len(ms)}, p50 {statistics.median(ms):.0f} ms, p95 {pct(ms, 0.95):.0f} ms, "
                f"min {min(ms):.0f} ms, max {max(ms):.0f} ms; {self.with_choices} with choices, "
                f"{self.unanswered} unanswered within {ANSWER_TIMEOUT:g} s")


def prefixes(count: int, skip: int = 0) -> list[str]:
    """Distinct 3-letter starts of the stand-in's tags, each typed after an earlier tag as people do."""
    starts = list(dict.fromkeys(tag[:3] for tag, _ in ANIME_TAGS if len(tag) >= 3 and tag[:3].isascii()))
    return [f"masterpiece, {start}" for start in starts[skip:skip + count]]


async def autocomplete(discord: DiscordSandbox, user: DiscordUser, prompt: str) -> tuple[float | None, int]:
    """One keystroke's autocomplete: seconds until the bot's choices arrived (None: never) and how many."""
    began = time.perf_counter()
    interaction = await asyncio.to_thread(discord.autocomplete, GUILD, CHANNEL, user, "generate",
                                          {"prompt": prompt}, "prompt")
    try:
        await discord.wait_for(lambda: discord.autocomplete_choices(interaction) is not None, ANSWER_TIMEOUT)
    except TimeoutError:
        return None, 0
    elapsed = time.perf_counter() - began
    return elapsed, len(discord.autocomplete_choices(interaction) or [])


async def run(label: str, discord: DiscordSandbox, people: itertools.cycle[DiscordUser], prompts: list[str]) -> Run:
    result = Run(label, [], 0, 0)
    for prompt in prompts:
        seconds, choices = await autocomplete(discord, next(people), prompt)
        if seconds is None:
            result.unanswered += 1
            continue
        result.seconds.append(seconds)
        result.with_choices += choices > 0
    return result


async def main() -> None:
    async with bench_session("tag_suggest") as session:
        with running_discord() as discord:
            members = [DiscordUser(910_000 + k, f"typist{k}", f"Typist {k}") for k in range(SAMPLES * 4)]
            discord.add_guild(GUILD, "Bench", owner=OWNER, channels={CHANNEL: False})
            for member in members:
                discord.add_member(GUILD, member)
            novelai_url, _ = await start_novelai_stand_in(
                session.procs, "novelai", [f"{NOVELAI_EMAIL}:{NOVELAI_PASSWORD}:3:1000"])
            env = deployment_env(prefix=f"{session.base}:tags", tmp=session.tmp, novelai_url=novelai_url,
                                 email=NOVELAI_EMAIL, password=NOVELAI_PASSWORD, images=session.tmp / "images",
                                 **discord_env(discord, GUILD))
            bot = DiscordBot(load_settings(env=env))
            await bot.start()
            try:
                people = itertools.cycle(members)
                print(f"{await session.headline('tag_suggest')}; Discord stand-in in this process (a thread), "
                      f"NovelAI stand-in in its own; {SAMPLES} autocompletes per run, one at a time, each from "
                      f"another member")
                await autocomplete(discord, OWNER, "warm up, lo")  # the login to NovelAI, untimed
                typed = prefixes(SAMPLES)
                print((await run("(1) cold cache, NovelAI quick", discord, people, typed)).line())
                print((await run("(2) warm cache, NovelAI quick", discord, people, typed)).line())
                async with httpx.AsyncClient() as control:
                    await control.post(f"{novelai_url}/_sandbox/faults", json={"slow_seconds": SLOW_SECONDS})
                    slow = prefixes(SAMPLES // 3, skip=SAMPLES)
                    print((await run(f"(3) cold cache, NovelAI slow ({SLOW_SECONDS:g} s)", discord, people,
                                     slow)).line())
                    print((await run(f"(4) warm cache, NovelAI slow ({SLOW_SECONDS:g} s)", discord, people,
                                     typed)).line())
                    await control.post(f"{novelai_url}/_sandbox/faults", json={"slow_seconds": 0})
            finally:
                await bot.stop()


if __name__ == "__main__":
    asyncio.run(main())
