"""An offline stand-in for Discord (REST v10 and the JSON gateway), for tests, benchmarks and the demo.

The real discord.py talks to it as to discord.com (platform-notes §2) once two class attributes point
here (:func:`point_discord_py_at`, or ``DISCORD_API_URL``/``DISCORD_GATEWAY_URL`` set to ``api_url`` and
``gateway_url``). What matters to a slash-command bot is reproduced on purpose: login, command sync,
interactions with their 3-second answer deadline and 15-minute tokens, ephemeral messages, follow-ups,
persistent buttons, uploads kept byte for byte, Discord's error codes and its rate limits with the
headers discord.py paces itself by. Tests act as users through the Python methods below or, from other
processes, through the control API under ``/_sandbox/``.

Everything runs on the sandbox's event loop. The Python methods may also be called from another thread
(see :func:`running_discord`); they then hop onto that loop, so state is never touched concurrently.

One piece although past 400 lines: it is the stand-in's Python face (one thin method per thing a test
does as a user); REST, the gateway, interactions and the control API live in their own modules.
"""

from __future__ import annotations

import contextlib
import copy
import mimetypes
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import discord.gateway
import discord.http
import yarl
from aiohttp import web

from sandbox.discord.control import ControlAPI
from sandbox.discord.gateway import GUILD_MEMBERS, GUILDS, Gateway
from sandbox.discord.interactions import Interactions
from sandbox.discord.messages import Composer, Upload
from sandbox.discord.rest import RestAPI
from sandbox.discord.state import (
    API_PREFIX,
    DEFAULT_TOKEN,
    Call,
    DiscordStats,
    DiscordUser,
    RateLimits,
    StoredInteraction,
    StoredMessage,
)
from sandbox.discord.world import World
from sandbox.observed import ObservedServer, run_in_thread

__all__ = ["DEFAULT_TOKEN", "Call", "ControlAPI", "DiscordSandbox", "DiscordStats", "DiscordUser", "RateLimits",
           "StoredInteraction", "StoredMessage", "point_discord_py_at", "running_discord"]

T = TypeVar("T")
# Enough for any test; a long benchmark keeps the newest calls only.
KEEP_CALLS = 100_000
# Room for uploads up to Discord's biggest attachment limit, so that limit (not aiohttp's) answers.
MAX_REQUEST_BYTES = 600 * 1024 * 1024
DEFAULT_OWNER = DiscordUser(1000, "sandbox_owner", "Sandbox Owner")


class DiscordSandbox(ObservedServer):
    """Discord for one application and its bot, with guilds and users driven by the test."""

    def __init__(self, token: str = DEFAULT_TOKEN, *, application_id: int = 1100, bot_user_id: int = 1200,
                 limits: RateLimits | None = None, interaction_token_ttl: float = 900.0,
                 heartbeat_interval_ms: int = 41250, interaction_answer_deadline: float = 3.0,
                 owner: DiscordUser = DEFAULT_OWNER) -> None:
        super().__init__()
        self.token = token
        self.application_id = application_id
        self.bot_user_id = bot_user_id
        self.limits = limits or RateLimits()
        self.stats = DiscordStats()
        self._world = World(application_id=application_id, bot_user_id=bot_user_id, owner=owner)
        self._composer = Composer(self._world, lambda: self.url, lambda: self._interactions.attachment_size_limit)
        self._interactions = Interactions(self._world, self._composer,
                                          lambda kind, message: self._rest.message_event(kind, message))
        self._interactions.token_ttl = interaction_token_ttl
        self._interactions.answer_deadline = interaction_answer_deadline
        self._gateway = Gateway(self._world, self.stats, lambda: self.token, lambda: self.gateway_url,
                                heartbeat_interval_ms, self._changed)
        self._rest = RestAPI(self._world, self._composer, self._interactions, self._gateway,
                             limits=lambda: self.limits, token=lambda: self.token,
                             gateway_url=lambda: self.gateway_url, record=self._record)
        self._calls: deque[Call] = deque(maxlen=KEEP_CALLS)

    @property
    def api_url(self) -> str:
        """What discord.py's ``Route.BASE`` (and naibot's ``DISCORD_API_URL``) should be."""
        return f"{self.url}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """What ``DiscordWebSocket.DEFAULT_GATEWAY`` (and ``DISCORD_GATEWAY_URL``) should be."""
        return f"{self.url.replace('http://', 'ws://', 1)}/gateway"

    @property
    def recommended_shards(self) -> int | None:
        """The ``shards`` GET /gateway/bot answers; None (the default): one per 1,000 guilds, at least one."""
        return self._gateway.recommended_shards

    @recommended_shards.setter
    def recommended_shards(self, count: int | None) -> None:
        self._gateway.recommended_shards = count

    @property
    def max_concurrency(self) -> int:
        """GET /gateway/bot's ``session_start_limit.max_concurrency`` (IDENTIFYs that may start per 5 s)."""
        return self._gateway.max_concurrency

    @max_concurrency.setter
    def max_concurrency(self, count: int) -> None:
        self._gateway.max_concurrency = count

    @property
    def max_guilds_per_shard(self) -> int:
        """Guilds one session may hold (Discord: 2,500); an IDENTIFY over it is closed with 4011."""
        return self._gateway.max_guilds_per_shard

    @max_guilds_per_shard.setter
    def max_guilds_per_shard(self, count: int) -> None:
        self._gateway.max_guilds_per_shard = count

    @property
    def interaction_token_ttl(self) -> float:
        return self._interactions.token_ttl

    @interaction_token_ttl.setter
    def interaction_token_ttl(self, seconds: float) -> None:
        self._interactions.token_ttl = seconds

    @property
    def interaction_answer_deadline(self) -> float:
        """Seconds a bot has to call back (Discord: 3), else 10062 Unknown interaction."""
        return self._interactions.answer_deadline

    @interaction_answer_deadline.setter
    def interaction_answer_deadline(self, seconds: float) -> None:
        self._interactions.answer_deadline = seconds

    @property
    def attachment_size_limit(self) -> int:
        """Largest upload accepted (413 above it); sent to bots as ``attachment_size_limit``."""
        return self._interactions.attachment_size_limit

    @attachment_size_limit.setter
    def attachment_size_limit(self, size: int) -> None:
        self._interactions.attachment_size_limit = size

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.add_routes([
            web.get("/gateway", self._gateway.handle),
            web.get("/attachments/{attachment_id}/{filename}", self._download),
            *ControlAPI(self).routes(),
            web.route("*", API_PREFIX + "/{tail:.*}", self._rest.handle),
        ])
        return await self._serve(app, host, port)

    async def stop(self) -> None:
        """Close gateway connections (1001, so a still-running bot would try to resume), then the server."""
        await self._begin_shutdown()
        await self._gateway.close_all()
        await self._finish_shutdown()

    # -- shaping the world -----------------------------------------------------------------

    def add_guild(self, guild_id: int, name: str, *, owner: DiscordUser, channels: dict[int, bool],
                  locale: str = "en-US") -> None:
        """A guild with text channels (id -> NSFW flag), its owner, and the bot as a member. A bot already
        connected gets GUILD_CREATE, as when it is invited."""

        def apply() -> None:
            guild = self._world.add_guild(guild_id, name, owner, channels, locale)
            self._gateway.dispatch("GUILD_CREATE", self._world.guild_json(guild), guild_id=guild_id, intent=GUILDS)

        self._mutate(apply)

    def add_member(self, guild_id: int, user: DiscordUser, *, admin: bool = False) -> None:
        """A user joins a guild; ``admin`` gives them a role with Administrator and Manage Server."""

        def apply() -> None:
            self._world.add_member(guild_id, user, admin=admin)
            guild = self._world.guild(guild_id)
            member = {**self._world.member_json(guild, user.id), "guild_id": str(guild_id)}
            self._gateway.dispatch("GUILD_MEMBER_ADD", member, guild_id=guild_id, intent=GUILD_MEMBERS)

        self._mutate(apply)

    def set_bot_permissions(self, guild_id: int, permissions: int) -> None:
        """The bot's guild permissions from now on (e.g. without SEND_MESSAGES to see 403 50013)."""
        self._mutate(lambda: self._world.set_bot_permissions(guild_id, permissions))

    def add_role(self, guild_id: int, name: str, *, permissions: int = 0) -> int:
        """A new role in a guild (a bot already connected gets GUILD_ROLE_CREATE); returns its id."""

        def apply() -> int:
            role = self._world.add_role(guild_id, name, permissions)
            self._gateway.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(guild_id), "role": role.to_api()},
                                   guild_id=guild_id, intent=GUILDS)
            return role.id

        return self._mutate(apply)

    def give_role(self, guild_id: int, user: DiscordUser, role_id: int) -> None:
        """A member gets a role (GUILD_MEMBER_UPDATE to bots with the members intent; interactions carry it
        in ``member.roles`` either way)."""

        def apply() -> None:
            self._world.give_role(guild_id, user.id, role_id)
            guild = self._world.guild(guild_id)
            member = {**self._world.member_json(guild, user.id), "guild_id": str(guild_id)}
            self._gateway.dispatch("GUILD_MEMBER_UPDATE", member, guild_id=guild_id, intent=GUILD_MEMBERS)

        self._mutate(apply)

    def close_dms(self, user: DiscordUser, closed: bool = True) -> None:
        """Whether a user refuses DMs from the bot (privacy settings): sending then fails with 403 50007."""

        def apply() -> None:
            self._world.users.setdefault(user.id, user)
            if closed:
                self._world.closed_dms.add(user.id)
            else:
                self._world.closed_dms.discard(user.id)

        self._mutate(apply)

    def reset(self) -> None:
        """Forget messages, files, interactions, calls, statistics and rate-limit history (between demo
        runs or benchmark rounds); guilds, members, commands, limits and gateway sessions stay."""

        def apply() -> None:
            self._world.forget_traffic()
            self._rest.limiter.reset()
            self._calls.clear()
            self.stats.clear()

        self._mutate(apply)

    # -- acting as users -------------------------------------------------------------------

    def slash_command(self, guild_id: int, channel_id: int, user: DiscordUser, name: str,
                      options: dict[str, Any]) -> str:
        """A user runs a registered slash command (``name`` may include a subcommand: "settings set").
        Options are typed by the command's definition: str, int, float, bool, a user id, or
        ``(filename, bytes)`` for an attachment. Returns the interaction id."""
        return self._interact(lambda: self._interactions.slash_command(guild_id, channel_id, user, name, options))

    def autocomplete(self, guild_id: int, channel_id: int, user: DiscordUser, name: str, options: dict[str, Any],
                     focused: str) -> str:
        """A user types into option ``focused`` (its value is the partial text); see autocomplete_choices()."""
        return self._interact(lambda: self._interactions.autocomplete(guild_id, channel_id, user, name, options,
                                                                      focused))

    def click_button(self, guild_id: int, channel_id: int, user: DiscordUser, message_id: int,
                     custom_id: str) -> str:
        """A user clicks a button of a (visible to them) message; returns the interaction id."""
        return self._interact(lambda: self._interactions.click_button(guild_id, channel_id, user, message_id,
                                                                      custom_id))

    def choose_options(self, guild_id: int, channel_id: int, user: DiscordUser, message_id: int, custom_id: str,
                       values: list[str]) -> str:
        """A user picks ``values`` in a string select menu of a (visible to them) message; returns the
        interaction id."""
        return self._interact(lambda: self._interactions.choose_options(guild_id, channel_id, user, message_id,
                                                                        custom_id, values))

    def submit_modal(self, guild_id: int, channel_id: int, user: DiscordUser, custom_id: str,
                     values: dict[str, str]) -> str:
        """A user submits a modal the bot showed them, with text input custom_id -> value."""
        return self._interact(lambda: self._interactions.submit_modal(guild_id, channel_id, user, custom_id, values))

    def message_command(self, guild_id: int, channel_id: int, user: DiscordUser, name: str, message_id: int) -> str:
        """A user picks the message context menu ``name`` on a message; returns the interaction id."""
        return self._interact(lambda: self._interactions.message_command(guild_id, channel_id, user, name,
                                                                         message_id))

    def post_message(self, channel_id: int, user: DiscordUser, content: str,
                     files: list[tuple[str, bytes]] | None = None) -> int:
        """A user writes in a channel, with ``files`` (filename, bytes) attached (bots with GUILD_MESSAGES get
        MESSAGE_CREATE); returns the message id."""

        def apply() -> int:
            channel = self._world.channel(channel_id)
            self._world.member(channel.guild_id, user.id)
            uploads = [Upload(index, name, data) for index, (name, data) in enumerate(files or [])]
            message = self._composer.create(channel_id=channel_id, guild_id=channel.guild_id, author_id=user.id,
                                            payload={"content": content}, uploads=uploads)
            self._rest.message_event("create", message)
            return message.id

        return self._mutate(apply)

    def expire_token(self, interaction_id: str) -> None:
        """Make an interaction's token as dead as after 15 minutes (webhook routes answer 401 50027)."""
        self._mutate(lambda: self._interactions.expire(interaction_id))

    def reconnect_gateway(self, *, resume: bool = True) -> None:
        """Discord restarting a gateway node: RECONNECT (bots resume, missed events replayed) or, with
        ``resume=False``, INVALID_SESSION (bots identify afresh)."""
        self._mutate(lambda: self._gateway.reconnect_all(resume=resume))

    def _interact(self, build: Callable[[], StoredInteraction]) -> str:
        def apply() -> str:
            record = build()
            self._gateway.dispatch("INTERACTION_CREATE", record.payload, guild_id=record.guild_id)
            return record.id

        return self._mutate(apply)

    # -- observing -------------------------------------------------------------------------

    def commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """Registered commands as stored (global ones with None)."""
        return self._read(lambda: copy.deepcopy(self._world.commands.get(guild_id, [])))

    def interaction(self, interaction_id: str) -> StoredInteraction:
        """A snapshot of an interaction: how it was answered, its follow-ups, autocomplete choices, modal."""

        def snapshot() -> StoredInteraction:
            record = self._world.interactions.get(interaction_id)
            if record is None:
                raise KeyError(interaction_id)
            return copy.deepcopy(record)

        return self._read(snapshot)

    def interaction_response(self, interaction_id: str) -> StoredMessage | None:
        """The original response message (for a button's update: the message clicked), None until answered."""

        def snapshot() -> StoredMessage | None:
            record = self._world.interactions.get(interaction_id)
            if record is None or record.response_message_id is None:
                return None
            return copy.deepcopy(self._world.find_message(record.response_message_id))

        return self._read(snapshot)

    def autocomplete_choices(self, interaction_id: str) -> list[dict[str, Any]] | None:
        return self.interaction(interaction_id).autocomplete_choices

    def messages(self, channel_id: int) -> list[StoredMessage]:
        """Snapshots of a channel's messages (ephemeral and deleted ones included and flagged), oldest first."""
        return self._read(lambda: [copy.deepcopy(m) for m in self._world.messages.get(channel_id, {}).values()])

    def dms(self, user_id: int) -> list[StoredMessage]:
        """Snapshots of the messages the bot sent a user by DM, oldest first (none if it never opened one)."""

        def read() -> list[StoredMessage]:
            channel_id = self._world.dm_of_user.get(user_id)
            if channel_id is None:
                return []
            return [copy.deepcopy(m) for m in self._world.messages.get(channel_id, {}).values()]

        return self._read(read)

    def attachment_bytes(self, attachment_id: int | str) -> bytes:
        def read() -> bytes:
            stored = self._world.files.get(int(attachment_id))
            if stored is None:
                raise KeyError(attachment_id)
            return stored.data

        return self._read(read)

    def calls(self, method: str | None = None, path_contains: str | None = None) -> list[Call]:
        """Every REST call so far (oldest first), optionally of one HTTP method and/or path fragment."""
        return self._read(lambda: [call for call in self._calls
                                   if (method is None or call.method == method.upper())
                                   and (path_contains is None or path_contains in call.path)])

    def connected(self) -> bool:
        """Whether a bot is identified (or resumed) on a live gateway connection."""
        return self._read(self._gateway.connected)

    def identified_shards(self) -> list[tuple[int, int]]:
        """The ``(shard_id, num_shards)`` of every IDENTIFY accepted so far, in order."""
        return self._read(lambda: list(self._gateway.identified))

    def live_shards(self) -> list[tuple[int, int]]:
        """The shards of the sessions on a live gateway connection, sorted."""
        return self._read(self._gateway.live_shards)

    # -- HTTP ------------------------------------------------------------------------------

    def _record(self, call: Call) -> None:
        self._calls.append(call)
        self.stats.calls_by_route[call.route] += 1
        if call.status == 429:
            self.stats.rate_limited += 1
        self._changed()

    async def _download(self, request: web.Request) -> web.Response:
        """The attachment CDN: the exact bytes uploaded."""
        stored = None
        attachment_id = request.match_info["attachment_id"]
        if attachment_id.isdigit():
            stored = self._world.files.get(int(attachment_id))
        if stored is None or stored.filename != request.match_info["filename"]:
            raise web.HTTPNotFound()
        self.stats.downloads[attachment_id] += 1
        content_type = mimetypes.guess_type(stored.filename)[0] or "application/octet-stream"
        return web.Response(body=stored.data, content_type=content_type)


def point_discord_py_at(sandbox: DiscordSandbox) -> Callable[[], None]:
    """Point discord.py's REST base and default gateway (class attributes, so process-wide) at the sandbox;
    returns the function that restores the previous values."""
    if not sandbox.url:
        raise RuntimeError("start the sandbox first: its URL is known only then")
    route_class = discord.http.Route
    socket_class = discord.gateway.DiscordWebSocket
    previous_base, previous_gateway = route_class.BASE, socket_class.DEFAULT_GATEWAY
    route_class.BASE = sandbox.api_url
    socket_class.DEFAULT_GATEWAY = yarl.URL(sandbox.gateway_url)

    def undo() -> None:
        route_class.BASE = previous_base
        socket_class.DEFAULT_GATEWAY = previous_gateway

    return undo


@contextlib.contextmanager
def running_discord(*, host: str = "127.0.0.1", port: int = 0, **kwargs: Any) -> Iterator[DiscordSandbox]:
    """Run the sandbox in a background thread with its own event loop (for sync code, benchmarks, the demo,
    subprocess tests). ``kwargs`` go to :class:`DiscordSandbox`."""
    async def create() -> DiscordSandbox:
        sandbox = DiscordSandbox(**kwargs)
        await sandbox.start(host, port)
        return sandbox

    with run_in_thread(create, "discord-sandbox") as sandbox:
        yield sandbox
