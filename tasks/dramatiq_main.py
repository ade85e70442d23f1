"""The worker's command line: Dramatiq's own CLI, with our log format and the start-up check.

``python -m tasks.dramatiq_main tasks.actors --processes N --threads N --queues Q`` is what ``naibot
worker`` runs (and ``tasks.launch.spawn_worker``, for the demo and the tests). It differs from
``python -m dramatiq`` in two ways only:

* every line, the main process's included, is ``date LEVEL logger: message`` (``naibot.logs``),
  like the bots' and the API's, instead of Dramatiq's bracketed format: its worker processes are
  forked from this one and take the format from ``dramatiq.cli.LOGFORMAT`` when they set up logging;
* before any worker process starts, the default NovelAI account is checked once
  (``tasks.startup``), so a wrong ``NOVELAI_TOKEN`` is reported at start, not as failed jobs; and
  a ``NAIBOT_SECRET_KEY`` that is not the deployment's stops it there (exit status 2).
"""

from __future__ import annotations

import logging
import sys

import dramatiq.cli

from naibot.excepthooks import install_exception_hooks
from naibot.logs import LOG_FORMAT, setup_logging
from naibot.settings import load_settings
from tasks.startup import run_start_checks


def _start_checks() -> bool:
    """Run the checks with a logging set-up of their own, then hand a clean root logger to Dramatiq
    (which configures it once per process: a handler left here would bypass its log pipes).
    False: the worker must not start."""
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        settings = load_settings()
    except Exception:  # the worker processes load them again and say what is wrong
        return True
    setup_logging(settings.logging.level)
    try:
        return run_start_checks(settings)
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                handler.flush()
                root.removeHandler(handler)


def main() -> int:
    install_exception_hooks()
    dramatiq.cli.LOGFORMAT = LOG_FORMAT  # read by the main process and each worker process it forks
    if not _start_checks():
        return 2
    return int(dramatiq.cli.main() or 0)


if __name__ == "__main__":
    sys.exit(main())
