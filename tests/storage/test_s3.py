"""S3 storage against a real S3 server (SeaweedFS, see tests/fixtures/seaweed.py), one bucket per test."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import urllib3
from minio import Minio
from pydantic import SecretStr

from naibot.settings import MinioSettings, Settings, StorageSettings
from storage import InvalidKey, S3Storage, Storage, StorageError, storage_from_settings
from tests.fixtures.seaweed import SeaweedS3, s3_bucket_fixture, seaweed_s3_fixture  # noqa: F401

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8 + b"\r\n\x00\x1a"
KEY = "2024/05/06/job-1/0.png"

MakeStorage = Callable[..., S3Storage]


@pytest.fixture
def make_storage(seaweed_s3: SeaweedS3, s3_bucket: str) -> MakeStorage:
    def make(**overrides: Any) -> S3Storage:
        options: dict[str, Any] = {"region": seaweed_s3.region} | overrides
        return S3Storage(seaweed_s3.endpoint, seaweed_s3.access_key, seaweed_s3.secret_key, s3_bucket, **options)

    return make


@pytest.fixture
def refused_endpoint() -> Iterator[str]:
    """A port we hold bound but not listening: connections to it are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A port that accepts TCP connections (into the backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield f"127.0.0.1:{sock.getsockname()[1]}"


def test_bucket_is_created_if_missing(make_storage: MakeStorage, seaweed_s3: SeaweedS3, s3_bucket: str) -> None:
    admin = seaweed_s3.client()
    assert not admin.bucket_exists(s3_bucket)
    store = make_storage()
    assert not admin.bucket_exists(s3_bucket)  # constructing touches nothing
    store.put(KEY, PNG)
    assert admin.bucket_exists(s3_bucket)


def test_existing_bucket_is_used(make_storage: MakeStorage, seaweed_s3: SeaweedS3, s3_bucket: str) -> None:
    seaweed_s3.client().make_bucket(s3_bucket)
    make_storage().put(KEY, PNG)
    assert make_storage().get(KEY) == PNG


def test_concurrent_first_writes_from_many_processes_all_succeed(make_storage: MakeStorage) -> None:
    """Each storage stands for a separate worker process racing to create the same bucket."""
    stores = [make_storage() for _ in range(4)]
    barrier = threading.Barrier(len(stores))
    errors: list[BaseException] = []

    def first_write(index: int) -> None:
        barrier.wait()
        try:
            stores[index].put(f"race/{index}.png", PNG)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=first_write, args=(index,)) for index in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(stores[0].get(f"race/{index}.png") == PNG for index in range(len(stores)))


def test_round_trip_keeps_bytes_and_sets_content_type(
    make_storage: MakeStorage, seaweed_s3: SeaweedS3, s3_bucket: str
) -> None:
    store = make_storage()
    assert isinstance(store, Storage)
    stored = store.put(KEY, PNG)
    assert (stored.key, stored.size, stored.content_type) == (KEY, len(PNG), "image/png")
    assert store.get(KEY) == PNG
    stat = seaweed_s3.client().stat_object(s3_bucket, KEY)
    assert (stat.size, stat.content_type) == (len(PNG), "image/png")
    store.put("other.webp", b"RIFF....WEBP", content_type="image/webp")
    assert seaweed_s3.client().stat_object(s3_bucket, "other.webp").content_type == "image/webp"


def test_large_object_round_trip(make_storage: MakeStorage) -> None:
    """Above minio's 5 MiB part size, so the multipart upload path is used too."""
    data = bytes(range(256)) * (6 * 1024 * 4)
    store = make_storage()
    store.put(KEY, data)
    assert store.get(KEY) == data


def test_presigned_url_returns_the_bytes_and_plain_url_is_refused(
    make_storage: MakeStorage, seaweed_s3: SeaweedS3, s3_bucket: str
) -> None:
    store = make_storage(presign_seconds=600)
    url = store.put(KEY, PNG).url
    assert url.startswith(f"{seaweed_s3.url}/{s3_bucket}/{KEY}?") and "X-Amz-Expires=600" in url
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert httpx.get(f"{seaweed_s3.url}/{s3_bucket}/{KEY}").status_code == 403


def test_public_url_is_readable_anonymously(make_storage: MakeStorage, seaweed_s3: SeaweedS3, s3_bucket: str) -> None:
    store = make_storage(public=True)
    stored = store.put(KEY, PNG)
    assert stored.url == f"{seaweed_s3.url}/{s3_bucket}/{KEY}"
    response = httpx.get(stored.url)
    assert response.status_code == 200
    assert response.content == PNG
    # Read-only and objects only: no anonymous listing or writing.
    assert httpx.get(f"{seaweed_s3.url}/{s3_bucket}/").status_code == 403
    assert httpx.put(f"{seaweed_s3.url}/{s3_bucket}/new.png", content=b"x").status_code == 403


def test_public_url_uses_the_public_base_url(make_storage: MakeStorage, s3_bucket: str) -> None:
    store = make_storage(public=True, public_base_url="https://cdn.example/")
    assert store.url(KEY) == f"https://cdn.example/{s3_bucket}/{KEY}"


def test_delete_is_idempotent(make_storage: MakeStorage) -> None:
    store = make_storage()
    store.delete(KEY)  # not even the bucket exists yet
    store.put(KEY, PNG)
    assert store.exists(KEY)
    store.delete(KEY)
    assert not store.exists(KEY)
    store.delete(KEY)


def test_get_of_absent_key_raises_key_error(make_storage: MakeStorage) -> None:
    store = make_storage()
    with pytest.raises(KeyError):
        store.get(KEY)  # no bucket
    assert not store.exists(KEY)
    store.put("2024/05/06/job-1/1.png", PNG)
    with pytest.raises(KeyError):
        store.get(KEY)  # bucket, but no such object
    assert not store.exists(KEY)


def test_invalid_keys_are_refused_before_any_request(refused_endpoint: str) -> None:
    store = S3Storage(refused_endpoint, "key", "secret", "bucket")
    for action in (store.get, store.exists, store.delete, store.url):
        with pytest.raises(InvalidKey):
            action("../x")
    with pytest.raises(InvalidKey):
        store.put("a/../../b", PNG)


@pytest.mark.parametrize("region", [None, "us-east-1"])
def test_unreachable_endpoint_fails_quickly(refused_endpoint: str, region: str | None) -> None:
    store = S3Storage(refused_endpoint, "key", "secret", "bucket", region=region)
    for call in (lambda: store.put(KEY, PNG), lambda: store.get(KEY), lambda: store.exists(KEY)):
        started = time.monotonic()
        with pytest.raises(StorageError):
            call()
        assert time.monotonic() - started < 5


def test_server_that_never_answers_times_out(silent_endpoint: str) -> None:
    store = S3Storage(silent_endpoint, "key", "secret", "bucket", region="us-east-1", read_timeout=0.3)
    started = time.monotonic()
    with pytest.raises(StorageError):
        store.put(KEY, PNG)
    assert time.monotonic() - started < 5


def test_wrong_credentials_are_a_storage_error(seaweed_s3: SeaweedS3, s3_bucket: str) -> None:
    store = S3Storage(seaweed_s3.endpoint, seaweed_s3.access_key, "wrong-secret", s3_bucket, region="us-east-1")
    with pytest.raises(StorageError) as caught:
        store.put(KEY, PNG)
    assert not isinstance(caught.value, KeyError)


def test_failed_bucket_preparation_is_retried_on_the_next_write(
    make_storage: MakeStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(self: Minio, bucket: str) -> bool:
        raise urllib3.exceptions.MaxRetryError(None, "/", "503 Service Unavailable")  # type: ignore[arg-type]

    store = make_storage()
    with monkeypatch.context() as patch:
        patch.setattr(Minio, "bucket_exists", unavailable)
        with pytest.raises(StorageError, match="Service Unavailable"):
            store.put(KEY, PNG)
    store.put(KEY, PNG)
    assert store.get(KEY) == PNG


def test_bad_configuration_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="bucket"):
        S3Storage("127.0.0.1:9", None, None, "Not_A_Bucket")
    with pytest.raises(ValueError, match="presign_seconds"):
        S3Storage("127.0.0.1:9", None, None, "bucket", presign_seconds=7 * 86400 + 1)


def test_factory_picks_minio(seaweed_s3: SeaweedS3, s3_bucket: str) -> None:
    minio = MinioSettings(
        endpoint=seaweed_s3.endpoint,
        access_key=SecretStr(seaweed_s3.access_key),
        secret_key=SecretStr(seaweed_s3.secret_key),
        bucket=s3_bucket,
        public=True,
    )
    store = storage_from_settings(Settings(storage=StorageSettings(backend="minio", minio=minio)))
    assert isinstance(store, S3Storage)
    assert store.bucket == s3_bucket
    assert httpx.get(store.put(KEY, PNG).url).content == PNG
