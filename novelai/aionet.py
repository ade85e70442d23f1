"""httpcore's network layer on asyncio's own transports, for the NovelAI client's connection pool.

httpx reaches the network through httpcore, whose asyncio support goes through anyio: every read
and write opens a cancel scope and passes a stream wrapper or two. Measured against a local server
that costs about a quarter of the client's CPU per request (~650 µs against ~500 µs here), paid on
every generation and on every chunk of a streamed one. This backend reads from a plain
``asyncio.Protocol`` buffer instead: a read that finds data waiting returns it at once, and only a
read that has to wait arms a timer (the call's read timeout).

It keeps what httpcore expects of a backend: ``ReadTimeout``/``WriteTimeout``/``ConnectTimeout``
when a timeout passes, ``ReadError``/``WriteError``/``ConnectError`` when the connection fails,
``b""`` at the end of the stream, write flow control (a write waits while the transport's buffer is
over its high-water mark), TLS through ``loop.start_tls`` (HTTPS to NovelAI), and the extra
information httpcore asks for (``ssl_object``, ``is_readable`` for pooled connections).
Proxies from the environment are separate transports of httpx's own and do not use it.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
from httpcore._backends.base import SOCKET_OPTION, AsyncNetworkBackend, AsyncNetworkStream
from httpcore._utils import is_socket_readable

# Read flow control: past HIGH buffered bytes the transport stops reading from the socket (the
# kernel's window then holds the sender back), and reads again once the reader took it below LOW.
# Without it a fast or hostile server would fill memory faster than the client reads and bounds
# the answer (novelai.client stops reading at its limits; anyio's streams read only on demand).
READ_HIGH_WATER = 256 * 1024
READ_LOW_WATER = 64 * 1024


class _Buffered(asyncio.Protocol):
    """Collects what arrives, up to ``READ_HIGH_WATER`` before it pauses the transport; wakes the
    one reader waiting for it (httpcore reads one at a time)."""

    def __init__(self) -> None:
        self.transport: asyncio.BaseTransport | None = None
        self.reading_paused = False
        self.buffer = bytearray()
        self.closed = False
        self.error: BaseException | None = None
        self.reader: asyncio.Future[None] | None = None
        self.writable: asyncio.Future[None] | None = None
        self.paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > READ_HIGH_WATER and not self.reading_paused and isinstance(
                self.transport, asyncio.ReadTransport) and not self.transport.is_closing():
            self.transport.pause_reading()
            self.reading_paused = True
        self._wake_reader()

    def taken(self) -> None:
        """The reader took from the buffer: read from the socket again once it is below LOW."""
        if self.reading_paused and len(self.buffer) < READ_LOW_WATER and isinstance(
                self.transport, asyncio.ReadTransport) and not self.transport.is_closing():
            self.transport.resume_reading()
            self.reading_paused = False

    def eof_received(self) -> bool:
        self.closed = True
        self._wake_reader()
        return False  # close the transport: HTTP/1.1 never half-closes

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.error = exc
        self._wake_reader()
        self.resume_writing()

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        if self.writable is not None and not self.writable.done():
            self.writable.set_result(None)

    def _wake_reader(self) -> None:
        if self.reader is not None and not self.reader.done():
            self.reader.set_result(None)


async def _wait(future: asyncio.Future[None], timeout: float | None, timeout_error: type[Exception]) -> None:
    """Wait for ``future``, raising ``timeout_error`` once ``timeout`` seconds have passed."""
    if timeout is None:
        await future
        return
    def expire() -> None:
        if not future.done():
            future.set_exception(timeout_error("timed out"))

    timer = asyncio.get_running_loop().call_later(timeout, expire)
    try:
        await future
    finally:
        timer.cancel()


class AsyncioStream(AsyncNetworkStream):
    """One connection: a transport and the protocol buffering what it receives."""

    def __init__(self, transport: asyncio.Transport, protocol: _Buffered) -> None:
        self._transport = transport
        self._protocol = protocol

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self._protocol
        if not protocol.buffer and not protocol.closed:
            protocol.reader = asyncio.get_running_loop().create_future()
            try:
                await _wait(protocol.reader, timeout, httpcore.ReadTimeout)
            finally:
                protocol.reader = None
        if protocol.buffer:
            data = bytes(protocol.buffer[:max_bytes])
            del protocol.buffer[:max_bytes]
            protocol.taken()
            return data
        if protocol.error is not None:
            raise httpcore.ReadError(f"{type(protocol.error).__name__}: {protocol.error}")
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        transport = self._transport
        protocol = self._protocol
        if protocol.closed or transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        transport.write(buffer)
        if protocol.paused:  # over the high-water mark: let it drain, within the write timeout
            protocol.writable = asyncio.get_running_loop().create_future()
            try:
                await _wait(protocol.writable, timeout, httpcore.WriteTimeout)
            finally:
                protocol.writable = None
            if protocol.closed:
                raise httpcore.WriteError("the connection closed while writing")

    async def aclose(self) -> None:
        self._transport.close()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(self._transport, self._protocol, ssl_context,
                                                 server_hostname=server_hostname)
        except TimeoutError as exc:
            self._transport.close()
            raise httpcore.ConnectTimeout("TLS handshake timed out") from exc
        except (OSError, ssl.SSLError) as exc:
            self._transport.close()
            raise httpcore.ConnectError(f"{type(exc).__name__}: {exc}") from exc
        if transport is None:
            raise httpcore.ConnectError("the connection closed during the TLS handshake")
        self._protocol.transport = transport  # pause/resume reading on the TLS layer from now on
        return AsyncioStream(transport, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        transport = self._transport
        if info == "ssl_object":
            return transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return transport.get_extra_info("sockname")
        if info == "server_addr":
            return transport.get_extra_info("peername")
        if info == "socket":
            return transport.get_extra_info("socket")
        if info == "is_readable":  # an idle pooled connection that is readable has been closed (or broken)
            if self._protocol.closed or self._protocol.buffer:
                return True
            sock = transport.get_extra_info("socket")
            return sock is not None and is_socket_readable(sock)
        return None


class AsyncioBackend(AsyncNetworkBackend):
    """Connections for httpcore, made with ``loop.create_connection`` (TCP_NODELAY as asyncio sets it)."""

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Iterable[SOCKET_OPTION] | None = None) -> AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport, protocol = await loop.create_connection(
                    _Buffered, host, port, local_addr=(local_address, 0) if local_address else None)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"no connection to {host}:{port} in time") from exc
        except OSError as exc:
            raise httpcore.ConnectError(f"{type(exc).__name__}: {exc}") from exc
        sock = transport.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return AsyncioStream(transport, protocol)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[SOCKET_OPTION] | None = None) -> AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport, protocol = await loop.create_unix_connection(_Buffered, path)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"no connection to {path} in time") from exc
        except OSError as exc:
            raise httpcore.ConnectError(f"{type(exc).__name__}: {exc}") from exc
        return AsyncioStream(transport, protocol)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def asyncio_transport(limits: httpx.Limits, ssl_context: ssl.SSLContext | None = None) -> httpx.AsyncHTTPTransport:
    """httpx's own transport with its connection pool on ``AsyncioBackend`` (TLS as httpx sets it up,
    certificates from the environment included): the one place httpx's internals are reached into
    (``_pool``), checked by tests/novelai/test_aionet.py. Proxies from the environment are httpx's
    own mounts beside it, unchanged."""
    transport = httpx.AsyncHTTPTransport(limits=limits)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context or httpx.create_ssl_context(), max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
        network_backend=AsyncioBackend())
    return transport

