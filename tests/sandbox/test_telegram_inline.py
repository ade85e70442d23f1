"""The Telegram stand-in's inline mode against the real python-telegram-bot ``Bot``: queries reach the bot
only with inline mode on, answerInlineQuery is checked as Telegram checks it, and a picked result is the
user's message via the bot (which passes group privacy mode)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from telegram import Bot, InlineQueryResultArticle, InputTextMessageContent
from telegram.error import BadRequest

from sandbox.telegram import SandboxUser, TelegramSandbox

ANN = SandboxUser(4242, "Ann", "ann", "en")
GROUP = -100_777


@pytest_asyncio.fixture
async def bot(telegram_sandbox: TelegramSandbox) -> AsyncIterator[Bot]:
    async with Bot(telegram_sandbox.token, base_url=telegram_sandbox.base_url,
                   base_file_url=telegram_sandbox.base_file_url) as bot:
        yield bot


def article(result_id: str, text: str = "/generate 1girl") -> InlineQueryResultArticle:
    return InlineQueryResultArticle(id=result_id, title="1girl (10k)",
                                    input_message_content=InputTextMessageContent(text))


async def test_inline_queries_need_inline_mode_and_getme_says_so(telegram_sandbox: TelegramSandbox, bot: Bot) -> None:
    with pytest.raises(ValueError, match="setinline"):
        telegram_sandbox.user_inline_query(ANN, "1gi")
    assert (await bot.get_me()).supports_inline_queries is False
    telegram_sandbox.set_inline_mode(True)
    assert (await bot.get_me()).supports_inline_queries is True
    query_id = telegram_sandbox.user_inline_query(ANN, "1gi" + "x" * 300)
    [update] = await bot.get_updates()
    assert update.inline_query is not None and update.inline_query.id == query_id
    assert len(update.inline_query.query) == 256 and update.inline_query.chat_type == "sender"


async def test_an_answer_is_checked_once_and_stored(telegram_sandbox: TelegramSandbox, bot: Bot) -> None:
    telegram_sandbox.set_inline_mode(True)
    query_id = telegram_sandbox.user_inline_query(ANN, "1gi")
    with pytest.raises(BadRequest, match="Result_id_duplicate"):
        await bot.answer_inline_query(query_id, [article("a"), article("a")])
    with pytest.raises(BadRequest, match="Results_too_much"):
        await bot.answer_inline_query(query_id, [article(str(i)) for i in range(51)])
    with pytest.raises(BadRequest, match="Message_too_long"):
        await bot.answer_inline_query(query_id, [article("a", "x" * 4097)])
    assert await bot.answer_inline_query(query_id, [article("a")], cache_time=60, is_personal=True)
    record = telegram_sandbox.inline_answer(query_id)
    assert record.answer is not None and record.answer["is_personal"] is True and record.answer["cache_time"] == 60
    assert record.results[0]["input_message_content"] == {"message_text": "/generate 1girl"}
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_inline_query(query_id, [article("b")])


async def test_a_picked_result_is_the_users_message_via_the_bot(telegram_sandbox: TelegramSandbox, bot: Bot) -> None:
    telegram_sandbox.set_inline_mode(True)
    query_id = telegram_sandbox.user_inline_query(ANN, "1gi", chat_type="supergroup")
    await bot.answer_inline_query(query_id, [article("a", "a picked text, no command")])
    seen = await bot.get_updates()
    sent = telegram_sandbox.choose_inline_result(query_id, "a", GROUP, chat_type="supergroup")
    assert sent["from"]["id"] == ANN.id and sent["via_bot"]["id"] == telegram_sandbox.bot_id
    [update] = await bot.get_updates(offset=seen[-1].update_id + 1)
    message = update.message
    assert message is not None and message.via_bot is not None and message.text == "a picked text, no command"
    with pytest.raises(ValueError, match="no result"):
        telegram_sandbox.choose_inline_result(query_id, "zz", GROUP, chat_type="supergroup")
