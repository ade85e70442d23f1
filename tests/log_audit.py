"""Whole-suite log audit: record every log line the test run produces, then grep it for secrets.

Per-test captured logs are not enough: a secret logged by a worker subprocess, or by a test's
setup, never shows in a test's own report. So, in every pytest process (each xdist worker too):

* a handler on the root logger writes every record to ``<audit dir>/pytest-<worker>-<pid>.log``,
  through the same ``RedactingFilter`` and format production's ``setup_logging`` installs, so
  the file holds exactly what production would write;
* at the end of the session, the log files subprocesses wrote under the session's temporary
  directory (Dramatiq workers of ``tests/deployment.py``, Procfile runs, ...) are copied in;
* the literal secrets the process registered with ``register_secret`` (some made up at run time)
  are written next to them, so the audit can look for those exact strings.

The audit itself (``tests/audit/test_log_redaction.py``) runs as a second pytest invocation
after the suite (``make test``) and fails listing ``file:line`` for every secret it finds.
"""

from __future__ import annotations

import copy
import logging
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from naibot import logs as naibot_logs
from naibot.logs import LOG_FORMAT, RedactingFilter, setup_logging

ROOT = Path(__file__).resolve().parent.parent
AUDIT_DIR_ENV = "NAIBOT_TEST_LOG_DIR"
AUDIT_DIR = Path(os.environ.get(AUDIT_DIR_ENV) or ROOT / ".test-logs").resolve()
AUDIT_TESTS = Path(__file__).resolve().parent / "audit"
# What production runs at by default; the audit sees at least that much (DEBUG for a stricter look).
AUDIT_LEVEL = logging.getLevelNamesMapping().get(os.environ.get("NAIBOT_TEST_LOG_LEVEL", "INFO").upper(), logging.INFO)
# Files that subprocesses write under tmp_path and that are logs (or a process's captured output).
SUBPROCESS_LOG_GLOBS = ("*.log", "*.out", "*.err")
SECRETS_SUFFIX = ".secrets"


class AuditHandler(logging.FileHandler):
    """A file handler that redacts a copy of each record, leaving the shared record untouched.

    Production's filter rewrites the record in place; here other handlers (pytest's caplog)
    must keep seeing what the test logged, so the filter runs on a copy.
    """

    def handle(self, record: logging.LogRecord) -> bool:
        return super().handle(copy.copy(record))


def _worker_name() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _is_audit_run(config: pytest.Config) -> bool:
    """True if this invocation asked for the audit tests by path."""
    for arg in config.args:
        path = Path(arg.split("::")[0]).resolve()
        if path == AUDIT_TESTS or AUDIT_TESTS in path.parents:
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The audit reads the logs of a finished run, so the normal run must not collect it."""
    if collection_path == AUDIT_TESTS and not _is_audit_run(config):
        return True
    return None


def pytest_configure(config: pytest.Config) -> None:
    if _is_audit_run(config) or hasattr(config, "_log_audit_handler"):
        return
    AUDIT_DIR.mkdir(parents=True, exist_ok=True)
    handler = AuditHandler(AUDIT_DIR / f"pytest-{_worker_name()}-{os.getpid()}.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    # As every production process does at start: filter on every handler, INFO, httpx quieted.
    setup_logging(logging.getLevelName(AUDIT_LEVEL))
    config._log_audit_handler = handler  # type: ignore[attr-defined]


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test that ran ``naibot ...`` in-process may have raised the root level; lower it again."""
    root = logging.getLogger()
    if hasattr(item.config, "_log_audit_handler") and root.level > AUDIT_LEVEL:
        root.setLevel(AUDIT_LEVEL)


def collect_subprocess_logs(base: Path, into: Path, worker: str) -> int:
    """Copy log files found under ``base`` into the audit directory; returns how many."""
    copied = 0
    for pattern in SUBPROCESS_LOG_GLOBS:
        for path in sorted(base.rglob(pattern)):
            relative = path.relative_to(base)
            # Under xdist the controller's base holds each worker's (popen-gwN); they copy their own.
            if not path.is_file() or relative.parts[0].startswith("popen-gw"):
                continue
            flat = "-".join(relative.parts).removesuffix(".log")
            shutil.copyfile(path, into / f"subprocess-{worker}-{os.getpid()}-{flat}.log")
            copied += 1
    return copied


def pytest_sessionfinish(session: pytest.Session) -> None:
    handler: AuditHandler | None = getattr(session.config, "_log_audit_handler", None)
    if handler is None:
        return
    logging.getLogger().removeHandler(handler)
    handler.close()
    worker = _worker_name()
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is not None:
        try:
            base = factory.getbasetemp()
        except (OSError, ValueError):
            base = None
        if base is not None and base.exists():
            collect_subprocess_logs(base, AUDIT_DIR, worker)
    with naibot_logs._literals_lock:
        literals = sorted(naibot_logs._literals)
    (AUDIT_DIR / f"registered-{worker}-{os.getpid()}{SECRETS_SUFFIX}").write_text(
        "".join(f"{literal}\n" for literal in literals if "\n" not in literal), encoding="utf-8")


# --- The scanner -------------------------------------------------------------------------------

# Shapes of secrets made up at run time (NovelAI login JWTs, tokens the stand-ins issue).
SECRET_SHAPES: dict[str, re.Pattern[str]] = {
    "JWT": re.compile(r"eyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]+"),
    "persistent token": re.compile(r"pst-[A-Za-z0-9_\-]{16,}"),
    "Telegram bot token": re.compile(r"(?<!\d)\d{6,}:[A-Za-z0-9_\-]{30,}"),
}


@dataclass(frozen=True)
class Leak:
    path: Path
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def fixed_test_secrets() -> dict[str, str]:
    """The secrets the test suite uses, by a name safe to print (the value never is)."""
    from bot.demo import DEMO_SECRET
    from novelai.accesskey import derive_access_key
    from sandbox import novelai_accounts as nai
    from sandbox.discord import DEFAULT_TOKEN as DISCORD_TOKEN
    from sandbox.telegram import DEFAULT_TOKEN as TELEGRAM_TOKEN
    from tests.redis_fixtures import TEST_SECRET_KEY

    secrets = {
        "OPUS_PASSWORD": nai.OPUS_PASSWORD, "TABLET_PASSWORD": nai.TABLET_PASSWORD,
        "PAPER_PASSWORD": nai.PAPER_PASSWORD, "OPUS_TOKEN": nai.OPUS_TOKEN,
        "TEST_SECRET_KEY": TEST_SECRET_KEY, "DEMO_SECRET": DEMO_SECRET,
        "Telegram stand-in token": TELEGRAM_TOKEN, "Discord stand-in token": DISCORD_TOKEN,
    }
    for label, email, password in (("opus", nai.OPUS_EMAIL, nai.OPUS_PASSWORD),
                                   ("tablet", nai.TABLET_EMAIL, nai.TABLET_PASSWORD),
                                   ("paper", nai.PAPER_EMAIL, nai.PAPER_PASSWORD)):
        secrets[f"access key of {label}"] = derive_access_key(email, password)
    try:
        from tests import http_api_world

        for name in ("ALICE_KEY", "BOB_KEY", "ADMIN_KEY"):
            if isinstance(value := getattr(http_api_world, name, None), str):
                secrets[f"API key {name}"] = value
    except ImportError:  # the HTTP API tests are optional to the audit
        pass
    return secrets


def registered_secrets(audit_dir: Path) -> dict[str, str]:
    """Every literal a test process registered for redaction, from the files it left."""
    found: dict[str, str] = {}
    for path in sorted(audit_dir.glob(f"*{SECRETS_SUFFIX}")):
        for number, literal in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if literal:
                found.setdefault(literal, f"secret registered by the run ({path.name} #{number})")
    return {label: literal for literal, label in found.items()}


def audit_secrets(audit_dir: Path) -> dict[str, str]:
    """Fixed and registered secrets by label, each value once (a fixed one keeps its own name)."""
    by_value: dict[str, str] = {}
    for label, value in {**registered_secrets(audit_dir), **fixed_test_secrets()}.items():
        by_value[value] = label
    return {label: value for value, label in by_value.items()}


def scan_lines(path: Path, lines: Iterable[str], secrets: dict[str, str]) -> Iterator[Leak]:
    # Longest first, so a secret containing another is named for itself.
    literals = sorted(secrets.items(), key=lambda item: len(item[1]), reverse=True)
    for number, line in enumerate(lines, 1):
        for label, value in literals:
            if value in line:
                yield Leak(path, number, label)
        for label, pattern in SECRET_SHAPES.items():
            if pattern.search(line):
                yield Leak(path, number, f"something shaped like a {label}")


def scan_file(path: Path, secrets: dict[str, str]) -> list[Leak]:
    with path.open(encoding="utf-8", errors="replace") as lines:
        return list(scan_lines(path, lines, secrets))


def log_files(audit_dir: Path) -> list[Path]:
    return sorted(p for p in audit_dir.glob("*.log") if p.is_file())


def scan_dir(audit_dir: Path) -> list[Leak]:
    secrets = audit_secrets(audit_dir)
    return [leak for path in log_files(audit_dir) for leak in scan_file(path, secrets)]
