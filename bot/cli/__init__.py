"""The ``naibot`` command line: one module per subcommand family.

- ``main``: the parser (one ``register()`` per subcommand module) and ``main()``.
- ``common``: exit statuses, ``run_async``, the secret-key start-up check; imported by every subcommand.
- ``accounts``, ``rotate_key``, ``queue`` (worker, generate, status, cancel), ``chat`` (telegram,
  discord), ``api``, ``sandbox``, ``demo`` (its chat part in ``demo_telegram``): the subcommands.

May import everything below it (``bot.chat``, ``bot.rules``, the adapters, ``bot.http``, ``tasks``,
``novelai``, ``storage``, ``naibot``). Nothing imports ``bot.cli`` except the console script
(``naibot = "bot.cli:main"``) and ``python -m bot.cli``; subcommand modules never import ``main``.
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """The console script's entry point (imported lazily so ``bot.cli.common`` stays light).

    First of all, uncaught exceptions (a wrong bot token's traceback quotes it) are routed through
    the log redactor: here, at process start, not in ``bot.cli.main.main``, which tests call in
    their own process."""
    from naibot.excepthooks import install_exception_hooks

    install_exception_hooks()
    from bot.cli.main import main as run

    return run(argv)
