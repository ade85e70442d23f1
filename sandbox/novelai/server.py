"""An offline stand-in for NovelAI's image servers, for tests, benchmarks and the demo.

It speaks the protocol docs/novelai-api.md describes (login, subscription, the ZIP and msgpack
generation endpoints, the 400/401/402/429 errors) on one port that serves both the api and the
image host's paths. What the real service does that matters to a bot is reproduced on purpose:
one generation at a time per account, Anlas spending, token expiry, and failures (500, 503,
dropped connections, slowness) injectable at runtime, also over HTTP from other processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import random
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import replace
from typing import Any

from aiohttp import web

import sandbox.novelai.hostile as hostile
from novelai.accesskey import normalize_email
from sandbox.novelai.accounts import (
    DEFAULT_ACCOUNTS,
    DEFAULT_TOKEN_LIFETIME,
    OPUS_EMAIL,
    OPUS_PASSWORD,
    OPUS_TOKEN,
    PAPER_EMAIL,
    PAPER_PASSWORD,
    PERSISTENT_TOKEN_PREFIX,
    TABLET_EMAIL,
    TABLET_PASSWORD,
    SandboxAccount,
    TokenIssuer,
    expected_access_key,
    information_json,
    parse_account_spec,
    subscription_json,
    user_data_json,
)
from sandbox.novelai.control import ControlAPI
from sandbox.novelai.events import generation_events
from sandbox.novelai.form_parts import JSON_PART, form_parts, resolve_parts
from sandbox.novelai.generation_inputs import GenerationInputs, check_generation_inputs, denoised_steps
from sandbox.novelai.image_inputs import MAX_BASE64_CHARS, InputLog, InputRecord
from sandbox.novelai.images import render_png, zip_images
from sandbox.novelai.pricing import Price, price
from sandbox.novelai.state import Faults, Refusal, SandboxStats, abbreviate
from sandbox.novelai.stream import EventWriter, FrameScript, ends_in_error, with_frame
from sandbox.novelai.tags import suggest_tags
from sandbox.novelai.tools import ToolCall, ToolSwitches, augment_call, encode_vibe_call, upscale_call
from sandbox.novelai.validation import MAX_SEED, Generation, InvalidGeneration, validate_generation

__all__ = [
    "DEFAULT_ACCOUNTS", "OPUS_EMAIL", "OPUS_PASSWORD", "OPUS_TOKEN", "PAPER_EMAIL", "PAPER_PASSWORD",
    "TABLET_EMAIL", "TABLET_PASSWORD", "ControlAPI", "Faults", "NovelAISandbox", "SandboxAccount", "SandboxStats",
    "parse_account_spec",
]


CONCURRENCY_MESSAGE = "Concurrent generation is locked"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# What handlers leave on the request for the recording middleware.
BODY_KEY = web.RequestKey("novelai_body", object)
ACCOUNT_KEY = web.RequestKey("novelai_account", str)
INPUTS_KEY = web.RequestKey("novelai_inputs", InputRecord)
# A body holds base64 images: room for a few of the largest inputs (aiohttp's default is 1 MiB).
MAX_BODY_BYTES = 4 * MAX_BASE64_CHARS
ToolHandler = Callable[[Any, InputRecord, SandboxAccount], ToolCall]


class NovelAISandbox:
    """NovelAI's api and image hosts on one local port, with per-account state and fault injection."""

    def __init__(self, accounts: Iterable[SandboxAccount] = DEFAULT_ACCOUNTS, *, step_latency: float = 0.0,
                 token_lifetime: int = DEFAULT_TOKEN_LIFETIME, seed: int = 0) -> None:
        # Copies, so spending Anlas never leaks into DEFAULT_ACCOUNTS or the caller's objects.
        self.accounts: list[SandboxAccount] = [replace(account) for account in accounts]
        self.faults = Faults()
        self.stream_frames = FrameScript()  # in-stream error/retry frames to inject (control API)
        self.stats = SandboxStats()
        self.inputs_seen = InputLog()  # what requests with images carried (control API: /_sandbox/inputs)
        self.switches = ToolSwitches()  # e.g. the image-host upscale shape turned off (control API)
        self.step_latency = step_latency
        self.token_lifetime = token_lifetime
        self.url = ""
        self._rng = random.Random(seed)
        self._tokens = TokenIssuer()
        self._revoked_persistent: set[str] = set()
        self._in_flight: Counter[str] = Counter()
        self._generating: set[str] = set()
        self._runner: web.AppRunner | None = None
        self.app = self._build_app()

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        # A short shutdown timeout: a test stopping mid-stream must not wait for the generation.
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_port = self._runner.addresses[0][1]
        self.url = f"http://{host}:{bound_port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- accounts and tokens ---------------------------------------------------------------

    def add_account(self, account: SandboxAccount) -> None:
        """Add an account, or replace the one with the same email or token (e.g. to refill Anlas)."""
        self.accounts = [existing for existing in self.accounts if existing.key != account.key]
        self.accounts.append(account)
        if account.token is not None:
            self._revoked_persistent.discard(account.token)

    def revoke_tokens(self, email_or_token: str) -> None:
        """Make every token issued so far for this account answer 401; a ``pst-`` token is revoked too."""
        account = self._account(email_or_token)
        self._tokens.revoke(account)
        if account.token is not None:
            self._revoked_persistent.add(account.token)

    def issue_token(self, email: str, lifetime: int | None = None) -> str:
        """A login JWT without the Argon2 round trip; a negative lifetime gives an already expired one."""
        account = self._account(email)
        return self._tokens.issue(account, self.token_lifetime if lifetime is None else lifetime)

    def _account(self, email_or_token: str) -> SandboxAccount:
        key = email_or_token if email_or_token.startswith(PERSISTENT_TOKEN_PREFIX) else normalize_email(
            email_or_token)
        for account in self.accounts:
            if account.key == key:
                return account
        raise KeyError(f"no sandbox account {email_or_token!r}")

    def _authenticate(self, request: web.Request) -> SandboxAccount:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        account = None
        if scheme.lower() == "bearer" and token.startswith(PERSISTENT_TOKEN_PREFIX):
            if token not in self._revoked_persistent:
                account = next((a for a in self.accounts if a.token == token), None)
        elif scheme.lower() == "bearer":
            account_id = self._tokens.account_id_of(token)
            account = next((a for a in self.accounts if a.account_id == account_id), None)
        if account is None:
            raise Refusal(401, "Unauthorized")
        request[ACCOUNT_KEY] = account.key
        return account

    # -- app and middlewares ---------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._observe], client_max_size=MAX_BODY_BYTES)
        app.add_routes([
            web.post("/ai/upscale", self._tool_route(functools.partial(upscale_call, switches=self.switches))),
            web.post("/ai/augment-image", self._tool_route(augment_call)),
            web.post("/ai/encode-vibe", self._tool_route(encode_vibe_call)),
            web.post("/user/login", self._login),
            web.get("/user/subscription", self._subscription),
            web.get("/user/data", self._user_data),
            web.get("/user/information", self._information),
            web.post("/ai/generate-image", self._generate_image),
            web.post("/ai/generate-image-stream", self._generate_image_stream),
            web.get("/ai/generate-image/suggest-tags", self._suggest_tags),
            *ControlAPI(self).routes(),
        ])
        return app

    @web.middleware
    async def _observe(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Turn refusals into NovelAI error JSON, apply faults and record every NovelAI request."""
        if request.path.startswith("/_sandbox/"):
            try:
                return await handler(request)
            except Refusal as refusal:
                return refusal.response()
        started = time.time()
        try:
            response = await self._with_faults(request, handler)
        except Refusal as refusal:
            response = refusal.response()
        self._record(request, started, status=0 if request.get(hostile.DROPPED_KEY) else response.status)
        return response

    def _record(self, request: web.Request, started: float, *, status: int) -> None:
        body = request.get(BODY_KEY)
        self.stats.requests.append({
            "time": started, "method": request.method, "path": request.path, "status": status,
            "account": request.get(ACCOUNT_KEY),
            "model": body.get("model") if isinstance(body, dict) else None,
            "body": abbreviate(body),
        })
        if (record := request.get(INPUTS_KEY)) is not None and record.inputs:
            record.status, record.account = status, request.get(ACCOUNT_KEY)
            self.inputs_seen.append(record)

    async def _with_faults(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        faults = self.faults
        if faults.forced:
            return hostile.forced_answer(request, faults.forced.pop(0))
        if faults.slow_seconds > 0:
            await asyncio.sleep(faults.slow_seconds)
        for rate, status in ((faults.drop_rate, 0), (faults.error_500_rate, 500), (faults.error_503_rate, 503)):
            if rate and self._rng.random() < rate:
                return hostile.forced_answer(request, status)
        return await handler(request)

    @staticmethod
    async def _read_json(request: web.Request) -> Any:
        """The JSON body; the newest website sends it as a multipart part named ``request`` (§3, form_parts)."""
        try:
            if request.content_type == "multipart/form-data":  # images come as parts of their own
                form = await request.post()
                part = form[JSON_PART]
                body = json.loads(part.file.read() if isinstance(part, web.FileField) else str(part))
                body = resolve_parts(body, form_parts(form))
            else:
                body = await request.json()
        except (ValueError, KeyError) as exc:
            raise Refusal(400, "The request body is not valid JSON") from exc
        request[BODY_KEY] = body
        return body

    # -- user routes -----------------------------------------------------------------------

    async def _login(self, request: web.Request) -> web.Response:
        body = await self._read_json(request)
        key = body.get("key") if isinstance(body, dict) else None
        if not isinstance(key, str) or len(key) != 64:
            raise Refusal(400, "key must be a 64-character access key")
        account = next((a for a in self.accounts if a.email is not None and a.password is not None
                        and expected_access_key(a.email, a.password) == key), None)
        if account is None:
            raise Refusal(401, "Access Key is incorrect.")
        request[ACCOUNT_KEY] = account.key
        self.stats.logins[account.key] += 1
        token = self._tokens.issue(account, self.token_lifetime)
        return web.json_response({"accessToken": token}, status=201)

    async def _subscription(self, request: web.Request) -> web.Response:
        return web.json_response(subscription_json(self._authenticate(request)))

    async def _user_data(self, request: web.Request) -> web.Response:
        return web.json_response(user_data_json(self._authenticate(request)))

    async def _information(self, request: web.Request) -> web.Response:
        return web.json_response(information_json(self._authenticate(request)))

    async def _suggest_tags(self, request: web.Request) -> web.Response:
        self._authenticate(request)
        return web.json_response(suggest_tags(request.query.get("prompt", ""), request.query.get("model", "")))

    # -- generation ------------------------------------------------------------------------

    async def _admit(self, request: web.Request, *, streaming: bool
                     ) -> tuple[SandboxAccount, Generation, GenerationInputs]:
        account = self._authenticate(request)
        try:
            generation = validate_generation(await self._read_json(request), streaming=streaming)
        except InvalidGeneration as exc:
            raise Refusal(exc.status, str(exc)) from exc
        request[INPUTS_KEY] = record = InputRecord(request.path, model=generation.model, action=generation.action)
        inputs = check_generation_inputs(generation, record)
        return account, replace(generation, inputs=inputs.shas), inputs

    def _tool_route(self, handle: ToolHandler) -> Handler:
        """A call that is not a generation (tools.py) under the same lock, price check and charge."""
        async def route(request: web.Request) -> web.StreamResponse:
            account = self._authenticate(request)
            request[INPUTS_KEY] = record = InputRecord(request.path)
            call = handle(await self._read_json(request), record, account)
            if (mode := self._take_hostile()) == "retry_after":
                return hostile.retry_after_response()
            with self._generation_slot(account):
                self._afford(account, call.cost)
                outputs = await asyncio.to_thread(call.render)
                account.anlas -= call.cost
            if mode is not None:  # a raw answer (encode-vibe) gets a huge body whatever the mode
                size = int(self.faults.hostile_bytes)
                return await hostile.zip_or_huge_body(request, mode if call.zipped else "huge_body", outputs, size,
                                                      zip_images)
            body = zip_images(outputs) if call.zipped else outputs[0]
            return web.Response(body=body, content_type="binary/octet-stream" if call.zipped else
                                "application/octet-stream")
        return route

    @staticmethod
    def _afford(account: SandboxAccount, cost: int) -> None:
        if not account.active:
            raise Refusal(402, "An active subscription is required to generate images")
        if cost > account.anlas:
            raise Refusal(402, f"Not enough Anlas: this request costs {cost}, the balance is {account.anlas}")

    @contextlib.contextmanager
    def _generation_slot(self, account: SandboxAccount) -> Iterator[None]:
        """NovelAI's one-generation-per-account lock; every attempt counts towards peak concurrency."""
        key = account.key
        self._in_flight[key] += 1
        self.stats.peak_concurrency[key] = max(self.stats.peak_concurrency.get(key, 0), self._in_flight[key])
        try:
            if key in self._generating:
                raise Refusal(429, CONCURRENCY_MESSAGE)
            self._generating.add(key)
            self.stats.started[key] += 1
            began = time.time()
            try:
                yield
            finally:
                self._generating.discard(key)
                self.stats.spans.setdefault(key, []).append((began, time.time()))
        finally:
            self._in_flight[key] -= 1

    def _price(self, account: SandboxAccount, generation: Generation, inputs: GenerationInputs) -> Price:
        bill = price(inputs.price_width or generation.width, inputs.price_height or generation.height,
                     generation.steps, generation.n_samples, tier=account.tier, active=account.active,
                     sm=generation.sm, sm_dyn=generation.sm_dyn, model=generation.model,
                     allowance=account.allowance_now(), strength=inputs.strength,
                     encoded_vibes=inputs.encoded_vibes, references=inputs.references)
        self._afford(account, bill.total)
        return bill

    def _settle(self, account: SandboxAccount, generation: Generation, bill: Price) -> None:
        account.anlas -= bill.total
        account.draw_allowance(bill.allowance_percent)
        self.stats.generations[account.key] += 1
        self.stats.images[account.key] += generation.n_samples

    def _seeds(self, generation: Generation) -> list[int]:
        base = generation.seed if generation.seed is not None else self._rng.randint(1, MAX_SEED - 7)
        return [base + index for index in range(generation.n_samples)]

    def _take_hostile(self) -> str | None:
        return self.faults.hostile.pop(0) if self.faults.hostile else None

    async def _generate_image(self, request: web.Request) -> web.StreamResponse:
        account, generation, inputs = await self._admit(request, streaming=False)
        mode = self._take_hostile()
        if mode == "retry_after":
            return hostile.retry_after_response()
        with self._generation_slot(account):
            cost = self._price(account, generation, inputs)
            if self.step_latency > 0:
                await asyncio.sleep(denoised_steps(generation) * self.step_latency)
            seeds = self._seeds(generation)
            pngs = [render_png(generation, seed, record_seed=generation.seed is not None) for seed in seeds]
            self._settle(account, generation, cost)
        if mode is not None:
            return await hostile.zip_or_huge_body(request, mode, pngs, int(self.faults.hostile_bytes), zip_images)
        return web.Response(body=zip_images(pngs), content_type="binary/octet-stream")

    async def _generate_image_stream(self, request: web.Request) -> web.StreamResponse:
        account, generation, inputs = await self._admit(request, streaming=True)
        sse = generation.parameters["stream"] == "sse"
        mode = self._take_hostile()
        if mode == "retry_after":
            return hostile.retry_after_response()
        with self._generation_slot(account):
            cost = self._price(account, generation, inputs)
            response = web.StreamResponse(
                headers={"Content-Type": "text/event-stream" if sse else "application/msgpack"})
            response.enable_chunked_encoding()
            await response.prepare(request)
            writer = EventWriter(response, sse=sse)
            if mode in hostile.STREAM_MODES:
                await hostile.stream_answer(response, mode, int(self.faults.hostile_bytes),
                                                    self.step_latency, lambda: writer.gone)
            injected = self.stream_frames.take()
            async for event in with_frame(self._events(generation, mode), injected):
                await writer.send(event)
            if not ends_in_error(injected):  # an error frame delivers no image: nothing to charge
                self._settle(account, generation, cost)
        await writer.finish()
        return response

    async def _events(self, generation: Generation, mode: str | None = None) -> AsyncIterator[dict[str, Any]]:
        """The stream's events (``events.py``); after a hostile stream-level answer nothing follows."""
        if mode in hostile.STREAM_MODES:
            return
        gen_id = uuid.UUID(int=self._rng.getrandbits(128)).hex
        async for event in generation_events(generation, self._seeds(generation), gen_id, mode=mode,
                                             step_latency=self.step_latency,
                                             hostile_bytes=int(self.faults.hostile_bytes)):
            yield event
