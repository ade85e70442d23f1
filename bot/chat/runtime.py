"""The parts every chat bot process runs the same way, whatever its platform: queue services,
the pacer, the delivery loop and the command router, built, started and stopped together.

The assembler of ``bot.chat``: nothing in ``bot.chat`` imports it; the adapters do."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.chat.delivery import Delivery
from bot.chat.nsfw import NsfwRule
from bot.chat.pacer import Limits, Pacer
from bot.chat.ports import ChatSender
from bot.chat.result_messages import ResultMessages
from bot.chat.router import CommandRouter
from bot.chat.status_registry import StatusRegistry
from bot.chat.user_settings import UserSettings
from bot.chat.windows import SharedWindows
from bot.keys import BotKeys
from bot.rules.policy import Policy
from naibot.cancelling import cancel_and_wait
from naibot.settings import Settings
from storage.factory import storage_from_settings
from tasks.chat_presence import ChatPresence, Describe
from tasks.metrics import Metrics
from tasks.services import QueueServices


@dataclass
class ChatRuntime:
    services: QueueServices
    pacer: Pacer
    sender: ChatSender
    delivery: Delivery
    commands: CommandRouter
    platform: str = ""
    metrics: Metrics | None = None
    presence: ChatPresence | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def count_rate_limited(self) -> None:
        """A 429 from the platform, for /metrics (in the background: never slows or breaks a send)."""
        if self.metrics is not None:
            self.metrics.fire(self.metrics.rate_limited(self.platform))

    @classmethod
    def start(cls, *, platform: str, settings: Settings, limits: Limits,
              make_sender: Callable[[QueueServices], ChatSender], bot_username: str | None = None,
              nsfw_rule: NsfwRule = "allow", instance: str = "", describe: Describe | None = None) -> ChatRuntime:
        """Build everything and start the pacer, the delivery loop and the presence beat (on the
        running loop). ``instance`` tells apart several processes of one platform on one host
        (Discord's shard ranges): each needs its own delivery consumer. ``describe`` says what the
        process serves (its shards, its mode) in its beat, for the operator's pages."""
        services = QueueServices.from_settings(settings)
        metrics = Metrics(services.redis, settings.redis.prefix)
        keys = BotKeys(settings.redis.prefix)
        # The platform's windows live in Redis: every bot process of the platform, and the next one
        # after a restart, spends one budget.
        pacer = Pacer(limits, shared=SharedWindows(services.redis, keys, platform))
        sender = make_sender(services)
        registry = StatusRegistry(services.redis, keys, platform, settings.queue.retention_seconds)
        storage = storage_from_settings(settings)
        # One delivery consumer per platform and host (and instance): a restart on the same host takes
        # over whatever its predecessor had read but not acknowledged; two live processes sharing a
        # name would each re-read the other's unacknowledged entries at start and deliver them twice.
        results = ResultMessages(services.redis, keys, platform, settings.queue.retention_seconds)
        consumer = "-".join(filter(None, (platform, socket.gethostname(), instance)))
        delivery = Delivery(platform=platform, queue=services.queue, registry=registry, sender=sender, pacer=pacer,
                            storage=storage, consumer=consumer, results=results)
        directory = services.submitter.accounts
        policy = Policy(settings, services.redis, directory.store, directory, services.submitter.subscriptions)
        commands = CommandRouter(
            platform=platform, settings=settings, services=services, user_settings=UserSettings(services.redis, keys),
            registry=registry, sender=sender, pacer=pacer, delivery=delivery, storage=storage, policy=policy,
            bot_username=bot_username, nsfw_rule=nsfw_rule, results=results,
        )
        delivery.on_ended = commands.account.job_ended
        presence = ChatPresence(services.redis, settings.redis.prefix, platform, instance, describe)
        runtime = cls(services, pacer, sender, delivery, commands, platform=platform, metrics=metrics,
                      presence=presence)
        # A sender that sees every 429 itself (Discord's, which discord.py mostly waits out, counted
        # on the wire) is told by its adapter; for the others the pacer sees each one.
        if not getattr(sender, "counts_rate_limits", False):
            pacer.on_rate_limited = runtime.count_rate_limited
        runtime.tasks = [asyncio.create_task(pacer.run(), name=f"{platform}-pacer"),
                         asyncio.create_task(delivery.run(), name=f"{platform}-delivery"),
                         asyncio.create_task(presence.run(), name=f"{platform}-presence")]
        return runtime

    async def stop(self) -> None:
        # A cancel can be lost inside a Redis command (naibot.cancelling): cancelled until they end.
        await cancel_and_wait(self.tasks)
        if self.presence is not None:
            await self.presence.leave()
        await self.commands.tags.lookup.aclose()
        await self.services.aclose()
