"""`naibot account ...` says the right thing before anything is sent or read: a pasted value that is
not a NovelAI token is refused locally (NovelAI would only answer "no longer accepts this token"),
and without NAIBOT_SECRET_KEY the reading commands say reading needs the key (only `add` stores)."""

from __future__ import annotations

import pytest

from bot.cli.common import EXIT_USAGE
from tests.fixtures.cli_operator import add_token, run


@pytest.mark.parametrize("pasted", ["notatoken", "my-password", "pst_abc", "eyJhbGciOi.not-a-jwt.x"])
def test_a_value_that_is_not_a_novelai_token_is_refused_before_novelai_is_asked(
        operator, capsys, monkeypatch, pasted: str) -> None:
    prefix, client = operator
    code, out, err = add_token(capsys, monkeypatch, "bad", pasted)
    assert code == EXIT_USAGE and out == ""
    assert err == ("naibot: that does not look like a NovelAI persistent token (they start with pst-); "
                   "nothing was sent to NovelAI\n")
    assert pasted not in err
    assert client.get(f"{prefix}:nai:account:bad") is None


@pytest.mark.parametrize("args", [("account", "list"), ("account", "status", "main"), ("account", "remove", "main")],
                         ids=" ".join)
def test_without_a_secret_key_reading_commands_say_reading_needs_it(operator, capsys, monkeypatch,
                                                                    args: tuple[str, ...]) -> None:
    monkeypatch.delenv("NAIBOT_SECRET_KEY")
    code, out, err = run(capsys, *args)
    assert code == EXIT_USAGE and out == ""
    assert err == ("naibot: set NAIBOT_SECRET_KEY (the key the accounts were stored under) "
                   "to read the stored accounts\n")

