"""naibot reads ``.env`` exactly as honcho does: the same file must mean the same to the processes
``honcho start`` runs and to the ``naibot`` command typed beside them."""

from __future__ import annotations

from pathlib import Path

import pytest
from honcho.environ import parse as honcho_parse

from naibot.env_file import EnvFileError, load_env_file, parse
from tasks.launch import ROOT

TRICKY_LINES = [
    'A=plain', 'A=""', "A=''", 'A= "x"', 'A=two words', 'A=x#comment', "A='x#not a comment'", '# A=1',
    'export A=1', 'A=', 'A =  1', 'A=é b', 'A=日本 語', 'A=a\\ b', '1A=2', 'A-B=1', 'A=B=C', "A='x\\ny'",
    'A="x\\ny"', 'A=x\\ny', 'A="x\\ty"', '"A"=1', 'A=\t1', 'A=1;B=2', 'A=$HOME', 'A=`x`', 'A==1',
    'A="say \\"hi\\""', "A='[{\"k\": \"v\"}]'", 'A=[{"k": "v"}]', 'A=redis://:p%40ss@h:6379/0?x=1&y=2',
    'A="a \\\\ b"', "A='it''s'", 'A=1\r', '   ', 'NAME WITH SPACE=1', 'A=1\nA=2', 'A=x\x0bB=y',
]


@pytest.mark.parametrize("text", TRICKY_LINES)
def test_parser_reads_each_tricky_line_as_honcho_does(text: str) -> None:
    assert parse(text) == honcho_parse(text)


def test_parser_reads_deploy_env_example_as_honcho_does() -> None:
    text = (ROOT / "deploy" / "env.example").read_text(encoding="utf-8")
    assert parse(text) == honcho_parse(text)
    assert "NAIBOT_API__KEYS" in parse(text)


@pytest.mark.parametrize("line", ['A="unclosed secret-value', "A='open", "A=ends with\\"])
def test_a_line_honcho_cannot_read_is_an_error_naming_the_line_not_its_text(line: str) -> None:
    with pytest.raises(ValueError):
        honcho_parse(line)
    with pytest.raises(EnvFileError, match=r"x/.env, line 2: ") as caught:
        parse(f"OK=1\n{line}\n", source="x/.env")
    assert "secret-value" not in str(caught.value)


def test_loading_never_replaces_a_variable_already_set(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("A=from-file\nB=from-file\n", encoding="utf-8")
    environ = {"A": "from-shell"}
    load_env_file(path, environ)
    assert environ == {"A": "from-shell", "B": "from-file"}
