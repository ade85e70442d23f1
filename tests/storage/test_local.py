"""Local storage: exact bytes, atomic writes, and no key that reaches outside the root."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from naibot.settings import Settings, StorageSettings
from storage import (
    InvalidKey,
    LocalStorage,
    Storage,
    StorageError,
    StoredObject,
    image_key,
    storage_from_settings,
    validate_key,
)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4 + b"\r\n\x00\x1a"
KEY = "2024/05/06/job-1/0.png"


@pytest.fixture
def store(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "images")


def test_round_trip_keeps_bytes_untouched(store: LocalStorage) -> None:
    stored = store.put(KEY, PNG)
    assert stored == StoredObject(key=KEY, url=f"/static/images/{KEY}", size=len(PNG), content_type="image/png")
    assert store.get(KEY) == PNG
    assert (store.root / KEY).read_bytes() == PNG
    assert store.exists(KEY)


def test_put_overwrites_and_echoes_content_type(store: LocalStorage) -> None:
    store.put(KEY, b"old")
    stored = store.put(KEY, PNG, content_type="image/webp")
    assert stored.content_type == "image/webp"
    assert store.get(KEY) == PNG


def test_files_are_readable_by_a_web_server(store: LocalStorage) -> None:
    store.put(KEY, PNG)
    assert (store.root / KEY).stat().st_mode & 0o777 == 0o644


def test_is_a_storage(store: LocalStorage) -> None:
    assert isinstance(store, Storage)


def test_image_key_format() -> None:
    when = datetime(2024, 1, 2, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert image_key("abc123", 3, when) == "2024/01/03/abc123/3.png"  # the UTC date, not the local one
    assert image_key("abc123", 0, datetime(2024, 12, 31, 23, 59)) == "2024/12/31/abc123/0.png"


def test_image_key_defaults_to_now_in_utc() -> None:
    before = datetime.now(UTC)
    key = image_key("job", 1)
    after = datetime.now(UTC)
    assert key in {f"{moment:%Y/%m/%d}/job/1.png" for moment in (before, after)}


@pytest.mark.parametrize(("job_id", "index"), [("a/b", 0), ("..", 0), ("", 0), ("job", -1), ("job", True)])
def test_image_key_refuses_bad_parts(job_id: str, index: int) -> None:
    with pytest.raises(InvalidKey):
        image_key(job_id, index)


def test_url_without_and_with_base_url(tmp_path: Path) -> None:
    assert LocalStorage(tmp_path).url(KEY) == f"/static/images/{KEY}"
    with_base = LocalStorage(tmp_path, public_base_url="https://bot.example/")
    assert with_base.url(KEY) == f"https://bot.example/static/images/{KEY}"
    assert with_base.put(KEY, PNG).url == f"https://bot.example/static/images/{KEY}"


def test_atomic_write_leaves_no_temp_files(store: LocalStorage) -> None:
    for index in range(5):
        store.put(f"2024/05/06/job-1/{index}.png", PNG)
    assert sorted(path.name for path in (store.root / "2024/05/06/job-1").iterdir()) == [
        f"{index}.png" for index in range(5)
    ]


def test_failed_write_leaves_neither_object_nor_temp_file(store: LocalStorage, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(StorageError, match="No space left"):
        store.put(KEY, PNG)
    assert list((store.root / KEY).parent.iterdir()) == []
    assert not store.exists(KEY)


def test_concurrent_writers_never_expose_a_partial_file(store: LocalStorage) -> None:
    big_a, big_b = b"a" * 2_000_000, b"b" * 2_000_000
    store.put(KEY, big_a)
    seen: set[bytes] = set()
    writer = threading.Thread(target=lambda: [store.put(KEY, data) for data in (big_b, big_a) * 10])
    writer.start()
    while writer.is_alive():
        seen.add(store.get(KEY))
    writer.join()
    assert seen <= {big_a, big_b}


TRAVERSALS = [
    "../x",
    "/etc/passwd",
    "a/../../b",
    "a/../b",
    "a\\b",
    "..\\x",
    "./x",
    "a/./b",
    "..",
    ".",
    "",
    "a//b",
    "a/",
    "a\x00b",
    "a\nb",
    "a\x7fb",
    "a b",
    "ümlaut.png",
    "%2e%2e/x",  # refused for its "%": keys are never URL-decoded (see storage.base)
    "C:/x",
    "x" * 513,
    "x" * 256,
    "a/" + "x" * 256 + "/b",
]


@pytest.mark.parametrize("key", TRAVERSALS)
def test_every_traversal_attempt_is_refused(store: LocalStorage, key: str) -> None:
    for action in (store.path_for, store.get, store.exists, store.delete, store.url):
        with pytest.raises(InvalidKey):
            action(key)
    with pytest.raises(InvalidKey):
        store.put(key, PNG)
    assert not store.root.exists()  # nothing was written anywhere, not even the root


def test_invalid_key_is_both_storage_and_value_error() -> None:
    with pytest.raises(StorageError):
        validate_key("../x")
    with pytest.raises(ValueError):
        validate_key("../x")


REASONABLE = ["a", "a.png", "2024/01/02/JOB_id-1/0.png", "..x/y..", ".hidden", "x" * 255 + "/" + "y" * 255]


@pytest.mark.parametrize("key", REASONABLE)
def test_reasonable_keys_are_accepted(store: LocalStorage, key: str) -> None:
    assert validate_key(key) == key
    store.put(key, PNG)
    assert store.get(key) == PNG


def test_symlink_escaping_root_is_refused(store: LocalStorage, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes(b"secret")
    store.root.mkdir(parents=True)
    (store.root / "evil").symlink_to(outside, target_is_directory=True)
    (store.root / "link.png").symlink_to(outside / "secret.png")
    for key in ("evil/secret.png", "evil/new.png", "link.png"):
        with pytest.raises(InvalidKey):
            store.get(key)
        with pytest.raises(InvalidKey):
            store.put(key, PNG)
    assert (outside / "secret.png").read_bytes() == b"secret"
    assert sorted(path.name for path in outside.iterdir()) == ["secret.png"]


def test_symlink_to_root_itself_is_refused(store: LocalStorage) -> None:
    store.root.mkdir(parents=True)
    (store.root / "self").symlink_to(store.root, target_is_directory=True)
    with pytest.raises(InvalidKey):
        store.path_for("self")


def test_symlink_loop_is_refused(store: LocalStorage) -> None:
    store.root.mkdir(parents=True)
    (store.root / "a").symlink_to(store.root / "b")
    (store.root / "b").symlink_to(store.root / "a")
    with pytest.raises(InvalidKey):
        store.get("a/x.png")


def test_symlink_staying_inside_root_is_fine(store: LocalStorage) -> None:
    store.put("real/0.png", PNG)
    (store.root / "alias").symlink_to(store.root / "real", target_is_directory=True)
    assert store.get("alias/0.png") == PNG


def test_root_reached_through_a_symlink_works(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    store = LocalStorage(tmp_path / "link")
    store.put(KEY, PNG)
    assert (tmp_path / "real" / KEY).read_bytes() == PNG
    assert store.path_for(KEY) == tmp_path / "real" / KEY


def test_delete_is_idempotent(store: LocalStorage) -> None:
    store.put(KEY, PNG)
    store.delete(KEY)
    assert not store.exists(KEY)
    store.delete(KEY)
    store.delete("never/was/there.png")


def test_get_of_absent_key_raises_key_error(store: LocalStorage) -> None:
    with pytest.raises(KeyError):
        store.get(KEY)
    store.put(KEY, PNG)
    with pytest.raises(KeyError):
        store.get("2024/05/06")  # a directory is not an object
    assert not store.exists("2024/05/06")


def test_factory_picks_local(tmp_path: Path) -> None:
    settings = Settings(storage=StorageSettings(backend="local", dir=tmp_path, public_base_url="https://x.test"))
    store = storage_from_settings(settings)
    assert isinstance(store, LocalStorage)
    assert store.root == tmp_path.resolve()
    assert store.put(KEY, PNG).url == f"https://x.test/static/images/{KEY}"
    assert (tmp_path / KEY).read_bytes() == PNG


def test_path_for_matches_a_full_resolve_with_or_without_the_folders(store: LocalStorage) -> None:
    key = "2026/01/02/job/0.png"
    assert store.path_for(key) == (store.root / key).resolve()  # nothing exists yet
    store.put("2026/01/02/other/0.png", PNG)  # the date folders exist now, the job's does not
    assert store.path_for(key) == (store.root / key).resolve()
    store.put(key, PNG)
    assert store.path_for(key) == (store.root / key).resolve()


def test_symlink_deep_in_a_key_escaping_root_is_refused(store: LocalStorage, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    store.put("2026/01/02/real/0.png", PNG)
    (store.root / "2026" / "01" / "02" / "evil").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InvalidKey):
        store.put("2026/01/02/evil/0.png", PNG)
    assert list(outside.iterdir()) == []
