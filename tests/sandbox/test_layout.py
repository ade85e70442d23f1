"""How sandbox/ is put together: each control API types its server with a Protocol of its own, nothing
but a package's ``__init__`` imports that package's server, there is no import circle, and the stand-ins
import neither ``bot``, ``tasks`` nor the client's ``novelai.cost`` (the NovelAI one prices with its own
table, so it can catch a pricing bug in the client)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest

from sandbox.discord import DiscordSandbox
from sandbox.discord.control import ControlledDiscord
from sandbox.novelai import NovelAISandbox
from sandbox.novelai.control import ControlledNovelAI
from sandbox.telegram import TelegramSandbox
from sandbox.telegram.control import ControlledTelegram

SANDBOX = Path(__file__).resolve().parents[2] / "sandbox"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SANDBOX.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(SANDBOX.rglob("*.py"))}


def _imports(name: str) -> set[str]:
    """Every module ``name`` imports, at the top or inside a function, as dotted names."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            # `from package import module` imports the module.
            found.update(f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES)
    return found


def test_the_stand_ins_do_not_import_the_client_pricing_the_bot_or_tasks() -> None:
    offenders = {name: sorted(target for target in _imports(name)
                              if target == "novelai.cost" or target.split(".")[0] in ("bot", "tasks"))
                 for name in MODULES}
    assert not {name: targets for name, targets in offenders.items() if targets}


def test_only_a_package_init_imports_its_server() -> None:
    offenders = []
    for name, path in MODULES.items():
        if path.name == "__init__.py" or name.count(".") < 2:
            continue
        package = name.rpartition(".")[0]
        # The package itself re-exports from server.py, so importing it counts as importing the server.
        if {package, f"{package}.server"} & (_imports(name) - {name}):
            offenders.append(name)
    assert not offenders


def test_no_module_uses_type_checking_imports() -> None:
    assert not [name for name, path in MODULES.items() if "TYPE_CHECKING" in path.read_text(encoding="utf-8")]


def test_there_is_no_import_circle() -> None:
    graph = {name: {target for target in _imports(name) if target in MODULES and target != name}
             for name in MODULES}
    circles = []

    def visit(name: str, trail: list[str]) -> None:
        for target in sorted(graph[name]):
            if target in trail:
                circles.append([*trail[trail.index(target):], target])
            elif target not in done:
                visit(target, [*trail, target])
        done.add(name)

    done: set[str] = set()
    for name in sorted(graph):
        if name not in done:
            visit(name, [name])
    assert not circles


def _members(protocol: type) -> dict[str, Any]:
    names = set(getattr(protocol, "__annotations__", {})) | {
        name for name in vars(protocol) if not name.startswith("_")}
    return {name: vars(protocol).get(name) for name in names}


@pytest.mark.parametrize(("protocol", "server"), [
    (ControlledNovelAI, NovelAISandbox), (ControlledTelegram, TelegramSandbox), (ControlledDiscord, DiscordSandbox),
])
def test_each_server_has_what_its_control_api_uses(protocol: type, server: type) -> None:
    """No type checker runs in CI, so check the Protocol against the server by name and signature."""
    instance = server()
    for name, declared in _members(protocol).items():
        assert hasattr(instance, name), f"{server.__name__} lacks {name}"
        if inspect.isfunction(declared):
            expected = [(p.name, p.kind, p.default) for p in inspect.signature(declared).parameters.values()]
            actual = [(p.name, p.kind, p.default)
                      for p in inspect.signature(getattr(server, name)).parameters.values()]
            assert actual == expected, f"{server.__name__}.{name} differs from {protocol.__name__}.{name}"
