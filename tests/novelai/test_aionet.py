"""novelai.aionet: the NovelAI client's connections on asyncio's own transports behave as httpx's
(anyio) ones do: bodies both ways (a large upload waits for the socket to drain), streamed answers,
kept-alive connections, TLS, and each failure as the httpx error the client maps (timeouts, refused
connections, a connection cut mid-answer). Against a local aiohttp server on a free port."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from novelai.aionet import READ_HIGH_WATER, AsyncioBackend, AsyncioStream, asyncio_transport
from novelai.client import NovelAIClient
from novelai.tokens import TokenCache
from tests.fixtures.aiohttp_server import served

LIMITS = httpx.Limits(max_connections=10, max_keepalive_connections=5)
BIG = bytes(range(256)) * 32768  # 8 MiB: far over any socket buffer


async def echo(request: web.Request) -> web.Response:
    body = await request.read()
    assert request.transport is not None
    return web.Response(body=body, headers={"X-Peer-Port": str(request.transport.get_extra_info("peername")[1])})


async def chunks(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    await response.prepare(request)
    for i in range(5):
        await response.write(f"chunk{i};".encode())
        await asyncio.sleep(0.01)
    await response.write_eof()
    return response


async def stall(request: web.Request) -> web.Response:
    await asyncio.sleep(2)  # far past the test's read timeout
    return web.Response(text="late")


async def cut(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Length": "1000"})
    await response.prepare(request)
    await response.write(b"x" * 10)
    assert request.transport is not None
    request.transport.close()
    return response


@pytest.fixture
async def server() -> AsyncIterator[str]:
    app = web.Application(client_max_size=len(BIG) + 1024)
    app.router.add_post("/echo", echo)
    app.router.add_get("/chunks", chunks)
    app.router.add_get("/stall", stall)
    app.router.add_get("/cut", cut)
    async with served(app) as port:
        yield f"http://127.0.0.1:{port}"


def client(ssl_context: ssl.SSLContext | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=asyncio_transport(LIMITS, ssl_context), timeout=5.0)


def test_the_novelai_client_connects_through_the_asyncio_backend() -> None:
    nai = NovelAIClient(api_url="http://127.0.0.1:1", image_url="http://127.0.0.1:1",
                        token_cache=TokenCache(None, None, "test"))
    transport = nai._http._transport
    assert isinstance(transport, httpx.AsyncHTTPTransport)
    assert isinstance(transport._pool._network_backend, AsyncioBackend)


async def test_bodies_both_ways_and_the_connection_is_kept_alive(server: str) -> None:
    async with client() as http:
        first = await http.post(f"{server}/echo", content=b"hello")
        big = await http.post(f"{server}/echo", content=BIG)  # the write waits for the socket to drain
    assert first.content == b"hello"
    assert big.content == BIG
    assert first.headers["X-Peer-Port"] == big.headers["X-Peer-Port"], "the second call reused the connection"


async def test_a_streamed_answer_arrives_piece_by_piece(server: str) -> None:
    async with client() as http, http.stream("GET", f"{server}/chunks") as response:
        received = [piece async for piece in response.aiter_bytes()]
    assert b"".join(received) == b"".join(f"chunk{i};".encode() for i in range(5))


async def test_a_stalled_answer_is_a_read_timeout(server: str) -> None:
    async with client() as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get(f"{server}/stall", timeout=httpx.Timeout(5.0, read=0.2))


async def test_a_refused_connection_is_a_connect_error(unused_tcp_port: int) -> None:
    async with client() as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"http://127.0.0.1:{unused_tcp_port}/")


async def test_a_connection_cut_mid_answer_is_an_error(server: str) -> None:
    async with client() as http:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            await http.get(f"{server}/cut")


def _self_signed(tmp: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for 127.0.0.1 and a client context that trusts only it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    (tmp / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    trusting = ssl.create_default_context(cafile=str(tmp / "cert.pem"))
    return server, trusting


async def test_https_with_a_trusted_certificate_and_a_refused_untrusted_one(tmp_path: Path) -> None:
    server_ctx, trusting = _self_signed(tmp_path)
    app = web.Application(client_max_size=len(BIG) + 1024)
    app.router.add_post("/echo", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx)
    await site.start()
    url = f"https://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/echo"  # type: ignore[union-attr]
    try:
        async with client(trusting) as http:
            answers = [await http.post(url, content=BIG), await http.post(url, content=b"again")]
        assert answers[0].content == BIG and answers[1].content == b"again"
        assert answers[0].headers["X-Peer-Port"] == answers[1].headers["X-Peer-Port"]
        async with client(ssl.create_default_context()) as http:  # the system's CAs do not know it
            with pytest.raises(httpx.ConnectError):
                await http.post(url, content=b"x")
    finally:
        await runner.cleanup()


async def big(request: web.Request) -> web.Response:
    return web.Response(body=BIG)


async def test_a_fast_answer_is_held_back_at_the_socket_while_the_client_reads_slowly() -> None:
    """Read flow control: the buffer stops growing past its high-water mark (the transport stops
    reading, the kernel's window holds the server back) and reading resumes as the client takes it;
    every byte arrives, in order."""
    app = web.Application()
    app.router.add_get("/big", big)
    async with served(app) as port:
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
        assert isinstance(stream, AsyncioStream)
        protocol = stream._protocol
        await stream.write(b"GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        first = await stream.read(1, timeout=5)  # the answer has begun; then the buffer fills
        async with asyncio.timeout(10):
            while not protocol.reading_paused:  # noqa: ASYNC110 - a protocol flag, no event to await
                await asyncio.sleep(0.005)
        assert READ_HIGH_WATER < len(protocol.buffer) <= READ_HIGH_WATER + 256 * 1024
        assert isinstance(protocol.transport, asyncio.ReadTransport) and not protocol.transport.is_reading()
        received = bytearray(first)
        while piece := await stream.read(65536, timeout=5):
            received += piece
            assert len(protocol.buffer) <= READ_HIGH_WATER + 256 * 1024
        await stream.aclose()
    assert bytes(received).endswith(BIG) and b"Content-Length: %d" % len(BIG) in bytes(received)
