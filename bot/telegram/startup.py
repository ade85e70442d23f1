"""What a failed start of the Telegram bot means, as the operator's one line (``StartFailed``).

PTB raises ``InvalidToken`` (401/404 on ``getMe``) for a wrong token, a ``NetworkError`` when the
Bot API cannot be reached (``BadRequest`` and ``TimedOut`` are subclasses of it: only the first is
not about the network). Its messages are never passed on as they are: ``InvalidToken``'s quotes the
token."""

from __future__ import annotations

from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError

from bot.chat.startup import StartFailed, short_reason


def start_failure(exc: TelegramError, api_url: str) -> StartFailed:
    """The one line for a ``TelegramError`` raised while the bot was starting."""
    if isinstance(exc, InvalidToken):
        return StartFailed("Telegram rejected TELEGRAM_TOKEN (check it with @BotFather)")
    if isinstance(exc, BadRequest):
        return StartFailed(f"the Telegram Bot API at {api_url} refused to start the bot ({short_reason(exc)})")
    if isinstance(exc, NetworkError):
        return StartFailed(f"cannot reach the Telegram Bot API at {api_url} ({short_reason(exc)}); "
                           "check TELEGRAM_API_URL and the network")
    return StartFailed(f"the Telegram Bot API at {api_url} failed at start ({short_reason(exc)})")
