"""`/settings` (a person's defaults for `/generate`, and their language) and `/help`."""

from __future__ import annotations

from dataclasses import dataclass

from bot.chat.context import ChatContext, Conversation
from bot.chat.ports import Reply
from bot.chat.texts.jobs import refusal_text
from bot.chat.texts.settings import help_text, settings_reset_text, settings_saved_text, settings_text
from bot.chat.user_settings import UserSettings, parse_settings_command
from naibot.refusal import Refusal


@dataclass
class SettingsCommands:
    conv: Conversation
    user_settings: UserSettings

    async def settings(self, ctx: ChatContext, args: str = "") -> None:
        conv, saved = self.conv, self.user_settings
        if await conv.refused_banned(ctx):
            return
        lang = await conv.language(ctx)
        try:
            command = parse_settings_command(args)
            if command.action == "set":
                value = await saved.set(ctx.user_key, command.name or "", command.value or "")
                lang = await conv.language(ctx)  # the user may just have changed it
                text = settings_saved_text(lang, command.name or "", value)
            elif command.action == "reset":
                await saved.reset(ctx.user_key, command.name)
                lang = await conv.language(ctx)
                text = settings_reset_text(lang, command.name)
            else:
                text = settings_text(lang, await saved.get(ctx.user_key))
        except Refusal as refusal:
            text = refusal_text(refusal, lang)
        await conv.answer(ctx, Reply(text))

    async def help(self, ctx: ChatContext, _args: str = "") -> None:
        lang = await self.conv.language(ctx)
        await self.conv.answer(ctx, Reply(help_text(lang, bot_username=self.conv.bot_username
                                                    if ctx.chat.group else None)))
