"""The ``.env`` file of a deployment, read the way the Procfile runner (honcho) reads it.

Why: ``honcho start`` gives every process the variables of ``.env``; an operator who then types
``naibot generate ...`` in a plain shell must reach the same deployment, not the built-in defaults.
So the CLI reads that file too (``naibot.settings_source`` says which one and when), and reads it
*exactly* as honcho 2 does (``honcho.environ.parse``), not as a shell or python-dotenv would: a file
that meant one thing to the processes and another to the CLI would be worse than none. honcho is
not imported here (it is the deployer's tool, not a dependency of every process); its parser is a
POSIX ``shlex`` run per line, and so is this one. ``tests/naibot/test_env_file.py`` compares the two.

honcho's rules, one line at a time:

- ``NAME=value``, NAME a shell identifier; blanks around ``=`` are allowed.
- Unquoted blanks are dropped, also inside a value: ``A=two words`` is ``twowords``.
- ``#`` outside quotes starts a comment anywhere in the line: ``A=x#y`` is ``x``.
- Single quotes keep their text as it is; so do double quotes, except that ``\\"`` and ``\\\\``
  lose their backslash; outside quotes a backslash keeps the character after it and drops itself.
- Then the two characters ``\\n`` and ``\\t`` become a newline and a tab.
- Lines that are not one assignment are skipped without a word: blank lines, comments, a bare
  ``NAME=`` (nothing after it), and ``export NAME=value`` (honcho takes ``export`` for the name).
- A quote left open, or a backslash ending the line, stops honcho with an error; here it is an
  ``EnvFileError`` naming the file and line (never the line's text: it may hold a secret).
- The last assignment of a name wins.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import MutableMapping
from pathlib import Path

ENV_FILE_NAME = ".env"
_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


class EnvFileError(ValueError):
    """A line honcho could not read either; the message names the file and the line number."""


def parse(text: str, *, source: str = ENV_FILE_NAME) -> dict[str, str]:
    """The variables ``text`` assigns, by honcho's rules (the module docstring lists them)."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            tokens = list(shlex.shlex(line, posix=True))
        except ValueError as exc:  # "No closing quotation", "No escaped character": no text of the line
            raise EnvFileError(f"{source}, line {number}: {exc}; honcho cannot read this line either") from None
        if len(tokens) < 3:
            continue
        name, op = tokens[:2]
        if op != "=" or not _NAME.match(name):
            continue
        values[name] = "".join(tokens[2:]).replace("\\n", "\n").replace("\\t", "\t")
    return values


def read_env_file(path: Path) -> dict[str, str]:
    """The variables of the file at ``path`` (which must exist)."""
    return parse(path.read_text(encoding="utf-8"), source=str(path))


def load_env_file(path: Path, environ: MutableMapping[str, str]) -> dict[str, str]:
    """Add the variables of ``path`` to ``environ``, never replacing one that is set already.

    Whatever started the process (honcho, systemd's ``EnvironmentFile=``, the operator's shell)
    has the last word: under honcho the values are the same ones anyway, and a variable exported
    by hand for one command is meant to win. Children (``naibot worker`` starting Dramatiq) inherit
    the result. Returns what the file assigns."""
    values = read_env_file(path)
    for name, value in values.items():
        environ.setdefault(name, value)
    return values
