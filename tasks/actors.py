"""Dramatiq entry point: ``dramatiq tasks.actors`` (``naibot worker`` wraps it with our settings).

Importing this module configures the Redis broker from settings (and the environment), declares
the one actor, and installs a middleware that starts, per worker process, the async bridge, the
shared worker context and the sweeper that recovers jobs of dead workers.
"""

from __future__ import annotations

import logging
import threading

import dramatiq
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from naibot.excepthooks import install_exception_hooks
from naibot.logs import setup_logging
from naibot.settings import load_settings
from tasks.bridge import AsyncBridge
from tasks.dispatch import LANE_ACTOR, make_broker
from tasks.stop_signal import ignore_echoed_sigterm
from tasks.sweeper import Sweeper, sweep_interval
from tasks.worker import WorkerContext, drain_lane
from tasks.worker_logs import RedisOutage, install_worker_logging

log = logging.getLogger("naibot.worker")
# Every Dramatiq worker process imports this module first: its uncaught exceptions (actor threads,
# the bridge loop, start-up) reach stderr only through the redactor.
install_exception_hooks()
settings = load_settings()
setup_logging(settings.logging.level)
# Dramatiq's CLI set up the handlers already: give them our format and the outage filter.
outage = RedisOutage(settings.redis.address)
install_worker_logging(outage)
# A stop sent to the process group arrives twice; the second copy must not cut the running jobs off.
ignore_echoed_sigterm()
broker = make_broker(settings.redis)
# What "Redis is not answering" looks like from the sweeper (anything else is a bug to report).
_REDIS_AWAY = (RedisConnectionError, RedisTimeoutError, OSError)


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
    """A sweeper round at once, then every quarter lease (``tasks.sweeper``: the heartbeat, and the
    sweep itself when no other worker has it this round). The first round that reaches Redis makes
    the worker ready (and says so); until then it waits for Redis, said once. Later failures are outages."""
    interval = sweep_interval(settings)
    ready = waiting = False
    sweeper: Sweeper | None = None
    while True:
        try:
            bridge, context = _booted()
            sweeper = sweeper or Sweeper(context.redis, context.queue, context.waker, context.worker_id, interval)
            bridge.run(sweeper.round(), timeout=interval * 4)
        except _REDIS_AWAY as exc:
            if not ready and not waiting:
                waiting = True
                log.warning("waiting for Redis at %s (%s)", settings.redis.address, exc)
            elif ready:
                outage.failed(str(exc) or type(exc).__name__)
        except Exception as exc:  # never die: try again next round
            log.warning("sweep failed: %s", exc)
        else:
            if not ready:
                ready = True
                outage.watching()
                _say_ready(context)
            outage.answered()
        if _Process.stop.wait(interval):
            return


def _say_ready(context: WorkerContext) -> None:
    log.info("worker %s ready: redis %s, prefix %s, NovelAI %s, storage %s",
             context.worker_id, settings.redis.address, settings.redis.prefix,
             settings.novelai.image_url, settings.storage.backend)


class NaibotWorkerLifecycle(dramatiq.Middleware):
    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        # Before the worker threads start taking messages, so no actor runs without a context.
        _Process.bridge = AsyncBridge()
        _Process.context = WorkerContext.from_settings(settings)

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        _booted()
        # The sweeper says "ready" once Redis answers (a worker that cannot reach it is not ready).
        threading.Thread(target=_sweeper, name="naibot-sweeper", daemon=True).start()

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
