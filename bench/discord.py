"""Benchmark of Discord delivery: prints figures, asserts nothing.

The real bot (``bot.discord.adapter.DiscordBot``, discord.py) runs in this process against the Discord stand-in
(``sandbox.discord``, REST + gateway, in its own thread and event loop) which enforces Discord's default
limits (``RateLimits()``: 5 message creates/edits per 5 s per channel, 5 calls per 2 s per interaction
webhook token, 50 bot-token calls a second overall); the bot keeps its default pacing (the same numbers:
``NAIBOT_DISCORD__CHANNEL_PER_5S`` 5, ``..._GLOBAL_PER_SECOND`` 50). Jobs go through a real Dramatiq worker
(1 process x 4 threads, started as in production by ``tasks.launch``) to the NovelAI stand-in (its own
process, ``--step-latency 0.015`` x 8 steps). Every job runs on the ``default`` account: one lane, drained
one job at a time (the extra threads only overlap hand-overs). Every job is ``/generate`` with
``size 512x512, steps 8, n 2``: one channel message with 2 attachments.

(1) done -> attachments: from a job's ``done`` event (the stream entry id, ms) to the stand-in accepting
    the job's ``POST /channels/{id}/messages`` with files (the call's recorded arrival time, status 200;
    matched to the job by the uploaded file names ``<job>-<i>.png``): first for single jobs on an idle bot
    (each in a fresh channel, one at a time), then for a burst of 50 jobs in 10 channels (5 each), then
    for 50 jobs in ONE channel, which at 5 calls per 5 s cannot finish in this run's budget: that one is
    time-boxed and reported as a delivery throughput (with the latencies of the jobs it did deliver). The
    breakdown (when the delivery loop handled the event, when the upload started, what the pacer had
    charged to the channel) comes from shims on the bot's ``Delivery`` and ``Pacer`` instances (see
    ``Trace``; they only take notes, the behaviour is unchanged).
(2) REST calls per job in the 10-channel burst, by route (interaction callbacks, webhook edits of the
    original response, channel message edits, channel messages with attachments, other channel messages,
    follow-ups), from the first slash command to the last attachment and until the bot is idle (every
    status message final); the pacer's charges per job; 429 answers.

The worker and the NovelAI stand-in run in their own process groups, always killed at the end. Every
Redis key lives under one ``naibot-bench:<random>`` prefix and is deleted afterwards (never FLUSHDB).
Run: ``.venv/bin/python bench/discord.py``.

One piece although past 400 lines: one benchmark's scenarios and their report, read top to bottom.
"""
# ruff: noqa: E402 - the path fix below has to run before any import.

from __future__ import annotations

import sys

# Run as a script, bench/ is sys.path[0] and this file, discord.py, would shadow discord.py's ``discord``
# package, which the bot imports: the repo root takes its place (so ``bench.common`` is found).
sys.path[0] = __file__.rsplit("/bench/", 1)[0]

import asyncio
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import (
    ChatWorld,
    DeliveryTrace,
    bench_session,
    delivery_and_pacer,
    deployment_env,
    describe,
    discord_env,
    pct,
    running_bot,
    start_novelai_stand_in,
    wait_until_idle,
)
from bot.chat.pacer import WINDOW_SLACK
from bot.discord.adapter import DiscordBot
from sandbox.discord import Call, DiscordSandbox, DiscordUser, RateLimits, running_discord

NOVELAI_EMAIL = "bench-discord@example.com"
NOVELAI_PASSWORD = "bench-discord-password"
STEP_LATENCY = 0.015
STEPS = 8
N_IMAGES = 2
WORKER_THREADS = 4
ISOLATED = 5
CHANNELS = 10
JOBS_PER_CHANNEL = 5
ONE_CHANNEL_JOBS = 50
# The one-channel run is cut off after this long (from its first command): it cannot finish in budget.
ONE_CHANNEL_BOX = 25.0
OPTIONS: dict[str, Any] = {"size": "512x512", "steps": STEPS, "n": N_IMAGES}
BURST_TIMEOUT = 120.0
# Discord's default limits as the stand-in enforces them (the bot's defaults are the same numbers).
LIMITS = RateLimits()
GUILD = 7000
OWNER = DiscordUser(7001, "bench_owner", "Bench Owner")
WARM_CHANNEL = 7100
IDLE_CHANNELS = [7200 + k for k in range(ISOLATED)]
BURST_CHANNELS = [7300 + k for k in range(CHANNELS)]
ONE_CHANNEL = 7400
# Route templates as the stand-in names them, and what this benchmark calls them.
CALLBACK = "POST /interactions/{interaction_id}/{interaction_token}/callback"
WEBHOOK_EDIT = "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"
CHANNEL_EDIT = "PATCH /channels/{channel_id}/messages/{message_id}"
CHANNEL_CREATE = "POST /channels/{channel_id}/messages"
FOLLOWUP = "POST /webhooks/{webhook_id}/{webhook_token}"
KINDS = ["interaction callback", "webhook edit of the original", "channel message edit",
         "channel message with attachments", "channel message without attachments", "follow-up", "other"]


def med_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} ms" if values else "n/a"


def kind(call: Call) -> str:
    if call.route == CALLBACK:
        return "interaction callback"
    if call.route == WEBHOOK_EDIT:
        return "webhook edit of the original"
    if call.route == CHANNEL_EDIT:
        return "channel message edit"
    if call.route == CHANNEL_CREATE:
        return "channel message with attachments" if call.files else "channel message without attachments"
    if call.route == FOLLOWUP:
        return "follow-up"
    return "other"


def is_attachment(call: Call) -> bool:
    return call.route == CHANNEL_CREATE and bool(call.files) and call.status == 200


def job_of_attachment(call: Call) -> str | None:
    """The uploads are named ``<job id>-<index>.png`` by the bot (bot.chat.delivery.deliver)."""
    for upload in call.files:
        name = str(upload.get("filename", ""))
        if name.endswith(".png") and "-" in name:
            return name.rsplit("-", 1)[0]
    return None


def channel_of(call: Call) -> int | None:
    parts = call.path.split("/")
    if "channels" in parts:
        return int(parts[parts.index("channels") + 1])
    return None


# -- the world: stand-ins, worker, bot ----------------------------------------------------------


def environment(prefix: str, tmp: Path, novelai_url: str, discord: DiscordSandbox) -> dict[str, str]:
    # Two 512x512 images cost Anlas on Opus; everything else keeps production defaults, the
    # Discord pacing included (5 per 5 s per channel, 50/s overall).
    return deployment_env(prefix=prefix, tmp=tmp, novelai_url=novelai_url, email=NOVELAI_EMAIL,
                          password=NOVELAI_PASSWORD, images=tmp / "images", NAIBOT_QUEUE__MAX_ANLAS_PER_JOB="20",
                          **discord_env(discord, GUILD))


@dataclass
class Dispatch:
    """One piece of paced work: when the pacer dispatched it (time.time()), in which channel, what (``status``
    edit, ``result`` upload, ``call`` answer) and the charge it finally cost the channel's window."""

    at: float
    chat_id: str
    what: str
    charged: float


@dataclass
class Trace(DeliveryTrace):
    """Observations taken inside the bot by shims on its instances (behaviour unchanged): those of
    ``DeliveryTrace`` and every pacer dispatch with the charge it cost its channel's window."""

    dispatches: list[Dispatch] = field(default_factory=list)

    def clear(self) -> None:
        super().clear()
        self.dispatches.clear()

    def install(self, bot: DiscordBot) -> None:
        delivery, pacer = delivery_and_pacer(bot)
        self.install_delivery(delivery)
        execute = pacer._execute

        async def traced_execute(chat: Any, work: Any, entries: Any) -> None:
            note = Dispatch(time.time(), str(chat.ref.chat_id), work.key.split(":", 1)[0], float(work.weight))
            self.dispatches.append(note)
            try:
                await execute(chat, work, entries)
            finally:
                note.charged = float(entries[0][1])  # what _execute settled the window entry to

        pacer._execute = traced_execute  # type: ignore[method-assign]


@dataclass
class World(ChatWorld):
    discord: DiscordSandbox
    bot: DiscordBot
    trace: Trace

    async def calls(self) -> list[Call]:
        return await asyncio.to_thread(self.discord.calls)

    async def attachments(self, channels: set[int], since: float) -> list[Call]:
        posts = await asyncio.to_thread(self.discord.calls, "POST", "/messages")
        return [c for c in posts if is_attachment(c) and c.time >= since and channel_of(c) in channels]

    async def wait_for_attachments(self, channels: set[int], count: int, since: float,
                                   timeout: float = BURST_TIMEOUT) -> bool:
        """Until ``count`` attachment messages landed in these channels; False when the time ran out."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            if len(await self.attachments(channels, since)) >= count:
                return True
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.1)


# -- one burst -----------------------------------------------------------------------------------


@dataclass
class Command:
    channel_id: int
    user: DiscordUser


@dataclass
class Burst:
    label: str
    jobs: int
    delivered: int
    latencies: list[float]
    done_to_read: list[float]
    read_to_upload: list[float]
    upload_to_accepted: list[float]
    # When the delivery loop handled each done event: how much of its channel's pacer window (5 per
    # 5 s x slack) earlier work had already taken (status edits, earlier results).
    window_at_done: list[float]
    done_times: dict[str, float]
    attachment_times: list[float]
    window: list[Call]  # first command .. last attachment
    until_idle: list[Call]  # first command .. idle (or the end of the time box)
    dispatches: list[Dispatch]
    failed: int
    commands_seconds: float
    drain_seconds: float
    last_attachment_seconds: float
    idle_seconds: float | None


async def send_commands(discord: DiscordSandbox, commands: list[Command]) -> None:
    """Users run /generate; from a helper thread, as real users would, without blocking the bot's loop."""

    def send() -> None:
        for n, command in enumerate(commands):
            discord.slash_command(GUILD, command.channel_id, command.user, "generate",
                                  {"prompt": f"a cat, number {n}", **OPTIONS})

    await asyncio.to_thread(send)


async def run_burst(world: World, label: str, commands: list[Command], *, box: float | None = None) -> Burst:
    """Send the commands, wait for every attachment (or until ``box`` seconds after the first command),
    then until idle (unless boxed), and match every job's done event to its attachment message."""
    queue = world.services.queue
    channels = {c.channel_id for c in commands}
    after = await queue.last_event_id()
    world.trace.clear()

    began = time.time()
    await send_commands(world.discord, commands)
    sent = time.time()
    timeout = BURST_TIMEOUT if box is None else max(0.0, box - (sent - began))
    complete = await world.wait_for_attachments(channels, len(commands), began, timeout)
    if not complete and box is None:
        got = len(await world.attachments(channels, began))
        raise RuntimeError(f"{got} of {len(commands)} attachment messages within {BURST_TIMEOUT:.0f} s; worker "
                           f"log:\n{world.procs.tail('worker')}")
    idle_at = await wait_until_idle(world.bot, world.check_alive, timeout=90.0) if complete else None
    ended = idle_at if idle_at is not None else time.time()

    done, failed = await world.job_ends(after)
    calls = [c for c in await world.calls() if began <= c.time <= ended]
    attachment_of: dict[str, Call] = {}
    for call in calls:
        job_id = job_of_attachment(call) if is_attachment(call) and channel_of(call) in channels else None
        if job_id is not None:
            attachment_of.setdefault(job_id, call)

    dispatches = list(world.trace.dispatches)
    window_length = 5.0 * WINDOW_SLACK
    latencies, read, upload, accepted, used, times = [], [], [], [], [], []
    for job_id, call in attachment_of.items():
        times.append(call.time)
        done_at = done.get(job_id)
        if done_at is None:  # no done event: fall back to the job hash's finished_at
            job = await queue.get(job_id)
            done_at = job.finished_at if job is not None else None
        if done_at is None:
            continue
        latencies.append(call.time - done_at)
        if (stages := world.trace.stages(job_id)) is not None:
            handled, started = stages
            read.append(handled - done_at)
            upload.append(started - handled)
            accepted.append(call.time - started)
            chat = str(channel_of(call))
            used.append(sum(d.charged for d in dispatches
                            if d.chat_id == chat and handled - window_length < d.at <= handled))

    last_attachment = max(times) if times else began
    return Burst(
        label=label, jobs=len(commands), delivered=len(attachment_of), latencies=latencies, done_to_read=read,
        read_to_upload=upload, upload_to_accepted=accepted, window_at_done=used, done_times=done,
        attachment_times=sorted(times), window=[c for c in calls if c.time <= last_attachment], until_idle=calls,
        dispatches=dispatches, failed=failed, commands_seconds=sent - began,
        drain_seconds=(max(done.values()) - min(done.values())) if done else 0.0,
        last_attachment_seconds=last_attachment - began,
        idle_seconds=None if idle_at is None else idle_at - began)


def by_kind(calls: list[Call], jobs: int) -> str:
    """Calls per job by kind: the five a job may use always shown, the rest only when present."""
    counts = Counter(kind(c) for c in calls)
    always = {"interaction callback", "webhook edit of the original", "channel message edit",
              "channel message with attachments", "follow-up"}
    return "; ".join(f"{name} {counts[name] / jobs:.2f}" for name in KINDS if counts[name] or name in always)


def status_summary(calls: list[Call]) -> tuple[int, str]:
    status = Counter(c.status for c in calls)
    errors = ", ".join(f"{code}: {n}" for code, n in sorted(status.items()) if code not in (200, 204)) or "none"
    return status.get(429, 0), errors


def charges(burst: Burst) -> str:
    """The pacer's charges against the channel windows per job, by kind of work."""
    charged: Counter[str] = Counter()
    for d in burst.dispatches:
        charged[d.what] += d.charged
    total = sum(charged.values())
    parts = ", ".join(f"{what} {n / burst.jobs:.2f}" for what, n in charged.most_common())
    return f"{total / burst.jobs:.2f} slots per job ({parts})"


def result_charge(burst: Burst) -> str:
    """What the pacer charged a channel for one attachment message (the bot's weight: one per picture)."""
    charged = [d.charged for d in burst.dispatches if d.what == "result"]
    median = statistics.median(charged) if charged else None
    return "n/a" if median is None else f"{median:g} slot{'' if median == 1 else 's'}"


def breakdown(burst: Burst) -> str:
    return (f"     where it goes (medians): done event -> the bot's delivery loop handles it "
            f"{med_ms(burst.done_to_read)}; -> upload starts (pacer turn) {med_ms(burst.read_to_upload)} (p95 "
            f"{pct(burst.read_to_upload, 0.95) * 1000 if burst.read_to_upload else 0:.0f} ms); -> stand-in accepts "
            f"{med_ms(burst.upload_to_accepted)} (p95 "
            f"{pct(burst.upload_to_accepted, 0.95) * 1000 if burst.upload_to_accepted else 0:.0f} ms); the bot's "
            f"pacer window of the channel when the done event was handled: median "
            f"{statistics.median(burst.window_at_done) if burst.window_at_done else 0:.1f} of "
            f"{LIMITS.channel_per_5s} slots already taken (an upload was charged {result_charge(burst)})")


def text_of(call: Call) -> str:
    body = call.json if isinstance(call.json, dict) else {}
    if call.route == CALLBACK:
        body = body.get("data") or {}
    if call.files:
        return f"{len(call.files)} files"
    content = str(body.get("content", "")).replace("\n", " ")
    return repr(content[:38] + ("..." if len(content) > 38 else ""))


def timeline(burst: Burst) -> str:
    """Every REST call of a single-job burst, relative to the job's done event."""
    if not burst.done_times:
        return "n/a"
    done_at = next(iter(burst.done_times.values()))
    short = {"interaction callback": "callback", "webhook edit of the original": "webhook edit",
             "channel message edit": "channel edit", "channel message with attachments": "ATTACHMENTS",
             "channel message without attachments": "channel message", "follow-up": "follow-up", "other": "other"}
    return ", ".join(f"{c.time - done_at:+.2f} s {short[kind(c)]} {text_of(c)}" for c in burst.until_idle)


def report(burst: Burst, tag: str, scenario: str) -> None:
    jobs = burst.jobs
    print(f"(1{tag}) done -> attachment message accepted (POST /channels/{{id}}/messages with files, 200), "
          f"{scenario}: {describe(burst.latencies)} ({len(burst.latencies)} of {jobs} jobs matched; failed jobs "
          f"{burst.failed})")
    print(breakdown(burst))
    rate_limited, errors = status_summary(burst.until_idle)
    print(f"(2) REST calls per job, {scenario}, first command -> last attachment: {len(burst.window) / jobs:.2f} "
          f"({len(burst.window)} calls: {by_kind(burst.window, jobs)})")
    print(f"    ... until idle (final status edits included): {len(burst.until_idle) / jobs:.2f} "
          f"({by_kind(burst.until_idle, jobs)}); 429 answers: {rate_limited}; other non-2xx: {errors}")
    print(f"     pacer charges against the channel windows: {charges(burst)}")
    idle = f"{burst.idle_seconds:.1f} s" if burst.idle_seconds is not None else "n/a"
    print(f"     timeline: {jobs} commands sent in {burst.commands_seconds:.2f} s; first -> last done "
          f"{burst.drain_seconds:.1f} s; last attachment {burst.last_attachment_seconds:.1f} s and idle "
          f"{idle} after the first command")


def report_one_channel(burst: Burst) -> None:
    jobs, delivered = burst.jobs, burst.delivered
    times = burst.attachment_times
    per_5s = LIMITS.channel_per_5s
    # Offsets from the first command: attachment_times are absolute, last_attachment_seconds is relative.
    first = burst.last_attachment_seconds - (times[-1] - times[0]) if times else 0.0
    if len(times) >= 2:
        rate = (len(times) - 1) / (times[-1] - times[0])
        steady = f"{rate * 60:.1f} jobs/min ({rate * 5:.2f} attachment messages per 5 s)"
        projection = f"all {jobs} jobs ~ {first + (jobs - 1) / rate:.0f} s after the first command"
    else:
        steady, projection = "n/a", "n/a"
    print(f"(1c) ONE channel, {jobs} jobs, time-boxed to {ONE_CHANNEL_BOX:.0f} s after the first command "
          f"({per_5s} messages/edits per 5 s per channel; the burst cannot finish in this run's budget): "
          f"{delivered} of {jobs} attachment messages delivered; delivery throughput {steady}; first attachment "
          f"{first:.1f} s after the first command -> projected: {projection}")
    print(f"     done -> attachment accepted for the {len(burst.latencies)} delivered jobs (biased low: only the "
          f"first served): {describe(burst.latencies)}; first -> last done {burst.drain_seconds:.1f} s (the lane "
          f"finished the generations long before Discord could take the results)")
    print(breakdown(burst))
    rate_limited, errors = status_summary(burst.until_idle)
    per = max(delivered, 1)
    print(f"     REST calls in the box: {len(burst.until_idle)} ({by_kind(burst.until_idle, per)} per delivered "
          f"job); 429 answers: {rate_limited}; other non-2xx: {errors}; pacer charges: "
          f"{charges(Burst(**{**burst.__dict__, 'jobs': per}))} per delivered job")


# -- main --------------------------------------------------------------------------------------


def users(first_id: int, count: int, name: str) -> list[DiscordUser]:
    return [DiscordUser(first_id + i, f"{name}{i}", f"{name.title()} {i}") for i in range(count)]


def shape_world(discord: DiscordSandbox) -> dict[str, list[DiscordUser]]:
    """One guild with a channel per scenario (fresh windows for each) and one member per job (a user may
    have at most 10 jobs waiting)."""
    channels = {c: False for c in [WARM_CHANNEL, *IDLE_CHANNELS, *BURST_CHANNELS, ONE_CHANNEL]}
    discord.add_guild(GUILD, "Bench", owner=OWNER, channels=channels)
    people = {"warm": users(800_000, 1, "warm"), "idle": users(810_000, ISOLATED, "alone"),
              "burst": users(820_000, CHANNELS * JOBS_PER_CHANNEL, "user"),
              "one": users(830_000, ONE_CHANNEL_JOBS, "crowd")}
    for group in people.values():
        for user in group:
            discord.add_member(GUILD, user)
    return people


async def benchmark(world: World, people: dict[str, list[DiscordUser]]) -> None:
    # Warm-up: NovelAI login, connection pools, discord.py's buckets; then a quiet second for the global window.
    await run_burst(world, "warm-up", [Command(WARM_CHANNEL, people["warm"][0])])
    await asyncio.sleep(1.2)

    alone: list[float] = []
    pieces: list[Burst] = []
    for channel, user in zip(IDLE_CHANNELS, people["idle"], strict=True):
        burst = await run_burst(world, "alone", [Command(channel, user)])
        alone += burst.latencies
        pieces.append(burst)
        await asyncio.sleep(1.2)
    print(f"(1a) one job at a time on an idle bot ({ISOLATED} jobs, each in a fresh channel), done -> attachment "
          f"accepted: {describe(alone)}; {sum(1 for x in alone if x > 1.0)} of {len(alone)} waited over 1 s for the "
          f"channel's pacer window (bimodal: it depends on whether the 'step {STEPS} of {STEPS}' progress edit went "
          f"out just before the done event)")
    merged = Burst(**{**pieces[0].__dict__,
                      **{name: [x for p in pieces for x in getattr(p, name)]
                         for name in ("done_to_read", "read_to_upload", "upload_to_accepted", "window_at_done",
                                      "until_idle", "window", "dispatches")}, "jobs": len(pieces)})
    print(breakdown(merged))
    print(f"     one of them, every REST call relative to its done event: {timeline(pieces[-1])}")
    print(f"     REST calls per job until idle: {len(merged.until_idle) / len(pieces):.2f} "
          f"({by_kind(merged.until_idle, len(pieces))}); pacer charges: {charges(merged)}")

    commands = [Command(BURST_CHANNELS[i // JOBS_PER_CHANNEL], user) for i, user in enumerate(people["burst"])]
    burst = await run_burst(world, "channels", commands)
    report(burst, "b", f"{CHANNELS} channels x {JOBS_PER_CHANNEL} jobs ({len(commands)} jobs)")
    await asyncio.sleep(1.2)

    burst = await run_burst(world, "one channel", [Command(ONE_CHANNEL, u) for u in people["one"]], box=ONE_CHANNEL_BOX)
    report_one_channel(burst)
    pacer = delivery_and_pacer(world.bot)[1]
    print(f"totals: the stand-in answered 429 {world.discord.stats.rate_limited} times; the bot's pacer saw "
          f"{pacer.rate_limited} RateLimited and charged {pacer.calls_made} slots")


async def main() -> None:
    async with bench_session("discord") as session:
        prefix = f"{session.base}:dc"
        with running_discord(limits=LIMITS) as discord:
            people = await asyncio.to_thread(shape_world, discord)
            novelai_url, _novelai = await start_novelai_stand_in(
                session.procs, "novelai", [f"{NOVELAI_EMAIL}:{NOVELAI_PASSWORD}:3:100000000"], "--step-latency",
                str(STEP_LATENCY))
            env = environment(prefix, session.tmp, novelai_url, discord)
            async with running_bot(DiscordBot, env, session.procs, WORKER_THREADS) as running:
                settings, services, worker, bot = running
                trace = Trace()
                trace.install(bot)
                dc = settings.discord
                print(f"{await session.headline('discord')}; stand-in limits: {LIMITS.channel_per_5s} per "
                      f"{LIMITS.channel_window:g} s per channel, {LIMITS.webhook_per_2s} per "
                      f"{LIMITS.webhook_window:g} s per interaction token, {LIMITS.global_per_second}/s overall (bot "
                      f"token); bot pacing (defaults): {dc.channel_per_5s} per {5 * WINDOW_SLACK:g} s per channel, "
                      f"{dc.global_per_second} per {WINDOW_SLACK:g} s overall; NovelAI stand-in {STEP_LATENCY} s x "
                      f"{STEPS} steps, n={N_IMAGES} 512x512; 1 worker process x {WORKER_THREADS} threads; every job "
                      f"on the 'default' account (one lane, one job at a time)")
                world = World(discord=discord, services=services, bot=bot, worker=worker, procs=session.procs,
                              trace=trace, prefix=prefix)
                await benchmark(world, people)


if __name__ == "__main__":
    asyncio.run(main())
