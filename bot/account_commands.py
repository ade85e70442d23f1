"""`/login`, `/logout`, `/account`, `/group ...` and `/admin ...`, for every platform alike.

Adapters bring the platform's part: deleting a message that held a secret, opening a Discord
modal, knowing whether someone administers the group. Everything else (what is allowed, what is
stored, what is said) is decided here, so a rule holds the same on Telegram and on Discord.
"""

from __future__ import annotations

import calendar
import logging
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from bot.chat import ChatError, Reply
from bot.groups import GroupConfig, Lending, Quota, SharedAccount
from bot.i18n import t
from bot.logins import LoginRejected, Logins, looks_like_token
from bot.options import GenerateOptions
from bot.policy import Actor, NoAccount, Policy, group_account_name, personal_account_name
from novelai.cost import would_spend
from novelai.errors import NovelAIError
from novelai.factory import SecretKeyMissing
from tasks.job import Job, JobState

if TYPE_CHECKING:
    from bot.commands import ChatContext, CommandService

log = logging.getLogger(__name__)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_USER_REF = re.compile(r"^(?:(telegram|discord):)?<?@?!?(\d{1,25})>?$")
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


@dataclass
class AccountCommands:
    service: CommandService
    logins: Logins

    @property
    def policy(self) -> Policy:
        return self.service.policy

    # -- answering privately -----------------------------------------------------------------

    async def private(self, ctx: ChatContext, text: str) -> bool:
        """Say something only the person sees; False if it could not be said privately."""
        if ctx.private is None:
            await ctx.answerer.reply(text, private=True)
            return True
        try:
            await ctx.private.reply(text)
            return True
        except ChatError:
            if ctx.chat.group:  # they never opened a private chat with the bot
                lang = await self.service.language(ctx)
                await ctx.answerer.reply(t(lang, "login.open_private", bot=self.service.bot_username or ""))
            return False

    async def _say(self, ctx: ChatContext, key: str, **params: object) -> None:
        await self.service.answer(ctx, Reply(t(await self.service.language(ctx), key, **params)))

    # -- /login ----------------------------------------------------------------------------

    async def credentials_in_group(self, ctx: ChatContext, deleted: bool) -> None:
        """Someone typed a secret where others can read it: store nothing, tell them to change it."""
        lang = await self.service.language(ctx)
        await ctx.answerer.reply(t(lang, "login.in_group_deleted" if deleted else "login.in_group_not_deleted",
                                   bot=self.service.bot_username or ""))

    async def login(self, ctx: ChatContext, args: str, *, deleted: bool = False) -> None:
        """`/login` (maybe with a token or "email password" typed after it)."""
        if await self.service.refused_banned(ctx):
            return
        if ctx.chat.group:
            if args.strip():
                await self.credentials_in_group(ctx, deleted)
            else:
                await self.private(ctx, t(await self.service.language(ctx), "login.start_private"))
                await self._say(ctx, "login.go_private", bot=self.service.bot_username or "")
            return
        if not args.strip():
            await self.logins.begin(ctx.user_key)
            await self._say(ctx, "login.ask_secret")
            return
        words = args.split()
        if looks_like_token(words[0]):
            await self.finish_login(ctx, "personal", "", token=words[0])
        elif _EMAIL.match(words[0]) and len(words) >= 2:
            await self.finish_login(ctx, "personal", "", email=words[0], password=" ".join(words[1:]))
        elif _EMAIL.match(words[0]):
            await self.logins.begin(ctx.user_key)
            state = await self.logins.conversation(ctx.user_key)
            assert state is not None
            await self.logins.wait_for_password(ctx.user_key, state, words[0])
            await self._say(ctx, "login.ask_password")
        else:
            await self._say(ctx, "login.not_a_secret")

    async def login_text(self, ctx: ChatContext, text: str) -> bool:
        """A plain private message: part of a login conversation? Returns whether it was consumed."""
        state = await self.logins.conversation(ctx.user_key)
        if state is None:
            return False
        value = text.strip()
        if state.step == "password" and state.email:
            await self.finish_login(ctx, state.target, state.target_name, email=state.email, password=value)
        elif looks_like_token(value):
            await self.finish_login(ctx, state.target, state.target_name, token=value)
        elif _EMAIL.match(value):
            await self.logins.wait_for_password(ctx.user_key, state, value)
            await self._say(ctx, "login.ask_password")
        else:
            await self._say(ctx, "login.not_a_secret")
        return True

    async def cancel_login(self, ctx: ChatContext) -> None:
        await self.logins.end(ctx.user_key)
        await self._say(ctx, "login.canceled")

    async def finish_login(self, ctx: ChatContext, target: str, target_name: str, *, token: str | None = None,
                           email: str | None = None, password: str | None = None) -> bool:
        """Check and save credentials for the person (``personal``) or a group (its key)."""
        lang = await self.service.language(ctx)
        await self.logins.end(ctx.user_key)
        if target != "personal" and not await self._may_bind(ctx, target):
            await self.private(ctx, t(lang, "group.not_admin_anymore"))
            return False
        name = personal_account_name(ctx.user_key) if target == "personal" else group_account_name(target)
        try:
            if token is not None:
                subscription = await self.logins.save_token(name, token, ctx.user_key)
            else:
                assert email is not None and password is not None
                subscription = await self.logins.save_password(name, email, password, ctx.user_key)
        except LoginRejected as exc:
            key = "login.unreachable" if exc.unreachable else "login.rejected"
            await self.private(ctx, t(lang, key, reason=exc.reason))
            return False
        except SecretKeyMissing:
            await self.private(ctx, t(lang, "login.disabled"))
            return False
        except (ValueError, RedisError, OSError) as exc:
            log.warning("saving a login failed: %s", type(exc).__name__)
            await self.private(ctx, t(lang, "login.failed"))
            return False
        if target == "personal":
            await self.private(ctx, t(lang, "login.saved", tier=subscription.tier_name, anlas=subscription.anlas))
        else:
            await self.policy.groups.update(target, {"shared": SharedAccount(
                account=name, kind="bound", owner_name=ctx.display_name)})
            await self.private(ctx, t(lang, "group.bound", group=target_name or target, tier=subscription.tier_name,
                                      anlas=subscription.anlas))
        return True

    async def _may_bind(self, ctx: ChatContext, target: str) -> bool:
        """The login for a group finishes in private: the person must (still) administer it."""
        return self.service.deployment_admin(ctx) or target in await self._admin_groups(ctx)

    async def _admin_groups(self, ctx: ChatContext) -> set[str]:
        raw = await self.service.queue.redis.smembers(self._binding_key(ctx.user_key))
        return {m.decode() if isinstance(m, bytes) else m for m in raw}

    def _binding_key(self, user_key: str) -> str:
        return f"{self.service.queue.keys.prefix}:bot:binding:{user_key}"

    async def start_group_binding(self, ctx: ChatContext) -> None:
        """Remember that this admin may bind an account for this group in the next minutes."""
        key = self._binding_key(ctx.user_key)
        async with self.service.queue.redis.pipeline(transaction=True) as pipe:
            pipe.sadd(key, ctx.group_key or "")
            pipe.expire(key, 600)
            await pipe.execute()

    # -- /logout ---------------------------------------------------------------------------

    async def logout(self, ctx: ChatContext) -> None:
        if await self.service.refused_banned(ctx):
            return
        lang = await self.service.language(ctx)
        await self.logins.end(ctx.user_key)
        try:
            report = await self.logins.remove(personal_account_name(ctx.user_key), ctx.user_key)
        except SecretKeyMissing:
            await self.private(ctx, t(lang, "login.disabled"))
            return
        if not report.removed:
            await self.private(ctx, t(lang, "logout.nothing"))
            return
        await self.private(ctx, t(lang, "logout.done", groups=len(report.groups), canceled=report.canceled))

    # -- /account --------------------------------------------------------------------------

    async def account(self, ctx: ChatContext) -> None:
        if await self.service.refused_banned(ctx):
            return
        lang = await self.service.language(ctx)
        actor = await self.service.actor(ctx)
        config = await self.policy.group_config(actor)
        try:
            funding = await self.policy.fund(actor, config)
        except NoAccount:
            await self.private(ctx, t(lang, "account.none", bot=self.service.bot_username or ""))
            return
        lines = [t(lang, f"account.uses_{funding.source}", owner=funding.paid_by or "")]
        if funding.source == "own":
            status = await self.logins.status(funding.account)
            if status is not None:
                lines.append(t(lang, "account.token_cached" if status.cached else "account.token_not_cached"))
                if status.days_left is not None:
                    lines.append(t(lang, "account.days_left", days=f"{status.days_left:.1f}"))
                if status.verified_at is not None:
                    lines.append(t(lang, "account.last_check", when=time.strftime(
                        "%Y-%m-%d %H:%M UTC", time.gmtime(status.verified_at))))
                if status.subscription is not None:
                    lines.append(t(lang, "account.tier", tier=status.subscription.tier_name,
                                   anlas=status.subscription.anlas))
                if status.error:
                    lines.append(t(lang, "account.error", reason=status.error))
        elif funding.lent and config is not None and config.shared is not None and config.shared.lending:
            lines.append(await self._lending_line(lang, config, actor))
        cost = await self._default_cost(ctx, funding.account)
        if cost is not None:
            lines.append(t(lang, "account.cost_free") if cost == 0 else t(lang, "account.cost", cost=cost))
        await self.private(ctx, "\n".join(lines))

    async def _default_cost(self, ctx: ChatContext, account_name: str) -> int | None:
        """What the person's usual `/generate` (their saved defaults) costs on that account."""
        try:
            request, _ = await self.service.build_request(ctx, GenerateOptions(prompt="1girl", fields={}))
            account = await self.policy.directory.get(account_name)
            subscription = await self.policy.subscriptions.get(account) if account else None
            return would_spend(request, subscription).cost
        except (NovelAIError, ValueError, RedisError, OSError):
            return None

    async def _lending_line(self, lang: str, config: GroupConfig, actor: Actor) -> str:
        shared = config.shared
        assert shared is not None and shared.lending is not None and actor.group is not None
        lending = shared.lending
        quotas = self.policy.quotas
        images = await quotas.used(quotas.lender_key(shared.account, actor.group, "images"))
        anlas = await quotas.used(quotas.lender_key(shared.account, actor.group, "anlas"))
        return t(lang, "group.lending_today", images=images,
                 images_limit=lending.images_per_day or "∞", anlas=anlas, anlas_limit=lending.anlas_per_day,
                 until=_date(lending.until) if lending.until else "-")

    # -- /group ----------------------------------------------------------------------------

    async def group(self, ctx: ChatContext, args: str) -> str:
        """`/group <action> ...` in a group; returns the action taken (for adapters and tests)."""
        if await self.service.refused_banned(ctx):
            return "banned"
        lang = await self.service.language(ctx)
        words = args.split()
        action = words[0].lower() if words else "status"
        if not ctx.chat.group or ctx.group_key is None:
            await self._say(ctx, "group.only_in_groups")
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
                await self._say(ctx, "group.nothing_bound")
                return "unbind"
            await groups.update(group, {"shared": None})
            if config.shared.kind == "bound":  # the group's own credentials go with it
                await self.logins.remove(config.shared.account, ctx.user_key)
            await self._say(ctx, "group.unbound")
            return "unbind"
        if action in ("pause", "resume"):
            await groups.update(group, {"paused": action == "pause"})
            await self._say(ctx, f"group.{action}d")
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
            await self._say(ctx, f"group.prefer_{choice}")
            return "prefer"
        if action == "default":
            choice = args[0].lower() if args else ""
            values = {"on": True, "off": False, "inherit": None}
            if choice not in values:
                raise ArgumentError("group.default_usage")
            await groups.update(group, {"allow_default": values[choice]})
            await self._say(ctx, f"group.default_{choice}")
            return "default"
        if action == "channels":
            channels = [] if args[:1] == ["all"] else [_channel_id(word) for word in args]
            await groups.update(group, {"channels": tuple(channels)})
            await self.service.answer(ctx, Reply(await self.group_status_text(ctx, lang)))
            return "channels"
        raise ArgumentError("group.usage")

    async def begin_group_login(self, ctx: ChatContext) -> None:
        """Binding a group account: the credentials are asked for in private (Telegram)."""
        await self.start_group_binding(ctx)
        assert ctx.group_key is not None
        await self.logins.begin(ctx.user_key, ctx.group_key, ctx.group_title)
        lang = await self.service.language(ctx)
        if await self.private(ctx, t(lang, "group.bind_private", group=ctx.group_title or ctx.group_key)):
            await self._say(ctx, "group.bind_started")

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
            lines.append(await self._lending_line(lang, config, actor))
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

    # -- /admin ----------------------------------------------------------------------------

    async def admin(self, ctx: ChatContext, args: str) -> str:
        """Deployment admins only: ban, unban, every lane."""
        lang = await self.service.language(ctx)
        if not self.service.deployment_admin(ctx):
            await self.service.answer(ctx, Reply(t(lang, "admin.only"), private=True))
            return "forbidden"
        words = args.split()
        action = words[0].lower() if words else ""
        if action in ("ban", "unban") and len(words) == 2:
            match = _USER_REF.match(words[1])
            if match is None:
                await self.service.answer(ctx, Reply(t(lang, "admin.bad_user", value=words[1]), private=True))
                return "bad_argument"
            user_key = f"{match[1] or ctx.platform}:{match[2]}"
            if user_key == ctx.user_key:
                await self.service.answer(ctx, Reply(t(lang, "admin.not_yourself"), private=True))
                return "bad_argument"
            if action == "ban":
                await self.policy.ban(user_key, ctx.user_key)
            else:
                await self.policy.unban(user_key)
            await self._say(ctx, f"admin.{action}ned", user=user_key)
            return action
        if action == "queue":
            await self.service.answer(ctx, Reply(await self.all_lanes_text(lang), private=True))
            return "queue"
        await self.service.answer(ctx, Reply(t(lang, "admin.usage"), private=True))
        return "usage"

    async def all_lanes_text(self, lang: str) -> str:
        queue = self.service.queue
        depths = await queue.lane_depths()
        running = [job for job in [await queue.get(i) for i in await queue.running_ids()] if job]
        lines = [t(lang, "admin.lanes_title", lanes=len(depths), waiting=sum(depths.values()), running=len(running))]
        for lane, depth in sorted(depths.items()):
            lines.append(t(lang, "admin.lane", lane=lane, depth=depth))
            for job_id in await queue.waiting_ids(lane, limit=5):
                job = await queue.get(job_id)
                if job is not None:
                    lines.append(t(lang, "admin.lane_job", id=job.id, user=job.requester.user_key,
                                   priority=job.priority))
        for job in running:
            lines.append(t(lang, "admin.running_job", id=job.id, user=job.requester.user_key, lane=job.account))
        return "\n".join(lines)

    # -- after a job ends ------------------------------------------------------------------

    async def job_ended(self, job: Job) -> None:
        """Refund quotas of a job that made nothing; tell an owner once that NovelAI rejects their token."""
        charges = job.requester.reply.get("charges") or []
        if job.state in (JobState.FAILED, JobState.CANCELED) and charges:
            await self.policy.quotas.refund(job.id, [(str(k), int(a)) for k, a in charges])
        if (job.state is JobState.FAILED and job.error is not None and job.error.kind == "auth"
                and job.account.startswith("user:") and await self.logins.first_rejection(job.account)):
            owner = job.account.removeprefix("user:")
            platform, _, user_id = owner.partition(":")
            if platform == self.service.platform:
                await self._tell_privately(user_id, "account.rejected")

    async def _tell_privately(self, user_id: str, key: str) -> None:
        language = self.service.settings.bot.default_language
        try:
            saved = await self.service.user_settings.language(f"{self.service.platform}:{user_id}")
            language = saved or language
        except (RedisError, OSError):
            pass
        try:
            await self.service.sender.send_private(user_id, t(language, key, bot=self.service.bot_username or ""))
        except ChatError as exc:
            log.info("could not tell user %s privately: %s", user_id, type(exc).__name__)


def _channel_id(word: str) -> str:
    match = _CHANNEL_REF.match(word)
    if match is None:
        raise ArgumentError("group.bad_channel", value=word)
    return match[1]
