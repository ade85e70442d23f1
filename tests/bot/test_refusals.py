"""One refusal root: every refusal a person can get is a ``naibot.refusal.Refusal`` that each front
end (chat, HTTP API, CLI) says in one place, with a text in every language, a status and an exit code.

``EXAMPLES`` holds one instance of every refusal class; a class added to the tree without an
example here fails ``test_every_refusal_class_has_an_example``, so none can be forgotten.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest

from bot.chat.commands.images import ImageRefused
from bot.chat.generate_options import OptionError, parse_generate
from bot.chat.nsfw import NsfwRefused
from bot.chat.texts.catalog import LANGUAGES, t
from bot.chat.texts.en import TEXTS as EN
from bot.chat.texts.jobs import refusal_text
from bot.cli.common import EXIT_FAILED, EXIT_USAGE, refused
from bot.http.routes.jobs import refused as http_refused
from bot.rules.policy import Banned, GroupPaused, NoAccount, PriorityTooHigh
from bot.rules.quotas import CoolingDown, QuotaExceeded
from naibot.refusal import Refusal
from novelai.errors import InvalidRequest, Problem
from novelai.image_input import InvalidImage
from tasks.queue import QueueFull, QueueUnavailable
from tasks.spending import AllowanceRefused, SpendRefused, ToolSpendRefused
from tasks.submit import UnknownAccount

EXAMPLES: list[Refusal] = [
    OptionError("option.unknown_model", value="v9", choices="v4.5, v5"),
    InvalidRequest([Problem("steps", "must be at most 50", code="too_high", params={"maximum": 50})]),
    QueueFull(5, 5),
    QueueUnavailable("Connection refused"),
    SpendRefused(20, 0),
    SpendRefused(20, 10),
    ToolSpendRefused(7, 0),
    InvalidImage("image_empty", "the file is empty; send a PNG, JPEG or WebP image"),
    AllowanceRefused(30, 0, "empty"),
    AllowanceRefused(30, 0, "unknown"),
    AllowanceRefused(30, 10, "empty"),
    UnknownAccount("nobody"),
    NoAccount(in_group=True),
    NoAccount(in_group=False),
    GroupPaused(),
    Banned(),
    PriorityTooHigh(9, 5),
    QuotaExceeded("member_images", 10, 10),
    QuotaExceeded("lender_images", 20, 20),
    QuotaExceeded("lender_anlas", 500, 480),
    NsfwRefused("nsfw.channels_only"),
    NsfwRefused("nsfw.refused", terms="nsfw"),
    CoolingDown(12.4),
    ImageRefused("image.too_big", name="cat.png", limit_mb="20"),
]
IDS = [f"{type(r).__name__}:{r.key}" for r in EXAMPLES]


def _all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_all_subclasses(sub)}
    return found


def test_every_refusal_class_has_an_example() -> None:
    for package in ("naibot", "novelai", "tasks", "bot"):  # import everything that may define one
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            if not info.name.endswith("__main__"):
                importlib.import_module(info.name)
    product = {cls for cls in _all_subclasses(Refusal) if not cls.__module__.startswith("tests")}
    assert product == {type(example) for example in EXAMPLES}


@pytest.mark.parametrize("refusal", EXAMPLES, ids=IDS)
def test_every_refusal_has_a_text_in_every_language(refusal: Refusal) -> None:
    assert refusal.key in EN, f"{refusal.key} has no English text"
    for lang in LANGUAGES:
        text = refusal_text(refusal, lang, bot="naibot")
        assert text and "{" not in text, (lang, text)
        assert text != t(lang, "error.internal")
        if refusal.hint:
            assert t(lang, refusal.hint) in text


@pytest.mark.parametrize("refusal", EXAMPLES, ids=IDS)
def test_the_http_api_answers_a_refusal_with_its_status_and_sentence(refusal: Refusal) -> None:
    error = http_refused(refusal)
    assert error.status == refusal.http_status
    assert 400 <= error.status < 600
    assert error.message == refusal.describe()


@pytest.mark.parametrize("refusal", EXAMPLES, ids=IDS)
def test_the_cli_says_a_refusal_on_stderr_with_its_exit_status(refusal: Refusal,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert refused(refusal) == refusal.exit_code in (EXIT_FAILED, EXIT_USAGE)
    assert capsys.readouterr().err.startswith(f"naibot: {refusal.describe()}")


def test_an_invalid_request_lists_each_problem_for_the_http_api() -> None:
    error = http_refused(EXAMPLES[1])
    assert error.message.startswith("invalid request: ") and [p.field for p in error.problems] == ["steps"]


def test_the_queue_being_down_names_no_internals_to_people_but_the_redis_error_to_an_operator(
        capsys: pytest.CaptureFixture[str]) -> None:
    down = QueueUnavailable("Error 111 connecting to 10.0.0.5:6379")
    assert "10.0.0.5" not in http_refused(down).message and "10.0.0.5" not in refusal_text(down, "en")
    assert refused(down) == EXIT_FAILED and "10.0.0.5" in capsys.readouterr().err


def test_a_refusal_while_parsing_generate_is_an_option_error_with_its_key() -> None:
    with pytest.raises(Refusal) as caught:
        parse_generate("a cat --steps lots")
    assert isinstance(caught.value, OptionError) and caught.value.key in EN
