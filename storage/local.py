"""Images on the local file system, served later by the HTTP API under ``/static/images/<key>``."""

from __future__ import annotations

import os
import stat
import tempfile
from contextlib import suppress
from pathlib import Path

from storage.base import InvalidKey, StorageError, StoredObject, validate_key

STATIC_PREFIX = "/static/images"
# mkstemp creates 0600 files; images are meant to be served, possibly by a web server running
# as another user, so they get the ordinary world-readable mode.
FILE_MODE = 0o644


class LocalStorage:
    """A directory tree of objects, one file per key, written atomically."""

    def __init__(self, root: Path, public_base_url: str | None = None) -> None:
        # Resolved once so the containment check compares real paths on both sides, even when
        # the configured directory is itself reached through a symlink.
        self._root = Path(root).resolve()
        self._url_base = (public_base_url or "").rstrip("/")

    @property
    def root(self) -> Path:
        return self._root

    def path_for(self, key: str) -> Path:
        """The real path of ``key`` inside the root; ``InvalidKey`` for anything that leaves it.

        The key rules already rule out ``..`` and absolute paths; resolving as well catches a
        symlink inside the tree that points outside it, which the key alone cannot reveal.
        """
        validate_key(key)
        # The common case, no symlink on the way: the root is resolved already, so only the key's own
        # segments need a look (one lstat each), which is what resolve() would find, at half the cost.
        path = str(self._root)
        missing = False
        for segment in key.split("/"):
            path = f"{path}/{segment}"
            if missing:
                continue
            try:
                mode = os.lstat(path).st_mode
            except OSError:
                missing = True  # as resolve(): what does not exist yet is taken as written
                continue
            if stat.S_ISLNK(mode):
                break  # a symlink: resolve it the general way below
        else:
            return Path(path)
        try:
            resolved = (self._root / key).resolve()
        except (OSError, RuntimeError) as exc:  # a symlink loop: RuntimeError up to 3.12, OSError after
            raise InvalidKey(f"storage key cannot be resolved: {key!r}: {exc}") from exc
        if not resolved.is_relative_to(self._root) or resolved == self._root:
            raise InvalidKey(f"storage key resolves outside the storage root: {key!r}")
        return resolved

    def put(self, key: str, data: bytes, content_type: str = "image/png") -> StoredObject:
        path = self.path_for(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(path, data)
        except OSError as exc:
            raise StorageError(f"could not write {key!r} under {self._root}: {exc}") from exc
        return StoredObject(key=key, url=self.url(key), size=len(data), content_type=content_type)

    def get(self, key: str) -> bytes:
        path = self.path_for(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise KeyError(key) from None
        except OSError as exc:
            raise StorageError(f"could not read {key!r} under {self._root}: {exc}") from exc

    def url(self, key: str) -> str:
        return f"{self._url_base}{STATIC_PREFIX}/{validate_key(key)}"

    def delete(self, key: str) -> None:
        path = self.path_for(key)
        if not path.is_file():
            return
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"could not delete {key!r} under {self._root}: {exc}") from exc

    def exists(self, key: str) -> bool:
        return self.path_for(key).is_file()


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temp file beside ``path`` and rename it over ``path``.

    Readers (the HTTP API, a bot uploading the file) then see the old file or the whole new one,
    never a half-written PNG, and a crash mid-write leaves no partial object behind. fsync
    before the rename so a power cut cannot leave an empty file under the final name.
    """
    # A short fixed prefix, not the final name: a 255-character name must still leave room for it.
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
