"""Operations endpoints: ``GET /healthz`` for probes and ``GET /metrics`` for Prometheus.

Both read shared state in Redis (``tasks.metrics``), never this process's memory: workers and
chat bots are other processes, often on other machines, and the API process is the one place a
load balancer or a scraper can reach. A scrape costs a handful of Redis reads, whatever the load.

Access:

* ``/healthz`` needs no key: load balancers, systemd watchdogs and uptime checkers do not send
  one, and it shows only counts (Redis up, live workers, unread events per consumer group), no
  jobs, users or prompts.
* ``/metrics`` needs any valid API key as ``Authorization: Bearer`` (Prometheus:
  ``authorization: {credentials: ...}`` in the scrape config), so a dedicated low-priority
  "prometheus" key is enough and no admin key has to sit in a scrape config. The figures are the
  ones ``/queue_status`` gives any key holder, plus totals. ``api.metrics_public: true`` drops
  the key for setups where only a private network reaches the API.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.registry import CollectorRegistry
from redis.exceptions import RedisError

from bot.http.auth import require_identity
from bot.http.deps import ApiState, api_state
from novelai.errors import NovelAIError
from tasks.chat_presence import alive_by_platform, chat_processes, shard_states
from tasks.metrics import (
    BUCKETS,
    DELIVERY_LAG,
    FINAL_STATES,
    GENERATION,
    INF,
    Histogram,
    MetricsSnapshot,
    bound_label,
    read_snapshot,
    stream_lag,
    workers_alive,
)

log = logging.getLogger(__name__)
router = APIRouter(tags=["operations"])
# A probe must get an answer even when Redis hangs rather than refuses.
REDIS_TIMEOUT_SECONDS = 3.0
# Shown with zero before anything happened, so rate() and alerts work from the first scrape.
PLATFORMS = ("telegram", "discord")


def _kinds(cls: type[NovelAIError] = NovelAIError) -> set[str]:
    found = set()
    for sub in cls.__subclasses__():
        kind = getattr(sub, "kind", None)
        if isinstance(kind, str):
            found.add(kind)
        found |= _kinds(sub)
    return found


NOVELAI_ERROR_KINDS = tuple(sorted(_kinds()))


@router.get("/healthz", summary="liveness: Redis reachable and at least one worker alive",
            responses={200: {"description": "healthy"},
                       503: {"description": "Redis unreachable, or no worker has beaten its heart lately",
                             "content": {"application/json": {}}}})
async def healthz(state: ApiState = Depends(api_state)) -> JSONResponse:
    redis, prefix = state.services.redis, state.settings.redis.prefix
    try:
        async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
            await redis.ping()
            workers = await workers_alive(redis, prefix, state.settings.queue.lease_seconds)
            lag = await stream_lag(redis, prefix)
            chats = alive_by_platform(await chat_processes(redis, prefix))
    except (RedisError, OSError, TimeoutError) as exc:
        log.warning("healthz: Redis unreachable: %s", exc)
        return JSONResponse({"status": "unavailable", "redis": "error", "workers": 0, "stream_lag": {},
                             "chat_processes": {}}, status_code=503)
    # Chat processes are counted, not required: a deployment may run the API without any chat bot.
    healthy = workers > 0
    return JSONResponse({"status": "ok" if healthy else "no workers", "redis": "ok", "workers": workers,
                         "stream_lag": lag, "chat_processes": chats}, status_code=200 if healthy else 503)


def _metrics_access(request: Request) -> None:
    """FastAPI dependency: any API key, unless ``api.metrics_public``."""
    if not request.app.state.api.settings.api.metrics_public:
        require_identity(request)


@router.get("/metrics", summary="Prometheus metrics (text format 0.0.4)", dependencies=[Depends(_metrics_access)],
            response_class=Response,
            responses={200: {"content": {"text/plain": {}}, "description": "the metrics"},
                       401: {"description": "no or unknown API key (unless api.metrics_public)"}})
async def metrics(state: ApiState = Depends(api_state)) -> Response:
    snapshot = None
    try:
        async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
            snapshot = await read_snapshot(state.services.redis, state.settings.redis.prefix,
                                           state.settings.queue.lease_seconds)
    except (RedisError, OSError, TimeoutError) as exc:
        # Still a valid scrape: naibot_redis_up 0 is what an alert wants to see.
        log.warning("metrics: Redis unreachable: %s", exc)
    return Response(render(snapshot), media_type=CONTENT_TYPE_PLAIN_0_0_4)


def render(snapshot: MetricsSnapshot | None) -> bytes:
    """The Prometheus text exposition of one snapshot (None: Redis could not be read)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_SnapshotCollector(snapshot))
    return generate_latest(registry)


class _SnapshotCollector:
    """A one-scrape collector: the figures were read from Redis before rendering (collect() is sync)."""

    def __init__(self, snapshot: MetricsSnapshot | None) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("naibot_redis_up", "1 when the API process could read Redis for this scrape")
        up.add_metric([], 0 if self.snapshot is None else 1)
        yield up
        if self.snapshot is not None:
            yield from _families(self.snapshot)


def _families(s: MetricsSnapshot) -> Iterator[Metric]:
    jobs = GaugeMetricFamily("naibot_jobs", "Jobs by state: queued and running now; done, failed, canceled in total",
                             labels=["state"])
    for state, count in s.jobs.items():
        jobs.add_metric([state], count)
    yield jobs
    finished = CounterMetricFamily("naibot_jobs_finished", "Jobs that ended, by final state", labels=["state"])
    for state in FINAL_STATES:
        finished.add_metric([state], s.jobs.get(state, 0))
    yield finished
    lanes = GaugeMetricFamily("naibot_lane_depth", "Waiting jobs per NovelAI account lane", labels=["lane"])
    for lane, depth in sorted(s.lane_depths.items()):
        lanes.add_metric([lane], depth)
    yield lanes
    yield _histogram("naibot_generation_seconds", "NovelAI generation time of finished jobs", GENERATION,
                     {(): s.histograms.get((GENERATION, ""))})
    errors = CounterMetricFamily("naibot_novelai_errors", "Failed NovelAI attempts by error kind (retries included)",
                                 labels=["kind"])
    for kind in sorted({*NOVELAI_ERROR_KINDS, *s.novelai_errors}):
        errors.add_metric([kind], s.novelai_errors.get(kind, 0))
    yield errors
    limited = CounterMetricFamily("naibot_platform_rate_limited", "429 answers from the chat platforms",
                                  labels=["platform"])
    for platform in sorted({*PLATFORMS, *s.rate_limited}):
        limited.add_metric([platform], s.rate_limited.get(platform, 0))
    yield limited
    lag_platforms = sorted({*PLATFORMS, *(label for name, label in s.histograms if name == DELIVERY_LAG)})
    yield _histogram("naibot_delivery_lag_seconds", "From a job's end to its pictures being posted in the chat",
                     DELIVERY_LAG, {(p,): s.histograms.get((DELIVERY_LAG, p)) for p in lag_platforms},
                     labels=["platform"])
    workers = GaugeMetricFamily("naibot_workers_alive", "Worker processes whose heartbeat is recent")
    workers.add_metric([], s.workers_alive)
    yield workers
    chats = GaugeMetricFamily("naibot_chat_processes_alive", "Chat bot processes whose beat is recent",
                              labels=["platform"])
    alive = alive_by_platform(s.chat_processes)
    for platform in sorted({*PLATFORMS, *alive}):
        chats.add_metric([platform], alive.get(platform, 0))
    yield chats
    shards = GaugeMetricFamily("naibot_discord_shards", "Discord shards run by live processes, by state",
                               labels=["state"])
    for shard_state, count in sorted(shard_states(s.chat_processes).items()):
        shards.add_metric([shard_state], count)
    yield shards
    lag = GaugeMetricFamily("naibot_events_stream_lag", "Events a consumer group (a chat bot) has not read yet",
                            labels=["group"])
    for group, value in sorted(s.stream_lag.items()):
        if value is not None:
            lag.add_metric([group], value)
    yield lag


def _histogram(name: str, documentation: str, stored: str, series: dict[tuple[str, ...], Histogram | None],
               labels: list[str] | None = None) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, documentation, labels=labels)
    empty = [(bound_label(b), 0.0) for b in BUCKETS[stored]] + [(INF, 0.0)]
    for label_values, histogram in series.items():
        if histogram is None:
            family.add_metric(list(label_values), empty, 0.0)
        else:
            family.add_metric(list(label_values), [(b, float(c)) for b, c in histogram.buckets], histogram.sum)
    return family
