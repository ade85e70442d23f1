"""`/login`, `/logout` and `/account`, and what follows a job's end, for every platform alike.

Adapters bring the platform's part: deleting a message that held a secret, opening a Discord
modal. Everything else (what is allowed, what is stored, what is said) is decided here, so a rule
holds the same on Telegram and on Discord.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from bot.chat.commands.group import lending_line
from bot.chat.generate_options import GenerateOptions
from bot.chat.ports import ChatError
from bot.chat.texts.catalog import t
from bot.rules.groups import SharedAccount
from bot.rules.logins import LoginRejected, Logins, looks_like_token
from bot.rules.policy import NoAccount, Policy, group_account_name, personal_account_name
from novelai.client import AccountStatus
from novelai.cost import would_spend
from novelai.errors import NovelAIError
from novelai.factory import SecretKeyMissing
from novelai.subscription import Subscription
from tasks.job import Job, JobState

if TYPE_CHECKING:
    from bot.chat.router import ChatContext, CommandService

log = logging.getLogger(__name__)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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
                await self.service.say(ctx, "login.go_private", bot=self.service.bot_username or "")
            return
        if not args.strip():
            await self.logins.begin(ctx.user_key)
            await self.service.say(ctx, "login.ask_secret")
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
            await self.service.say(ctx, "login.ask_password")
        else:
            await self.service.say(ctx, "login.not_a_secret")

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
            await self.service.say(ctx, "login.ask_password")
        else:
            await self.service.say(ctx, "login.not_a_secret")
        return True

    async def cancel_login(self, ctx: ChatContext) -> None:
        await self.logins.end(ctx.user_key)
        await self.service.say(ctx, "login.canceled")

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
        subscription = None
        lines = [t(lang, f"account.uses_{funding.source}", owner=funding.paid_by or "")]
        if funding.source == "own":
            status = await self.logins.status(funding.account)
            if status is not None:
                lines += status_lines(lang, status)
                subscription = status.subscription
        elif funding.lent and config is not None and config.shared is not None and config.shared.lending:
            lines.append(await lending_line(self.policy, lang, config, actor.group or ""))
        cost = await self._default_cost(ctx, funding.account, subscription)
        if cost is not None:
            lines.append(t(lang, "account.cost_free") if cost == 0 else t(lang, "account.cost", cost=cost))
        await self.private(ctx, "\n".join(lines))

    async def _default_cost(self, ctx: ChatContext, account_name: str, subscription: Subscription | None = None
                            ) -> int | None:
        """What the person's usual `/generate` (their saved defaults) costs on that account; the
        subscription just read for the status is reused instead of asking NovelAI again."""
        try:
            request, _ = await self.service.build_request(ctx, GenerateOptions(prompt="1girl", fields={}))
            if subscription is None:
                account = await self.policy.directory.get(account_name)
                subscription = await self.policy.subscriptions.get(account) if account else None
            return would_spend(request, subscription).cost
        except (NovelAIError, ValueError, RedisError, OSError):
            return None


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
        language = await self.service.language_of(f"{self.service.platform}:{user_id}")
        try:
            await self.service.sender.send_private(user_id, t(language, key, bot=self.service.bot_username or ""))
        except ChatError as exc:
            log.info("could not tell user %s privately: %s", user_id, type(exc).__name__)


def status_lines(lang: str, status: AccountStatus) -> list[str]:
    """A personal account's token state, last check, tier and Anlas, one line each, as known."""
    lines = [t(lang, "account.token_cached" if status.cached else "account.token_not_cached")]
    if status.days_left is not None:
        lines.append(t(lang, "account.days_left", days=f"{status.days_left:.1f}"))
    if status.verified_at is not None:
        lines.append(t(lang, "account.last_check",
                       when=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(status.verified_at))))
    if status.subscription is not None:
        lines.append(t(lang, "account.tier", tier=status.subscription.tier_name, anlas=status.subscription.anlas))
    if status.error:
        lines.append(t(lang, "account.error", reason=status.error))
    return lines
