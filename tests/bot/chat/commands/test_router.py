"""The router's command table as the adapters use it: every name reaches a family that answers."""

from __future__ import annotations

from bot.chat.router import CommandRouter
from tests.fixtures.chat import ChatWorld, answers


async def test_every_typed_command_answers_the_asker(chat: ChatWorld, router: CommandRouter) -> None:
    names = [name for command in router.text_commands for name in command.names]
    assert len(names) == len(set(names)), "a name belongs to one command"
    assert {"generate", "queue", "status", "cancel", "settings", "account", "login", "logout", "group", "admin",
            "help"} <= set(names)
    for command in router.text_commands:
        ctx = chat.context("1", "Ann")
        await command.handler(ctx, "")
        assert answers(ctx).answers, f"/{command.names[0]} answered nothing"
    # Menu lines exist for what people are meant to find; /cancel_login and /admin are not listed.
    menu = {command.names[0] for command in router.text_commands if command.menu}
    assert "cancel_login" not in menu and "admin" not in menu and "generate" in menu
