"""`/group ...`: a group's shared account, members' quotas and priorities, pause and resume.

Group admins (as the adapter tells) change the rules; anyone may read them with `/group status`.
Credentials for a bound account never pass through here: binding hands over to the private
login of ``bot.chat.commands.account``.
"""

from __future__ import annotations

import calendar
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.chat.ports import Reply
from bot.chat.texts.catalog import t
from bot.rules.groups import GroupConfig, Lending, Quota, SharedAccount
from bot.rules.policy import Actor, Policy, personal_account_name
from tasks.queue import Caller

if TYPE_CHECKING:
    from bot.chat.commands.account import AccountCommands
    from bot.chat.router import ChatContext, CommandService

_CHANNEL_REF = re.compile(r"^<?#?(\d{1,25})>?$")


class ArgumentError(Exception):
    """A `/group` or `/admin` argument is wrong; ``key`` and ``params`` make the message."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key, self.params = key, params


def parse_pairs(args: list[str], allowed: dict[str, str]) -> dict[str, str]:
    """``name:value`` words (``name=value`` too) into {canonical name: value}; unknown names refused."""
    pairs: dict[str, str] = {}
    for word in args:
        name, sep, value = word.replace("=", ":", 1).partition(":")
        canonical = allowed.get(name.lower())
        if not sep or canonical is None or not value:
            raise ArgumentError("group.bad_argument", word=word, names=", ".join(sorted(set(allowed.values()))))
        pairs[canonical] = value
    return pairs


def _count(name: str, value: str, high: int = 1_000_000) -> int:
    if not value.isdigit() or int(value) > high:
        raise ArgumentError("group.bad_number", name=name, value=value, high=high)
    return int(value)


def parse_until(value: str, now: float | None = None) -> float:
    """``2026-12-31`` (the end of that UTC day) or ``7d`` (seven days from now) as a Unix time."""
    now = time.time() if now is None else now
    if re.fullmatch(r"\d{1,3}d", value):
        return now + int(value[:-1]) * 86400
    try:
        day = time.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise ArgumentError("group.bad_until", value=value) from None
    end = calendar.timegm(day) + 86400
    if end <= now:
        raise ArgumentError("group.bad_until", value=value)
    return float(end)


def _date(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(timestamp - 1))



def _channel_id(word: str) -> str:
    match = _CHANNEL_REF.match(word)
    if match is None:
        raise ArgumentError("group.bad_channel", value=word)
    return match[1]


async def lending_line(policy: Policy, lang: str, config: GroupConfig, group: str) -> str:
    """Today's use of a lent account in a group against its owner's caps."""
    shared = config.shared
    assert shared is not None and shared.lending is not None
    lending = shared.lending
    quotas = policy.quotas
    images = await quotas.used(quotas.lender_key(shared.account, group, "images"))
    anlas = await quotas.used(quotas.lender_key(shared.account, group, "anlas"))
    return t(lang, "group.lending_today", images=images,
             images_limit=lending.images_per_day or "∞", anlas=anlas, anlas_limit=lending.anlas_per_day,
             until=_date(lending.until) if lending.until else "-")


@dataclass
class GroupCommands:
    service: CommandService
    accounts: AccountCommands

    @property
    def policy(self) -> Policy:
        return self.service.policy

    async def group(self, ctx: ChatContext, args: str) -> str:
        """`/group <action> ...` in a group; returns the action taken (for adapters and tests)."""
        if await self.service.refused_banned(ctx):
            return "banned"
        lang = await self.service.language(ctx)
        words = args.split()
        action = words[0].lower() if words else "status"
        if not ctx.chat.group or ctx.group_key is None:
            await self.service.say(ctx, "group.only_in_groups")
            return "not_group"
        if action == "status":
            await self.service.answer(ctx, Reply(await self.group_status_text(ctx, lang)))
            return "status"
        if not (await ctx.admin() or self.service.deployment_admin(ctx)):
            await self.service.answer(ctx, Reply(t(lang, "group.admins_only"), private=True))
            return "forbidden"
        try:
            return await self._group_admin_action(ctx, lang, action, words[1:])
        except ArgumentError as exc:
            await self.service.answer(ctx, Reply(t(lang, exc.key, **exc.params), private=True))
            return "bad_argument"

    async def _group_admin_action(self, ctx: ChatContext, lang: str, action: str, args: list[str]) -> str:
        group = ctx.group_key
        assert group is not None
        groups = self.policy.groups
        if action == "account":
            sub = args[0].lower() if args else ""
            if sub == "lend":
                return await self._lend(ctx, lang, args[1:])
            if sub == "bind":
                await self.begin_group_login(ctx)
                return "bind"
            raise ArgumentError("group.account_usage")
        if action == "unbind":
            config = await groups.get(group)
            if config.shared is None:
                await self.service.say(ctx, "group.nothing_bound")
                return "unbind"
            await groups.update(group, {"shared": None})
            logins = self.accounts.logins
            if config.shared.kind == "bound":  # the group's own credentials go with it
                await logins.remove(config.shared.account, ctx.user_key)
            else:  # a lender's account stops paying for this group's jobs that still wait
                await logins.cancel_waiting(config.shared.account, Caller(user_key=ctx.user_key,
                                                                          admin_groups=frozenset({group})), group)
            await self.service.say(ctx, "group.unbound")
            return "unbind"
        if action in ("pause", "resume"):
            await groups.update(group, {"paused": action == "pause"})
            await self.service.say(ctx, f"group.{action}d")
            return action
        if action == "quota":
            return await self._quota(ctx, args)
        if action == "priority":
            pairs = parse_pairs(args, {"default": "member_priority", "member": "member_priority",
                                       "max": "member_max_priority", "admin": "admin_max_priority"})
            change = {name: _count(name, value, 10) for name, value in pairs.items()}
            if not change:
                raise ArgumentError("group.priority_usage")
            await groups.update(group, change)
            await self.service.answer(ctx, Reply(await self.group_status_text(ctx, lang)))
            return "priority"
        if action == "prefer":
            choice = args[0].lower() if args else ""
            if choice not in ("shared", "own"):
                raise ArgumentError("group.prefer_usage")
            await groups.update(group, {"prefer_shared": choice == "shared"})
            await self.service.say(ctx, f"group.prefer_{choice}")
            return "prefer"
        if action == "default":
            choice = args[0].lower() if args else ""
            values = {"on": True, "off": False, "inherit": None}
            if choice not in values:
                raise ArgumentError("group.default_usage")
            await groups.update(group, {"allow_default": values[choice]})
            await self.service.say(ctx, f"group.default_{choice}")
            return "default"
        if action == "channels":
            channels = [] if args[:1] == ["all"] else [_channel_id(word) for word in args]
            await groups.update(group, {"channels": tuple(channels)})
            await self.service.answer(ctx, Reply(await self.group_status_text(ctx, lang)))
            return "channels"
        raise ArgumentError("group.usage")

    async def begin_group_login(self, ctx: ChatContext) -> None:
        """Binding a group account: the credentials are asked for in private (Telegram)."""
        await self.accounts.start_group_binding(ctx)
        assert ctx.group_key is not None
        await self.accounts.logins.begin(ctx.user_key, ctx.group_key, ctx.group_title)
        lang = await self.service.language(ctx)
        if await self.accounts.private(ctx, t(lang, "group.bind_private", group=ctx.group_title or ctx.group_key)):
            await self.service.say(ctx, "group.bind_started")

    async def _lend(self, ctx: ChatContext, lang: str, args: list[str]) -> str:
        group = ctx.group_key
        assert group is not None
        if not await self.policy.has_personal(ctx.user_key):
            await self.service.answer(ctx, Reply(t(lang, "group.lend_needs_login", bot=self.service.bot_username or ""),
                                                 private=True))
            return "lend_refused"
        pairs = parse_pairs(args, {"images": "images", "anlas": "anlas", "until": "until"})
        lending = Lending(lender=ctx.user_key, lender_name=ctx.display_name,
                          images_per_day=_count("images", pairs.get("images", "0")),
                          anlas_per_day=_count("anlas", pairs.get("anlas", "0")),
                          until=parse_until(pairs["until"]) if "until" in pairs else None)
        shared = SharedAccount(account=personal_account_name(ctx.user_key), kind="lent",
                               owner_name=ctx.display_name, lending=lending)
        await self.policy.groups.update(group, {"shared": shared})
        await self.service.answer(ctx, Reply(await self.group_status_text(ctx, lang)))
        return "lend"

    async def _quota(self, ctx: ChatContext, args: list[str]) -> str:
        group = ctx.group_key
        assert group is not None
        pairs = parse_pairs(args, {"images": "images_per_day", "waiting": "max_waiting",
                                   "cooldown": "cooldown_seconds"})
        if not pairs:
            raise ArgumentError("group.quota_usage")
        current = (await self.policy.groups.get(group)).quota
        quota = Quota.model_validate({**current.model_dump(),
                                      **{name: _count(name, value) for name, value in pairs.items()}})
        await self.policy.groups.update(group, {"quota": quota})
        await self.service.answer(ctx, Reply(await self.group_status_text(ctx, await self.service.language(ctx))))
        return "quota"

    async def group_status_text(self, ctx: ChatContext, lang: str) -> str:
        actor = await self.service.actor(ctx)
        config = await self.policy.group_config(actor) or GroupConfig()
        lines = [t(lang, "group.status_title", group=ctx.group_title or ctx.group_key or "")]
        shared = config.shared
        if shared is None:
            lines.append(t(lang, "group.status_no_account"))
        elif shared.kind == "bound":
            lines.append(t(lang, "group.status_bound", owner=shared.owner_name))
        else:
            lines.append(t(lang, "group.status_lent", owner=shared.owner_name))
            lines.append(await lending_line(self.policy, lang, config, actor.group or ""))
        if config.channels:
            lines.append(t(lang, "group.status_channels", channels=", ".join(config.channels)))
        lines.append(t(lang, "group.status_prefer_shared" if config.prefer_shared else "group.status_prefer_own"))
        allow = self.service.settings.bot.allow_default_account and config.allow_default is not False
        lines.append(t(lang, "group.status_default_on" if allow else "group.status_default_off"))
        quota = config.quota
        lines.append(t(lang, "group.status_quota", images=quota.images_per_day or "∞",
                       waiting=quota.max_waiting or "∞", cooldown=quota.cooldown_seconds))
        allowed = self.policy.priority_range(Actor(user_key="", display_name=""), config)
        bot = self.service.settings.bot
        admin_max = config.admin_max_priority if config.admin_max_priority is not None else bot.group_admin_max_priority
        lines.append(t(lang, "group.status_priority", default=allowed.default, max=allowed.maximum, admin=admin_max))
        if config.paused:
            lines.append(t(lang, "group.status_paused"))
        return "\n".join(lines)
