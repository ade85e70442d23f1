"""The systemd units of deploy/: one user and one secrets file per process, no core dumps, other
processes hidden, and the usual hardening (security L11).

The units are read as systemd reads them (a key may repeat; the last assignment of most keys wins)
and, where ``systemd-analyze`` is installed, verified and rated by systemd itself.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tasks.launch import ROOT

DEPLOY = ROOT / "deploy"
SCALING = DEPLOY / "SCALING.md"
UNITS = {"worker": "naibot-worker@.service", "telegram": "naibot-telegram.service",
         "discord": "naibot-discord.service", "api": "naibot-api.service"}
# Secrets only one kind of process may hold.
OWN_SECRETS = {"telegram": {"TELEGRAM_TOKEN", "NAIBOT_TELEGRAM__WEBHOOK_SECRET"}, "discord": {"DISCORD_TOKEN"},
               "api": {"NAIBOT_API__KEYS"}}
HARDENING = {
    "LimitCORE": "0", "ProtectProc": "invisible", "ProcSubset": "pid", "NoNewPrivileges": "yes",
    "PrivateTmp": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes", "ProtectControlGroups": "yes",
    "RestrictSUIDSGID": "yes", "RestrictNamespaces": "yes", "LockPersonality": "yes", "CapabilityBoundingSet": "",
    "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX", "SystemCallArchitectures": "native",
}
# What `systemd-analyze security --offline` rated the units before (1.9); they must stay better.
MAX_EXPOSURE = 1.5


def read_unit(path: Path) -> dict[str, list[str]]:
    """``[Service]`` keys to every value assigned, in order (comments and other sections skipped)."""
    section, values = "", {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def last(unit: dict[str, list[str]], key: str) -> str | None:
    return unit[key][-1] if key in unit else None


@pytest.fixture(scope="module")
def units() -> dict[str, dict[str, list[str]]]:
    return {role: read_unit(DEPLOY / name) for role, name in UNITS.items()}


def test_each_process_runs_as_its_own_user(units: dict[str, dict[str, list[str]]]) -> None:
    users = {role: last(unit, "User") for role, unit in units.items()}
    assert users == {role: f"naibot-{role}" for role in UNITS}
    assert all(last(unit, "Group") == "naibot" for unit in units.values())
    assert not any("DynamicUser" in unit for unit in units.values())


def test_each_process_reads_only_its_own_secrets_file(units: dict[str, dict[str, list[str]]]) -> None:
    files = {role: unit.get("EnvironmentFile", []) for role, unit in units.items()}
    assert files == {role: [f"/etc/naibot/{role}.env"] for role in UNITS}


def test_the_guide_puts_each_chat_token_and_the_api_keys_in_one_file_only() -> None:
    rows = dict(re.findall(r"^\| `/etc/naibot/(\w+)\.env` \| (.+) \|$", SCALING.read_text(), re.MULTILINE))
    assert set(rows) == set(UNITS), "SCALING.md must list what each env file holds"
    held = {role: set(re.findall(r"`([A-Z_]+)`", row)) for role, row in rows.items()}
    for owner, secrets in OWN_SECRETS.items():
        for role, names in held.items():
            assert (secrets & names) == (secrets if role == owner else set()), (owner, role, names)
    assert "0600 -o root -g root" in SCALING.read_text()


@pytest.mark.parametrize("role", UNITS)
def test_the_unit_is_hardened(units: dict[str, dict[str, list[str]]], role: str) -> None:
    unit = units[role]
    wrong = {key: last(unit, key) for key, want in HARDENING.items() if last(unit, key) != want}
    assert not wrong, f"{UNITS[role]}: {wrong}"
    assert "~@privileged @resources" in unit.get("SystemCallFilter", [])
    assert last(unit, "AmbientCapabilities") == ""


def test_only_workers_write_and_only_to_the_image_directory(units: dict[str, dict[str, list[str]]]) -> None:
    worker = units["worker"]
    assert last(worker, "ReadWritePaths") == "/var/lib/naibot" and last(worker, "StateDirectory") == "naibot"
    for role in ("telegram", "discord", "api"):
        unit = units[role]
        assert "ReadWritePaths" not in unit and "StateDirectory" not in unit, role
        assert last(unit, "ReadOnlyPaths") == "-/var/lib/naibot" and last(unit, "UMask") == "0077", role


def _analyzable(tmp_path: Path) -> list[Path]:
    """Copies systemd can load here: the ExecStart binary of this checkout, the template instantiated."""
    copies, naibot = [], str(ROOT / ".venv" / "bin" / "naibot")
    for name in (*UNITS.values(), "naibot.target"):
        text = (DEPLOY / name).read_text().replace("/opt/naibot/.venv/bin/naibot", naibot)
        path = tmp_path / name.replace("@.service", "@1.service")
        path.write_text(text)
        copies.append(path)
    return [path for path in copies if path.suffix == ".service"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_every_directive_and_rates_the_units_well(tmp_path: Path) -> None:
    for path in _analyzable(tmp_path):
        verify = subprocess.run(["systemd-analyze", "verify", "--man=no", str(path)], capture_output=True,
                                text=True, cwd=tmp_path, timeout=60, check=False)
        assert verify.returncode == 0 and not verify.stderr.strip(), f"{path.name}: {verify.stderr}"
        security = subprocess.run(["systemd-analyze", "security", "--offline=true", str(path)],
                                  capture_output=True, text=True, cwd=tmp_path, timeout=60, check=False)
        found = re.search(r"Overall exposure level for \S+: ([\d.]+)", security.stdout)
        assert found, security.stdout[-500:] + security.stderr[-500:]
        assert float(found.group(1)) <= MAX_EXPOSURE, f"{path.name}: {found.group(0)}"


def test_a_stopping_worker_is_given_time_to_finish_its_longest_generation(
        units: dict[str, dict[str, list[str]]]) -> None:
    """Killed mid-generation, a job is recovered and generated (and paid) again: systemd must wait
    out the longest generation the client allows before it sends SIGKILL."""
    from naibot.settings import NovelAILimits

    stop = last(units["worker"], "TimeoutStopSec")
    assert stop is not None and stop.isdigit()
    assert int(stop) >= NovelAILimits().generation_seconds + 20
