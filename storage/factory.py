"""Build the configured ``Storage`` from settings, so no caller needs to know the backends."""

from __future__ import annotations

from naibot.settings import Settings, secret
from storage.base import Storage
from storage.local import LocalStorage
from storage.s3 import S3Storage


def storage_from_settings(settings: Settings) -> Storage:
    """The backend named by ``settings.storage.backend``; neither backend touches disk or network yet.

    ``storage.public_base_url`` is where the HTTP API serves ``/static/images``, so it only
    applies to local storage; S3 URLs come from the bucket itself.
    """
    config = settings.storage
    if config.backend == "local":
        return LocalStorage(config.dir, config.public_base_url)
    if config.backend == "minio":
        minio = config.minio
        return S3Storage(
            minio.endpoint,
            secret(minio.access_key),
            secret(minio.secret_key),
            minio.bucket,
            secure=minio.secure,
            public=minio.public,
            presign_seconds=minio.presign_seconds,
        )
    raise ValueError(f"unknown storage backend {config.backend!r}")
