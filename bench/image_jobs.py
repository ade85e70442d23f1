"""Benchmark of jobs with input images: prints figures, asserts nothing.

(1) img2img end-to-end overhead next to txt2img at the same size (832x1216) on the zero-latency
    NovelAI stand-in: N jobs of each, submitted one after another through ``ImageJobs`` (decode,
    prepare, store the inputs, queue) and run by one worker process of one thread; jobs/s and ms per
    job from the first submit to the last ``done`` event, side by side, and their ratio;
(2) Redis bytes per waiting job with inputs: MEMORY USAGE of every key under the run's prefix before
    and after queueing K jobs of one kind with no worker running (so they stay waiting), divided by K;
    the event stream apart. Inputs themselves go to storage (local disk here), not Redis;
(3) worker peak memory: VmHWM (and VmRSS) of the worker's processes when ready, after a 3 MP img2img
    (a 2048x1536 upload) and after a 2x upscale of a 1.5 MP image (1536x1024).

Why: input images are the first payloads that are megabytes rather than bytes; these figures show what
they cost the queue (Redis) and the worker (memory, time) next to a plain generation.

The stand-in and the workers run as separate processes (bench/common.py); every Redis key lives under
one ``naibot-bench:<random>`` prefix deleted afterwards (never FLUSHDB). Sizes from the environment:
BENCH_IMAGE_JOBS (N, 30), BENCH_IMAGE_WAITING (K, 10).
Run: ``.venv/bin/python bench/image_jobs.py``.
"""
# ruff: noqa: E402 - the path fix below has to run before any import.

from __future__ import annotations

import sys

# Run as a script, bench/ is sys.path[0]: the repo root takes its place (so ``bench.common`` is found and
# bench/queue.py does not shadow the standard library's ``queue``).
sys.path[0] = __file__.rsplit("/bench/", 1)[0]

import asyncio
import io
import os
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from PIL import Image

from bench.common import BenchSession, bench_session, deployment_env, start_novelai_stand_in, start_ready_worker
from naibot.settings import load_settings
from novelai.request import GenerationRequest
from tasks.events import follow
from tasks.image_submit import ImageJobs, Upload, VibeUpload
from tasks.job import Job, Requester
from tasks.services import QueueServices

JOBS = int(os.environ.get("BENCH_IMAGE_JOBS", "30"))
WAITING = int(os.environ.get("BENCH_IMAGE_WAITING", "10"))
EMAIL, PASSWORD = "bench-image@example.com", "bench-image-password"
MAX_ANLAS = 100_000
WIDTH, HEIGHT = 832, 1216
REQUEST = GenerationRequest(prompt="benchmark cat, scenery", model="v4.5", width=WIDTH, height=HEIGHT, steps=28,
                            n_samples=1)
ACCOUNT: dict[str, Any] = {"account": "default", "max_anlas": MAX_ANLAS}
PERSON = Requester(platform="bench", user_id="image", display_name="Image")


def picture(width: int, height: int) -> bytes:
    """A PNG with photo-like entropy: coarse noise smoothed up to size (pure noise would not compress at all,
    a flat colour would compress to nothing; neither is what people upload)."""
    coarse = Image.frombytes("RGB", (width // 4, height // 4), os.urandom(width // 4 * height // 4 * 3))
    out = io.BytesIO()
    coarse.resize((width, height), Image.Resampling.BICUBIC).save(out, format="PNG")
    return out.getvalue()


def mask_png(width: int, height: int) -> bytes:
    """White rectangle (repaint) in the middle of black."""
    image = Image.new("L", (width, height), 0)
    image.paste(255, (width // 4, height // 4, 3 * width // 4, 3 * height // 4))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


async def wait_for_jobs(redis: aioredis.Redis, prefix: str, after: str, want: set[str],
                        worker: subprocess.Popen[bytes], timeout: float = 120.0) -> dict[str, str]:
    """Follow the events until every job in ``want`` is done or failed; job -> event type."""
    ended: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while not want <= ended.keys():
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited with {worker.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(want - ended.keys())} jobs did not end within {timeout:.0f} s")
        for event in await follow(redis, prefix, after, block_ms=200):
            after = event.id
            if event.type in ("done", "failed") and event.job:
                ended[event.job] = event.type
    return ended


def group_memory(pgid: int) -> list[tuple[int, int, int]]:
    """(pid, VmHWM kB, VmRSS kB) of every process in process group ``pgid`` (the worker and Dramatiq's forks)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != pgid:
                continue
            fields = dict(line.split(":", 1) for line in (entry / "status").read_text().splitlines() if ":" in line)
        except (OSError, ValueError):
            continue
        found.append((int(entry.name), int(fields["VmHWM"].split()[0]), int(fields["VmRSS"].split()[0])))
    return sorted(found)


def describe_memory(pgid: int) -> str:
    return ", ".join(f"pid {pid} HWM {hwm / 1024:.0f} MB RSS {rss / 1024:.0f} MB" for pid, hwm, rss in
                     group_memory(pgid))


class World:
    """One deployment under ``prefix``: its services, ImageJobs and (when started) one worker."""

    def __init__(self, session: BenchSession, url: str, label: str) -> None:
        self.prefix = f"{session.base}:{label}"
        self.env = deployment_env(prefix=self.prefix, tmp=session.tmp, novelai_url=url, email=EMAIL,
                                  password=PASSWORD, images=session.tmp / f"images-{label}",
                                  NAIBOT_QUEUE__MAX_WAITING_PER_USER="100000",
                                  NAIBOT_QUEUE__MAX_ANLAS_PER_JOB=str(MAX_ANLAS))
        self.settings = load_settings(env=self.env)
        self.services = QueueServices.from_settings(self.settings)
        self.jobs = ImageJobs(self.services.submitter, self.settings.images)
        self.session = session

    async def worker(self, name: str) -> subprocess.Popen[bytes]:
        return await start_ready_worker(self.session.procs, self.services, self.env, threads=1, name=name)

    async def run(self, worker: subprocess.Popen[bytes], submit: Callable[[], Awaitable[Job]], count: int
                  ) -> tuple[float, int]:
        """Submit ``count`` jobs one after another; seconds from the first submit to the last end, failures."""
        after = await self.services.queue.last_event_id()
        began = time.perf_counter()
        ids = {(await submit()).id for _ in range(count)}
        ended = await wait_for_jobs(self.services.redis, self.prefix, after, ids, worker)
        return time.perf_counter() - began, sum(1 for kind in ended.values() if kind != "done")

    async def paused_run(self, worker: subprocess.Popen[bytes], submit: Callable[[], Awaitable[Job]], count: int
                         ) -> tuple[float, float, int]:
        """Submit ``count`` jobs behind a paused lane, then let the worker drain them: (seconds submitting,
        seconds draining, failures), so the front end's share and the worker's share do not overlap."""
        keys = self.services.queue.keys
        await self.services.redis.set(keys.lane_pause("default"), "bench", px=300_000)
        began = time.perf_counter()
        ids = {(await submit()).id for _ in range(count)}
        submitting = time.perf_counter() - began
        after = await self.services.queue.last_event_id()
        began = time.perf_counter()
        await self.services.redis.delete(keys.lane_pause("default"))
        await self.services.submitter.waker.wake("default")
        ended = await wait_for_jobs(self.services.redis, self.prefix, after, ids, worker)
        return submitting, time.perf_counter() - began, sum(1 for kind in ended.values() if kind != "done")


# -- (1) img2img next to txt2img -------------------------------------------------------------------


async def bench_overhead(session: BenchSession, url: str) -> None:
    world = World(session, url, "e2e")
    try:
        worker = await world.worker("worker-e2e")
        upload = Upload(picture(WIDTH, HEIGHT), "photo.png")
        txt = lambda: world.services.submitter.submit(REQUEST, PERSON, account="default",  # noqa: E731
                                                       max_anlas=MAX_ANLAS)
        img = lambda: world.jobs.generate(REQUEST, PERSON, account="default", max_anlas=MAX_ANLAS,  # noqa: E731
                                          image=upload)
        await world.run(worker, txt, 2)  # warm up: boot, login, first imports
        await world.run(worker, img, 2)
        rows = {}
        for name, submit in (("txt2img", txt), ("img2img", img)):
            submitting, draining, failed = await world.paused_run(worker, submit, JOBS)
            together, failed_together = await world.run(worker, submit, JOBS)
            rows[name] = (submitting, draining, together)
            print(f"    {name}: submit {submitting / JOBS * 1000:.1f} ms/job (ImageJobs/Submitter, this process); "
                  f"worker drain of a paused lane {JOBS / draining:.1f} jobs/s = {draining / JOBS * 1000:.1f} ms/job; "
                  f"submitted one after another while the worker runs {JOBS / together:.1f} jobs/s = "
                  f"{together / JOBS * 1000:.1f} ms/job; {failed + failed_together} failed")
        (s_txt, d_txt, t_txt), (s_img, d_img, t_img) = rows["txt2img"], rows["img2img"]
        print(f"(1) img2img vs txt2img at {WIDTH}x{HEIGHT} ({len(upload.data) / 1e6:.1f} MB PNG upload), zero-latency "
              f"stand-in, 1 worker process x 1 thread, {JOBS} jobs each: worker side {d_img / JOBS * 1000:.1f} vs "
              f"{d_txt / JOBS * 1000:.1f} ms/job (ratio {d_img / d_txt:.2f}x, "
              f"+{(d_img - d_txt) / JOBS * 1000:.1f} ms); "
              f"submit side {s_img / JOBS * 1000:.1f} vs {s_txt / JOBS * 1000:.1f} ms/job (+"
              f"{(s_img - s_txt) / JOBS * 1000:.1f} ms: decode, prepare, store); end to end {t_img / JOBS * 1000:.1f} "
              f"vs {t_txt / JOBS * 1000:.1f} ms/job = {JOBS / t_img:.1f} vs {JOBS / t_txt:.1f} jobs/s "
              f"(ratio {t_img / t_txt:.2f}x)")
    finally:
        await world.services.aclose()


# -- (2) Redis bytes per waiting job ---------------------------------------------------------------


async def key_sizes(redis: aioredis.Redis, prefix: str) -> dict[bytes, int]:
    keys = [key async for key in redis.scan_iter(match=f"{prefix}:*", count=5000)]
    async with redis.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.memory_usage(key, samples=0)
        sizes = await pipe.execute()
    return {key: size or 0 for key, size in zip(keys, sizes, strict=True)}


async def bench_redis_bytes(session: BenchSession, url: str) -> None:
    world = World(session, url, "mem")  # no worker: every job stays waiting
    jobs, submitter = world.jobs, world.services.submitter
    photo = Upload(picture(WIDTH, HEIGHT), "photo.png")
    mask = Upload(mask_png(WIDTH, HEIGHT), "mask.png")
    vibe_images = [Upload(picture(512, 512), f"vibe{n}.png") for n in range(10)]
    square = Upload(picture(1024, 1024), "square.png")
    kinds: list[tuple[str, Callable[[], Awaitable[Job]]]] = [
        ("txt2img", lambda: submitter.submit(REQUEST, PERSON, **ACCOUNT)),
        ("img2img", lambda: jobs.generate(REQUEST, PERSON, image=photo, **ACCOUNT)),
        ("infill + mask", lambda: jobs.generate(REQUEST, PERSON, image=photo, mask=mask,
                                                **ACCOUNT)),
        ("4 vibes", lambda: jobs.generate(REQUEST, PERSON, vibes=[VibeUpload(u) for u in vibe_images[:4]],
                                          **ACCOUNT)),
        ("10 vibes", lambda: jobs.generate(REQUEST, PERSON, vibes=[VibeUpload(u) for u in vibe_images],
                                           **ACCOUNT)),
        ("upscale 1024x1024", lambda: jobs.upscale(square, PERSON, **ACCOUNT)),
        ("tool bg-removal", lambda: jobs.tool(square, "bg-removal", PERSON, **ACCOUNT)),
    ]
    events_key = world.services.queue.keys.events.encode()
    parts = []
    try:
        await kinds[0][1]()  # the keys every deployment creates once (lane, user set, sequence, stream) are not a job's
        stream_before = await session.redis.memory_usage(events_key, samples=0) or 0
        for name, submit in kinds:
            before = await key_sizes(session.redis, world.prefix)
            job = None
            for _ in range(WAITING):
                job = await submit()
            after = await key_sizes(session.redis, world.prefix)
            grown = {key: size - before.get(key, 0) for key, size in after.items()}
            grown.pop(events_key, 0)
            per_job = sum(grown.values()) / WAITING
            data = len(await session.redis.hget(world.services.queue.keys.job(job.id), "data") or b"") if job else 0
            new_keys = (len(after) - len(before)) / WAITING
            hashed = await session.redis.memory_usage(world.services.queue.keys.job(job.id), samples=0) if job else 0
            parts.append(f"    {name}: {per_job:.0f} B/job ({new_keys:.1f} new keys a job; its hash {hashed} B, "
                         f"data JSON {data} B)")
        stream_after = await session.redis.memory_usage(events_key, samples=0) or 0
        stream_per_job = (stream_after - stream_before) / (WAITING * len(kinds))
        parts.append(f"    apart, the event stream (shared by every job, capped by events_max_length) grew "
                     f"{stream_per_job:.0f} B/job")
        print(f"(2) Redis bytes per waiting job (MEMORY USAGE delta of every key under the prefix over {WAITING} "
              f"jobs of each kind, no worker; inputs are in storage, not Redis):")
        print("\n".join(parts))
    finally:
        await world.services.aclose()


# -- (3) worker peak memory ------------------------------------------------------------------------


async def bench_worker_memory(session: BenchSession, url: str) -> None:
    world = World(session, url, "hwm")
    try:
        worker = await world.worker("worker-hwm")
        print(f"(3) worker peak memory, 1 worker process x 1 thread (every process of its group):\n"
              f"    ready, idle: {describe_memory(worker.pid)}")
        await world.run(worker, lambda: world.services.submitter.submit(REQUEST, PERSON, **ACCOUNT), 1)
        print(f"    after one txt2img {WIDTH}x{HEIGHT}: {describe_memory(worker.pid)}")
        big = Upload(picture(2048, 1536), "big.png")
        took, failed = await world.run(worker, lambda: world.jobs.generate(
            REQUEST.model_copy(update={"width": 1216, "height": 832}), PERSON, image=big, **ACCOUNT), 1)
        print(f"    after an img2img of a 2048x1536 upload ({len(big.data) / 1e6:.1f} MB PNG, prepared to 1216x832; "
              f"{took * 1000:.0f} ms, {failed} failed): {describe_memory(worker.pid)}")
        mid = Upload(picture(1536, 1024), "mid.png")
        took, failed = await world.run(worker, lambda: world.jobs.upscale(mid, PERSON, **ACCOUNT), 1)
        print(f"    after a 2x upscale of 1536x1024 ({len(mid.data) / 1e6:.1f} MB PNG -> 3072x2048; "
              f"{took * 1000:.0f} ms, "
              f"{failed} failed): {describe_memory(worker.pid)}")
    finally:
        await world.services.aclose()


async def main() -> None:
    async with bench_session("image-jobs") as session:
        url, _stand_in = await start_novelai_stand_in(session.procs, "stand-in", [f"{EMAIL}:{PASSWORD}:3:100000000"])
        print(await session.headline("image jobs"))
        await bench_overhead(session, url)
        await bench_redis_bytes(session, url)
        await bench_worker_memory(session, url)


if __name__ == "__main__":
    asyncio.run(main())
