"""`/group ...`: a group's shared account, members' quotas and priorities, pause and resume.

Group admins (as the adapter tells) change the rules; anyone may read them with `/group status`.
Credentials for a bound account never pass through here: binding hands over to the private
login of ``bot.chat.commands.account``.

The ban check comes first, before a word of the arguments is read; arguments longer than
``MAX_COMMAND_CHARS`` are refused unread, and every rule below reads its words once, front to back.
"""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.chat.context import ChatContext, Conversation
from bot.chat.generate_options import MAX_COMMAND_CHARS, OptionError, check_length, shorten
from bot.chat.ports import Reply
from bot.chat.texts.accounts import lending_line
from bot.chat.texts.catalog import t
from bot.rules.groups import GroupConfig, Lending, Quota, SharedAccount
from bot.rules.logins import Logins
from bot.rules.policy import Actor, Policy
from tasks.queue import Caller

_CHANNEL_REF = re.compile(r"^<?#?([0-9]{1,25})>?$")


# A `/group` or `/admin` argument is wrong: the same refusal as a wrong `/generate` option.
ArgumentError = OptionError


def _split_pairs(args: list[str], allowed: dict[str, str]) -> list[tuple[str, str, str]]:
    """``name:value`` words (``name=value`` too) as (name as typed, canonical name, value); a word
    whose name is unknown is refused with the names a person may type."""
    pairs = []
    for word in args:
        name, sep, value = word.replace("=", ":", 1).partition(":")
        canonical = allowed.get(name.lower())
        if not sep or canonical is None or not value:
            raise ArgumentError("group.bad_argument", word=shorten(word), names=", ".join(sorted(allowed)))
        pairs.append((name.lower(), canonical, value))
    return pairs


def parse_pairs(args: list[str], allowed: dict[str, str]) -> dict[str, str]:
    """``name:value`` words into {canonical name: value}; unknown names refused."""
    return {canonical: value for _typed, canonical, value in _split_pairs(args, allowed)}


def parse_counts(args: list[str], allowed: dict[str, str], high: int = 1_000_000) -> dict[str, int]:
    """``name:number`` words into {canonical name: number}; a bad number is named as it was typed."""
    return {canonical: _count(typed, value, high) for typed, canonical, value in _split_pairs(args, allowed)}


def _count(name: str, value: str, high: int = 1_000_000) -> int:
    if not re.fullmatch(r"[0-9]{1,9}", value) or int(value) > high:  # ASCII digits only ("²".isdigit())
        raise ArgumentError("group.bad_number", name=name, value=shorten(value), high=high)
    return int(value)


def parse_until(value: str, now: float | None = None) -> float:
    """``2026-12-31`` (the end of that UTC day) or ``7d`` (seven days from now) as a Unix time."""
    now = time.time() if now is None else now
    if re.fullmatch(r"[0-9]{1,3}d", value):
        return now + int(value[:-1]) * 86400
    try:
        day = time.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise ArgumentError("group.bad_until", value=shorten(value)) from None
    end = calendar.timegm(day) + 86400
    if end <= now:
        raise ArgumentError("group.bad_until", value=value)
    return float(end)


def _channel_id(word: str) -> str:
    match = _CHANNEL_REF.match(word)
    if match is None:
        raise ArgumentError("group.bad_channel", value=shorten(word))
    return match[1]


def group_words(args: str) -> list[str]:
    """The words of `/group`'s arguments; ArgumentError for arguments over MAX_COMMAND_CHARS, unread."""
    check_length(args, MAX_COMMAND_CHARS, "group")
    return args.split()


Action = Callable[[ChatContext, str, list[str]], Awaitable[str]]


@dataclass
class GroupCommands:
    conv: Conversation
    policy: Policy
    logins: Logins

    def __post_init__(self) -> None:
        # `/group <action> ...` for admins: one entry per action; each returns what it did.
        self.actions: dict[str, Action] = {
            "account": self._account, "unbind": self._unbind, "pause": self._pause, "resume": self._pause,
            "quota": self._quota, "priority": self._priority, "prefer": self._prefer, "default": self._default,
            "channels": self._channels,
        }

    async def group(self, ctx: ChatContext, args: str = "") -> str:
        """`/group <action> ...` in a group; returns the action taken (for adapters and tests).

        The ban check first, then the length of the arguments, and only then are they read."""
        if await self.conv.refused_banned(ctx):
            return "banned"
        try:
            words = group_words(args)
        except ArgumentError as exc:
            await self.conv.say(ctx, exc.key, private=True, **exc.params)
            return "bad_argument"
        action = words[0].lower() if words else "status"
        if action == "status":
            if not ctx.chat.group or ctx.group_key is None:
                await self.conv.say(ctx, "group.only_in_groups")
                return "not_group"
            await self.conv.answer(ctx, Reply(await self.group_status_text(ctx, await self.conv.language(ctx))))
            return "status"
        refused = await self._refused_admin(ctx)
        if refused:
            return refused
        lang = await self.conv.language(ctx)
        handler = self.actions.get(action)
        try:
            if handler is None:
                raise ArgumentError("group.usage")
            return await handler(ctx, lang, [action, *words[1:]])
        except ArgumentError as exc:
            await self.conv.answer(ctx, Reply(t(lang, exc.key, **exc.params), private=True))
            return "bad_argument"

    async def refused_admin_action(self, ctx: ChatContext) -> str | None:
        """The checks every admin action passes (also Discord's bind, which then opens a form):
        not banned, in a group, by one of its admins or a deployment admin. Answers a refusal and
        returns what was refused; None to go on."""
        if await self.conv.refused_banned(ctx):
            return "banned"
        return await self._refused_admin(ctx)

    async def _refused_admin(self, ctx: ChatContext) -> str | None:
        """``refused_admin_action`` after its ban check: in a group, by an admin of it."""
        conv = self.conv
        if not ctx.chat.group or ctx.group_key is None:
            await conv.say(ctx, "group.only_in_groups")
            return "not_group"
        if not (await ctx.admin() or conv.deployment_admin(ctx)):
            await conv.say(ctx, "group.admins_only", private=True)
            return "forbidden"
        return None

    async def allow_binding(self, ctx: ChatContext) -> None:
        """Remember that this admin may bind an account for this group in the next minutes."""
        assert ctx.group_key is not None
        await self.logins.allow_binding(ctx.user_key, ctx.group_key)

    # -- the actions -------------------------------------------------------------------------

    async def _account(self, ctx: ChatContext, lang: str, args: list[str]) -> str:
        sub = args[1].lower() if len(args) > 1 else ""
        if sub == "lend":
            return await self._lend(ctx, lang, args[2:])
        if sub == "bind":
            await self.begin_group_login(ctx)
            return "bind"
        raise ArgumentError("group.account_usage")

    async def _unbind(self, ctx: ChatContext, lang: str, args: list[str]) -> str:
        group = _group(ctx)
        groups = self.policy.groups
        config = await groups.get(group)
        if config.shared is None:
            await self.conv.say(ctx, "group.nothing_bound")
            return "unbind"
        await groups.update(group, {"shared": None})
        if config.shared.kind == "bound":  # the group's own credentials go with it
            await self.logins.remove(config.shared.account, ctx.user_key)
        else:  # a lender's account stops paying for this group's jobs that still wait
            await self.logins.cancel_waiting(config.shared.account, Caller(user_key=ctx.user_key,
                                                                           admin_groups=frozenset({group})), group)
        await self.conv.say(ctx, "group.unbound")
        return "unbind"

    async def _pause(self, ctx: ChatContext, lang: str, args: list[str]) -> str:
        action = args[0]
        await self.policy.groups.update(_group(ctx), {"paused": action == "pause"})
        await self.conv.say(ctx, f"group.{action}d")
        return action

    async def _priority(self, ctx: ChatContext, lang: str, args: list[str]) -> str:
        change: dict[str, object] = dict(parse_counts(
            args[1:], {"default": "member_priority", "member": "member_priority", "max": "member_max_priority",
                       "admin": "admin_max_priority"}, high=10))
        if not change:
            raise ArgumentError("group.priority_usage")
        await self.policy.groups.update(_group(ctx), change)
        await self.conv.answer(ctx, Reply(await self.group_status_text(ctx, lang)))
        return "priority"

    async def _prefer(self, ctx: ChatContext, lang: str, args: list[str]) -> str:
        choice = args[1].lower() if len(args) > 1 else ""
        if choice not in ("shared", "own"):
            raise ArgumentError("group.prefer_usage")
        await self.policy.groups.update(_group(ctx), {"prefer_shared": choice == "shared"})
        await self.conv.say(ctx, f"group.prefer_{choice}")
        return "prefer"

    async def _default(self, ctx: ChatContext, lang: str, args: list[str]) -> str:
        choice = args[1].lower() if len(args) > 1 else ""
        values = {"on": True, "off": False, "inherit": None}
        if choice not in values:
            raise ArgumentError("group.default_usage")
        await self.policy.groups.update(_group(ctx), {"allow_default": values[choice]})
        await self.conv.say(ctx, f"group.default_{choice}")
        return "default"

    async def _channels(self, ctx: ChatContext, lang: str, args: list[str]) -> str:
        words = args[1:]
        channels = [] if words[:1] == ["all"] else [_channel_id(word) for word in words]
        await self.policy.groups.update(_group(ctx), {"channels": tuple(channels)})
        await self.conv.answer(ctx, Reply(await self.group_status_text(ctx, lang)))
        return "channels"

    async def begin_group_login(self, ctx: ChatContext) -> None:
        """Binding a group account: the credentials are asked for in private (Telegram)."""
        await self.allow_binding(ctx)
        group = _group(ctx)
        await self.logins.begin(ctx.user_key, group, ctx.group_title)
        lang = await self.conv.language(ctx)
        if await self.conv.private(ctx, t(lang, "group.bind_private", group=ctx.group_title or group)):
            await self.conv.say(ctx, "group.bind_started")

    async def _lend(self, ctx: ChatContext, lang: str, args: list[str]) -> str:
        group = _group(ctx)
        if not await self.policy.has_personal(ctx.user_key):
            await self.conv.answer(ctx, Reply(t(lang, "group.lend_needs_login", bot=self.conv.bot), private=True))
            return "lend_refused"
        pairs = parse_pairs(args, {"images": "images", "anlas": "anlas", "until": "until"})
        lending = Lending(lender=ctx.user_key, lender_name=ctx.display_name,
                          images_per_day=_count("images", pairs.get("images", "0")),
                          anlas_per_day=_count("anlas", pairs.get("anlas", "0")),
                          until=parse_until(pairs["until"]) if "until" in pairs else None)
        shared = SharedAccount(account=await self.policy.personal_account(ctx.user_key), kind="lent",
                               owner_name=ctx.display_name, lending=lending)
        await self.policy.groups.update(group, {"shared": shared})
        await self.conv.answer(ctx, Reply(await self.group_status_text(ctx, lang)))
        return "lend"

    async def _quota(self, ctx: ChatContext, lang: str, args: list[str]) -> str:
        group = _group(ctx)
        counts = parse_counts(args[1:], {"images": "images_per_day", "waiting": "max_waiting",
                                         "cooldown": "cooldown_seconds"})
        if not counts:
            raise ArgumentError("group.quota_usage")
        current = (await self.policy.groups.get(group)).quota
        quota = Quota.model_validate({**current.model_dump(), **counts})
        await self.policy.groups.update(group, {"quota": quota})
        await self.conv.answer(ctx, Reply(await self.group_status_text(ctx, lang)))
        return "quota"

    async def group_status_text(self, ctx: ChatContext, lang: str) -> str:
        actor = await self.conv.actor(ctx)
        config = await self.policy.group_config(actor) or GroupConfig()
        lines = [t(lang, "group.status_title", group=ctx.group_title or ctx.group_key or "")]
        shared = config.shared
        if shared is None:
            lines.append(t(lang, "group.status_no_account"))
        elif shared.kind == "bound":
            lines.append(t(lang, "group.status_bound", owner=shared.owner_name))
        else:
            lines.append(t(lang, "group.status_lent", owner=shared.owner_name))
            if shared.lending is not None:
                images, anlas = await self.policy.lending_used(shared.account, actor.group or "")
                lines.append(lending_line(lang, shared.lending, images, anlas))
        if config.channels:
            lines.append(t(lang, "group.status_channels", channels=", ".join(config.channels)))
        lines.append(t(lang, "group.status_prefer_shared" if config.prefer_shared else "group.status_prefer_own"))
        bot = self.conv.settings.bot
        allow = bot.allow_default_account and config.allow_default is not False
        lines.append(t(lang, "group.status_default_on" if allow else "group.status_default_off"))
        quota = config.quota
        # The waiting cap that holds: the deployment's (queue.max_waiting_per_user), narrowed by the
        # group's own if it sets a smaller one (JobQueue.submit never lets a group widen it). No
        # deployment-wide daily image cap exists, so without the group's own there is none.
        deployment_waiting = self.conv.settings.queue.max_waiting_per_user
        waiting = min(quota.max_waiting, deployment_waiting) if quota.max_waiting else deployment_waiting
        lines.append(t(lang, "group.status_quota", images=quota.images_per_day or "∞",
                       waiting=waiting, cooldown=quota.cooldown_seconds))
        allowed = self.policy.priority_range(Actor(user_key="", display_name=""), config)
        admin_max = config.admin_max_priority if config.admin_max_priority is not None else bot.group_admin_max_priority
        lines.append(t(lang, "group.status_priority", default=allowed.default, max=allowed.maximum, admin=admin_max))
        if config.paused:
            lines.append(t(lang, "group.status_paused"))
        return "\n".join(lines)


def _group(ctx: ChatContext) -> str:
    """The group of a command that only runs in groups (``group`` checked that it is one)."""
    assert ctx.group_key is not None
    return ctx.group_key
