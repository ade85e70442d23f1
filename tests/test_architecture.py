"""The import directions of DESIGN.md §1.2, checked on the source (ast; no product module is imported).

Why a test: the old tree grew six import circles that stayed hidden behind `TYPE_CHECKING` and imports inside
functions. Every import counts here, wherever it sits, so a circle or a forbidden direction fails the suite
the day it is written instead of the day someone untangles it. How the graph is read: tests/fixtures/import_graph.py.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from tests.fixtures.import_graph import Edge, ImportGraph, Rule, build

ROOT = Path(__file__).resolve().parents[1]

#: Every package of ours, product or not: the ground floor may import none of them.
OURS = ("naibot", "novelai", "storage", "tasks", "bot", "sandbox", "tests", "bench")


def _ours_except(*allowed: str) -> tuple[str, ...]:
    """Our packages minus the allowed ones: "imports only X" written as a forbidden list."""
    return tuple(package for package in OURS if package not in allowed)


#: DESIGN.md §1.2, one row per (source, forbidden) pair. `source` and `forbidden` are module subtrees
#: (`bot.chat` is the package and everything under it; "" is every product module); `exempt` holds fnmatch
#: patterns of source modules the row does not apply to.
RULES: tuple[Rule, ...] = (
    Rule("R1", "naibot", _ours_except("naibot"), why="naibot is the ground floor"),
    Rule("R2-novelai", "novelai", _ours_except("novelai", "naibot"), why="the NovelAI client needs only naibot"),
    Rule("R2-storage", "storage", _ours_except("storage", "naibot"), why="storage needs only naibot"),
    Rule("R3", "tasks", ("bot", "sandbox"), why="the queue knows no front end and no stand-in"),
    Rule(
        "R4",
        "bot.rules",
        ("bot.chat", "bot.telegram", "bot.discord", "bot.http", "bot.cli"),
        why="the rules have no words and no platform",
    ),
    Rule(
        "R5",
        "bot.chat",
        ("bot.telegram", "bot.discord", "bot.http", "bot.cli", "telegram", "discord"),
        why="the chat product is platform-free",
    ),
    Rule(
        "R6",
        "bot.chat.commands",
        ("bot.chat.router", "bot.chat.runtime"),
        why="commands register into the router from below and never import it back (the command circle)",
    ),
    Rule("R7-telegram", "bot.telegram", ("bot.discord", "bot.http", "bot.cli"), why="adapters stand side by side"),
    Rule("R7-discord", "bot.discord", ("bot.telegram", "bot.http", "bot.cli"), why="adapters stand side by side"),
    Rule("R8-chat", "bot.http", ("bot.chat",), why="the HTTP API is not a chat"),
    Rule("R8-routes", "bot.http.routes", ("bot.http.app",), why="routes take their state from deps.py, not app.py"),
    Rule(
        "R9-outside",
        "",
        ("bot.cli",),
        exempt=("bot.cli", "bot.cli.*"),
        why="only the console script enters the CLI (tests/ and bench/ are not product code)",
    ),
    Rule(
        "R9-main",
        "bot.cli",
        ("bot.cli.main",),
        exempt=("bot.cli", "bot.cli.__main__"),
        why="main.py imports the subcommands, never the other way (the CLI circle)",
    ),
    Rule("R10", "sandbox", ("bot", "tasks", "novelai.cost"), why="a stand-in neither runs the bot nor prices jobs"),
    Rule("R11", "", ("tests",), why="product code never imports the tests"),
    Rule(
        "R12-texts",
        "bot.chat.texts",
        ("bot.chat.commands", "bot.chat.router", "bot.cli"),
        why="the words sit below the commands (DESIGN.md §1.3: the texts <-> cli trap)",
    ),
)


@cache
def real_graph() -> ImportGraph:
    """The graph of this checkout, parsed once per run (about a tenth of a second)."""
    return build(ROOT)


def _listing(edges: list[Edge]) -> str:
    return "\n".join(f"  {edge}" for edge in edges)


def _circles_report(graph: ImportGraph) -> str:
    return "\n".join(
        f"circle {n}: {' -> '.join([*(e.source for e in chain), chain[0].source])}\n{_listing(chain)}"
        for n, chain in enumerate(graph.cycles(), 1)
    )


def test_no_import_circle_among_product_modules() -> None:
    """A circle, even one hidden under TYPE_CHECKING or in a function, means two modules cannot be understood
    (or tested) apart; break it by moving the shared piece down, not by hiding the import."""
    report = _circles_report(real_graph())
    if report:
        pytest.fail(f"import circles among product modules:\n{report}", pytrace=False)


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_import_direction_rule_holds(rule: Rule) -> None:
    """Each row of the table: the layer below never reaches up or sideways."""
    broken = rule.broken_by(real_graph().edges)
    if broken:
        pytest.fail(f"{rule.id} ({rule.why}) broken by:\n{_listing(broken)}", pytrace=False)


def test_the_graph_covers_the_whole_tree() -> None:
    """Guards against a vacuous pass (a wrong root or a parser that finds nothing would satisfy every rule)."""
    graph = real_graph()
    assert len(graph.modules) > 100, sorted(graph.modules)
    assert len(graph.internal_edges()) > 200, len(graph.internal_edges())
    assert {"naibot.settings", "bot.chat.ports", "tasks.queue", "sandbox.control"} <= set(graph.modules)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_checker_sees_hidden_circles_and_imports_inside_functions(tmp_path: Path) -> None:
    """The checker itself, on a fake tree: a circle hidden behind TYPE_CHECKING and a forbidden import inside
    a function are both reported, and an implicit parent-package import is not."""
    _write(
        tmp_path,
        {
            "naibot/__init__.py": "",
            "bot/__init__.py": "",
            "bot/http/__init__.py": "",
            "bot/http/app.py": "",
            "bot/chat/__init__.py": "from bot.chat.ports import Reply\n",
            "bot/chat/ports.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n"
                "    from .router import Router\n"
                "class Reply: ...\n"
            ),
            "bot/chat/router.py": ("from . import ports\ndef send() -> None:\n    import bot.http.app\n"),
        },
    )
    graph = build(tmp_path)

    assert _circles_report(graph) == (
        "circle 1: bot.chat.ports -> bot.chat.router -> bot.chat.ports\n"
        "  bot.chat.ports -> bot.chat.router (bot/chat/ports.py:3)\n"
        "  bot.chat.router -> bot.chat.ports (bot/chat/router.py:1)"
    )
    r5 = next(rule for rule in RULES if rule.id == "R5")
    assert [str(edge) for edge in r5.broken_by(graph.edges)] == [
        "bot.chat.router -> bot.http.app (bot/chat/router.py:3)"
    ]
    # bot/chat/__init__.py's own import counts; bot.chat.router's implicit run of bot/chat/__init__.py does not.
    assert ("bot.chat", "bot.chat.ports") in {(e.source, e.target) for e in graph.internal_edges()}
    assert not [e for e in graph.edges if e.target in {"bot", "bot.chat"}]
