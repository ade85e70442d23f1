"""``deploy/env.example`` is one file for two readers: copied to ``.env`` for honcho (the README's
five-minute path) and installed as a systemd ``EnvironmentFile=`` (deploy/*.service). Both must read
the same values from it, and naibot must accept what they read: honcho's reader drops double quotes
inside a value, so an unquoted JSON list became ``[{key:...}]`` and every process refused it."""

from __future__ import annotations

import json

import pytest
from honcho.environ import parse as honcho_parse

from naibot.settings import load_settings
from tasks.launch import ROOT
from tests.fixtures.systemd_envfile import parse_environment_file

ENV_EXAMPLE = ROOT / "deploy" / "env.example"


def example() -> str:
    return ENV_EXAMPLE.read_text(encoding="utf-8")


def test_honcho_and_systemd_read_the_same_values() -> None:
    """Every assignment line, read alike (no line skipped by one reader, no quote kept by one only)."""
    names = {line.split("=", 1)[0] for line in example().splitlines() if line and not line.startswith("#")}
    honcho = honcho_parse(example())
    systemd = parse_environment_file(example())
    assert set(systemd) == names
    assert honcho == systemd


def test_api_keys_are_a_json_list_in_both_readers() -> None:
    for read in (honcho_parse, parse_environment_file):
        keys = json.loads(read(example())["NAIBOT_API__KEYS"])
        assert isinstance(keys, list)
        assert [entry["identity"] for entry in keys] == ["admin", "prometheus"]


def test_settings_load_the_api_keys_honcho_reads() -> None:
    """What a process started by `honcho start` sees validates (before: `api.keys: Input should be a valid list`)."""
    settings = load_settings(ROOT / "deploy" / "no-such-settings.yaml", env=honcho_parse(example()))
    assert [key.identity for key in settings.api.keys] == ["admin", "prometheus"]
    assert settings.api.keys[0].admin


@pytest.mark.parametrize(("text", "expected"), [
    ('A=[{"k": "v"}]\n', {"A": '[{"k": "v"}]'}),  # quotes inside an unquoted value are kept
    ("A='[{\"k\": \"v\"}]'\n", {"A": '[{"k": "v"}]'}),  # single quotes: literal, removed
    ('A="x \\"y\\" \\n"\n', {"A": 'x "y" \\n'}),  # double quotes unescape \" and keep other backslashes
    ("  A = padded value  \n", {"A": "padded value"}),  # blanks around key and value dropped
    ("A=one\\\ntwo\n", {"A": "onetwo"}),  # backslash-newline joins lines
    ("# A=1\n; B=2\nC=3 # not a comment\n", {"C": "3 # not a comment"}),
    ("no equals sign\nbad-name=1\nA=\n", {"A": ""}),
    ("A=1\nA=2", {"A": "2"}),
])
def test_systemd_reader_follows_the_documented_rules(text: str, expected: dict[str, str]) -> None:
    """The stand-in reader itself, on the cases systemd.exec(5) and systemd's env-file reader spell out."""
    assert parse_environment_file(text) == expected
