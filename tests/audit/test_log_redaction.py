"""The whole-suite log audit: no secret the tests used appears in any log line the run wrote.

Runs after the suite, as its own pytest invocation (``make test`` does both), over what
``tests/fixtures/log_audit.py`` recorded: every in-process log line and every subprocess's log file.
"""

from __future__ import annotations

from tests.fixtures.log_audit import AUDIT_DIR, AUDIT_DIR_ENV, audit_secrets, log_files, scan_dir


def test_the_run_left_logs_to_audit() -> None:
    """An empty audit directory would pass vacuously: the suite must have run first."""
    files = log_files(AUDIT_DIR)
    assert files, f"no log files in {AUDIT_DIR} (${AUDIT_DIR_ENV}); run the test suite before the audit"
    assert any(f.name.startswith("pytest-") and f.stat().st_size for f in files), "in-process logs are empty"


def test_the_run_registered_secrets_for_redaction() -> None:
    assert any("registered by the run" in label for label in audit_secrets(AUDIT_DIR)), \
        "no registered secrets recorded: the audit would miss secrets made up at run time"


def test_no_secret_appears_in_any_log_line_of_the_run() -> None:
    leaks = scan_dir(AUDIT_DIR)
    shown = "\n".join(str(leak) for leak in leaks[:200])
    assert not leaks, f"{len(leaks)} secret(s) in the logs of the test run:\n{shown}"
