"""How ``naibot sandbox chat discord`` turns a typed line into a slash command, and a stand-in message into
what the terminal shows (sandbox/terminal/discord.py)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from sandbox.terminal.discord import shown, slash_call
from sandbox.terminal.screen import Button
from sandbox.terminal.session import ChatError

GENERATE = {"name": "generate", "type": 1, "options": [
    {"name": "prompt", "type": 3, "required": True}, {"name": "negative", "type": 3},
    {"name": "size", "type": 3}, {"name": "steps", "type": 4}, {"name": "scale", "type": 10},
    {"name": "seed", "type": 4}]}
QUEUE = {"name": "queue", "type": 1}
SETTINGS = {"name": "settings", "type": 1, "options": [{"name": "change", "type": 3}]}
UPSCALE = {"name": "upscale", "type": 1, "options": [{"name": "image", "type": 11, "required": True}]}
COMMANDS = [GENERATE, QUEUE, SETTINGS, UPSCALE]


def test_text_before_the_first_option_is_the_prompt_and_options_are_typed() -> None:
    assert slash_call(COMMANDS, "/generate a cat: orange, fluffy size:portrait steps:8 scale:5.5") == (
        "generate", {"prompt": "a cat: orange, fluffy", "size": "portrait", "steps": 8, "scale": 5.5})


def test_a_command_without_options_takes_none() -> None:
    assert slash_call(COMMANDS, "/queue") == ("queue", {})
    with pytest.raises(ChatError, match="takes no free text"):
        slash_call(COMMANDS, "/queue now please")


def test_an_optional_text_option_takes_the_free_text() -> None:
    assert slash_call(COMMANDS, "/settings language zh") == ("settings", {"change": "language zh"})


def test_unknown_commands_and_bad_numbers_are_said_plainly() -> None:
    with pytest.raises(ChatError, match="no slash command /imagine; registered: /generate /queue"):
        slash_call(COMMANDS, "/imagine a cat")
    with pytest.raises(ChatError, match="option steps: 'many' is not a number"):
        slash_call(COMMANDS, "/generate a cat steps:many")


def test_an_attachment_option_takes_a_file_path(tmp_path: Path) -> None:
    picture = tmp_path / "in.png"
    picture.write_bytes(b"\x89PNG fake")
    assert slash_call(COMMANDS, f"/upscale image:{picture}") == (
        "upscale", {"image": {"filename": "in.png", "base64": base64.b64encode(b"\x89PNG fake").decode()}})


def test_a_bot_message_shows_content_embeds_attachments_and_pressable_buttons() -> None:
    message = {
        "id": "55", "channel_id": "9001", "author_id": "1200", "content": "Job abc", "flags": 0,
        "embeds": [{"title": "Done", "fields": [{"name": "seed", "value": "5"}]}],
        "attachments": [{"filename": "0.png", "width": 512, "height": 512, "url": "http://x/attachments/1/0.png"}],
        "components": [{"type": 1, "components": [
            {"type": 2, "label": "Again", "custom_id": "again:abc"},
            {"type": 2, "label": "Old", "custom_id": "old", "disabled": True},
            {"type": 2, "label": "Docs", "url": "https://example.org", "style": 5}]}],
    }
    view = shown(message, bot_id="1200")
    assert view.author == "bot"
    assert view.text == "Job abc\nDone\nseed: 5\n[file 0.png 512×512]"
    assert view.buttons == (Button("Again", "55", "again:abc", "9001"),)
    assert view.links == ("http://x/attachments/1/0.png", "Docs: https://example.org")


def test_a_deferred_answer_shows_thinking_and_an_ephemeral_one_says_so() -> None:
    view = shown({"id": "56", "author_id": "1200", "content": "", "flags": 128 | 64, "ephemeral_for": "2001"},
                 bot_id="1200")
    assert (view.author, view.text) == ("bot (only you)", "(thinking…)")
