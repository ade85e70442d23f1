"""Workers scale across machines on one Redis (issue 19, "Outgrowing one machine").

Two "machines" (``tests/fixtures/machines.py``): each a directory with its own ``settings.yaml``
and ``.env``, running ``naibot worker`` there in a process group of its own, as the Procfile line
does on a host. They share only what their files point at: one Redis (same prefix, same secret
key, so both open the same sealed accounts), one S3 bucket (SeaweedFS), one NovelAI (the stand-in,
which counts every generation and the overlap per account).

The two files differ in one harmless setting, ``storage.minio.presign_seconds``: the presigned
URL a worker records for an image carries it (``X-Amz-Expires``), so each result says which
machine generated and stored it, with no hook in the product.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
import redis.asyncio as aioredis

from novelai.accounts import Account, AccountStore
from novelai.factory import secret_box
from novelai.request import GenerationRequest
from sandbox.novelai import OPUS_EMAIL, OPUS_PASSWORD, NovelAISandbox, SandboxAccount
from sandbox.novelai.state import KEEP_REQUESTS
from storage.factory import storage_from_settings
from tasks.job import Job, JobState, Requester
from tasks.services import QueueServices
from tests.fixtures.deployment import all_events, wait_until_finished
from tests.fixtures.machines import Machine, presign_tag, text, worker_secrets, worker_settings
from tests.fixtures.redis import REDIS_URL, TEST_SECRET_KEY
from tests.fixtures.seaweed import SeaweedS3, s3_bucket_fixture, seaweed_s3_fixture  # noqa: F401

pytestmark = pytest.mark.xdist_group("workers")

# Each machine: one process, two threads; four lanes, so each machine's threads could take all
# of them and only the shared Redis keeps them apart.
THREADS = 2
EXTRA_LANES = ("lane1", "lane2", "lane3")
LANES = ("default", *EXTRA_LANES)
# Which machine stored an image: the presign lifetime its settings give (seconds, any valid value).
PRESIGN = {"a": 604_800, "b": 604_799}
FINISH_TIMEOUT = 60.0
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
GENERATE_PATHS = ("/ai/generate-image", "/ai/generate-image-stream")


@dataclass
class Cluster:
    sandbox: NovelAISandbox
    prefix: str
    bucket: str
    s3: SeaweedS3
    redis: aioredis.Redis
    a: Machine
    b: Machine

    @property
    def machines(self) -> tuple[Machine, Machine]:
        return self.a, self.b

    async def start(self) -> None:
        """Both machines at once (as two hosts would boot), ready when each has beaten its heart."""
        for machine in self.machines:
            machine.start()
        await asyncio.gather(*(machine.wait_ready(self.redis, self.prefix, processes=1) for machine in self.machines))

    async def add_lanes(self) -> None:
        """Three more NovelAI accounts, sealed into Redis once (from machine A's settings): both open them."""
        settings = self.a.settings()
        box = secret_box(settings)
        assert box is not None
        services = QueueServices.from_settings(settings)
        try:
            store = AccountStore(services.redis, box, self.prefix)
            for name in EXTRA_LANES:
                email, password = f"{name}@example.com", f"{name}-password"
                self.sandbox.add_account(SandboxAccount(email=email, password=password, tier=3, anlas=1000))
                await store.add(Account.from_password(name, email, password))
        finally:
            await services.aclose()

    def made_by(self, job: Job) -> Machine:
        """The machine that stored the job's images (they all carry its presign lifetime)."""
        found = {machine.name for image in job.images for machine in self.machines
                 if presign_tag(PRESIGN[machine.name]) in image.url}
        assert len(found) == 1, f"job {job.id}: images from {found or 'no machine'}: {[i.url for i in job.images]}"
        return self.a if found == {"a"} else self.b


@pytest_asyncio.fixture
async def cluster(novelai_sandbox: NovelAISandbox, redis_prefix: str, aredis: aioredis.Redis, seaweed_s3: SeaweedS3,
                  s3_bucket: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    secrets = worker_secrets(redis_url=REDIS_URL, secret_key=TEST_SECRET_KEY, email=OPUS_EMAIL,
                             password=OPUS_PASSWORD, s3_access_key=seaweed_s3.access_key,
                             s3_secret_key=seaweed_s3.secret_key)
    machines = [Machine.create(name, tmp_path / f"machine-{name}",
                               worker_settings(prefix=redis_prefix, novelai_url=novelai_sandbox.url,
                                               s3_endpoint=seaweed_s3.endpoint, bucket=s3_bucket,
                                               presign_seconds=PRESIGN[name], threads=THREADS),
                               secrets)
                for name in ("a", "b")]
    cluster = Cluster(novelai_sandbox, redis_prefix, s3_bucket, seaweed_s3, aredis, *machines)
    try:
        yield cluster
    finally:
        # Off the event loop, both at once: a stopping worker may still be talking to the stand-in,
        # which this very loop serves.
        await asyncio.gather(*(asyncio.to_thread(machine.stop) for machine in machines))


def person(n: int) -> Requester:
    return Requester(platform="test", user_id=f"u{n % 7}", display_name=f"U{n % 7}", chat_id="chat1")


def request(seed: int) -> GenerationRequest:
    return GenerationRequest(prompt=f"a cat, job {seed}", model="v4.5", width=512, height=512, steps=8, seed=seed)


async def submit_held(services: QueueServices, count: int) -> list[Job]:
    """``count`` jobs over all lanes, submitted while the lanes are paused (``release`` lets them go)."""
    for lane in LANES:
        await services.redis.set(services.queue.keys.lane_pause(lane), "test", px=60_000)
    return [await services.submitter.submit(request(1000 + n), person(n), account=LANES[n % len(LANES)])
            for n in range(count)]


async def release(services: QueueServices) -> None:
    for lane in LANES:
        await services.redis.delete(services.queue.keys.lane_pause(lane))
        await services.submitter.waker.wake(lane)


async def wait_for_done(services: QueueServices, jobs: list[Job], count: int) -> None:
    """Until ``count`` of ``jobs`` are done (no event says "the n-th job": the states are read)."""
    deadline = time.monotonic() + FINISH_TIMEOUT
    while sum(1 for job in [await services.queue.get(j.id) for j in jobs]
              if job is not None and job.state is JobState.DONE) < count:
        assert time.monotonic() < deadline, f"fewer than {count} jobs done in {FINISH_TIMEOUT:.0f} s"
        await asyncio.sleep(0.05)


def generations_per_seed(sandbox: NovelAISandbox) -> Counter[int]:
    """Generations the stand-in completed, by seed (each job has its own)."""
    assert len(sandbox.stats.requests) < KEEP_REQUESTS, "the stand-in's request log overflowed: fewer jobs"
    return Counter(record["body"]["parameters"]["seed"] for record in sandbox.stats.requests
                   if record["path"] in GENERATE_PATHS and record["status"] == 200)


def one_at_a_time(sandbox: NovelAISandbox) -> dict[str, int]:
    return {lane: sandbox.stats.peak_concurrency.get(email, 0)
            for lane, email in zip(LANES, (OPUS_EMAIL, *(f"{name}@example.com" for name in EXTRA_LANES)), strict=True)}


async def test_two_machines_drain_the_same_lanes_each_job_once_one_generation_per_account(cluster: Cluster) -> None:
    cluster.sandbox.step_latency = 0.01
    await cluster.add_lanes()
    await cluster.start()
    services = QueueServices.from_settings(cluster.a.settings())  # a bot on machine A submits
    try:
        jobs = await submit_held(services, 40)
        await release(services)  # both machines take the lanes at once
        finished = await wait_until_finished(services, [job.id for job in jobs], timeout=FINISH_TIMEOUT)
        events = await all_events(services)
    finally:
        await services.aclose()

    assert {job.state for job in finished.values()} == {JobState.DONE}
    assert {job.attempts for job in finished.values()} == {1}
    # Each job generated exactly once, started once and finished once, across both machines.
    assert generations_per_seed(cluster.sandbox) == Counter({1000 + n: 1 for n in range(40)})
    assert Counter(e.job for e in events if e.type == "started") == Counter({job.id: 1 for job in jobs})
    assert Counter(e.job for e in events if e.type == "done") == Counter({job.id: 1 for job in jobs})
    # Never two generations of one account at once, although four threads on two machines drain four lanes.
    assert one_at_a_time(cluster.sandbox) == dict.fromkeys(LANES, 1)
    # Both machines did work.
    split = Counter(cluster.made_by(job).name for job in finished.values())
    assert split["a"] > 0 and split["b"] > 0, f"one machine ran every job: {split}"

    # The results are in the one bucket, and each machine's storage reads what the other stored.
    keys = {image.key for job in finished.values() for image in job.images}
    in_bucket = {item.object_name for item in cluster.s3.client().list_objects(cluster.bucket, recursive=True)}
    assert keys <= in_bucket
    storage = {machine.name: storage_from_settings(machine.settings()) for machine in cluster.machines}
    for job in finished.values():
        other = "b" if cluster.made_by(job).name == "a" else "a"
        assert storage[other].get(job.images[0].key).startswith(PNG_MAGIC)


async def running_jobs_of(machine: Machine, services: QueueServices) -> list[str]:
    """The jobs ``machine``'s workers are running now (the owner a pop writes on the job)."""
    held = []
    for job_id in map(text, await services.redis.zrange(services.queue.keys.running, 0, -1)):
        owner, state = await services.redis.hmget(services.queue.keys.job(job_id), ["owner", "state"])
        if owner is not None and state == b"running" and machine.ran(text(owner)):
            held.append(job_id)
    return held


async def freeze_while_running(machine: Machine, services: QueueServices) -> list[str]:
    """SIGSTOP ``machine`` at a moment it runs a job, and return the jobs it runs: frozen, it can
    finish none of them between this look and the plug being pulled."""
    deadline = time.monotonic() + FINISH_TIMEOUT
    while True:
        if await running_jobs_of(machine, services):
            machine.freeze()
            if held := await running_jobs_of(machine, services):
                return held
            machine.thaw()  # it finished them as we looked: again
        assert time.monotonic() < deadline, f"machine {machine.name} never ran a job"
        await asyncio.sleep(0.02)


async def test_a_machine_that_dies_mid_run_leaves_every_job_to_the_other(cluster: Cluster) -> None:
    cluster.sandbox.step_latency = 0.03
    await cluster.add_lanes()
    await cluster.start()
    services = QueueServices.from_settings(cluster.b.settings())  # a bot on machine B submits
    try:
        jobs = await submit_held(services, 24)
        # Machine B sits frozen while A starts (SIGSTOP, holding no lease yet), so that A is
        # certainly at work, two jobs done and one running, when its plug is pulled.
        cluster.b.freeze()
        await release(services)
        await wait_for_done(services, jobs, 2)
        orphaned = await freeze_while_running(cluster.a, services)
        cluster.a.pull_the_plug()
        cluster.b.thaw()
        finished = await wait_until_finished(services, [job.id for job in jobs], timeout=FINISH_TIMEOUT)
        events = await all_events(services)
    finally:
        await services.aclose()

    assert {job.state for job in finished.values()} == {JobState.DONE}
    assert Counter(e.job for e in events if e.type == "done") == Counter({job.id: 1 for job in jobs})
    # The dead machine's jobs were put back by a sweeper once their leases lapsed, and machine B ran them.
    requeued = {e.job for e in events if e.type == "requeued"}
    assert set(orphaned) <= requeued
    assert Counter(cluster.made_by(job).name for job in finished.values())["a"] >= 2
    for job_id in orphaned:
        assert cluster.made_by(finished[job_id]) is cluster.b and finished[job_id].attempts == 2
    assert "requeued a job whose worker stopped renewing its lease" in cluster.b.log()
    # Only a job cut off mid-run may have reached NovelAI twice; every other one exactly once.
    by_job = {job.id: 1000 + n for n, job in enumerate(jobs)}
    generated = generations_per_seed(cluster.sandbox)
    assert all(generated[by_job[job.id]] == 1 for job in jobs if job.id not in orphaned), generated
    assert all(1 <= generated[by_job[job_id]] <= 2 for job_id in orphaned)
    assert one_at_a_time(cluster.sandbox) == dict.fromkeys(LANES, 1)


# Random, like TEST_SECRET_KEY (naibot refuses a guessable key), and not it.
ANOTHER_SECRET_KEY = "w0Yc9kJrVZ3nqT6bH2sLx8fPa1mEuD4gRi7oNy5tKjQ="


async def started_or_refused(machine: Machine, redis: aioredis.Redis, prefix: str) -> bool:
    """Until ``machine`` has either beaten its heart (True) or exited (False)."""
    try:
        await machine.wait_ready(redis, prefix, processes=1)
    except AssertionError:
        if machine.process is None or machine.process.poll() is None:
            raise  # neither: not ready in time
        return False
    return True


async def test_a_machine_with_another_secret_key_refuses_to_start_and_says_why(cluster: Cluster) -> None:
    await cluster.add_lanes()  # sealed under the deployment's key (machine A's)
    env = cluster.b.directory / ".env"
    env.write_text(env.read_text().replace(TEST_SECRET_KEY, ANOTHER_SECRET_KEY))
    cluster.b.start()
    running = await started_or_refused(cluster.b, cluster.redis, cluster.prefix)
    said = [line for line in cluster.b.log().splitlines() if " ERROR " in line and "NAIBOT_SECRET_KEY" in line]
    assert said and not running, cluster.b.log()[-2000:]
    assert cluster.b.process is not None and cluster.b.process.returncode == 2
