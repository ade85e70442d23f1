"""Credentials a process handles are registered for redaction the moment it reads them."""

from __future__ import annotations

from naibot.logs import REDACTED, redact
from naibot.settings import load_settings
from novelai.factory import default_account

PASSWORD = "an-unusual-deployment-password-7"


def test_the_default_accounts_password_and_access_key_are_redacted_from_logs(tmp_path) -> None:
    settings = load_settings(env={"NAIBOT_SETTINGS": str(tmp_path / "none.yaml"),
                                  "NOVELAI_EMAIL": "someone@example.com", "NOVELAI_PASSWORD": PASSWORD})
    account = default_account(settings)
    assert account is not None and account.access_key
    line = redact(f"login as someone with {PASSWORD} -> {account.access_key}")
    assert PASSWORD not in line and account.access_key not in line and line.count(REDACTED) == 2
