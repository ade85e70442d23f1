"""A small real deployment for tests: the NovelAI stand-in, real Dramatiq worker processes, Redis.

Workers are started exactly as in production (``python -m dramatiq tasks.actors``), configured
only through the environment, each in its own process group so a test can ``kill -9`` it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest_asyncio

from naibot.secrets import SecretBox
from naibot.settings import Settings, load_settings
from novelai.accounts import Account, AccountStore
from sandbox.novelai import OPUS_EMAIL, OPUS_PASSWORD, NovelAISandbox
from tasks.events import Event, follow
from tasks.job import Job
from tasks.launch import ROOT, spawn_worker, stop_worker, wait_for_heartbeats
from tasks.services import QueueServices
from tests.redis_fixtures import REDIS_URL, TEST_SECRET_KEY

WORKER_BOOT_TIMEOUT = 30.0


@dataclass
class Deployment:
    sandbox: NovelAISandbox
    prefix: str
    storage_dir: Path
    overrides: dict[str, str] = field(default_factory=dict)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NAIBOT_", "NOVELAI_", "REDIS_"))}
        env.update({
            "NAIBOT_SETTINGS": str(self.storage_dir / "absent-settings.yaml"),
            "REDIS_URL": REDIS_URL,
            "NAIBOT_REDIS__PREFIX": self.prefix,
            "NOVELAI_API_URL": self.sandbox.url,
            "NOVELAI_IMAGE_URL": self.sandbox.url,
            "NOVELAI_EMAIL": OPUS_EMAIL,
            "NOVELAI_PASSWORD": OPUS_PASSWORD,
            "NAIBOT_SECRET_KEY": TEST_SECRET_KEY,
            "STORAGE_BACKEND": "local",
            "STORAGE_DIR": str(self.storage_dir),
            "NAIBOT_QUEUE__LEASE_SECONDS": "2",
            "NAIBOT_QUEUE__BACKOFF_BASE_SECONDS": "0.05",
            "NAIBOT_QUEUE__BACKOFF_MAX_SECONDS": "0.2",
            "NAIBOT_QUEUE__LOCK_PAUSE_SECONDS": "0.3",
            "NAIBOT_QUEUE__PROGRESS_INTERVAL_SECONDS": "0",
            "NAIBOT_QUEUE__MAX_WAITING_PER_USER": "100",
            "NAIBOT_LOGGING__LEVEL": "INFO",
            "PYTHONPATH": str(ROOT),
        })
        env.update(self.overrides)
        return env

    @property
    def settings(self) -> Settings:
        return load_settings(env=self.env)

    def services(self) -> QueueServices:
        return QueueServices.from_settings(self.settings)

    async def add_account(self, account: Account) -> None:
        settings = self.settings
        services = self.services()
        store = AccountStore(services.redis, SecretBox(TEST_SECRET_KEY), settings.redis.prefix)
        await store.add(account)
        await services.aclose()

    async def start_worker(self, processes: int = 1, threads: int = 4) -> subprocess.Popen[bytes]:
        services = self.services()
        known = set(await services.redis.zrange(services.queue.keys.workers, 0, -1))
        log_path = self.storage_dir / f"worker-{len(self.workers)}.log"
        with log_path.open("wb") as log:
            process = spawn_worker(self.env, self.settings.queue.dramatiq_queue, processes=processes,
                                   threads=threads, log=log)
        self.workers.append(process)
        try:
            await wait_for_heartbeats(services.redis, self.prefix, process, known, processes,
                                      timeout=WORKER_BOOT_TIMEOUT)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}; its log:\n{log_path.read_text(errors='replace')[-3000:]}") from None
        finally:
            await services.aclose()
        return process

    async def hold_lane(self, account: str = "default") -> None:
        """Pause the lane so jobs queue up (deterministic positions) until ``release_lane``."""
        services = self.services()
        await services.redis.set(services.queue.keys.lane_pause(account), "test", px=120_000)
        await services.aclose()

    async def release_lane(self, account: str = "default") -> None:
        services = self.services()
        await services.redis.delete(services.queue.keys.lane_pause(account))
        await services.submitter.waker.wake(account)
        await services.aclose()

    async def wait_for_depth(self, depth: int, account: str = "default", timeout: float = 30.0) -> None:
        """Wait until the lane holds ``depth`` jobs (chat answers come first, queueing right after)."""
        services = self.services()
        try:
            deadline = time.monotonic() + timeout
            while (await services.queue.lane_depths()).get(account, 0) < depth:
                assert time.monotonic() < deadline, f"lane depth {await services.queue.lane_depths()}, not {depth}"
                await asyncio.sleep(0.05)
        finally:
            await services.aclose()

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """kill -9 the worker and all its processes, as a crash or a pulled plug would."""
        stop_worker(process, kill=True)

    def stop_all(self) -> None:
        for process in self.workers:
            stop_worker(process)


async def wait_until_finished(services: QueueServices, job_ids: list[str], timeout: float = 30.0,
                              after: str = "0-0", on_event: Callable[[Event], None] | None = None
                              ) -> dict[str, Job]:
    """Follow the event stream (no polling sleeps) until every job has ended."""
    deadline = time.monotonic() + timeout
    pending = set(job_ids)
    finished: dict[str, Job] = {}
    while pending:
        for job_id in list(pending):
            job = await services.queue.get(job_id)
            if job is not None and job.state.terminal:
                finished[job_id] = job
                pending.discard(job_id)
        if not pending:
            break
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            states = {i: (j.state if (j := await services.queue.get(i)) else None) for i in pending}
            raise AssertionError(f"jobs did not finish in {timeout} s: {states}")
        events = await follow(services.redis, services.settings.redis.prefix, after,
                              block_ms=int(min(remaining, 1.0) * 1000))
        for event in events:
            after = event.id
            if on_event:
                on_event(event)
    return finished


async def all_events(services: QueueServices) -> list[Event]:
    events, after = [], "0-0"
    while batch := await follow(services.redis, services.settings.redis.prefix, after, block_ms=1):
        events.extend(batch)
        after = batch[-1].id
    return events


# A teardown step that hangs must not hang the whole run: after this long it is abandoned.
TEARDOWN_SECONDS = 20.0


async def bounded(step: Awaitable[object], what: str) -> None:
    """Await a teardown step for at most TEARDOWN_SECONDS, warning instead of hanging."""
    try:
        await asyncio.wait_for(step, TEARDOWN_SECONDS)
    except TimeoutError:
        warnings.warn(f"{what} took over {TEARDOWN_SECONDS:.0f} s; abandoned", stacklevel=2)


@pytest_asyncio.fixture
async def deployment(novelai_sandbox: NovelAISandbox, redis_prefix: str, aredis, tmp_path: Path
                     ) -> AsyncIterator[Deployment]:
    deployment = Deployment(sandbox=novelai_sandbox, prefix=redis_prefix, storage_dir=tmp_path)
    try:
        yield deployment
    finally:
        deployment.stop_all()
        # Dramatiq's own keys live under the prefix too (its namespace), so the aredis fixture
        # removes them with ours.

