"""Images in an S3-compatible bucket (MinIO, SeaweedFS, AWS) through the ``minio`` package."""

from __future__ import annotations

import io
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import certifi
import urllib3
from minio import Minio
from minio.error import MinioException, S3Error
from minio.helpers import check_bucket_name

from storage.base import StorageError, StoredObject, validate_key

MAX_PRESIGN_SECONDS = 7 * 86400  # the S3 limit for a SigV4 presigned URL
# minio's own defaults (5 minutes, 5 retries) turn an unreachable endpoint into a job that hangs
# for minutes; a worker should notice within seconds and let the job be retried.
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 30.0
RETRIES = 2
_ABSENT_CODES = frozenset({"NoSuchKey", "NoSuchBucket"})
_BUCKET_MINE_CODES = frozenset({"BucketAlreadyOwnedByYou", "BucketAlreadyExists"})
_FAILURES = (MinioException, urllib3.exceptions.HTTPError, OSError)


class _Absent(StorageError):
    """The object (or its whole bucket) is not there; each method decides what that means."""


class S3Storage:
    """One bucket, created on first write; URLs are public or presigned.

    ``public=True`` installs an anonymous read-only policy (``s3:GetObject`` on ``bucket/*``),
    replacing any policy the bucket had; ``public=False`` leaves the policy alone, since an
    operator may manage it by hand, and hands out presigned GET URLs instead. Presigned URLs
    embed the endpoint host in their signature, so ``endpoint`` must be reachable by whoever
    opens them.
    """

    def __init__(
        self,
        endpoint: str,
        access_key: str | None,
        secret_key: str | None,
        bucket: str,
        *,
        secure: bool = False,
        public: bool = False,
        presign_seconds: int = MAX_PRESIGN_SECONDS,
        public_base_url: str | None = None,
        region: str | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        if not 1 <= presign_seconds <= MAX_PRESIGN_SECONDS:
            raise ValueError(f"presign_seconds must be between 1 and {MAX_PRESIGN_SECONDS}")
        # A bad bucket name is a configuration mistake: say so at start, not on the first image.
        check_bucket_name(bucket, strict=True)
        self._client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=_http_pool(connect_timeout, read_timeout),
        )
        self._bucket = bucket
        self._region = region
        self._public = public
        self._presign = timedelta(seconds=presign_seconds)
        scheme = "https" if secure else "http"
        self._public_base = (public_base_url or f"{scheme}://{endpoint}").rstrip("/")
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()

    @property
    def bucket(self) -> str:
        return self._bucket

    def put(self, key: str, data: bytes, content_type: str = "image/png") -> StoredObject:
        validate_key(key)
        self._ensure_bucket()
        with _translated(f"put {key!r}"):
            self._client.put_object(self._bucket, key, io.BytesIO(data), len(data), content_type=content_type)
        return StoredObject(key=key, url=self.url(key), size=len(data), content_type=content_type)

    def get(self, key: str) -> bytes:
        validate_key(key)
        try:
            with _translated(f"get {key!r}"):
                response = self._client.get_object(self._bucket, key)
                try:
                    return response.read()
                finally:
                    response.close()
                    response.release_conn()
        except _Absent:
            raise KeyError(key) from None

    def url(self, key: str) -> str:
        validate_key(key)
        if self._public:
            return f"{self._public_base}/{self._bucket}/{key}"
        with _translated(f"presign {key!r}"):
            return self._client.presigned_get_object(self._bucket, key, expires=self._presign)

    def delete(self, key: str) -> None:
        validate_key(key)
        try:
            with _translated(f"delete {key!r}"):
                self._client.remove_object(self._bucket, key)
        except _Absent:
            return

    def exists(self, key: str) -> bool:
        validate_key(key)
        try:
            with _translated(f"stat {key!r}"):
                self._client.stat_object(self._bucket, key)
        except _Absent:
            return False
        return True

    def _ensure_bucket(self) -> None:
        """Create the bucket (and its public policy) once per process, before the first write.

        Lazy so constructing a storage never touches the network; locked so concurrent first
        writes do it once; a failure leaves the flag down, so the next write tries again.
        """
        if self._bucket_ready:
            return
        with self._bucket_lock:
            if self._bucket_ready:
                return
            with _translated(f"prepare bucket {self._bucket!r}"):
                self._create_bucket()
                if self._public:
                    self._client.set_bucket_policy(self._bucket, json.dumps(public_read_policy(self._bucket)))
            self._bucket_ready = True

    def _create_bucket(self) -> None:
        if self._client.bucket_exists(self._bucket):
            return
        try:
            self._client.make_bucket(self._bucket, location=self._region)
        except S3Error as exc:
            # Another process (a second worker) won the race; the bucket is there, that is all we need.
            if exc.code not in _BUCKET_MINE_CODES:
                raise


def public_read_policy(bucket: str) -> dict[str, object]:
    """Anonymous read of objects only: no listing, so keys stay unguessable to strangers."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": ["*"]},
                "Action": ["s3:GetObject"],
                "Resource": [f"arn:aws:s3:::{bucket}/*"],
            }
        ],
    }


def _http_pool(connect_timeout: float, read_timeout: float) -> urllib3.PoolManager:
    """minio's default pool with short timeouts and few retries (see CONNECT_TIMEOUT)."""
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
        maxsize=10,
        cert_reqs="CERT_REQUIRED",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        retries=urllib3.Retry(total=RETRIES, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
    )


@contextmanager
def _translated(action: str) -> Iterator[None]:
    """Turn minio and urllib3 failures into ``StorageError`` so callers need one except clause."""
    try:
        yield
    except S3Error as exc:
        error = _Absent if exc.code in _ABSENT_CODES else StorageError
        raise error(f"S3 {action} failed: {exc.code}: {exc.message}") from exc
    except _FAILURES as exc:
        raise StorageError(f"S3 {action} failed: {type(exc).__name__}: {exc}") from exc
