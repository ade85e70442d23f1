"""The sandbox's control API under ``/_sandbox/``: what tests in other processes (queue workers,
the demo) use to inject faults, add or revoke accounts and read statistics over HTTP."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, fields
from typing import Any, Protocol

from aiohttp import web

from sandbox.novelai.accounts import SandboxAccount, parse_account_spec
from sandbox.novelai.hostile import HOSTILE_MODES
from sandbox.novelai.image_inputs import InputLog
from sandbox.novelai.state import Faults, Refusal, SandboxStats
from sandbox.novelai.stream import FrameScript
from sandbox.novelai.tools import ToolSwitches

_FAULT_FIELDS = frozenset(f.name for f in fields(Faults))


class ControlledNovelAI(Protocol):
    """What the control API uses of the NovelAI stand-in (``server.NovelAISandbox`` is one), so this
    module needs no import of the server that mounts it."""

    step_latency: float
    token_lifetime: int

    @property
    def faults(self) -> Faults: ...

    @property
    def stream_frames(self) -> FrameScript: ...

    @property
    def stats(self) -> SandboxStats: ...

    @property
    def inputs_seen(self) -> InputLog: ...

    @property
    def switches(self) -> ToolSwitches: ...

    @property
    def accounts(self) -> Iterable[SandboxAccount]: ...

    def add_account(self, account: SandboxAccount) -> None: ...

    def revoke_tokens(self, email_or_token: str) -> None: ...

    def issue_token(self, email: str, lifetime: int | None = None) -> str: ...


class ControlAPI:
    """Handlers that act on one sandbox; no auth and no fault injection, by design."""

    def __init__(self, sandbox: ControlledNovelAI) -> None:
        self._sandbox = sandbox

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/_sandbox/faults", self.faults),
            web.post("/_sandbox/stream-frames", self.stream_frames),
            web.post("/_sandbox/config", self.config),
            web.post("/_sandbox/accounts", self.accounts),
            web.post("/_sandbox/allowance", self.allowance),
            web.post("/_sandbox/revoke", self.revoke),
            web.post("/_sandbox/issue-token", self.issue_token),
            web.get("/_sandbox/stats", self.stats),
            web.post("/_sandbox/reset-stats", self.reset_stats),
            web.get("/_sandbox/inputs", self.inputs),
            web.post("/_sandbox/upscale", self.upscale),
        ]

    async def faults(self, request: web.Request) -> web.Response:
        """Set any of the Faults fields; the ones not given keep their value."""
        body = await _body(request)
        unknown = set(body) - _FAULT_FIELDS
        if unknown:
            raise Refusal(400, f"unknown fault fields: {sorted(unknown)}")
        faults = self._sandbox.faults
        if unknown_modes := set(body.get("hostile", [])) - HOSTILE_MODES:
            raise Refusal(400, f"unknown hostile modes: {sorted(unknown_modes)}; known: {sorted(HOSTILE_MODES)}")
        for name, value in body.items():
            if name == "forced":
                setattr(faults, name, [int(status) for status in value])
            elif name == "hostile":
                setattr(faults, name, [str(mode) for mode in value])
            else:
                setattr(faults, name, float(value))
        return web.json_response(asdict(faults))

    async def stream_frames(self, request: web.Request) -> web.Response:
        """Queue in-stream frames, one per coming streamed generation: ``{"frames": [{"event_type":
        "error", "code": 429, "message": "…", "at_step": 2}, {"event_type": "retry", …}]}``;
        ``{"clear": true}`` drops the ones not used yet. Answers with what is queued."""
        body = await _body(request)
        script = self._sandbox.stream_frames
        if body.get("clear"):
            script.clear()
        frames = body.get("frames", [])
        if not isinstance(frames, list) or not all(isinstance(frame, dict) for frame in frames):
            raise Refusal(400, "frames must be a list of objects")
        try:
            for frame in frames:
                script.add(frame)
        except ValueError as exc:
            raise Refusal(400, str(exc)) from exc
        return web.json_response({"pending": script.pending})

    async def config(self, request: web.Request) -> web.Response:
        body = await _body(request)
        sandbox = self._sandbox
        sandbox.step_latency = float(body.get("step_latency", sandbox.step_latency))
        sandbox.token_lifetime = int(body.get("token_lifetime", sandbox.token_lifetime))
        return web.json_response(
            {"step_latency": sandbox.step_latency, "token_lifetime": sandbox.token_lifetime})

    async def accounts(self, request: web.Request) -> web.Response:
        """Add (or replace) an account from SandboxAccount fields or from ``{"spec": "EMAIL:PASSWORD:…"}``."""
        body = await _body(request)
        try:
            account = parse_account_spec(body["spec"]) if "spec" in body else SandboxAccount(**body)
            self._sandbox.add_account(account)
        except (TypeError, ValueError) as exc:
            raise Refusal(400, str(exc)) from exc
        return web.json_response({"key": account.key, **asdict(account)}, status=201)

    async def allowance(self, request: web.Request) -> web.Response:
        """Set an account's V5 allowance: ``{"account": EMAIL or pst-TOKEN, "percent"?: 0, "refill_per_minute"?: 0}``
        (e.g. empty it for a test); answers with the ``usage`` ``/user/subscription`` now reports."""
        body = await _body(request)
        who = str(body.get("account", ""))
        account = next((a for a in self._sandbox.accounts
                        if a.key == who or (a.email is not None and a.email.lower() == who.lower())), None)
        if account is None:
            raise Refusal(404, f"no sandbox account {who!r}")
        try:
            percent = float(body.get("percent", account.allowance_now()))
            refill = body.get("refill_per_minute")
            account.set_allowance(percent, None if refill is None else float(refill))
        except (TypeError, ValueError) as exc:
            raise Refusal(400, f"percent and refill_per_minute are numbers ({exc})") from exc
        return web.json_response({"key": account.key, "refill_per_minute": account.allowance_refill_per_minute,
                                  "usage": account.usage_json()})

    async def revoke(self, request: web.Request) -> web.Response:
        body = await _body(request)
        who = body.get("email") or body.get("token") or ""
        try:
            self._sandbox.revoke_tokens(who)
        except KeyError as exc:
            raise Refusal(404, str(exc)) from exc
        return web.json_response({"revoked": who})

    async def issue_token(self, request: web.Request) -> web.Response:
        """``{"email", "lifetime"?}`` → a login JWT, e.g. an already expired one for 401 tests."""
        body = await _body(request)
        try:
            token = self._sandbox.issue_token(str(body.get("email", "")), body.get("lifetime"))
        except KeyError as exc:
            raise Refusal(404, str(exc)) from exc
        return web.json_response({"accessToken": token})

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response(self._sandbox.stats.to_json(self._sandbox.accounts))

    async def reset_stats(self, request: web.Request) -> web.Response:
        self._sandbox.stats.clear()
        self._sandbox.inputs_seen.clear()
        return web.json_response({"reset": True})


    async def inputs(self, request: web.Request) -> web.Response:
        """What the last requests with images carried, newest last: ``{"requests": [{path, account, model,
        action, status, inputs: [{field, kind, sha256, bytes, width?, height?, …}]}]}``; ``?last=N`` keeps
        the last N. A vibe encoding shows the sha256 of the image it was made from."""
        try:
            last = int(request.query["last"]) if "last" in request.query else None
        except ValueError as exc:
            raise Refusal(400, "last must be a whole number") from exc
        return web.json_response({"requests": self._sandbox.inputs_seen.last(last)})

    async def upscale(self, request: web.Request) -> web.Response:
        """``{"image_host": false, "status"?: 404}`` makes the image-host upscale shape ``{image, model}``
        answer that status (as NovelAI before it existed), so a client's fall back to the legacy shape is
        tested; ``{"image_host": true}`` serves it again."""
        body = await _body(request)
        status = body.get("status", 404)
        if not isinstance(body.get("image_host"), bool) or not isinstance(status, int) or not 400 <= status < 600:
            raise Refusal(400, "image_host must be true or false, status an HTTP error status")
        self._sandbox.switches.upscale_image_host_refusal = None if body["image_host"] else status
        return web.json_response({"image_host": body["image_host"],
                                  "refusal": self._sandbox.switches.upscale_image_host_refusal})


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise Refusal(400, "The request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise Refusal(400, "the control API takes a JSON object")
    return body

