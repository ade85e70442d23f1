"""`/admin ...`: what only the deployment's admins (``bot.admins``) may do: bans and every lane.

Nothing of the arguments is read before the admin check, and arguments over ``MAX_COMMAND_CHARS``
are refused unread (a real one is two words)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.chat.context import ChatContext, Conversation
from bot.chat.generate_options import MAX_COMMAND_CHARS, OptionError, check_length, shorten
from bot.chat.ports import Reply
from bot.chat.texts.catalog import t
from bot.rules.policy import Policy
from tasks.queue import JobQueue

# A user as an admin types them: an id, a mention (<@123>), or platform:id for the other platform.
_USER_REF = re.compile(r"^(?:(telegram|discord):)?<?@?!?([0-9]{1,25})>?$")


@dataclass
class AdminCommands:
    conv: Conversation
    policy: Policy
    queue: JobQueue

    async def admin(self, ctx: ChatContext, args: str = "") -> str:
        """Deployment admins only: ban, unban, every lane."""
        conv = self.conv
        if not conv.deployment_admin(ctx):
            await conv.say(ctx, "admin.only", private=True)
            return "forbidden"
        try:
            check_length(args, MAX_COMMAND_CHARS, "admin")
        except OptionError as exc:
            await conv.say(ctx, exc.key, private=True, **exc.params)
            return "bad_argument"
        lang = await conv.language(ctx)
        words = args.split()
        action = words[0].lower() if words else ""
        if action in ("ban", "unban") and len(words) == 2:
            match = _USER_REF.match(words[1])
            if match is None:
                await conv.say(ctx, "admin.bad_user", private=True, value=shorten(words[1]))
                return "bad_argument"
            user_key = f"{match[1] or ctx.platform}:{match[2]}"
            if user_key == ctx.user_key:
                await conv.say(ctx, "admin.not_yourself", private=True)
                return "bad_argument"
            if action == "ban":
                await self.policy.ban(user_key, ctx.user_key)
            else:
                await self.policy.unban(user_key)
            await conv.say(ctx, f"admin.{action}ned", user=user_key)
            return action
        if action == "queue":
            await conv.answer(ctx, Reply(await self.all_lanes_text(lang), private=True))
            return "queue"
        await conv.say(ctx, "admin.usage", private=True)
        return "usage"

    async def all_lanes_text(self, lang: str) -> str:
        queue = self.queue
        depths = await queue.lane_depths()
        running = await queue.get_many(await queue.running_ids())
        lines = [t(lang, "admin.lanes_title", lanes=len(depths), waiting=sum(depths.values()), running=len(running))]
        for lane, depth in sorted(depths.items()):
            lines.append(t(lang, "admin.lane", lane=lane, depth=depth))
            for job in await queue.get_many(await queue.waiting_ids(lane, limit=5)):
                lines.append(t(lang, "admin.lane_job", id=job.id, user=job.requester.user_key, priority=job.priority))
        for job in running:
            lines.append(t(lang, "admin.running_job", id=job.id, user=job.requester.user_key, lane=job.account))
        return "\n".join(lines)
