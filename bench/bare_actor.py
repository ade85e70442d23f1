"""The baseline for bench/queue.py: a plain Dramatiq actor doing the same stand-in call, no scheduling.

No lanes, leases, Lua scripts, fairness or storage: a message names an account, the actor posts
the prebuilt ``/ai/generate-image`` body (with a fresh seed, as every queued job draws one, so
the stand-in's PNG cache helps neither side) with that account's token, reads the ZIP (opens every
PNG in it) and appends one ``done`` entry to a Redis stream so the benchmark can time it the
same way it times the product (first send to last ``done``).

Configured only through the environment (set by bench/queue.py):
``BENCH_REDIS_URL``, ``BENCH_NAMESPACE`` (Dramatiq namespace, under the benchmark's key prefix),
``BENCH_QUEUE``, ``BENCH_EVENTS`` (stream key), ``BENCH_IMAGE_URL``, ``BENCH_TOKENS`` (JSON
name -> token) and ``BENCH_BODY`` (JSON request body).
Run: ``python -m dramatiq bench.bare_actor --processes 1 --threads 4 --queues <BENCH_QUEUE>``.
"""

from __future__ import annotations

import io
import json
import os
import random
import threading
import zipfile
from typing import Any

import dramatiq
import httpx
import redis
from dramatiq.brokers.redis import RedisBroker

ACTOR_NAME = "bare_generate"
REDIS_URL = os.environ["BENCH_REDIS_URL"]
QUEUE = os.environ.get("BENCH_QUEUE", "bench-bare")
EVENTS = os.environ["BENCH_EVENTS"]
IMAGE_URL = os.environ["BENCH_IMAGE_URL"].rstrip("/")
TOKENS: dict[str, str] = json.loads(os.environ["BENCH_TOKENS"])
BODY: dict[str, Any] = json.loads(os.environ["BENCH_BODY"])

broker = RedisBroker(url=REDIS_URL, namespace=os.environ["BENCH_NAMESPACE"])
dramatiq.set_broker(broker)

_redis = redis.Redis.from_url(REDIS_URL)
_http = httpx.Client(timeout=60.0, limits=httpx.Limits(max_connections=64, max_keepalive_connections=64))
# The stand-in (like NovelAI) refuses a second generation of one account while one runs; the
# product's client holds a per-account lock for that, so the baseline holds one too.
_locks = {name: threading.Lock() for name in TOKENS}


@dramatiq.actor(actor_name=ACTOR_NAME, queue_name=QUEUE, max_retries=0)
def bare_generate(account: str, job: str) -> None:
    body = {**BODY, "parameters": {**BODY["parameters"], "seed": random.randint(1, 2**32 - 8)}}
    with _locks[account]:
        response = _http.post(f"{IMAGE_URL}/ai/generate-image", json=body,
                              headers={"Authorization": f"Bearer {TOKENS[account]}"})
    response.raise_for_status()
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        pngs = [archive.read(name) for name in archive.namelist()]
    if not pngs:
        raise RuntimeError("the stand-in sent an empty ZIP")
    _redis.xadd(EVENTS, {"type": "done", "job": job, "account": account})
