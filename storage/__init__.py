"""Where generated PNGs go: a small sync ``Storage`` protocol, local files or an S3 bucket."""

from storage.base import InvalidKey, Storage, StorageError, StoredObject, image_key, validate_key
from storage.factory import storage_from_settings
from storage.local import LocalStorage
from storage.s3 import S3Storage

__all__ = [
    "InvalidKey",
    "LocalStorage",
    "S3Storage",
    "Storage",
    "StorageError",
    "StoredObject",
    "image_key",
    "storage_from_settings",
    "validate_key",
]
