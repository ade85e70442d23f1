"""The Discord sandbox's control API under ``/_sandbox/``: what tests in other processes (the demo, bot
processes under test) use to shape guilds, act as users, tune rate limits and read what the bot did.
Bodies are JSON; users are ``{"id", "username", "global_name"?, "locale"?}``; snowflakes may be numbers
or strings. Mistakes answer 400 ``{"error": ...}``."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import asdict, fields
from typing import Any, Protocol, TypeVar

from aiohttp import web

from sandbox.control import json_body, json_response, refusal
from sandbox.discord.state import (
    ApiError,
    Call,
    DiscordStats,
    DiscordUser,
    RateLimits,
    StoredInteraction,
    StoredMessage,
)

T = TypeVar("T")
_LIMIT_FIELDS = frozenset(field.name for field in fields(RateLimits))


class ControlledDiscord(Protocol):
    """What the control API uses of the Discord stand-in (``server.DiscordSandbox`` is one), so this
    module needs no import of the server that mounts it."""

    limits: RateLimits
    application_id: int
    bot_user_id: int
    recommended_shards: int | None
    max_concurrency: int
    max_guilds_per_shard: int

    @property
    def stats(self) -> DiscordStats: ...

    def add_guild(self, guild_id: int, name: str, *, owner: DiscordUser, channels: dict[int, bool],
                  locale: str = "en-US") -> None: ...

    def add_member(self, guild_id: int, user: DiscordUser, *, admin: bool = False) -> None: ...

    def set_bot_permissions(self, guild_id: int, permissions: int) -> None: ...

    def add_role(self, guild_id: int, name: str, *, permissions: int = 0) -> int: ...

    def give_role(self, guild_id: int, user: DiscordUser, role_id: int) -> None: ...

    def close_dms(self, user: DiscordUser, closed: bool = True) -> None: ...

    def reset(self) -> None: ...

    def slash_command(self, guild_id: int, channel_id: int, user: DiscordUser, name: str,
                      options: dict[str, Any]) -> str: ...

    def autocomplete(self, guild_id: int, channel_id: int, user: DiscordUser, name: str, options: dict[str, Any],
                     focused: str) -> str: ...

    def click_button(self, guild_id: int, channel_id: int, user: DiscordUser, message_id: int,
                     custom_id: str) -> str: ...

    def choose_options(self, guild_id: int, channel_id: int, user: DiscordUser, message_id: int, custom_id: str,
                       values: list[str]) -> str: ...

    def submit_modal(self, guild_id: int, channel_id: int, user: DiscordUser, custom_id: str,
                     values: dict[str, str]) -> str: ...

    def message_command(self, guild_id: int, channel_id: int, user: DiscordUser, name: str,
                        message_id: int) -> str: ...

    def post_message(self, channel_id: int, user: DiscordUser, content: str,
                     files: list[tuple[str, bytes]] | None = None) -> int: ...

    def expire_token(self, interaction_id: str) -> None: ...

    def reconnect_gateway(self, *, resume: bool = True) -> None: ...

    def commands(self, guild_id: int | None = None) -> list[dict[str, Any]]: ...

    def interaction(self, interaction_id: str) -> StoredInteraction: ...

    def interaction_response(self, interaction_id: str) -> StoredMessage | None: ...

    def messages(self, channel_id: int) -> list[StoredMessage]: ...

    def dms(self, user_id: int) -> list[StoredMessage]: ...

    def calls(self, method: str | None = None, path_contains: str | None = None) -> list[Call]: ...

    def connected(self) -> bool: ...

    def identified_shards(self) -> list[tuple[int, int]]: ...

    def live_shards(self) -> list[tuple[int, int]]: ...


class ControlAPI:
    """Handlers over one sandbox's Python API; each route is one call of :class:`ControlledDiscord`."""

    def __init__(self, sandbox: ControlledDiscord) -> None:
        self._sandbox = sandbox

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/_sandbox/bot", self.bot),
            web.post("/_sandbox/guilds", self.add_guild),
            web.post("/_sandbox/guilds/{guild_id}/members", self.add_member),
            web.post("/_sandbox/guilds/{guild_id}/bot-permissions", self.bot_permissions),
            web.post("/_sandbox/guilds/{guild_id}/roles", self.add_role),
            web.post("/_sandbox/guilds/{guild_id}/members/{user_id}/roles", self.give_role),
            web.get("/_sandbox/users/{user_id}/dms", self.dms),
            web.post("/_sandbox/users/{user_id}/dms/closed", self.close_dms),
            web.get("/_sandbox/commands", self.commands),
            web.post("/_sandbox/interactions/slash", self.slash),
            web.post("/_sandbox/interactions/autocomplete", self.autocomplete),
            web.post("/_sandbox/interactions/button", self.button),
            web.post("/_sandbox/interactions/select", self.select),
            web.post("/_sandbox/interactions/modal", self.modal),
            web.get("/_sandbox/interactions/{interaction_id}", self.interaction),
            web.post("/_sandbox/interactions/{interaction_id}/expire", self.expire),
            web.get("/_sandbox/channels/{channel_id}/messages", self.messages),
            web.post("/_sandbox/channels/{channel_id}/messages", self.post_message),
            web.get("/_sandbox/calls", self.calls),
            web.get("/_sandbox/stats", self.stats),
            web.get("/_sandbox/limits", self.get_limits),
            web.post("/_sandbox/limits", self.set_limits),
            web.get("/_sandbox/gateway", self.gateway),
            web.post("/_sandbox/gateway/reconnect", self.reconnect),
            web.get("/_sandbox/gateway/sharding", self.sharding),
            web.post("/_sandbox/gateway/sharding", self.set_sharding),
            web.post("/_sandbox/reset", self.reset),
        ]

    # -- the world -------------------------------------------------------------------------

    async def bot(self, request: web.Request) -> web.Response:
        """``{user_id, application_id}``: who the bot is, so a client can tell its messages from users'."""
        return json_response({"user_id": str(self._sandbox.bot_user_id),
                              "application_id": str(self._sandbox.application_id)})

    async def add_guild(self, request: web.Request) -> web.Response:
        """``{guild_id, name, owner, channels: {channel_id: nsfw}, locale?}``"""
        body = await json_body(request)
        _act(lambda: self._sandbox.add_guild(
            int(body["guild_id"]), str(body["name"]), owner=_user(body["owner"]),
            channels={int(channel): bool(nsfw) for channel, nsfw in dict(body["channels"]).items()},
            locale=str(body.get("locale", "en-US"))))
        return json_response({"guild_id": str(body["guild_id"])}, status=201)

    async def add_member(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        _act(lambda: self._sandbox.add_member(_int(request, "guild_id"), _user(body["user"]),
                                              admin=bool(body.get("admin", False))))
        return json_response({"user_id": str(body["user"]["id"])}, status=201)

    async def bot_permissions(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        _act(lambda: self._sandbox.set_bot_permissions(_int(request, "guild_id"), int(body["permissions"])))
        return json_response({"permissions": str(body["permissions"])})

    async def add_role(self, request: web.Request) -> web.Response:
        """``{name, permissions?}`` -> ``{role_id}``"""
        body = await json_body(request)
        role_id = _act(lambda: self._sandbox.add_role(_int(request, "guild_id"), str(body["name"]),
                                                      permissions=int(body.get("permissions", 0))))
        return json_response({"role_id": str(role_id)}, status=201)

    async def give_role(self, request: web.Request) -> web.Response:
        """``{role_id}``: the member gets the role."""
        body = await json_body(request)
        user_id = _int(request, "user_id")
        _act(lambda: self._sandbox.give_role(_int(request, "guild_id"), DiscordUser(user_id, f"user{user_id}"),
                                             int(body["role_id"])))
        return json_response({"role_id": str(body["role_id"])})

    async def dms(self, request: web.Request) -> web.Response:
        return json_response([message.to_json() for message in self._sandbox.dms(_int(request, "user_id"))])

    async def close_dms(self, request: web.Request) -> web.Response:
        """``{closed: bool}`` (default true): whether the user refuses DMs from the bot."""
        body = await json_body(request, optional=True)
        user_id = _int(request, "user_id")
        closed = bool(body.get("closed", True))
        self._sandbox.close_dms(DiscordUser(user_id, f"user{user_id}"), closed)
        return json_response({"closed": closed})

    async def commands(self, request: web.Request) -> web.Response:
        guild_id = request.query.get("guild_id")
        return json_response(self._sandbox.commands(int(guild_id) if guild_id else None))

    # -- acting as users -------------------------------------------------------------------

    async def slash(self, request: web.Request) -> web.Response:
        """``{guild_id, channel_id, user, name, options: {name: value}}``; an attachment option's value is
        ``{"filename", "base64"}``."""
        body = await json_body(request)
        interaction_id = _act(lambda: self._sandbox.slash_command(
            int(body["guild_id"]), int(body["channel_id"]), _user(body["user"]), str(body["name"]),
            _options(body.get("options") or {})))
        return json_response({"interaction_id": interaction_id}, status=201)

    async def autocomplete(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        interaction_id = _act(lambda: self._sandbox.autocomplete(
            int(body["guild_id"]), int(body["channel_id"]), _user(body["user"]), str(body["name"]),
            _options(body.get("options") or {}), str(body["focused"])))
        return json_response({"interaction_id": interaction_id}, status=201)

    async def button(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        interaction_id = _act(lambda: self._sandbox.click_button(
            int(body["guild_id"]), int(body["channel_id"]), _user(body["user"]), int(body["message_id"]),
            str(body["custom_id"])))
        return json_response({"interaction_id": interaction_id}, status=201)

    async def select(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        interaction_id = _act(lambda: self._sandbox.choose_options(
            int(body["guild_id"]), int(body["channel_id"]), _user(body["user"]), int(body["message_id"]),
            str(body["custom_id"]), [str(value) for value in body.get("values") or []]))
        return json_response({"interaction_id": interaction_id}, status=201)

    async def modal(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        interaction_id = _act(lambda: self._sandbox.submit_modal(
            int(body["guild_id"]), int(body["channel_id"]), _user(body["user"]), str(body["custom_id"]),
            {str(key): str(value) for key, value in dict(body.get("values") or {}).items()}))
        return json_response({"interaction_id": interaction_id}, status=201)

    async def post_message(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        message_id = _act(lambda: self._sandbox.post_message(_int(request, "channel_id"), _user(body["user"]),
                                                             str(body["content"])))
        return json_response({"message_id": str(message_id)}, status=201)

    # -- observing -------------------------------------------------------------------------

    async def interaction(self, request: web.Request) -> web.Response:
        """The interaction's bookkeeping plus its original response message (null until answered)."""
        interaction_id = request.match_info["interaction_id"]
        record = _act(lambda: self._sandbox.interaction(interaction_id))
        response = self._sandbox.interaction_response(interaction_id)
        return json_response({**record.to_json(), "response": None if response is None else response.to_json()})

    async def expire(self, request: web.Request) -> web.Response:
        interaction_id = request.match_info["interaction_id"]
        _act(lambda: self._sandbox.expire_token(interaction_id))
        return json_response({"expired": True})

    async def messages(self, request: web.Request) -> web.Response:
        return json_response([message.to_json() for message in self._sandbox.messages(_int(request, "channel_id"))])

    async def calls(self, request: web.Request) -> web.Response:
        calls = self._sandbox.calls(request.query.get("method") or None, request.query.get("path_contains") or None)
        return json_response([call.to_json() for call in calls])

    async def stats(self, request: web.Request) -> web.Response:
        return json_response(self._sandbox.stats.to_json())

    async def get_limits(self, request: web.Request) -> web.Response:
        return json_response(asdict(self._sandbox.limits))

    async def set_limits(self, request: web.Request) -> web.Response:
        """Set any RateLimits fields (the others keep their value); answers the limits now in force."""
        body = await json_body(request)
        unknown = set(body) - _LIMIT_FIELDS
        if unknown:
            raise refusal(ValueError(f"unknown limit fields: {sorted(unknown)}"))
        current = asdict(self._sandbox.limits)
        self._sandbox.limits = _act(lambda: RateLimits(**{
            name: type(current[name])(body.get(name, current[name])) for name in current}))
        return json_response(asdict(self._sandbox.limits))

    async def gateway(self, request: web.Request) -> web.Response:
        stats = self._sandbox.stats
        return json_response({"connected": self._sandbox.connected(), "identifies": stats.identifies,
                      "resumes": stats.resumes})

    async def reconnect(self, request: web.Request) -> web.Response:
        body = await json_body(request, optional=True)
        resume = bool(body.get("resume", True))
        self._sandbox.reconnect_gateway(resume=resume)
        return json_response({"resume": resume})

    async def sharding(self, request: web.Request) -> web.Response:
        """What GET /gateway/bot recommends, the per-session guild limit, and the shards identified so far
        (``identified``, in order) and connected now (``live``), each ``[shard_id, num_shards]``."""
        sandbox = self._sandbox
        return json_response({
            "recommended_shards": sandbox.recommended_shards, "max_concurrency": sandbox.max_concurrency,
            "max_guilds_per_shard": sandbox.max_guilds_per_shard,
            "identified": [list(shard) for shard in sandbox.identified_shards()],
            "live": [list(shard) for shard in sandbox.live_shards()]})

    async def set_sharding(self, request: web.Request) -> web.Response:
        """Set ``recommended_shards`` (null: one per 1,000 guilds), ``max_concurrency`` and
        ``max_guilds_per_shard``; the fields left out keep their value."""
        body = await json_body(request)
        unknown = set(body) - {"recommended_shards", "max_concurrency", "max_guilds_per_shard"}
        if unknown:
            raise refusal(ValueError(f"unknown sharding fields: {sorted(unknown)}"))
        values = {name: body[name] for name in body}
        for name, value in values.items():
            if not (value is None and name == "recommended_shards") and (type(value) is not int or value < 1):
                raise refusal(ValueError(f"{name} must be a whole number of at least 1"))
        for name, value in values.items():
            setattr(self._sandbox, name, value)
        return await self.sharding(request)

    async def reset(self, request: web.Request) -> web.Response:
        self._sandbox.reset()
        return json_response({"reset": True})


def _act(action: Callable[[], T]) -> T:
    try:
        return action()
    except (KeyError, TypeError, ValueError, ApiError) as exc:
        raise refusal(exc) from exc


def _user(value: Any) -> DiscordUser:
    if not isinstance(value, dict):
        raise TypeError("a user is an object {id, username, global_name?, locale?}")
    return DiscordUser(int(value["id"]), str(value["username"]), value.get("global_name"),
                       str(value.get("locale", "en-US")))


def _options(options: dict[str, Any]) -> dict[str, Any]:
    """JSON option values as the Python API takes them (attachments as ``(filename, bytes)``)."""
    typed: dict[str, Any] = {}
    for name, value in options.items():
        if isinstance(value, dict) and "base64" in value:
            try:
                typed[name] = (str(value.get("filename", "upload.bin")), base64.b64decode(value["base64"],
                                                                                           validate=True))
            except (binascii.Error, TypeError) as exc:
                raise refusal(ValueError(f"option {name}: base64 is invalid")) from exc
        else:
            typed[name] = value
    return typed


def _int(request: web.Request, name: str) -> int:
    try:
        return int(request.match_info[name])
    except ValueError as exc:
        raise refusal(exc) from exc
