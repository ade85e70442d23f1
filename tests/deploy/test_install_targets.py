"""What `make demo` and `make test` install: the demo only the product and its own extra (a cold
`make demo` used to pull the whole test toolchain, 1.1 GB), the tests everything; honcho, the README's
Procfile runner, comes with every install; the package metadata has an SPDX license, so setuptools
prints no deprecation box on each build."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

from tasks.launch import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def installs(target: str, venv: Path) -> list[str]:
    """The extras each `pip install -e '.[...]'` of ``make -n <target>`` asks for, on a venv not built yet."""
    result = subprocess.run(["make", "-n", target, f"VENV={venv}"], cwd=ROOT, capture_output=True, text=True,
                            timeout=30, check=True)
    return re.findall(r"pip install --quiet -e '\.\[([a-z,]+)\]'", result.stdout)


def test_make_demo_installs_only_the_demo_extra(tmp_path: Path) -> None:
    assert installs("demo", tmp_path / "venv") == ["demo"]


def test_make_test_and_lint_install_the_test_toolchain(tmp_path: Path) -> None:
    assert installs("test", tmp_path / "venv") == ["test,demo"]
    assert installs("lint", tmp_path / "venv") == ["test,demo"]


def test_a_full_install_also_counts_for_the_demo(tmp_path: Path) -> None:
    """After `make test` built the venv, `make demo` installs nothing more (the full stamp covers it)."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    for stamp in (".installed-test", ".installed-demo"):
        (venv / stamp).touch()
    assert installs("demo", venv) == []


def test_honcho_comes_with_every_install() -> None:
    names = [re.split(r"[<>=\[ ]", requirement, maxsplit=1)[0] for requirement in PYPROJECT["project"]["dependencies"]]
    assert "honcho" in names


def test_license_is_an_spdx_expression_with_its_file() -> None:
    project = PYPROJECT["project"]
    assert project["license"] == "MIT"
    assert all((ROOT / name).is_file() for name in project["license-files"])
    setuptools = next(r for r in PYPROJECT["build-system"]["requires"] if r.startswith("setuptools"))
    assert setuptools == "setuptools>=77", "the first setuptools that reads an SPDX license string"
