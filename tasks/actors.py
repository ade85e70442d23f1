"""Dramatiq entry point: ``dramatiq tasks.actors`` (``naibot worker`` wraps it with our settings).

Importing this module configures the Redis broker from settings (and the environment), declares
the one actor, and installs a middleware that starts, per worker process, the async bridge, the
shared worker context and the sweeper that recovers jobs of dead workers.
"""

from __future__ import annotations

import logging
import threading

import dramatiq

from naibot.excepthooks import install_exception_hooks
from naibot.logs import setup_logging
from naibot.settings import load_settings
from tasks.bridge import AsyncBridge
from tasks.dispatch import LANE_ACTOR, make_broker
from tasks.worker import WorkerContext, drain_lane, sweep

log = logging.getLogger("naibot.worker")
# Every Dramatiq worker process imports this module first: its uncaught exceptions (actor threads,
# the bridge loop, start-up) reach stderr only through the redactor.
install_exception_hooks()
settings = load_settings()
setup_logging(settings.logging.level)
broker = make_broker(settings.redis.url, settings.redis.prefix)


class _Process:
    """The worker process's shared state, built once after the worker boots."""

    bridge: AsyncBridge | None = None
    context: WorkerContext | None = None
    stop = threading.Event()


def _booted() -> tuple[AsyncBridge, WorkerContext]:
    """The bridge and context ``before_worker_boot`` built; an error if it has not run."""
    if _Process.bridge is None or _Process.context is None:
        raise RuntimeError("worker context missing: run through `dramatiq tasks.actors` or `naibot worker`")
    return _Process.bridge, _Process.context


def _sweeper() -> None:
    interval = max(0.2, settings.queue.lease_seconds / 4)
    while not _Process.stop.wait(interval):
        try:
            bridge, context = _booted()
            bridge.run(sweep(context), timeout=interval * 4)
        except Exception as exc:  # Redis away: try again next round, never die
            log.warning("sweep failed: %s", exc)


class NaibotWorkerLifecycle(dramatiq.Middleware):
    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        # Before the worker threads start taking messages, so no actor runs without a context.
        _Process.bridge = AsyncBridge()
        _Process.context = WorkerContext.from_settings(settings)

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        _, context = _booted()
        threading.Thread(target=_sweeper, name="naibot-sweeper", daemon=True).start()
        log.info("worker %s ready: redis %s, prefix %s, NovelAI %s, storage %s",
                 context.worker_id, settings.redis.address, settings.redis.prefix,
                 settings.novelai.image_url, settings.storage.backend)

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        _Process.stop.set()
        if _Process.context is not None:
            _Process.context.stopping.set()  # lanes stop after their running job (bounded by its deadline)


broker.add_middleware(NaibotWorkerLifecycle())
dramatiq.set_broker(broker)


@dramatiq.actor(actor_name=LANE_ACTOR, queue_name=settings.queue.dramatiq_queue, max_retries=0,
                time_limit=24 * 3600 * 1000)
def run_lane(account: str) -> None:
    """Drain one account's lane (Dramatiq retries are off: our leases recover failures)."""
    bridge, context = _booted()
    bridge.run(drain_lane(context, account))
