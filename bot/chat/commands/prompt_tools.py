"""`/style` and `/wildcard`: the named styles and lists people use in `/generate` prompts.

    /style save NAME masterpiece, ..., detailed background neg:"lowres" steps:28   (options as in /generate)
    /style list | show NAME | delete NAME
    /wildcard add NAME red hair | blue hair | silver hair      (set NAME ... replaces the list)
    /wildcard list | show NAME | delete NAME

Either with ``group`` first (``/style group save ...``) works on the group's own set, which its
admins (or a deployment admin) change and every member uses; without it, on the person's own, which
follows them into every chat. ``show`` looks a name up as ``/generate`` would: the person's own
first, then the group's (``bot.chat.prompt_library``).

The order is the family's promise, as for every command: the ban check first, then the length of
the text (refused unread past its cap), then the words are read, and a refusal changes nothing
(the whole command is checked before anything is kept). Refusals are answered privately.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.chat.context import OUTAGE, ChatContext, Conversation
from bot.chat.generate_options import (
    MAX_GENERATE_CHARS,
    OptionError,
    check_length,
    parse_generate,
    shorten,
)
from bot.chat.ports import Reply
from bot.chat.prompt_library import Owner, check_name
from bot.chat.styles import Style, Styles, make_style
from bot.chat.texts.catalog import t
from bot.chat.texts.jobs import model_label, refusal_text
from bot.chat.wildcards import MAX_ENTRIES, MAX_ENTRY_CHARS, SEPARATOR, Wildcards
from naibot.refusal import Refusal

Kind = Literal["style", "wildcard"]
# The longest `/wildcard` text: a full list typed at once (MAX_ENTRIES entries and their separators).
MAX_WILDCARD_COMMAND_CHARS = MAX_ENTRIES * (MAX_ENTRY_CHARS + 3) + 64
# How many entries ``/wildcard show`` quotes, and how much of a style's texts ``/style show``.
SHOWN_ENTRIES = 30
SHOWN_CHARS = 300

_ACTIONS: dict[str, str] = {
    "list": "list", "ls": "list", "show": "show", "get": "show",
    "delete": "delete", "del": "delete", "remove": "delete", "rm": "delete",
    "save": "save", "add": "add", "set": "set",
}
# Which actions each command has (``save`` for styles; ``add`` and ``set`` for wildcards).
STYLE_ACTIONS = ("list", "show", "save", "delete")
WILDCARD_ACTIONS = ("list", "show", "add", "set", "delete")


@dataclass(frozen=True)
class ToolCommand:
    """One `/style` or `/wildcard` command, read: what to do, on which name, in whose set."""

    action: str
    name: str = ""
    group: bool = False
    # save: the style's prompt text and options, as /generate reads them; add/set: the entries' text.
    text: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    image: dict[str, Any] = field(default_factory=dict)
    priority: int | None = None


def parse_tool_command(kind: Kind, args: str) -> ToolCommand:
    """``[group] ACTION [NAME [rest]]`` for ``kind``; ``OptionError`` (with the usage) otherwise."""
    check_length(args, MAX_GENERATE_CHARS if kind == "style" else MAX_WILDCARD_COMMAND_CHARS, kind)
    words = args.strip().split(maxsplit=1)
    group = bool(words) and words[0].lower() in ("group", "群", "群组")
    if group:
        words = words[1].split(maxsplit=1) if len(words) > 1 else []
    if not words:
        return ToolCommand("list", group=group)
    action = _ACTIONS.get(words[0].lower(), "")
    allowed = STYLE_ACTIONS if kind == "style" else WILDCARD_ACTIONS
    if action not in allowed:
        raise OptionError(f"{kind}.usage")
    if action == "list":
        return ToolCommand("list", group=group)
    rest = words[1].split(maxsplit=1) if len(words) > 1 else []
    if not rest:
        raise OptionError(f"{kind}.usage")
    name, text = check_name(rest[0]), (rest[1] if len(rest) > 1 else "")
    if action == "save":
        options = parse_generate(text, prompt_required=False)
        return ToolCommand("save", name, group, options.prompt, dict(options.fields), dict(options.image),
                           options.priority)
    if action in ("add", "set") and not text.strip():
        raise OptionError("wildcard.no_entries")
    return ToolCommand(action, name, group, text)


def typed_command(kind: Kind, action: str, name: str | None, group: bool, text: str = "",
                  fields: dict[str, Any] | None = None) -> ToolCommand:
    """A command from typed options (Discord's), checked as ``parse_tool_command`` checks text."""
    check_length(text, MAX_GENERATE_CHARS if kind == "style" else MAX_WILDCARD_COMMAND_CHARS, kind)
    if action not in (STYLE_ACTIONS if kind == "style" else WILDCARD_ACTIONS):
        raise OptionError(f"{kind}.usage")
    if action == "list":
        return ToolCommand("list", group=group)
    if not name:
        raise OptionError(f"{kind}.usage")
    if action in ("add", "set") and not text.strip():
        raise OptionError("wildcard.no_entries")
    return ToolCommand(action, check_name(name), group, text, dict(fields or {}))


@dataclass
class PromptTools:
    conv: Conversation
    styles: Styles
    wildcards: Wildcards

    # -- the ways in -------------------------------------------------------------------------

    async def style(self, ctx: ChatContext, args: str = "") -> str:
        """`/style ...` typed as text (Telegram); returns what was done (for adapters and tests)."""
        return await self.run(ctx, "style", lambda: parse_tool_command("style", args))

    async def wildcard(self, ctx: ChatContext, args: str = "") -> str:
        """`/wildcard ...` typed as text (Telegram)."""
        return await self.run(ctx, "wildcard", lambda: parse_tool_command("wildcard", args))

    async def run(self, ctx: ChatContext, kind: Kind, read: Callable[[], ToolCommand]) -> str:
        """The ban check, then ``read`` (the text grammar, or Discord's typed options), then the
        action; any refusal is answered privately and nothing is kept."""
        if await self.conv.refused_banned(ctx):
            return "banned"
        lang = await self.conv.language(ctx)
        try:
            command = read()
            owner = await self._owner(ctx, command)
            text = await (self._style(ctx, lang, command, owner) if kind == "style"
                          else self._wildcard(ctx, lang, command, owner))
        except Refusal as refusal:
            await self.conv.answer(ctx, Reply(refusal_text(refusal, lang, bot=self.conv.bot), private=True))
            return "refused"
        await self.conv.answer(ctx, Reply(text))
        return command.action

    async def _owner(self, ctx: ChatContext, command: ToolCommand) -> Owner:
        """Whose set the command works on; a change to a group's needs one of its admins."""
        if not command.group:
            return Owner("user", ctx.user_key)
        if not ctx.chat.group or ctx.group_key is None:
            raise OptionError("library.only_in_groups")
        changes = command.action not in ("list", "show")
        if changes and not (await ctx.admin() or self.conv.deployment_admin(ctx)):
            raise OptionError("library.admins_only")
        return Owner("group", ctx.group_key)

    def _owners(self, ctx: ChatContext) -> list[Owner]:
        """The sets a person uses here, the one that wins first."""
        group = [Owner("group", ctx.group_key)] if ctx.chat.group and ctx.group_key else []
        return [Owner("user", ctx.user_key), *group]

    async def suggest(self, ctx: ChatContext, kind: Kind, current: str, *, several: bool = False) -> list[str]:
        """Names the person can use here that start with what is typed (Discord's autocomplete), theirs
        first, at most 25. ``several``: ``current`` is a comma list (``style:a,b``) whose last name is
        completed, the ones before it kept. Never raises: a suggestion is no reason to fail."""
        head, _, last = current.rpartition(",") if several else ("", "", current)
        typed = last.strip().lower()
        store = self.styles.names if kind == "style" else self.wildcards.names
        found: list[str] = []
        try:
            for owner in self._owners(ctx):
                found += [name for name in await store.names(owner) if name.startswith(typed) and name not in found]
        except OUTAGE:
            return []
        prefix = f"{head.strip()}," if head.strip() else ""
        return [f"{prefix}{name}"[:100] for name in found][:25]

    # -- styles ------------------------------------------------------------------------------

    async def _style(self, ctx: ChatContext, lang: str, command: ToolCommand, owner: Owner) -> str:
        whose = t(lang, f"library.{owner.kind}")
        if command.action == "save":
            style = make_style(command.text, command.fields, command.image, command.priority)
            name = await self.styles.save(owner, command.name, style)
            return t(lang, "style.saved", name=name, whose=whose, summary=style_summary(style, lang))
        if command.action == "delete":
            deleted = await self.styles.delete(owner, command.name)
            return t(lang, "style.deleted" if deleted else "style.not_found", name=command.name, whose=whose)
        if command.action == "show":
            for where in ([owner] if command.group else self._owners(ctx)):
                found = await self.styles.get(where, command.name)
                if found is not None:
                    return t(lang, "style.show", name=command.name, whose=t(lang, f"library.{where.kind}"),
                             summary=style_summary(found, lang))
            return t(lang, "style.not_found", name=command.name, whose=whose)
        sets = [(where, list(await self.styles.all(where))) for where in self._owners(ctx)]
        return self._list_text(lang, "style", sets)

    # -- wildcards ---------------------------------------------------------------------------

    async def _wildcard(self, ctx: ChatContext, lang: str, command: ToolCommand, owner: Owner) -> str:
        whose = t(lang, f"library.{owner.kind}")
        if command.action in ("add", "set"):
            entries = await self.wildcards.add(owner, command.name, command.text, replace=command.action == "set")
            return t(lang, "wildcard.saved", name=command.name, whose=whose, count=len(entries),
                     entries=entries_text(entries))
        if command.action == "delete":
            deleted = await self.wildcards.delete(owner, command.name)
            return t(lang, "wildcard.deleted" if deleted else "wildcard.not_found", name=command.name, whose=whose)
        if command.action == "show":
            for where in ([owner] if command.group else self._owners(ctx)):
                entries = await self.wildcards.entries(where, command.name)
                if entries:
                    return t(lang, "wildcard.show", name=command.name, whose=t(lang, f"library.{where.kind}"),
                             count=len(entries), entries=entries_text(entries))
            return t(lang, "wildcard.not_found", name=command.name, whose=whose)
        sets = []
        for where in self._owners(ctx):
            lists = await self.wildcards.all(where)
            sets.append((where, [f"{name} ({len(entries)})" for name, entries in lists.items()]))
        return self._list_text(lang, "wildcard", sets)

    @staticmethod
    def _list_text(lang: str, kind: Kind, sets: list[tuple[Owner, list[str]]]) -> str:
        if not any(names for _owner, names in sets):
            return t(lang, f"{kind}.list_empty")
        mine = {name.split(" ")[0] for owner, names in sets if owner.kind == "user" for name in names}
        lines = []
        for owner, names in sets:
            if names:
                shown = [f"{name} {t(lang, 'library.shadowed')}" if owner.kind == "group"
                         and name.split(" ")[0] in mine else name for name in names]
                lines.append(t(lang, f"{kind}.list_{owner.kind}", names=", ".join(shown)))
        return "\n".join(lines)


def entries_text(entries: list[str]) -> str:
    """A list's entries as ``/wildcard`` shows them, the first ``SHOWN_ENTRIES`` of them."""
    shown = f" {SEPARATOR} ".join(shorten(entry, 60) for entry in entries[:SHOWN_ENTRIES])
    return shown + (f" {SEPARATOR} …" if len(entries) > SHOWN_ENTRIES else "")


def style_summary(style: Style, lang: str) -> str:
    """What a style puts into a request, in the words of ``/generate``'s options, one per line."""
    lines = []
    if style.prefix or style.suffix:
        prompt = ", ".join(part for part in (style.prefix, "…", style.suffix) if part)
        lines.append(t(lang, "style.summary_prompt", prompt=shorten(prompt, SHOWN_CHARS)))
    fields = style.fields
    for name, value in fields.items():
        if name in ("width", "height"):
            continue
        if name == "model":
            value = model_label(str(value))
        elif name == "characters":
            value = "; ".join(shorten(c.prompt, 60) for c in value)
        elif isinstance(value, str):
            value = shorten(value, SHOWN_CHARS)
        lines.append(f"{name}: {value}")
    if "width" in fields and "height" in fields:
        lines.append(f"size: {fields['width']}×{fields['height']}")
    return "\n".join(lines)

