"""Redis connections built the same way everywhere, with timeouts that fail fast.

A chat handler must answer "the queue is unavailable" within seconds when Redis is away, not
hang; and every process reconnects by itself when it returns (redis-py retries on the next
command), so no process keeps a dead connection.

Failover (deploy/SCALING.md). With ``redis.sentinel`` set, every client (async, sync, and the one
Dramatiq's broker uses) is ``Sentinel.master_for(master)``: each new connection asks the sentinels
where the master is, so after a failover connections reach the new one by themselves. A connection
made before the failover can still be talking to the old master; its answers say so: ``READONLY``
(it is a replica now), ``NOREPLICAS`` (it has lost its replica, with ``min-replicas-to-write`` in
deploy/redis.conf) or ``UNBLOCKED`` (demoted while a blocking read waited). Those are turned into
``MasterMoved``, a ``ConnectionError``, after dropping the connection: redis-py's retry reconnects
(asking the sentinels again), and where that is not enough every place that already rides out a
Redis outage (``QueueUnavailable`` for callers, the worker's lease keeper, result recording and
sweeper) treats it as one, because it is one: a few hundred milliseconds without a writable master.
The same holds without sentinels, for a managed Redis whose endpoint's DNS name moves to the new
primary: the reconnect resolves the name again.

Waiting for such an answer is not enough with Sentinel, because the old master keeps accepting
writes for seconds after the promotion (writes the sentinels' conversion then discards): each
process also listens to the sentinels' announcements (``_Switches``), sends nothing while a
replica is being promoted and drops connections opened before a new master was announced.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import Any, ClassVar

import redis
import redis.asyncio as aioredis
from redis.asyncio.connection import Connection as AsyncConnection
from redis.asyncio.connection import SSLConnection as AsyncSSLConnection
from redis.asyncio.retry import Retry as AsyncRetry
from redis.asyncio.sentinel import Sentinel as AsyncSentinel
from redis.asyncio.sentinel import SentinelConnectionPool as AsyncSentinelPool
from redis.asyncio.sentinel import SentinelManagedConnection as AsyncSentinelConnection
from redis.asyncio.sentinel import SentinelManagedSSLConnection as AsyncSentinelSSLConnection
from redis.backoff import ExponentialBackoff
from redis.connection import Connection, SSLConnection, parse_url
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError, ResponseError
from redis.retry import Retry
from redis.sentinel import Sentinel, SentinelManagedConnection, SentinelManagedSSLConnection

from naibot.settings import RedisSettings, secret

# redis-py's default retries a refused connection with back-off for several seconds; one quick
# retry rides out a blip without making "Redis is down" slow to notice.
_RETRIES = 1
_BACKOFF = ExponentialBackoff(cap=0.2, base=0.05)
# With sentinels a failover takes a few hundred milliseconds from "old master refuses writes" to
# "the sentinels name the new one": four retries within about a second cover it, and a Redis that
# is really gone (no sentinel knows a master) is still reported within seconds.
_FAILOVER_RETRIES = 4
_FAILOVER_BACKOFF = ExponentialBackoff(cap=0.5, base=0.05)
# Error codes of a server that is no longer the writable master (READONLY is ReadOnlyError).
_MOVED_CODES = ("NOREPLICAS", "UNBLOCKED")


class MasterMoved(RedisConnectionError):
    """The server behind this connection is no longer a writable master (failover): the connection
    was dropped, and the next one goes to wherever the master is now. Nothing was written."""


def _master_moved(error: ResponseError) -> bool:
    return isinstance(error, ReadOnlyError) or str(error).startswith(_MOVED_CODES)


class _MovedSync:
    """Turns "not the master any more" answers into ``MasterMoved`` (see the module docstring)."""

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().read_response(*args, **kwargs)  # type: ignore[misc]
        except ResponseError as exc:
            if not _master_moved(exc):
                raise
            self.disconnect()  # type: ignore[attr-defined]
            raise MasterMoved(f"the Redis master moved (failover): {exc}") from exc


class _MovedAsync:
    """``_MovedSync`` for asyncio connections."""

    async def read_response(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().read_response(*args, **kwargs)  # type: ignore[misc]
        except ResponseError as exc:
            if not _master_moved(exc):
                raise
            await self.disconnect()  # type: ignore[attr-defined]
            raise MasterMoved(f"the Redis master moved (failover): {exc}") from exc


class _Switches:
    """What the sentinels announced about the master, as this process heard it.

    Waiting for the old master to refuse a write is not enough: after ``SENTINEL FAILOVER`` it stays
    a writable master for about ten seconds (until the sentinels turn it into a replica), and every
    connection opened before the failover keeps writing there, writes the old master's conversion
    then throws away (measured: deploy/SCALING.md). So one daemon thread per process and sentinel
    listens to the sentinels' announcements (as Jedis' sentinel pool does):

    * ``+failover-state-send-slaveof-noone`` (the leader is promoting a replica): nothing is sent
      until the promotion is announced, at most ``_PAUSE_SECONDS``: a write the old master took in
      that moment would be lost, so it is refused instead (``MasterMoved``, an outage callers ride out);
    * ``+promoted-slave`` and ``+switch-master``: the pause ends, and ``count`` goes up: a
      sentinel-managed connection opened before is dropped before its next command
      (``_FollowsSwitches``) and the next one asks the sentinels where the master is now;
    * ``-failover-abort-*``, ``+failover-end-for-timeout``: the pause ends (the master stays).
    """

    count: ClassVar[int] = 0
    paused_until: ClassVar[float] = 0.0  # time.monotonic()
    _lock: ClassVar[threading.Lock] = threading.Lock()
    # (sentinels, master) -> the process that listens for them (a forked child starts its own).
    _listeners: ClassVar[dict[tuple[tuple[tuple[str, int], ...], str], int]] = {}

    @classmethod
    def listen(cls, settings: RedisSettings) -> None:
        """Start the listeners for these sentinels in this process, once (again after a fork)."""
        assert settings.sentinel is not None
        key = (tuple(settings.sentinel.addresses), settings.sentinel.master)
        with cls._lock:
            if cls._listeners.get(key) == os.getpid():
                return
            cls._listeners[key] = os.getpid()
        # Every sentinel: only the leader of a failover announces its steps.
        for address in settings.sentinel.addresses:
            threading.Thread(target=cls._run, args=(settings, address), name="naibot-sentinel-announcements",
                             daemon=True).start()

    @classmethod
    def paused(cls) -> bool:
        return time.monotonic() < cls.paused_until

    @classmethod
    def heard(cls, channel: str, data: str, master: str) -> None:
        """One announcement (``channel``, its text) about any master; only ``master``'s count."""
        if _master_of(data) != master:
            return
        if channel == "+failover-state-send-slaveof-noone":
            cls.paused_until = time.monotonic() + _PAUSE_SECONDS
        elif channel in ("+promoted-slave", "+switch-master"):
            cls.count += 1  # racing listeners still change it, which is all that is read
            cls.paused_until = 0.0
        elif channel.startswith("-failover-abort") or channel == "+failover-end-for-timeout":
            cls.paused_until = 0.0

    @classmethod
    def _run(cls, settings: RedisSettings, address: tuple[str, int]) -> None:
        assert settings.sentinel is not None
        # Reads wait for the next announcement, however long; TCP keep-alive notices a sentinel that
        # vanished without closing the connection (a dead machine) within about half a minute.
        options = {**_sentinel_options(settings), "socket_timeout": None, "socket_keepalive": True,
                   "socket_keepalive_options": _KEEPALIVE}
        while True:
            try:
                with redis.Redis(host=address[0], port=address[1], **options) as sentinel, \
                        sentinel.pubsub() as pubsub:
                    pubsub.psubscribe("*")  # a handful of events a day
                    for message in pubsub.listen():
                        if message["type"] == "pmessage":
                            cls.heard(text(message["channel"]), text(message["data"]), settings.sentinel.master)
            except (redis.RedisError, OSError):
                pass
            time.sleep(1.0)  # this sentinel does not answer: try again in a second


# The longest a promotion is waited for (the sentinels announce it within about a second).
_PAUSE_SECONDS = 5.0
# Idle 10 s, then a probe every 5 s, 3 unanswered: the connection is dead (Linux; elsewhere the defaults).
_KEEPALIVE = {option: value for name, value in (("TCP_KEEPIDLE", 10), ("TCP_KEEPINTVL", 5), ("TCP_KEEPCNT", 3))
              if (option := getattr(socket, name, None)) is not None}


def _master_of(data: str) -> str:
    """The master an announcement is about: ``<type> <name> <ip> <port> @ <master> <ip> <port>``
    for a replica or a sentinel, ``master <name> <ip> <port>``, or ``<master> <old ip> ...`` (+switch-master)."""
    words = data.split()
    if "@" in words[:-1]:
        return words[words.index("@") + 1]
    if len(words) > 1 and words[0] == "master":
        return words[1]
    return words[0] if words else ""


class _FollowsSwitchesSync:
    """Drops a connection opened before the sentinels last announced a new master (``_Switches``)
    instead of sending on it: ``MasterMoved``, so redis-py retries on a new connection (a ``WATCH``
    under way fails as it does on any lost connection). Nothing was sent, so nothing is repeated."""

    _opened_at = -1

    def connect(self) -> None:
        # Called before each use too (a no-op then): only a new socket counts as opened now.
        seen, opened = _Switches.count, self._sock is None  # type: ignore[attr-defined]
        super().connect()  # type: ignore[misc]
        if opened:
            self._opened_at = seen

    def send_packed_command(self, *args: Any, **kwargs: Any) -> None:
        if _Switches.paused():
            raise MasterMoved("a Redis failover is under way (the sentinels are promoting a replica)")
        if self._opened_at != _Switches.count and self._opened_at >= 0:
            self._opened_at = -1
            self.disconnect()  # type: ignore[attr-defined]
            raise MasterMoved("the sentinels announced a new Redis master (failover)")
        if self._sock is None:  # type: ignore[attr-defined]
            # redis-py would reconnect to the address this connection had (the old master, after a
            # retry): ask the sentinels where the master is instead.
            self.connect()
        super().send_packed_command(*args, **kwargs)  # type: ignore[misc]


class _FollowsSwitchesAsync:
    """``_FollowsSwitchesSync`` for asyncio connections."""

    _opened_at = -1

    async def connect(self) -> None:
        # The pool calls it before each use too (a no-op then): only a new socket counts as opened now.
        seen, opened = _Switches.count, not self.is_connected  # type: ignore[attr-defined]
        await super().connect()  # type: ignore[misc]
        if opened:
            self._opened_at = seen

    async def send_packed_command(self, *args: Any, **kwargs: Any) -> None:
        if _Switches.paused():
            raise MasterMoved("a Redis failover is under way (the sentinels are promoting a replica)")
        if self._opened_at != _Switches.count and self._opened_at >= 0:
            self._opened_at = -1
            await self.disconnect()  # type: ignore[attr-defined]
            raise MasterMoved("the sentinels announced a new Redis master (failover)")
        if not self.is_connected:  # type: ignore[attr-defined]
            # redis-py would reconnect to the address this connection had (the old master, after a
            # retry): ask the sentinels where the master is instead.
            await self.connect()
        await super().send_packed_command(*args, **kwargs)  # type: ignore[misc]


class _Connection(_MovedSync, Connection):
    pass


class _SSLConnection(_MovedSync, SSLConnection):
    pass


class _SentinelConnection(_FollowsSwitchesSync, _MovedSync, SentinelManagedConnection):
    pass


class _SentinelSSLConnection(_FollowsSwitchesSync, _MovedSync, SentinelManagedSSLConnection):
    pass


class _AsyncConnection(_MovedAsync, AsyncConnection):
    pass


class _AsyncSSLConnection(_MovedAsync, AsyncSSLConnection):
    pass


class _AsyncSentinelConnection(_FollowsSwitchesAsync, _MovedAsync, AsyncSentinelConnection):
    pass


class _AsyncSentinelSSLConnection(_FollowsSwitchesAsync, _MovedAsync, AsyncSentinelSSLConnection):
    pass


class _BlockingSentinelPool(AsyncSentinelPool, aioredis.BlockingConnectionPool):
    """redis-py's sentinel pool with ``async_redis``'s waiting: when all connections are in use a
    caller waits for one (up to the socket timeout) instead of failing."""


class _SentinelRedis(redis.Redis):
    """The master's client; closing it closes its connections to the sentinels too."""

    sentinels: list[redis.Redis]

    def close(self) -> None:
        super().close()
        for client in self.sentinels:
            client.close()


class _AsyncSentinelRedis(aioredis.Redis):
    """``_SentinelRedis`` for asyncio."""

    sentinels: list[aioredis.Redis]

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        for client in self.sentinels:
            await client.aclose()


def _options(settings: RedisSettings) -> dict[str, Any]:
    return {
        "socket_timeout": settings.socket_timeout,
        "socket_connect_timeout": settings.connect_timeout,
        "health_check_interval": 30,
        "retry_on_timeout": False,
    }


def _tls(settings: RedisSettings) -> bool:
    return settings.url.startswith("rediss://")


def _master_options(settings: RedisSettings) -> dict[str, Any]:
    """What ``redis.url`` says about the master besides where it is: user, password, database and
    the TLS checks (``RedisSettings`` folds ``ca_file`` into the URL). Host and port are the sentinels'."""
    options: dict[str, Any] = parse_url(settings.url)  # type: ignore[no-untyped-call]
    for key in ("host", "port", "connection_class"):
        options.pop(key, None)
    return options


def _sentinel_options(settings: RedisSettings) -> dict[str, Any]:
    """How to talk to the sentinels themselves: their password and TLS (the master's CA file and
    host name check apply to them too), with the same fail-fast timeouts."""
    assert settings.sentinel is not None
    options: dict[str, Any] = {"socket_timeout": settings.socket_timeout,
                               "socket_connect_timeout": settings.connect_timeout}
    if settings.sentinel.password is not None:
        options["password"] = secret(settings.sentinel.password)
    if settings.sentinel.tls:
        options.update(ssl=True, ssl_check_hostname=True)
        if settings.ca_file is not None:
            options["ssl_ca_certs"] = str(settings.ca_file)
    return options


def async_redis(settings: RedisSettings) -> aioredis.Redis:
    """A client whose pool waits for a free connection (up to the socket timeout) when all are in
    use, instead of failing: a burst of chat updates must queue up, not error out."""
    if settings.sentinel is not None:
        _Switches.listen(settings)
        sentinel = AsyncSentinel(settings.sentinel.addresses, sentinel_kwargs=_sentinel_options(settings))
        client: _AsyncSentinelRedis = sentinel.master_for(
            settings.sentinel.master, redis_class=_AsyncSentinelRedis, connection_pool_class=_BlockingSentinelPool,
            connection_class=_AsyncSentinelSSLConnection if _tls(settings) else _AsyncSentinelConnection,
            max_connections=settings.max_connections, timeout=settings.socket_timeout,
            retry=AsyncRetry(_FAILOVER_BACKOFF, _FAILOVER_RETRIES), **_options(settings), **_master_options(settings))
        client.sentinels = list(sentinel.sentinels)
        return client
    pool = aioredis.BlockingConnectionPool.from_url(
        settings.url, max_connections=settings.max_connections, timeout=settings.socket_timeout,
        retry=AsyncRetry(_BACKOFF, _RETRIES), **_options(settings), **_async_class(settings))
    return aioredis.Redis.from_pool(pool)


def sync_redis(settings: RedisSettings) -> redis.Redis:
    """A blocking client (Dramatiq's broker, start-up checks), made like ``async_redis``."""
    if settings.sentinel is not None:
        _Switches.listen(settings)
        sentinel = Sentinel(settings.sentinel.addresses, sentinel_kwargs=_sentinel_options(settings))
        client: _SentinelRedis = sentinel.master_for(
            settings.sentinel.master, redis_class=_SentinelRedis,
            connection_class=_SentinelSSLConnection if _tls(settings) else _SentinelConnection,
            retry=Retry(_FAILOVER_BACKOFF, _FAILOVER_RETRIES), **_options(settings), **_master_options(settings))
        client.sentinels = list(sentinel.sentinels)
        return client
    return redis.Redis.from_url(settings.url, retry=Retry(_BACKOFF, _RETRIES), **_options(settings),
                                **_sync_class(settings))


def _sync_class(settings: RedisSettings) -> dict[str, Any]:
    """Our connection class for a TCP URL (a unix:// socket keeps redis-py's: no failover there)."""
    if settings.url.startswith("unix:"):
        return {}
    return {"connection_class": _SSLConnection if _tls(settings) else _Connection}


def _async_class(settings: RedisSettings) -> dict[str, Any]:
    if settings.url.startswith("unix:"):
        return {}
    return {"connection_class": _AsyncSSLConnection if _tls(settings) else _AsyncConnection}


def text(value: bytes | str) -> str:
    """A Redis reply as text: clients made without ``decode_responses`` answer bytes."""
    return value.decode() if isinstance(value, bytes) else value
