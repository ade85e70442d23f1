"""The whole-suite log audit's scanner reports a planted secret and passes redacted lines.

Planted files live outside pytest's temporary directory (``scratch``): the audit collects log
files from there, and a planted leak must not fail the real audit.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from naibot.logs import LOG_FORMAT, REDACTED, RedactingFilter, register_secret
from sandbox.novelai import OPUS_EMAIL, OPUS_PASSWORD, OPUS_TOKEN
from tests.fixtures.log_audit import (
    ROOT,
    AuditHandler,
    audit_secrets,
    collect_subprocess_logs,
    fixed_test_secrets,
    scan_dir,
    scan_file,
)

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcHVzIiwiZXhwIjoxfQ.c2lnbmF0dXJl"


@pytest.fixture
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="naibot-audit-unit-") as path:
        yield Path(path)


def write(path: Path, *lines: str) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def test_a_planted_persistent_token_is_reported_with_file_and_line(scratch: Path) -> None:
    path = write(scratch / "planted.txt", "INFO bot: started", f"WARNING bot: login with {OPUS_TOKEN} failed")
    leaks = scan_file(path, fixed_test_secrets())
    assert [(leak.path, leak.line) for leak in leaks] == [(path, 2)] * len(leaks)
    assert "OPUS_TOKEN" in {leak.what for leak in leaks}
    assert all(OPUS_TOKEN not in str(leak) for leak in leaks), "the report names the secret, never shows it"


def test_a_planted_password_and_access_key_are_reported(scratch: Path) -> None:
    from novelai.accesskey import derive_access_key

    path = write(scratch / "planted.txt", f"password was {OPUS_PASSWORD}",
                 f"key {derive_access_key(OPUS_EMAIL, OPUS_PASSWORD)}")
    assert {leak.what for leak in scan_file(path, fixed_test_secrets())} == {"OPUS_PASSWORD", "access key of opus"}


def test_a_jwt_made_up_at_run_time_is_caught_by_its_shape(scratch: Path) -> None:
    path = write(scratch / "planted.txt", f"token {JWT} cached")
    assert [leak.what for leak in scan_file(path, {})] == ["something shaped like a JWT"]


def test_a_redacted_line_passes(scratch: Path) -> None:
    record = logging.LogRecord("bot", logging.WARNING, __file__, 1, "login with %s and %s failed",
                               (OPUS_TOKEN, JWT), None)
    RedactingFilter().filter(record)
    path = write(scratch / "redacted.txt", logging.Formatter(LOG_FORMAT).format(record))
    assert REDACTED in path.read_text()
    assert scan_file(path, fixed_test_secrets()) == []


def test_a_secret_registered_during_the_run_is_looked_for_literally(scratch: Path) -> None:
    odd = "an-odd-api-key-nobody-could-guess-by-shape"
    write(scratch / "registered-gw9-1.secrets", odd)
    write(scratch / "pytest-gw9-1.log", f"INFO api: key {odd.upper()} is fine", f"INFO api: key {odd} leaked")
    leaks = scan_dir(scratch)
    assert [leak.line for leak in leaks] == [2]
    assert "registered by the run" in leaks[0].what
    assert any(value == odd for value in audit_secrets(scratch).values())


def test_the_audit_handler_writes_what_production_would_and_leaves_the_record_alone(scratch: Path) -> None:
    secret = "a-literal-registered-secret-42"
    register_secret(secret)
    handler = AuditHandler(scratch / "audit.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(RedactingFilter())
    record = logging.LogRecord("bot", logging.INFO, __file__, 1, "using %s", (secret,), None)
    handler.handle(record)
    handler.close()
    written = (scratch / "audit.log").read_text()
    assert written.endswith(f"INFO bot: using {REDACTED}\n")
    assert record.getMessage() == f"using {secret}", "other handlers (caplog) still see the record as logged"


def test_subprocess_logs_under_the_temporary_directory_are_collected(scratch: Path) -> None:
    base, into = scratch / "base", scratch / "into"
    (base / "test_x0").mkdir(parents=True)
    into.mkdir()
    write(base / "test_x0" / "worker-0.log", "INFO dramatiq: started")
    write(base / "test_x0" / "image.png", "not a log")
    assert collect_subprocess_logs(base, into, "gw3") == 1
    [copied] = into.iterdir()
    assert copied.name.endswith("-test_x0-worker-0.log") and copied.read_text() == "INFO dramatiq: started\n"


INNER_TEST = '''
import logging
import subprocess
import sys

from sandbox.novelai import OPUS_PASSWORD


def test_leaks(tmp_path):
    logging.getLogger("bot.leaky").warning("login failed for password %s", OPUS_PASSWORD)
    logging.getLogger("bot.careful").warning("login failed with token %s", "pst-" + "a" * 40)
    with (tmp_path / "worker-0.log").open("w") as log:
        subprocess.run([sys.executable, "-c", "print('token eyJhbGciOi.eyJzdWIiOi.c2ln')"], stdout=log, check=True)
'''


def test_a_whole_run_that_leaks_fails_the_audit_naming_both_the_process_and_the_subprocess(scratch: Path) -> None:
    """A real inner pytest run with the plugin: one leak logged in-process, one by a subprocess."""
    (scratch / "test_inner.py").write_text(INNER_TEST, encoding="utf-8")
    audit_dir = scratch / "audit"
    env = {**os.environ, "NAIBOT_TEST_LOG_DIR": str(audit_dir), "PYTHONPATH": str(ROOT)}
    env.pop("PYTEST_XDIST_WORKER", None)
    inner = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.fixtures.log_audit",
         "-p", "no:xdist",
         "--rootdir", str(scratch), "--basetemp", str(scratch / "tmp"), str(scratch / "test_inner.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert inner.returncode == 0, inner.stdout + inner.stderr
    leaks = scan_dir(audit_dir)
    assert {(leak.path.name.split("-")[0], leak.what) for leak in leaks} == {
        ("pytest", "OPUS_PASSWORD"), ("subprocess", "something shaped like a JWT")}
    assert "[REDACTED]" in next(audit_dir.glob("pytest-*.log")).read_text(), "the pst- token was redacted"
