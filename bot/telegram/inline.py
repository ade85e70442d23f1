"""Telegram's inline mode: ``@bot 1girl, blue e`` in any chat lists the last tag completed, most used first;
picking one sends ``/generate <the completed prompt>`` to that chat as the person's message (via the bot),
which the bot then runs like any typed command.

Why its own module: the adapter stays the map of handlers; this is the one place that turns the
platform-free ``InlineChoice`` of ``bot.chat.tag_suggestions`` into Bot API inline results. Inline mode
must be switched on for the bot at BotFather (/setinline) for Telegram to send any query.
"""

from __future__ import annotations

import logging

from telegram import InlineQuery, InlineQueryResultArticle, InputTextMessageContent
from telegram.constants import InlineQueryLimit, MessageLimit
from telegram.error import TelegramError

from bot.chat.router import CommandRouter

log = logging.getLogger(__name__)
# Seconds Telegram may reuse an answer for the same query of the same person (the lookup is cached anyway).
CACHE_SECONDS = 60


def generate_command(chat_type: str | None, bot_username: str | None) -> str:
    """``/generate`` in the person's private chat with the bot; ``/generate@bot`` elsewhere, so in a group
    with several bots (and privacy mode) the command is unmistakably this bot's."""
    if chat_type in (None, "sender") or not bot_username:
        return "/generate"
    return f"/generate@{bot_username}"


async def answer_inline_query(router: CommandRouter, query: InlineQuery, platform: str,
                              bot_username: str | None) -> None:
    """Answer one inline query with the completions of its last tag (none for an empty or unknown one).

    Never raises: a refused or late answer only means the person sees no list this time."""
    command = generate_command(query.chat_type, bot_username)
    choices = await router.tags.inline_choices(f"{platform}:{query.from_user.id}", query.query, command=command)
    results = [InlineQueryResultArticle(
        id=choice.id, title=choice.title, description=choice.description,
        input_message_content=InputTextMessageContent(choice.message[:MessageLimit.MAX_TEXT_LENGTH]))
        for choice in choices[:InlineQueryLimit.RESULTS]]
    try:
        await query.answer(results, cache_time=CACHE_SECONDS, is_personal=True)
    except TelegramError as exc:
        log.info("could not answer an inline query: %s: %s", type(exc).__name__, exc)
