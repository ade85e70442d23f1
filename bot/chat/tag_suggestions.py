"""Tag autocomplete in the chats: the tag being typed (after the prompt's last comma) completed from
NovelAI's suggest-tags, its weight syntax kept, for every chat front end.

Platform-free: Discord's ``/generate`` autocomplete, Telegram's inline mode (``@bot 1gi``) and ``/tags``
all come here, so the way a prompt is cut, a suggestion labelled and a completion built is one thing. The
lookup itself (cache, per-person budget, deadline, account) is ``bot.rules.tag_lookup.TagLookup``: it never
raises and answers within its deadline, so neither does anything here but ``/tags``' reply itself.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from redis.exceptions import RedisError

from bot.chat.context import ChatContext, Conversation
from bot.chat.ports import Reply
from bot.chat.texts.catalog import t
from bot.chat.user_settings import UserSettings
from bot.rules.tag_lookup import TagLookup
from novelai.tags import count_label, typed_tag

log = logging.getLogger(__name__)

# Discord's limits for one autocomplete choice (name and string value, 1–100 characters) and per answer.
DISCORD_CHOICE_CHARS = 100
DISCORD_MAX_CHOICES = 25
# Telegram allows 50 inline results; a list of ten reads better, and /tags shows as many.
INLINE_RESULTS = 10
TAGS_LINES = 10
# What a Telegram inline query may hold (256 characters) and a text message (4096).
INLINE_QUERY_CHARS = 256
# The whole answer, whatever is slow (Redis too): inside Discord's 3 s for an autocomplete.
ANSWER_SECONDS = 2.2


@dataclass(frozen=True)
class Completion:
    """One suggestion applied to what was typed."""

    tag: str
    count: int
    # The whole prompt with the partial tag replaced by ``tag`` in the same weight syntax.
    prompt: str

    @property
    def label(self) -> str:
        """``long hair (10k)``: the tag and how often it is used."""
        return f"{self.tag} ({count_label(self.count)})"


@dataclass(frozen=True)
class InlineChoice:
    """One Telegram inline result, platform-free: the adapter makes an article of it."""

    id: str
    title: str
    description: str
    message: str


class TagSuggestions:
    """Completions for a prompt being typed, and the ``/tags`` command."""

    def __init__(self, conv: Conversation, lookup: TagLookup, user_settings: UserSettings) -> None:
        self.conv = conv
        self.lookup = lookup
        self.user_settings = user_settings

    async def completions(self, user_key: str, prompt: str, model: str | None = None) -> list[Completion]:
        """The suggestions for the tag being typed, each applied to the whole prompt (best first).

        ``model`` is the one picked in the command so far; without one, the person's saved default.
        Never raises: a failure is an empty list (autocomplete shows "no options", the prompt stays)."""
        cut = typed_tag(prompt)
        try:
            async with asyncio.timeout(ANSWER_SECONDS):
                model = model or await self._saved_model(user_key)
                answer = await self.lookup.suggest(user_key, model, cut.partial)
        except TimeoutError:
            log.warning("tag completion for %s took over %.1f s; answering with nothing", user_key, ANSWER_SECONDS)
            return []
        except Exception:  # autocomplete must answer; whatever broke is logged, not raised
            log.exception("tag completion failed for %s", user_key)
            return []
        return [Completion(s.tag, s.count, cut.complete(s.tag)) for s in answer.suggestions]

    async def discord_choices(self, user_key: str, prompt: str, model: str | None = None) -> list[tuple[str, str]]:
        """(name, value) pairs for a Discord autocomplete answer.

        Discord replaces the whole option with the value picked, and a value is at most 100 characters: a
        completion that would be longer is left out (picking it would cut the prompt), so past 100
        characters the list is empty and Discord shows no options; the typed text stays as it is."""
        return [(c.label[:DISCORD_CHOICE_CHARS], c.prompt)
                for c in await self.completions(user_key, prompt, model)
                if len(c.prompt) <= DISCORD_CHOICE_CHARS][:DISCORD_MAX_CHOICES]

    async def inline_choices(self, user_key: str, query: str, *, command: str = "/generate") -> list[InlineChoice]:
        """Telegram inline results for ``@bot <prompt>``: each sends ``<command> <completed prompt>`` to the
        chat when picked, so picking a tag starts the generation with it."""
        query = query[:INLINE_QUERY_CHARS]
        return [InlineChoice(id=str(index), title=c.label, description=c.prompt, message=f"{command} {c.prompt}")
                for index, c in enumerate((await self.completions(user_key, query))[:INLINE_RESULTS])]

    async def tags(self, ctx: ChatContext, args: str) -> None:
        """``/tags PARTIAL``: the tags starting with it, with how often each is used."""
        if await self.conv.refused_banned(ctx):
            return
        lang = await self.conv.language(ctx)
        partial = typed_tag(args.strip()).partial
        if not partial:
            await self.conv.answer(ctx, Reply(t(lang, "tags.usage", bot=self.conv.bot or "bot")))
            return
        completions = (await self.completions(ctx.user_key, partial))[:TAGS_LINES]
        if not completions:
            await self.conv.answer(ctx, Reply(t(lang, "tags.none", prefix=partial)))
            return
        lines = [t(lang, "tags.title", prefix=partial), *(f"• {c.label}" for c in completions)]
        await self.conv.answer(ctx, Reply("\n".join(lines)))

    async def _saved_model(self, user_key: str) -> str | None:
        try:
            model = (await self.user_settings.get(user_key)).get("model")
        except (RedisError, OSError):
            return None
        return model if isinstance(model, str) else None
