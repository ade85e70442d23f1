"""Discord's REST API v10, the part discord.py uses for a slash-command bot: login, command sync,
interaction callbacks and webhooks, channel messages, a few guild lookups. Each route names how it is
authenticated (bot token, or the interaction token in its path) and which rate-limit bucket it charges.
Answers carry the bare ``Content-Type: application/json`` (discord.py parses JSON only then) and
``Via`` (discord.py trusts a 429 only with it).

One piece although past 400 lines: it is the route table of one API, each route a few lines next
to its authentication and bucket; splitting it would separate a route from the rules it charges."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web

from sandbox.discord.commands import overwrite
from sandbox.discord.gateway import DIRECT_MESSAGES, GUILD_MESSAGES, Gateway
from sandbox.discord.interactions import Interactions
from sandbox.discord.messages import Composer, Upload
from sandbox.discord.ratelimit import Bucket, RateLimiter
from sandbox.discord.state import (
    API_PREFIX,
    ApiError,
    Call,
    RateLimits,
    StoredMessage,
    cannot_message_user,
    invalid_form,
    missing_access,
    missing_permissions,
    not_author,
    not_found,
    unauthorized,
    unknown_message,
)
from sandbox.discord.world import (
    ATTACH_FILES,
    MANAGE_MESSAGES,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    World,
)

REPLY = 19
_FILE_FIELD = re.compile(r"^files\[(\d+)\]$")
_DISCORD_HEADERS = {"Via": "1.1 google"}


@dataclass
class ApiRequest:
    """A decoded call: path parameters, query, the JSON body (or multipart ``payload_json``) and files."""

    params: dict[str, str]
    query: Mapping[str, str]
    body: Any
    uploads: list[Upload]

    def int_param(self, name: str) -> int:
        value = self.params[name]
        if not value.isdigit():
            raise not_found()
        return int(value)

    def object_body(self) -> dict[str, Any]:
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise ApiError(400, "Invalid Form Body", 50035, errors={"_errors": [
                {"code": "MODEL_TYPE_CONVERT", "message": "Only dictionaries may be used in a ModelType"}]})
        return self.body


Handler = Callable[[ApiRequest], Any]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: Handler
    auth: str  # "bot": Authorization: Bot <token>; "path": the interaction token in the path; "none"
    bucket: str | None = None  # "channel" or "webhook"

    @property
    def pattern(self) -> re.Pattern[str]:
        parts = re.split(r"(\{\w+\})", self.template)
        return re.compile("^" + "".join(f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part)
                                        for part in parts) + "$")

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"



async def _answer_slowly(request: web.Request, latency: float) -> bool:
    """Hold a call ``latency`` seconds; False if its caller hung up meanwhile (a killed bot)."""
    deadline = time.monotonic() + latency
    while time.monotonic() < deadline:
        transport = request.transport
        if transport is None or transport.is_closing():
            return False
        await asyncio.sleep(0.05)
    return True

class RestAPI:
    def __init__(self, world: World, composer: Composer, interactions: Interactions, gateway: Gateway, *,
                 limits: Callable[[], RateLimits], token: Callable[[], str], gateway_url: Callable[[], str],
                 record: Callable[[Call], None]) -> None:
        self._world = world
        self._composer = composer
        self._interactions = interactions
        self._gateway = gateway
        self._limits = limits
        self._token = token
        self._gateway_url = gateway_url
        self._record = record
        self.limiter = RateLimiter()
        self._routes = [(route, route.pattern) for route in self._table()]

    def _table(self) -> list[Route]:
        return [
            Route("GET", "/gateway", self.gateway, "none"),
            Route("GET", "/gateway/bot", self.gateway_bot, "bot"),
            Route("GET", "/users/@me", self.me, "bot"),
            Route("POST", "/users/@me/channels", self.open_dm, "bot"),
            Route("GET", "/oauth2/applications/@me", self.application, "bot"),
            Route("GET", "/applications/@me", self.application, "bot"),
            Route("GET", "/applications/{application_id}/commands", self.commands, "bot"),
            Route("PUT", "/applications/{application_id}/commands", self.put_commands, "bot"),
            Route("GET", "/applications/{application_id}/guilds/{guild_id}/commands", self.commands, "bot"),
            Route("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", self.put_commands, "bot"),
            Route("POST", "/interactions/{interaction_id}/{interaction_token}/callback", self.callback, "path"),
            Route("POST", "/webhooks/{webhook_id}/{webhook_token}", self.followup, "path", "webhook"),
            Route("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", self.webhook_message, "path"),
            Route("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", self.edit_webhook_message,
                  "path", "webhook"),
            Route("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
                  self.delete_webhook_message, "path", "webhook"),
            Route("GET", "/channels/{channel_id}", self.channel, "bot"),
            Route("GET", "/channels/{channel_id}/messages", self.history, "bot"),
            Route("POST", "/channels/{channel_id}/messages", self.create_message, "bot", "channel"),
            Route("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message, "bot"),
            Route("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message, "bot", "channel"),
            Route("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message, "bot"),
            Route("GET", "/guilds/{guild_id}", self.guild, "bot"),
            Route("GET", "/guilds/{guild_id}/channels", self.guild_channels, "bot"),
            Route("GET", "/guilds/{guild_id}/members/{user_id}", self.guild_member, "bot"),
        ]

    # -- HTTP plumbing ---------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        """One REST call: route, decode, authenticate, rate-limit, answer, record."""
        started = time.time()
        route: Route | None = None
        decoded = ApiRequest({}, request.query, None, [])
        headers: dict[str, str] = {}
        code = None
        try:
            route, decoded.params = self._match(request.method, request.path.removeprefix(API_PREFIX))
            decoded.body, decoded.uploads = await _read_body(request)
            if route.handler == self.callback and not await _answer_slowly(request, self._limits().callback_latency):
                return web.Response(status=499)  # the caller hung up first: nothing was answered
            if route.auth == "bot" and request.headers.get("Authorization") != f"Bot {self._token()}":
                raise unauthorized()
            verdict = self.limiter.admit(self._limits(), _bucket(route, decoded.params),
                                         counts_globally=route.auth == "bot")
            headers = verdict.headers
            if not verdict.allowed:
                response = _json(429, verdict.body(), headers)
            else:
                result = route.handler(decoded)
                response = web.Response(status=204, headers=_with_discord(headers)) if result is None \
                    else _json(200, result, headers)
        except ApiError as exc:
            response, code = _json(exc.status, exc.payload(), headers), exc.code
        self._record(Call(request.method, request.path, route.name if route is not None else f"{request.method} ?",
                          dict(request.query), decoded.body, [u.summary() for u in decoded.uploads],
                          response.status, started, code))
        return response

    def _match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        """The route and its path parameters; Discord's 405 when only the method is wrong, else 404."""
        path_matched = False
        for route, pattern in self._routes:
            found = pattern.match(path)
            if found is not None:
                if route.method == method:
                    return route, found.groupdict()
                path_matched = True
        raise ApiError(405, "405: Method Not Allowed", 0) if path_matched else not_found()

    # -- login and gateway -----------------------------------------------------------------

    def gateway(self, request: ApiRequest) -> Any:
        return {"url": self._gateway_url()}

    def gateway_bot(self, request: ApiRequest) -> Any:
        """Where to connect, the recommended shard count and how many IDENTIFYs may start at once."""
        return {"url": self._gateway_url(), "shards": self._gateway.shards(), "session_start_limit": {
            "total": 1000, "remaining": 1000, "reset_after": 86_400_000,
            "max_concurrency": self._gateway.max_concurrency}}

    def me(self, request: ApiRequest) -> Any:
        return self._world.bot_user_json()

    def application(self, request: ApiRequest) -> Any:
        world = self._world
        return {
            "id": str(world.application_id), "name": world.bot.global_name, "icon": None,
            "description": "An offline stand-in application", "summary": "", "type": None, "bot_public": False,
            "bot_require_code_grant": False, "verify_key": "0" * 64, "owner": world.owner.to_api(), "team": None,
            "flags": world.application_flags, "bot": world.bot_user_json(), "rpc_origins": [], "tags": [],
            "redirect_uris": [], "interactions_endpoint_url": None, "approximate_guild_count": len(world.guilds),
            "integration_types_config": {"0": {}},
        }

    # -- commands --------------------------------------------------------------------------

    def _command_scope(self, request: ApiRequest) -> int | None:
        if request.int_param("application_id") != self._world.application_id:
            raise missing_access()
        if "guild_id" not in request.params:
            return None
        guild_id = request.int_param("guild_id")
        if guild_id not in self._world.guilds:
            raise missing_access()
        return guild_id

    def commands(self, request: ApiRequest) -> Any:
        return self._world.commands.get(self._command_scope(request), [])

    def put_commands(self, request: ApiRequest) -> Any:
        return overwrite(self._world, self._command_scope(request), request.body)

    # -- interactions ----------------------------------------------------------------------

    def callback(self, request: ApiRequest) -> Any:
        record, message = self._interactions.callback(request.params["interaction_id"],
                                                      request.params["interaction_token"], request.object_body(),
                                                      request.uploads)
        if request.query.get("with_response") in ("1", "true", "True"):
            return self._interactions.callback_answer(record, message)
        return None

    def followup(self, request: ApiRequest) -> Any:
        record = self._webhook(request)
        message = self._interactions.followup(record, request.object_body(), request.uploads)
        return self._world.message_json(message) if request.query.get("wait") in ("1", "true", "True") else None

    def webhook_message(self, request: ApiRequest) -> Any:
        record = self._webhook(request)
        return self._world.message_json(self._interactions.webhook_message(record, request.params["message_id"]))

    def edit_webhook_message(self, request: ApiRequest) -> Any:
        record = self._webhook(request)
        message = self._interactions.webhook_message(record, request.params["message_id"])
        self._composer.edit(message, request.object_body(), request.uploads)
        self.message_event("update", message)
        return self._world.message_json(message)

    def delete_webhook_message(self, request: ApiRequest) -> Any:
        record = self._webhook(request)
        message = self._interactions.webhook_message(record, request.params["message_id"])
        message.deleted = True
        self.message_event("delete", message)
        return None

    def _webhook(self, request: ApiRequest) -> Any:
        return self._interactions.webhook(request.int_param("webhook_id"), request.params["webhook_token"])

    # -- channels and messages ---------------------------------------------------------------

    def open_dm(self, request: ApiRequest) -> Any:
        """Create DM: ``{"recipient_id"}`` -> the DM channel (the same one on every call). Discord accepts
        this even for users who do not take DMs; sending is what fails (403 50007)."""
        recipient = request.object_body().get("recipient_id")
        if recipient is None or not str(recipient).isdigit():
            raise invalid_form("recipient_id", "BASE_TYPE_REQUIRED", "This field is required")
        return self._world.dm_channel_json(self._world.open_dm(int(recipient)))

    def channel(self, request: ApiRequest) -> Any:
        dm = self._world.dm_channels.get(request.int_param("channel_id"))
        if dm is not None:
            return self._world.dm_channel_json(dm)
        return self._world.channel_json(self._world.bot_channel(request.int_param("channel_id")))

    def _create_dm_message(self, channel_id: int, request: ApiRequest) -> Any:
        dm = self._world.dm_channels[channel_id]
        if dm.user_id in self._world.closed_dms:
            raise cannot_message_user()
        message = self._composer.create(channel_id=dm.id, guild_id=None, author_id=self._world.bot.id,
                                        payload=request.object_body(), uploads=request.uploads)
        self.message_event("create", message)
        return self._world.message_json(message)

    def history(self, request: ApiRequest) -> Any:
        channel = self._world.bot_channel(request.int_param("channel_id"), READ_MESSAGE_HISTORY)
        limit = min(max(_query_int(request, "limit", 50), 1), 100)
        before = _query_int(request, "before", 0) or None
        after = _query_int(request, "after", 0)
        listed = [m for m in self._world.messages.get(channel.id, {}).values()
                  if not m.deleted and m.ephemeral_for is None and m.id > after and (before is None or m.id < before)]
        listed.sort(key=lambda m: m.id, reverse=True)
        return [self._world.message_json(m) for m in listed[:limit]]

    def create_message(self, request: ApiRequest) -> Any:
        if request.int_param("channel_id") in self._world.dm_channels:
            return self._create_dm_message(request.int_param("channel_id"), request)
        needed = SEND_MESSAGES | (ATTACH_FILES if request.uploads else 0)
        channel = self._world.bot_channel(request.int_param("channel_id"), needed)
        payload = request.object_body()
        reference_id = self._reference(channel.id, payload.get("message_reference"))
        message = self._composer.create(channel_id=channel.id, guild_id=channel.guild_id,
                                        author_id=self._world.bot.id, payload=payload, uploads=request.uploads,
                                        message_type=REPLY if reference_id is not None else 0)
        message.reference_id = reference_id
        self.message_event("create", message)
        return self._world.message_json(message)

    def get_message(self, request: ApiRequest) -> Any:
        channel = self._world.bot_channel(request.int_param("channel_id"), READ_MESSAGE_HISTORY)
        return self._world.message_json(self._channel_message(channel.id, request))

    def edit_message(self, request: ApiRequest) -> Any:
        channel = self._world.bot_channel(request.int_param("channel_id"))
        message = self._channel_message(channel.id, request)
        if message.author_id != self._world.bot.id:
            raise not_author()
        self._composer.edit(message, request.object_body(), request.uploads)
        self.message_event("update", message)
        return self._world.message_json(message)

    def delete_message(self, request: ApiRequest) -> Any:
        channel = self._world.bot_channel(request.int_param("channel_id"))
        message = self._channel_message(channel.id, request)
        if message.author_id != self._world.bot.id and not self._world.bot_has(channel.guild_id, MANAGE_MESSAGES):
            raise missing_permissions()
        message.deleted = True
        self.message_event("delete", message)
        return None

    def _channel_message(self, channel_id: int, request: ApiRequest) -> StoredMessage:
        """A message the channel routes can reach: ephemeral messages exist only for their interaction."""
        message = self._world.message(channel_id, request.int_param("message_id"))
        if message.ephemeral_for is not None:
            raise unknown_message()
        return message

    def _reference(self, channel_id: int, reference: Any) -> int | None:
        if not isinstance(reference, dict) or reference.get("message_id") is None:
            return None
        try:
            return self._channel_message(channel_id, ApiRequest({"message_id": str(reference["message_id"])},
                                                                {}, None, [])).id
        except ApiError:
            if reference.get("fail_if_not_exists", True):
                raise ApiError(400, "Invalid Form Body", 50035, errors={"message_reference": {"_errors": [
                    {"code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "message": "Unknown message"}]}}) from None
            return None

    def message_event(self, kind: str, message: StoredMessage) -> None:
        """Tell bots with the GUILD_MESSAGES intent, as the gateway does (never for ephemeral messages); a
        DM's to shard 0 with the DIRECT_MESSAGES intent (content included: Discord redacts no DM with the bot)."""
        if message.ephemeral_for is not None:
            return
        if message.guild_id is None:
            if kind == "delete":
                self._gateway.dispatch("MESSAGE_DELETE", {"id": str(message.id), "channel_id": str(message.channel_id)},
                                       intent=DIRECT_MESSAGES)
            else:
                event = "MESSAGE_CREATE" if kind == "create" else "MESSAGE_UPDATE"
                self._gateway.dispatch(event, self._world.message_json(message), intent=DIRECT_MESSAGES)
            return
        if kind == "delete":
            data = {"id": str(message.id), "channel_id": str(message.channel_id), "guild_id": str(message.guild_id)}
            self._gateway.dispatch("MESSAGE_DELETE", data, guild_id=message.guild_id, intent=GUILD_MESSAGES)
            return
        data = self._world.message_json(message)
        hidden = None if message.author_id == self._world.bot.id else {
            **data, "content": "", "embeds": [], "attachments": [], "components": []}
        event = "MESSAGE_CREATE" if kind == "create" else "MESSAGE_UPDATE"
        self._gateway.dispatch(event, data, guild_id=message.guild_id, intent=GUILD_MESSAGES, redacted=hidden)

    # -- guilds ----------------------------------------------------------------------------

    def _bot_guild(self, request: ApiRequest) -> Any:
        guild = self._world.guilds.get(request.int_param("guild_id"))
        if guild is None:
            raise missing_access()
        return guild

    def guild(self, request: ApiRequest) -> Any:
        data = self._world.guild_json(self._bot_guild(request))
        return {key: value for key, value in data.items() if key not in ("channels", "members", "threads")}

    def guild_channels(self, request: ApiRequest) -> Any:
        return [self._world.channel_json(channel) for channel in self._bot_guild(request).channels.values()]

    def guild_member(self, request: ApiRequest) -> Any:
        guild = self._bot_guild(request)
        return self._world.member_json(guild, self._world.member(guild.id, request.int_param("user_id")).user_id)


def _query_int(request: ApiRequest, name: str, default: int) -> int:
    value = request.query.get(name)
    if value is None:
        return default
    if not value.isdigit():
        raise invalid_form(name, "NUMBER_TYPE_COERCE", f"Value \"{value}\" is not int.")
    return int(value)


def _bucket(route: Route, params: dict[str, str]) -> Bucket | None:
    if route.bucket == "channel":
        return Bucket("channel", params["channel_id"])
    if route.bucket == "webhook":
        return Bucket("webhook", params["webhook_token"])
    return None


async def _read_body(request: web.Request) -> tuple[Any, list[Upload]]:
    """JSON, or multipart with ``payload_json`` and ``files[n]`` parts (bytes kept exactly)."""
    if not request.can_read_body:
        return None, []
    if request.content_type == "multipart/form-data":
        body: Any = None
        uploads: list[Upload] = []
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):  # a nested multipart: Discord's clients send none
                continue
            name = part.name or ""
            data = await part.read()
            file_field = _FILE_FIELD.match(name)
            if name == "payload_json":
                body = _parse_json(data.decode())
            elif file_field is not None:
                uploads.append(Upload(int(file_field.group(1)), getattr(part, "filename", None) or "", bytes(data)))
        return body, sorted(uploads, key=lambda upload: upload.index)
    text = await request.text()
    return (_parse_json(text) if text.strip() else None), []


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ApiError(400, "The request body contains invalid JSON.", 50109) from exc


def _with_discord(headers: dict[str, str]) -> dict[str, str]:
    return {**_DISCORD_HEADERS, **headers}


def _json(status: int, body: Any, headers: dict[str, str]) -> web.Response:
    # The bare media type: discord.py's json_or_text() compares the header for equality.
    return web.Response(status=status, body=json.dumps(body).encode(),
                        headers={**_with_discord(headers), "Content-Type": "application/json"})
