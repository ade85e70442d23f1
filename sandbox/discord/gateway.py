"""Discord's gateway as discord.py uses it: HELLO, IDENTIFY (token checked, else close 4004), READY with a
``resume_gateway_url`` back to the sandbox, GUILD_CREATE per guild, heartbeat ACKs, and RESUME with the
missed dispatches replayed (or INVALID_SESSION when they are gone). Frames are plain JSON text: discord.py
asks for zlib-stream but only inflates binary frames.

A session outlives its connection, as on Discord: a bot that drops (or is told to RECONNECT) resumes where
it left off; a clean close (1000/1001) ends the session. Dispatches honour the intents and the shard the
bot identified with.

Sharding as Discord documents it: IDENTIFY may carry ``shard: [shard_id, num_shards]``; a session gets the
guilds with ``(guild_id >> 22) % num_shards == shard_id`` (READY lists them, GUILD_CREATE follows for each,
and their dispatches go there only), DMs go to shard 0 only, READY echoes ``shard``. A malformed or out of
range pair is closed with 4010 (Invalid shard); a session that would hold more than
``max_guilds_per_shard`` guilds (Discord: 2,500) with 4011 (Sharding required). ``GET /gateway/bot``
recommends ``recommended_shards`` (by default one per 1,000 guilds, as Discord roughly does)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from sandbox.discord.state import DiscordStats
from sandbox.discord.world import World

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE_STATE, RESUME, RECONNECT, REQUEST_MEMBERS = 0, 1, 2, 3, 4, 6, 7, 8
INVALID_SESSION, HELLO, HEARTBEAT_ACK = 9, 10, 11
# Intents the sandbox filters on.
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15
# Dispatches kept per session for RESUME; older ones are gone, as on Discord.
HISTORY = 1000
MAX_DETACHED_SESSIONS = 16
_CLEAN_CLOSE = frozenset({1000, 1001})
# Discord's limit of guilds on one gateway session (above it: close 4011), and roughly how many guilds
# per shard its ``GET /gateway/bot`` recommends.
MAX_GUILDS_PER_SHARD = 2500
GUILDS_PER_RECOMMENDED_SHARD = 1000
INVALID_SHARD, SHARDING_REQUIRED = 4010, 4011


@dataclass
class Session:
    id: str
    intents: int
    shard: tuple[int, int]
    seq: int = 0
    history: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=HISTORY))
    connection: Connection | None = None

    def covers(self, guild_id: int | None) -> bool:
        """Whether this session gets a dispatch of ``guild_id``: its guilds, and DMs (None) on shard 0 only."""
        shard_id, count = self.shard
        if guild_id is None:
            return shard_id == 0
        return shard_of(guild_id, count) == shard_id


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard a guild's events go to (Discord: ``(guild_id >> 22) % num_shards``)."""
    return (guild_id >> 22) % shard_count


def parse_shard(value: Any) -> tuple[int, int] | None:
    """IDENTIFY's ``shard`` as ``(shard_id, num_shards)``: absent means ``(0, 1)``; None if it is not a
    pair of integers with ``0 <= shard_id < num_shards``."""
    if value is None:
        return 0, 1
    if not isinstance(value, list) or len(value) != 2 or not all(type(part) is int for part in value):
        return None
    shard_id, count = value
    return (shard_id, count) if 0 <= shard_id < count else None


class Connection:
    """One websocket. Frames go through a queue drained by one writer task, so synchronous code (the
    control API) can dispatch in order without awaiting."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.session: Session | None = None
        self.closed_by_server = False
        self._outbox: asyncio.Queue[str | tuple[int, str]] = asyncio.Queue()
        self._writer = asyncio.get_running_loop().create_task(self._write())

    def send(self, frame: dict[str, Any] | str) -> None:
        self._outbox.put_nowait(frame if isinstance(frame, str) else json.dumps(frame))

    def close(self, code: int, reason: str) -> None:
        """Close after the frames already queued (so e.g. INVALID_SESSION arrives before the close)."""
        self.closed_by_server = True
        self._outbox.put_nowait((code, reason))

    async def _write(self) -> None:
        while True:
            item = await self._outbox.get()
            try:
                if isinstance(item, tuple):
                    await self.ws.close(code=item[0], message=item[1].encode())
                    return
                await self.ws.send_str(item)
            except (ConnectionError, RuntimeError):
                return  # the peer is gone; the reader notices and detaches

    async def finish(self) -> None:
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer


class Gateway:
    def __init__(self, world: World, stats: DiscordStats, token: Callable[[], str], resume_url: Callable[[], str],
                 heartbeat_interval_ms: int, on_change: Callable[[], None]) -> None:
        self._world = world
        self._stats = stats
        self._token = token
        self._resume_url = resume_url
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self._on_change = on_change
        self._sessions: dict[str, Session] = {}
        self._connections: set[Connection] = set()
        # Sharding, as GET /gateway/bot reports it: a fixed recommendation (None: by guild count) and how
        # many IDENTIFYs may start at once (``session_start_limit.max_concurrency``).
        self.recommended_shards: int | None = None
        self.max_concurrency = 1
        self.max_guilds_per_shard = MAX_GUILDS_PER_SHARD
        # The ``shard`` of every accepted IDENTIFY, in order (what tests check a sharded bot sent).
        self.identified: list[tuple[int, int]] = []

    # -- what the sandbox does -------------------------------------------------------------

    def connected(self) -> bool:
        return any(connection.session is not None for connection in self._connections)

    def shards(self) -> int:
        """The ``shards`` GET /gateway/bot recommends."""
        if self.recommended_shards is not None:
            return self.recommended_shards
        return max(1, math.ceil(len(self._world.guilds) / GUILDS_PER_RECOMMENDED_SHARD))

    def live_shards(self) -> list[tuple[int, int]]:
        """The shards of the sessions on a live connection, sorted."""
        return sorted(c.session.shard for c in self._connections if c.session is not None)

    def dispatch(self, event: str, data: dict[str, Any], *, guild_id: int | None = None, intent: int = 0,
                 redacted: dict[str, Any] | None = None) -> None:
        """Send a dispatch to every session that asked for it (``intent``) and covers the guild; sessions
        without MESSAGE_CONTENT get ``redacted`` instead, when given. Detached sessions keep it for RESUME."""
        for session in list(self._sessions.values()):
            if session.covers(guild_id) and (intent == 0 or session.intents & intent):
                without_content = not session.intents & MESSAGE_CONTENT
                self._send_dispatch(session, event, redacted if redacted is not None and without_content else data)

    def reconnect_all(self, *, resume: bool) -> None:
        """Discord restarting a gateway node: RECONNECT (the bot resumes) or INVALID_SESSION (it identifies anew)."""
        for connection in list(self._connections):
            if resume:
                connection.send({"op": RECONNECT, "d": None})
            elif connection.session is not None:
                self._sessions.pop(connection.session.id, None)
                connection.session = None
                connection.send({"op": INVALID_SESSION, "d": False})

    async def close_all(self) -> None:
        """Going away (1001): the sessions stay resumable, as when Discord restarts a node."""
        for connection in list(self._connections):
            connection.closed_by_server = True
            await connection.finish()
            with contextlib.suppress(ConnectionError, RuntimeError):
                await connection.ws.close(code=1001, message=b"Sandbox stopping.")

    # -- the websocket ---------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        connection = Connection(ws)
        self._connections.add(connection)
        connection.send({"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms,
                                             "_trace": ["[\"sandbox-gateway\"]"]}})
        try:
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    self._on_frame(connection, message.data)
                elif message.type is WSMsgType.BINARY:
                    connection.close(4002, "Decode error.")
        finally:
            self._detach(connection, ws.close_code)
            await connection.finish()
        return ws

    def _on_frame(self, connection: Connection, text: str) -> None:
        try:
            frame = json.loads(text)
            op, data = frame["op"], frame.get("d")
        except (ValueError, KeyError, TypeError):
            connection.close(4002, "Decode error.")
            return
        if op == HEARTBEAT:
            connection.send({"op": HEARTBEAT_ACK, "d": None})
        elif op == IDENTIFY:
            self._identify(connection, data or {})
        elif op == RESUME:
            self._resume(connection, data or {})
        elif connection.session is None:
            connection.close(4003, "Not authenticated.")
        elif op == REQUEST_MEMBERS:
            self._members_chunk(connection, data or {})
        elif op not in (PRESENCE, VOICE_STATE):
            connection.close(4001, "Unknown opcode.")

    def _identify(self, connection: Connection, data: dict[str, Any]) -> None:
        if connection.session is not None:
            connection.close(4005, "Already authenticated.")
            return
        if data.get("token") != self._token():
            connection.close(4004, "Authentication failed.")
            return
        if not isinstance(data.get("intents"), int):
            connection.close(4013, "Invalid intent(s).")
            return
        shard = parse_shard(data.get("shard"))
        if shard is None:
            connection.close(INVALID_SHARD, "Invalid shard.")
            return
        world = self._world
        guilds = [guild for guild in world.guilds.values() if shard_of(guild.id, shard[1]) == shard[0]]
        if len(guilds) > self.max_guilds_per_shard:
            connection.close(SHARDING_REQUIRED, "Sharding required.")
            return
        session = Session(secrets.token_hex(16), data["intents"], shard)
        self._sessions[session.id] = session
        self._attach(connection, session)
        self._stats.identifies += 1
        self.identified.append(shard)
        self._send_dispatch(session, "READY", {
            "v": 10, "user": world.bot_user_json(), "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id, "session_type": "normal", "resume_gateway_url": self._resume_url(),
            "application": {"id": str(world.application_id), "flags": world.application_flags},
            "shard": list(session.shard), "private_channels": [], "relationships": [], "presences": [],
            "guild_join_requests": [], "geo_ordered_rtc_regions": [], "user_settings": {}, "auth": {},
            "_trace": ["[\"sandbox-gateway\"]"],
        })
        if session.intents & GUILDS:
            for guild in guilds:
                self._send_dispatch(session, "GUILD_CREATE", world.guild_json(guild))
        self._on_change()

    def _resume(self, connection: Connection, data: dict[str, Any]) -> None:
        if data.get("token") != self._token():
            connection.close(4004, "Authentication failed.")
            return
        session = self._sessions.get(str(data.get("session_id")))
        seq = data.get("seq") or 0
        oldest = session.history[0][0] if session is not None and session.history else None
        if session is None or (oldest is not None and oldest > seq + 1):
            connection.send({"op": INVALID_SESSION, "d": False})
            return
        self._attach(connection, session)
        for number, frame in session.history:
            if number > seq:
                connection.send(frame)
        self._send_dispatch(session, "RESUMED", {"_trace": ["[\"sandbox-gateway\"]"]})
        self._stats.resumes += 1
        self._on_change()

    def _members_chunk(self, connection: Connection, data: dict[str, Any]) -> None:
        assert connection.session is not None
        world = self._world
        guild = world.guilds.get(int(data.get("guild_id") or 0))
        if guild is None:
            return
        wanted = {int(user_id) for user_id in data.get("user_ids") or []}
        query = str(data.get("query") or "").lower()
        limit = int(data.get("limit") or 0) or len(guild.members)

        def asked_for(user_id: int) -> bool:
            return user_id in wanted if wanted else world.user(user_id).username.lower().startswith(query)

        members = [world.member_json(guild, user_id) for user_id in guild.members if asked_for(user_id)]
        self._send_dispatch(connection.session, "GUILD_MEMBERS_CHUNK", {
            "guild_id": str(guild.id), "members": members[:limit], "chunk_index": 0, "chunk_count": 1,
            "not_found": [str(user_id) for user_id in wanted if user_id not in guild.members],
            "nonce": data.get("nonce")})

    def _attach(self, connection: Connection, session: Session) -> None:
        """Bind a session to this connection; a connection still holding it elsewhere is closed (Discord
        lets one connection own a session)."""
        previous = session.connection
        if previous is not None and previous is not connection:
            previous.session = None
            previous.close(4000, "Session resumed elsewhere.")
        session.connection = connection
        connection.session = session

    def _detach(self, connection: Connection, close_code: int | None) -> None:
        self._connections.discard(connection)
        session = connection.session
        connection.session = None
        if session is not None and session.connection is connection:
            session.connection = None
            if not connection.closed_by_server and close_code in _CLEAN_CLOSE:
                self._sessions.pop(session.id, None)
        detached = [s for s in self._sessions.values() if s.connection is None]
        for stale in detached[:-MAX_DETACHED_SESSIONS]:
            self._sessions.pop(stale.id, None)
        self._on_change()

    def _send_dispatch(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        frame = json.dumps({"op": DISPATCH, "t": event, "s": session.seq, "d": data})
        session.history.append((session.seq, frame))
        if session.connection is not None:
            session.connection.send(frame)
