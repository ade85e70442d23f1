"""One list of models for every front end (issue 14, finding 22): the chat's "I don't know the model"
answer, its /help, and the unknown-model problem the CLI and the HTTP API report (``resolved()``) all
read ``novelai.models.MODEL_NAMES``; the HTTP API's side is tests/bot/http/test_validation_messages.py."""

from __future__ import annotations

import pytest

from bot.chat.generate_options import OptionError, parse_generate
from bot.chat.texts.catalog import LANGUAGES
from bot.chat.texts.jobs import error_text
from bot.chat.texts.settings import help_text
from novelai.errors import InvalidRequest
from novelai.models import MODEL_ALIASES, MODEL_NAMES, MODELS
from novelai.request import GenerationRequest


def test_the_one_list_names_every_model_once() -> None:
    assert sorted(MODEL_ALIASES[name] for name in MODEL_NAMES) == sorted(MODELS)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_chat_unknown_model_and_help_list_the_one_list(lang: str) -> None:
    listed = ", ".join(MODEL_NAMES)
    with pytest.raises(OptionError) as caught:
        parse_generate("a cat --model v9")
    assert listed in error_text(caught.value, lang)
    assert listed in help_text(lang)


def test_the_cli_and_api_validation_lists_the_one_list() -> None:
    with pytest.raises(InvalidRequest) as caught:
        GenerationRequest(prompt="a cat", model="v9").resolved()
    assert f"use one of {', '.join(MODEL_NAMES)} " in caught.value.problems[0].message
