"""`/login`, `/logout` and `/account`, and what follows a job's end, for every platform alike.

Adapters bring the platform's part: deleting a message that held a secret, opening a Discord
modal. Everything else (what is allowed, what is stored, what is said) is decided here, so a rule
holds the same on Telegram and on Discord.
"""

from __future__ import annotations

import logging
import re
from contextlib import suppress
from dataclasses import dataclass

from redis.exceptions import RedisError

from bot.chat.commands.generate import RequestBuilder
from bot.chat.context import ChatContext, Conversation
from bot.chat.generate_options import GenerateOptions
from bot.chat.texts.accounts import lending_line, status_lines
from bot.chat.texts.catalog import t
from bot.chat.texts.jobs import duration_text
from bot.rules.account_names import PERSONAL_PREFIX
from bot.rules.groups import SharedAccount
from bot.rules.logins import LoginRejected, Logins, looks_like_token
from bot.rules.policy import NoAccount, Policy, group_account_name
from naibot.refusal import Refusal
from novelai.cost import would_spend
from novelai.errors import NovelAIError
from novelai.factory import SecretKeyMissing
from novelai.subscription import Subscription
from tasks.job import Job, JobState

log = logging.getLogger(__name__)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class AccountCommands:
    conv: Conversation
    logins: Logins
    policy: Policy
    requests: RequestBuilder

    # -- /login ----------------------------------------------------------------------------

    async def credentials_in_group(self, ctx: ChatContext, deleted: bool) -> None:
        """Someone typed a secret where others can read it: store nothing, tell them to change it."""
        await self.conv.say(ctx, "login.in_group_deleted" if deleted else "login.in_group_not_deleted",
                            bot=self.conv.bot)

    async def login(self, ctx: ChatContext, args: str, *, deleted: bool = False) -> None:
        """`/login` (maybe with a token or "email password" typed after it)."""
        conv = self.conv
        if await conv.refused_banned(ctx):
            return
        if ctx.chat.group:
            if args.strip():
                await self.credentials_in_group(ctx, deleted)
            elif await conv.private(ctx, t(await conv.language(ctx), "login.start_private"),
                                    unreachable="login.go_private_unreachable"):
                await conv.say(ctx, "login.go_private", bot=conv.bot)
            return
        if not args.strip():
            await self.logins.begin(ctx.user_key)
            await conv.say(ctx, "login.ask_secret")
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
            await conv.say(ctx, "login.ask_password")
        else:
            await conv.say(ctx, "login.not_a_secret")

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
            await self.conv.say(ctx, "login.ask_password")
        else:
            await self.conv.say(ctx, "login.not_a_secret")
        return True

    async def in_login(self, ctx: ChatContext) -> bool:
        """Whether the person is in the middle of a login conversation (their next message is a secret)."""
        return await self.logins.conversation(ctx.user_key) is not None

    async def cancel_login(self, ctx: ChatContext, _args: str = "") -> None:
        await self.logins.end(ctx.user_key)
        await self.conv.say(ctx, "login.canceled")

    async def finish_login(self, ctx: ChatContext, target: str, target_name: str, *, token: str | None = None,
                           email: str | None = None, password: str | None = None) -> bool:
        """Check and save credentials for the person (``personal``) or a group (its key)."""
        conv = self.conv
        lang = await conv.language(ctx)
        await self.logins.end(ctx.user_key)
        if target != "personal" and not (conv.deployment_admin(ctx)
                                         or await self.logins.may_bind(ctx.user_key, target)):
            await conv.private(ctx, t(lang, "group.not_admin_anymore"))
            return False
        name = await self.policy.personal_account(ctx.user_key) if target == "personal" else group_account_name(target)
        chat = f"{ctx.platform}:{ctx.chat.chat_id}"
        wait = await self.logins.attempts.take(ctx.user_key, chat)
        if wait:
            await conv.private(ctx, t(lang, "login.throttled", wait=duration_text(wait, lang)))
            return False
        rejected = False  # only a rejection by NovelAI uses up an attempt
        try:
            if token is not None:
                subscription = await self.logins.save_token(name, token, ctx.user_key)
            else:
                assert email is not None and password is not None
                subscription = await self.logins.save_password(name, email, password, ctx.user_key)
        except LoginRejected as exc:
            rejected = not exc.unreachable
            key = "login.unreachable" if exc.unreachable else "login.rejected"
            await conv.private(ctx, t(lang, key, reason=exc.reason))
            return False
        except SecretKeyMissing:
            await conv.private(ctx, t(lang, "login.disabled"))
            return False
        except (ValueError, RedisError, OSError) as exc:
            log.warning("saving a login failed: %s", type(exc).__name__)
            await conv.private(ctx, t(lang, "login.failed"))
            return False
        finally:
            if not rejected:
                with suppress(RedisError):  # best effort: the answer is what matters, the count expires
                    await self.logins.attempts.give_back(ctx.user_key, chat)
        if target == "personal":
            await conv.private(ctx, t(lang, "login.saved", tier=subscription.tier_name, anlas=subscription.anlas))
        else:
            await self.policy.groups.update(target, {"shared": SharedAccount(
                account=name, kind="bound", owner_name=ctx.display_name)})
            await conv.private(ctx, t(lang, "group.bound", group=target_name or target, tier=subscription.tier_name,
                                      anlas=subscription.anlas))
        return True

    # -- /logout ---------------------------------------------------------------------------

    async def logout(self, ctx: ChatContext, _args: str = "") -> None:
        conv = self.conv
        if await conv.refused_banned(ctx):
            return
        lang = await conv.language(ctx)
        await self.logins.end(ctx.user_key)
        try:
            report = await self.logins.remove(await self.policy.personal_account(ctx.user_key), ctx.user_key)
        except SecretKeyMissing:
            await conv.private(ctx, t(lang, "login.disabled"))
            return
        if not report.removed:
            await conv.private(ctx, t(lang, "logout.nothing"))
            return
        await conv.private(ctx, t(lang, "logout.done", groups=len(report.groups), canceled=report.canceled))

    # -- /account --------------------------------------------------------------------------

    async def account(self, ctx: ChatContext, _args: str = "") -> None:
        conv = self.conv
        if await conv.refused_banned(ctx):
            return
        lang = await conv.language(ctx)
        actor = await conv.actor(ctx)
        config = await self.policy.group_config(actor)
        try:
            funding = await self.policy.fund(actor, config)
        except NoAccount:
            await conv.private(ctx, t(lang, "account.none", bot=conv.bot))
            return
        subscription = None
        lines = [t(lang, f"account.uses_{funding.source}", owner=funding.paid_by or "")]
        if funding.source == "own":
            status = await self.logins.status(funding.account)
            if status is not None:
                lines += status_lines(lang, status)
                subscription = status.subscription
        elif (funding.lent and config is not None and config.shared is not None
              and config.shared.lending is not None):
            images, anlas = await self.policy.lending_used(config.shared.account, actor.group or "")
            lines.append(lending_line(lang, config.shared.lending, images, anlas))
        cost = await self._default_cost(ctx, funding.account, subscription)
        if cost is not None:
            lines.append(t(lang, "account.cost_free") if cost == 0 else t(lang, "account.cost", cost=cost))
        await conv.private(ctx, "\n".join(lines))

    async def _default_cost(self, ctx: ChatContext, account_name: str, subscription: Subscription | None = None
                            ) -> int | None:
        """What the person's usual `/generate` (their saved defaults) costs on that account; the
        subscription just read for the status is reused instead of asking NovelAI again."""
        try:
            request, _ = await self.requests.build(ctx, GenerateOptions(prompt="1girl", fields={}))
            if subscription is None:
                account = await self.policy.directory.get(account_name)
                subscription = await self.policy.subscriptions.get(account) if account else None
            return would_spend(request, subscription).cost
        except (Refusal, NovelAIError, ValueError, RedisError, OSError):
            return None

    # -- after a job ends ------------------------------------------------------------------

    async def job_ended(self, job: Job) -> None:
        """Refund quotas of a job that made nothing; tell an owner once that NovelAI rejects their token."""
        charges = job.requester.reply.get("charges") or []
        if job.state in (JobState.FAILED, JobState.CANCELED) and charges:
            await self.policy.quotas.refund(job.id, [(str(k), int(a)) for k, a in charges])
        if (job.state is JobState.FAILED and job.error is not None and job.error.kind == "auth"
                and job.account.startswith(PERSONAL_PREFIX) and await self.logins.first_rejection(job.account)):
            # The name no longer says whose it is (a keyed hash); the account's metadata does.
            owner = await self.logins.owner_of(job.account) or ""
            platform, _, user_id = owner.partition(":")
            if platform == self.conv.platform and user_id:
                await self.conv.tell_privately(user_id, "account.rejected")
