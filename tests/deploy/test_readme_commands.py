"""The README's shell lines work when pasted: no `A=B=url` (a shell sets A to the text `B=url` and never
sets B: the README once said `NOVELAI_API_URL=NOVELAI_IMAGE_URL=http://...`), every sh block is valid
shell, and every `naibot ...` command it names exists in the CLI's parser."""

from __future__ import annotations

import argparse
import re
import subprocess

from bot.cli.main import build_parser
from tasks.launch import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
SH_BLOCKS = re.findall(r"^```sh\n(.*?)^```", README, flags=re.MULTILINE | re.DOTALL)
# Inline code outside the fenced blocks (a block's own lines are in SH_BLOCKS or are not shell).
INLINE = re.findall(r"(?<!`)`([^`\n]+)`(?!`)", re.sub(r"^```.*?^```", "", README, flags=re.MULTILINE | re.DOTALL))
CODE = [text.replace("\\|", "|") for text in (*SH_BLOCKS, *INLINE)]  # `a\|b` in a table cell is `a|b`
# `NAME=` right after an assignment's `=`: the value is a string that itself looks like an assignment.
CHAINED_ASSIGNMENT = re.compile(r"(?<![A-Za-z0-9_])([A-Z_][A-Z0-9_]*)=([A-Z_][A-Z0-9_]*)=")
# `naibot <words>` as a command: at the start, after a blank, `;`, `|`, `(`, or a path such as .venv/bin/.
NAIBOT_COMMAND = re.compile(r"(?:^|[\s;|&(]|/)naibot((?: +[a-z][a-z0-9|-]*)+)")


def test_readme_has_shell_to_check() -> None:
    assert len(SH_BLOCKS) >= 3
    assert any("naibot" in block for block in SH_BLOCKS)


def test_no_line_assigns_a_variable_a_text_that_looks_like_an_assignment() -> None:
    chained = [match.group(0) for text in CODE for match in CHAINED_ASSIGNMENT.finditer(text)]
    assert chained == [], f"write these as separate assignments (`A=x B=x`): {chained}"


def test_every_sh_block_is_valid_shell() -> None:
    for block in SH_BLOCKS:
        result = subprocess.run(["bash", "-n"], input=block, capture_output=True, text=True, timeout=30, check=False)
        assert result.returncode == 0, f"{result.stderr}\n{block}"


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def unknown_commands(words: list[str]) -> list[str]:
    """The `naibot` words the parser does not have (`a|b` alternatives each checked)."""
    missing: list[str] = []

    def walk(parser: argparse.ArgumentParser, rest: list[str], said: str) -> None:
        choices = subcommands(parser)
        if not choices or not rest:
            return  # the rest are arguments (PROMPT, NAME, ...), not commands
        for word in rest[0].split("|"):
            if word in choices:
                walk(choices[word], rest[1:], f"{said} {word}")
            else:
                missing.append(f"{said} {word}")

    walk(build_parser(), words, "naibot")
    return missing


def test_every_naibot_command_in_the_readme_exists() -> None:
    used = [match.group(1).split() for text in CODE for match in NAIBOT_COMMAND.finditer(text)]
    assert len(used) >= 10
    missing = sorted({name for words in used for name in unknown_commands(words)})
    assert missing == [], f"the README names commands the CLI does not have: {missing}"


def test_the_command_check_sees_a_missing_command() -> None:
    """The check itself: a made-up subcommand, also one level down, is reported."""
    assert unknown_commands(["sandbox", "nosuch"]) == ["naibot sandbox nosuch"]
    assert unknown_commands(["account", "add|frobnicate", "NAME"]) == ["naibot account frobnicate"]
    assert unknown_commands(["worker"]) == []
