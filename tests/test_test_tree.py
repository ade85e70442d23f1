"""No test module imports another test module (DESIGN.md §1.4): what tests share lives in tests/fixtures/.

Why a test: a test module imported by another is collected twice in spirit (its fixtures leak into the
importer by name, its constants become an API nobody owns), moving or renaming it breaks unrelated files,
and a pytest fixture shared that way needs ``# noqa: F401`` re-imports that hide real mistakes. Read on the
source (ast; nothing is imported), every import wherever it sits, relative ones resolved, and the module
names a conftest lists in ``pytest_plugins``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"

#: A test module: a ``test_*`` module anywhere under the tests package (what pytest collects).
TEST_MODULE = re.compile(r"^tests(?:\.\w+)*\.test_\w+$")

#: Files that may still import a test module, each with what it imports. Only files other helpers owned
#: while the shared pieces moved to tests/fixtures/; empty it as they move to tests.fixtures too.
ALLOWED: dict[str, str] = {}


def module_of(path: Path) -> str:
    """The dotted module name of a file under ROOT (a package's ``__init__`` is the package)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _plugins(node: ast.Assign) -> Iterator[str]:
    """The module names of a ``pytest_plugins = [...]`` (or a single string) assignment."""
    if any(isinstance(target, ast.Name) and target.id == "pytest_plugins" for target in node.targets):
        values = node.value.elts if isinstance(node.value, (ast.List, ast.Tuple)) else [node.value]
        for value in values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                yield value.value


def imported(source: str, module: str, *, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """(line, module) of every import in ``source`` of ``module``; for ``from X import name`` both X and
    X.name (the name may be a submodule: ``from tests.tasks import test_queue_scheduler``)."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            origin = ".".join([*base, *([node.module] if node.module else [])])
            yield node.lineno, origin
            for alias in node.names:
                yield node.lineno, f"{origin}.{alias.name}"
        elif isinstance(node, ast.Assign):
            for name in _plugins(node):
                yield node.lineno, name


def imports_of_tests(source: str, module: str, *, is_package: bool = False) -> list[tuple[int, str]]:
    """The imports of test modules in ``source`` (sorted, each once)."""
    return sorted({(line, name) for line, name in imported(source, module, is_package=is_package)
                   if TEST_MODULE.match(name)})


def tree_violations() -> dict[str, list[tuple[int, str]]]:
    """Every file under tests/ that imports a test module, with what it imports."""
    found = {}
    for path in sorted(TESTS.rglob("*.py")):
        if (hits := imports_of_tests(path.read_text(encoding="utf-8"), module_of(path),
                                 is_package=path.name == "__init__.py")):
            found[path.relative_to(ROOT).as_posix()] = hits
    return found


def test_no_test_module_imports_another_test_module() -> None:
    found = {path: hits for path, hits in tree_violations().items() if path not in ALLOWED}
    assert found == {}, ("test modules import other test modules; move what they share to tests/fixtures/ "
                         "(a pytest fixture: list its module in tests/conftest.py pytest_plugins): "
                         + "; ".join(f"{path}:{line} {name}" for path, hits in found.items() for line, name in hits))


def test_the_allow_list_only_holds_files_that_still_need_it() -> None:
    """So it only shrinks: once a file takes its helpers from tests/fixtures/, its entry must go."""
    found = tree_violations()
    assert [path for path in ALLOWED if path not in found] == []


def test_every_form_of_importing_a_test_module_is_seen() -> None:
    module = "tests.bot.chat.test_delivery_claim"
    for source, name in [
        ("from tests.bot.chat.test_record_first import bots\n", "tests.bot.chat.test_record_first"),
        ("import tests.deploy.test_redis_acl as acl\n", "tests.deploy.test_redis_acl"),
        ("from tests.tasks import test_queue_scheduler\n", "tests.tasks.test_queue_scheduler"),
        ("from .test_record_first import start_bot\n", "tests.bot.chat.test_record_first"),
        ("from ..http.test_admin_page import served\n", "tests.bot.http.test_admin_page"),
        ("from . import test_texts\n", "tests.bot.chat.test_texts"),
        ("def later() -> None:\n    from tests.test_architecture import RULES\n", "tests.test_architecture"),
        ('pytest_plugins = ["tests.fixtures.chat", "tests.bot.http.test_admin_page"]\n',
         "tests.bot.http.test_admin_page"),
    ]:
        assert name in {hit for _, hit in imports_of_tests(source, module)}, source


def test_fixture_modules_helpers_and_relative_package_imports_are_not_test_modules() -> None:
    source = ("from tests.fixtures.queue_jobs import SMALL, make_job\nfrom tests.tasks.worker_log_lines import LINE\n"
              "from tests.fixtures import chat_restarts\nimport tests.fixtures.admin_site\n"
              'pytest_plugins = ["tests.fixtures.redis"]\n')
    assert imports_of_tests(source, "tests.tasks.test_metrics") == []
    assert imports_of_tests("from . import admin_site\n", "tests.fixtures", is_package=True) == []
    assert imports_of_tests("from . import test_accounts\n", "tests.bot.cli", is_package=True) == [
        (1, "tests.bot.cli.test_accounts")]
