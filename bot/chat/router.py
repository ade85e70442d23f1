"""The command router: builds every command family from above and knows every command by name.

This is the only module that knows them all. Families (``bot.chat.commands.*``) get a
``Conversation`` and the services they use, never the router, so they depend downward only (the
aiogram way: features register into the router, they never import it). Adapters call a family
through the router's attributes (``router.generate.generate_options``) or look a typed command up
in ``text_commands`` (name -> handler), and send button presses to ``button``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.chat.commands.account import AccountCommands
from bot.chat.commands.admin import AdminCommands
from bot.chat.commands.generate import GenerateCommands, RequestBuilder
from bot.chat.commands.group import GroupCommands
from bot.chat.commands.history import HistoryCommands
from bot.chat.commands.images import ImageCommands
from bot.chat.commands.jobs import JobCommands
from bot.chat.commands.prompt_tools import PromptTools
from bot.chat.commands.settings import SettingsCommands
from bot.chat.context import OUTAGE, ChatContext, Conversation
from bot.chat.delivery import Delivery
from bot.chat.generate_options import shorten
from bot.chat.kept_settings import KeptSettings
from bot.chat.nsfw import NsfwRule
from bot.chat.pacer import Pacer
from bot.chat.ports import (
    ACTION_AGAIN,
    ACTION_CANCEL,
    ACTION_ENHANCE,
    ACTION_HISTORY,
    ACTION_PNG,
    ACTION_SETTINGS,
    ACTION_SHOW,
    ACTION_UPSCALE,
    ACTION_VARIATIONS,
    ButtonPress,
    ChatSender,
)
from bot.chat.recent_jobs import RecentJobs
from bot.chat.result_messages import ResultMessages
from bot.chat.status_registry import StatusRegistry
from bot.chat.styles import Styles
from bot.chat.tag_suggestions import TagSuggestions
from bot.chat.texts.catalog import t
from bot.chat.texts.jobs import refusal_text
from bot.chat.user_settings import UserSettings
from bot.chat.wildcards import Wildcards
from bot.keys import BotKeys
from bot.rules.logins import Logins
from bot.rules.policy import Policy
from bot.rules.tag_lookup import TagLookup
from naibot.settings import Settings
from storage.base import Storage
from tasks.image_submit import ImageJobs
from tasks.job import Job
from tasks.queue import QueueUnavailable
from tasks.services import QueueServices

TextHandler = Callable[[ChatContext, str], Awaitable[object]]
# How much of an unknown command's name is echoed: Telegram's own limit for a command's name.
UNKNOWN_COMMAND_CHARS = 32


@dataclass(frozen=True)
class TextCommand:
    """A command people type (Telegram): its names, its menu line (i18n key), and its handler,
    which gets the text after the command word."""

    names: tuple[str, ...]
    handler: TextHandler
    menu: str | None = None
    # Whether it works on pictures: the adapter then gathers the ones the command came with
    # (``ChatContext.images``); for the others it looks at none.
    images: bool = False


class CommandRouter:
    def __init__(self, *, platform: str, settings: Settings, services: QueueServices, user_settings: UserSettings,
                 registry: StatusRegistry, sender: ChatSender, pacer: Pacer, delivery: Delivery,
                 storage: Storage, policy: Policy, bot_username: str | None = None,
                 nsfw_rule: NsfwRule = "allow", results: ResultMessages | None = None) -> None:
        queue = services.queue
        self.conv = Conversation(platform=platform, settings=settings, user_settings=user_settings, policy=policy,
                                 sender=sender, bot_username=bot_username)
        recent = RecentJobs(services.redis, BotKeys(settings.redis.prefix), queue, settings.queue.retention_seconds)
        keys = BotKeys(settings.redis.prefix)
        styles, wildcards = Styles(services.redis, keys), Wildcards(services.redis, keys)
        requests = RequestBuilder(user_settings, nsfw_rule, styles, wildcards)
        logins = Logins(settings, services.redis, policy.store, services.client, policy.directory, policy.groups,
                        queue)
        keys = BotKeys(settings.redis.prefix)
        image_jobs = ImageJobs(services.submitter, settings.images)
        self.generate = GenerateCommands(self.conv, requests, policy, services.submitter, registry, recent, delivery,
                                         pacer, sender, storage, image_jobs)
        self.images = ImageCommands(self.conv, self.generate, requests, image_jobs,
                                    KeptSettings(services.redis, keys, settings.queue.retention_seconds),
                                    settings.images)
        # Which messages show our results (a reply to one uses the stored original); the adapters ask it.
        self.results = results or ResultMessages(services.redis, keys, platform, settings.queue.retention_seconds)
        self.jobs = JobCommands(self.conv, queue, recent, policy)
        self.history = HistoryCommands(self.conv, queue, recent, self.generate, self.results, storage, pacer, sender,
                                       settings.queue.retention_seconds)
        self.settings = SettingsCommands(self.conv, user_settings)
        self.prompt_tools = PromptTools(self.conv, styles, wildcards)
        self.account = AccountCommands(self.conv, logins, policy, requests)
        self.group = GroupCommands(self.conv, policy, logins)
        self.admin = AdminCommands(self.conv, policy, queue)
        # Tag autocomplete (Discord), inline mode and /tags (Telegram): NovelAI's suggest-tags, cached.
        self.tags = TagSuggestions(self.conv, TagLookup(services.redis, keys, services.client, policy),
                                   user_settings)
        self.queue = queue

    @property
    def text_commands(self) -> list[TextCommand]:
        """Every typed command, in menu order (a new command is one family method and one line here)."""
        return [
            self._command(("generate", "gen", "g"), self.images.generate, "menu.generate", images=True),
            self._command(("enhance",), self.images.enhance, "menu.enhance", images=True),
            self._command(("variations", "var"), self.images.variations, "menu.variations", images=True),
            self._command(("upscale",), self.images.upscale, "menu.upscale", images=True),
            self._command(("vibe",), self.images.vibe, "menu.vibe", images=True),
            self._command(("ref", "reference"), self.images.reference, "menu.ref", images=True),
            self._command(("inpaint",), self.images.inpaint, "menu.inpaint", images=True),
            self._command(("tool",), self.images.tool, "menu.tool", images=True),
            self._command(("info",), self.images.info, "menu.info", images=True),
            self._command(("tags",), self.tags.tags, "menu.tags"),
            self._command(("queue",), self.jobs.show_queue, "menu.queue"),
            self._command(("status",), self._with_job_id(self.jobs.status), "menu.status"),
            self._command(("cancel",), self._with_job_id(self.jobs.cancel), "menu.cancel"),
            self._command(("history",), self.history.history, "menu.history"),
            self._command(("show",), self.history.show, "menu.show"),
            self._command(("settings",), self.settings.settings, "menu.settings"),
            self._command(("style", "styles"), self.prompt_tools.style, "menu.style"),
            self._command(("wildcard", "wildcards"), self.prompt_tools.wildcard, "menu.wildcard"),
            self._command(("account",), self.account.account, "menu.account"),
            self._command(("login",), self.account.login, "menu.login"),
            self._command(("cancel_login",), self.account.cancel_login),
            self._command(("logout",), self.account.logout, "menu.logout"),
            self._command(("group",), self.group.group, "menu.group"),
            self._command(("admin",), self.admin.admin),
            self._command(("help", "start"), self.settings.help, "menu.help"),
        ]

    async def unknown_command(self, ctx: ChatContext, name: str) -> None:
        """A command this bot does not have, addressed to it (adapters leave out commands for
        other bots): in a private chat a pointer to /help; in a group nothing, since a bot that
        answers every stray slash there is noise for everyone."""
        if ctx.chat.group:
            return
        await self.conv.guarded(ctx, self.conv.say(ctx, "help.unknown_command",
                                                   command=shorten(name, UNKNOWN_COMMAND_CHARS)))

    def _command(self, names: tuple[str, ...], handler: TextHandler, menu: str | None = None, *,
                 images: bool = False) -> TextCommand:
        """Every typed command runs inside the one guard (``Conversation.guarded``): an outage of
        the queue anywhere on its path is answered, never dropped."""
        async def run(ctx: ChatContext, args: str) -> object:
            return await self.conv.guarded(ctx, handler(ctx, args))
        return TextCommand(names, run, menu, images)

    @staticmethod
    def _with_job_id(handler: Callable[[ChatContext, str | None], Awaitable[object]]) -> TextHandler:
        """`/status <id>` and `/cancel <id>`: the id is the first word, if any."""
        async def run(ctx: ChatContext, args: str) -> object:
            return await handler(ctx, args.strip() or None)
        return run

    async def button(self, ctx: ChatContext, press: ButtonPress) -> tuple[str, bool]:
        """Handle a button press; returns the short notice to show the presser and whether it is an
        alert. The same guard as commands, answered as the press's own notice (an alert)."""
        lang = await self.conv.language(ctx)
        try:
            return await self._button(ctx, press, lang)
        except OUTAGE as exc:
            return refusal_text(exc if isinstance(exc, QueueUnavailable) else QueueUnavailable(str(exc)), lang), True

    async def _button(self, ctx: ChatContext, press: ButtonPress, lang: str) -> tuple[str, bool]:
        if await self.conv.policy.is_banned(ctx.user_key):
            return t(lang, "policy.banned"), True
        if press.action == ACTION_SETTINGS:  # names kept settings, not a job
            return await self.images.use_settings(ctx, press.job_id, lang), False
        if press.action == ACTION_HISTORY:  # names a person and a page, not a job
            return await self.history.turn_page(ctx, press.job_id, press.index or 0, lang)
        job = await self.queue.get(press.job_id)
        if job is None:
            return t(lang, "callback.gone"), True
        if not posted_here(job, ctx):
            return t(lang, "callback.elsewhere"), True
        action = press.action
        if action == ACTION_CANCEL:
            return await self.jobs.cancel_button(ctx, job, lang)
        if action == ACTION_AGAIN:
            return await self.generate.again(ctx, job, lang), False
        if action == ACTION_PNG:
            return await self.generate.originals(ctx, job, lang), False
        if action == ACTION_SHOW:
            return await self.history.pick(ctx, job, lang)
        if action in _IMAGE_ACTIONS:
            index = press.index or 0
            if index >= len(job.images):
                return t(lang, "callback.gone"), True
            return await self.images.from_result(ctx, _IMAGE_ACTIONS[action], job, index, lang), False
        return t(lang, "callback.gone"), True


# What the buttons on one image of a result make of it (bot.chat.commands.images.from_result).
_IMAGE_ACTIONS = {ACTION_VARIATIONS: "variations", ACTION_ENHANCE: "enhance", ACTION_UPSCALE: "upscale"}


def posted_here(job: Job, ctx: ChatContext) -> bool:
    """Whether the job's messages (and so its buttons) are in the chat the button was pressed in.

    A button's data names only the job, and on Telegram a custom client can send any callback data
    from any chat: without this check a press in one chat could cancel, repeat (on the pressing
    chat's account) or fetch the originals of a job asked in another. Every message carrying a
    job's buttons (its status message, its results, the queue board) is in the chat the job was
    asked in, which the job itself records (``Requester.chat_id``; it outlives the status entry).
    """
    asked = job.requester
    return asked.platform == ctx.platform and bool(asked.chat_id) and asked.chat_id == ctx.chat.chat_id
