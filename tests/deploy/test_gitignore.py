"""The secrets file the README tells people to create next to settings.yaml (``.env``) never
reaches git: a ``git add -A`` in a checkout must not commit NAIBOT_SECRET_KEY and the bot tokens."""

from __future__ import annotations

import subprocess

import pytest

from tasks.launch import ROOT


def ignored(path: str) -> bool:
    """What git itself says (``git check-ignore`` exits 0 for an ignored path, 1 for a tracked-to-be one)."""
    result = subprocess.run(["git", "check-ignore", "--no-index", "-q", path], cwd=ROOT, timeout=30, check=False)
    assert result.returncode in (0, 1), f"git check-ignore failed for {path}"
    return result.returncode == 0


@pytest.mark.parametrize("path", [".env", "worker.env", "telegram.env", "deploy/.env"])
def test_secrets_files_are_ignored(path: str) -> None:
    assert ignored(path), f"{path} would be committed by `git add -A`"


def test_env_example_is_not_ignored() -> None:
    assert not ignored("deploy/env.example")
