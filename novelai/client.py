"""The async NovelAI client: authentication with cached tokens, generation, account status.

One ``NovelAIClient`` per process and event loop holds one httpx connection pool. It never
runs two generations for one NovelAI account at once (an in-process lock per account), so the
only "Concurrent generation is locked" answers it can see come from elsewhere: another
process, or a generation NovelAI is still finishing after we gave up on it.

One piece although past 400 lines: every endpoint call (generate, upscale, augment, encode-vibe,
suggest-tags, account status) shares the token handling, the 401 renewal, the bounded reading of
answers and the error mapping here; the requests and answers themselves are built and read in their
own modules (``payload``, ``image_payload``, ``tool_calls``, ``tags``, ``answers``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import string
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeGuard

import httpx

from novelai import errors
from novelai.accounts import Account, jwt_expiry
from novelai.aionet import asyncio_transport
from novelai.answers import error_from_response, read_within
from novelai.image_payload import b64
from novelai.image_rules import ENCODED_VIBE_FAMILIES
from novelai.inputs import ImageInputs
from novelai.limits import DEFAULT_LIMITS, Limits
from novelai.models import resolve_model
from novelai.payload import build_payload
from novelai.request import GenerationRequest
from novelai.response import GeneratedImage, decode_images
from novelai.stream_collect import ProgressCallback, collect_stream
from novelai.subscription import Subscription
from novelai.tags import MAX_PREFIX_CHARS, TagSuggestion, parse_suggestions
from novelai.tokens import DAY, CachedToken, TokenCache

log = logging.getLogger(__name__)

# A fresh login token lives 30 days; used when a token carries no readable ``exp``.
LOGIN_TOKEN_LIFETIME = 30 * DAY
# A vibe encoding is opaque bytes (§4.2); the website's .naiv4vibe files hold them base64-encoded, tens of
# KB each. Anything past this is not an encoding and is refused before it is stored or sent on.
MAX_VIBE_ENCODING_BYTES = 4 * 1024 * 1024
# A suggest-tags answer is a few KB (about ten tags); a bigger one is not read.
MAX_SUGGEST_TAGS_BYTES = 256 * 1024
# The connection pool of every client (the worker's one serves all its lanes).
HTTP_LIMITS = httpx.Limits(max_connections=200, max_keepalive_connections=50)
__all__ = ["MAX_VIBE_ENCODING_BYTES", "AccountStatus", "NovelAIClient", "ProgressCallback", "Timeouts"]


@dataclass(frozen=True)
class Timeouts:
    """Seconds per call type: logins and account calls are quick, generations are not.

    Each bounds one wait (connecting, or one read); the deadline of a whole generation is
    ``Limits.generation_seconds``.
    """

    connect: float = 10.0
    login: float = 30.0
    user: float = 20.0
    generate: float = 180.0

    def for_call(self, seconds: float) -> httpx.Timeout:
        return httpx.Timeout(seconds, connect=self.connect)


@dataclass(frozen=True)
class AccountStatus:
    """What ``naibot account status`` and ``/account`` show."""

    name: str
    kind: str
    cached: bool
    expires_at: float | None
    verified_at: float | None
    subscription: Subscription | None
    error: str | None = None

    @property
    def days_left(self) -> float | None:
        return None if self.expires_at is None else max(0.0, (self.expires_at - time.time()) / DAY)


def _correlation_headers() -> dict[str, str]:
    # The website tags every request like this; sending the same keeps us unremarkable.
    now = datetime.now(UTC)
    return {
        "x-correlation-id": "".join(random.choices(string.ascii_letters + string.digits, k=6)),
        "x-initiated-at": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
    }


class NovelAIClient:
    """Talks to NovelAI (or the sandbox) for any number of accounts side by side."""

    def __init__(
        self,
        *,
        api_url: str,
        image_url: str,
        token_cache: TokenCache,
        timeouts: Timeouts | None = None,
        refresh_days: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.image_url = image_url.rstrip("/")
        self.tokens = token_cache
        self.timeouts = timeouts or Timeouts()
        self.limits = limits or DEFAULT_LIMITS
        self.refresh_margin = refresh_days * DAY
        self._http = httpx.AsyncClient(
            # identity: images are compressed already, and httpx would inflate a gzip body per
            # network chunk (up to ~1000x) before the response bounds of novelai.limits count it.
            headers={"User-Agent": "naibot/0.1 (+https://github.com/naibot)", "Accept-Encoding": "identity"},
            transport=transport or asyncio_transport(HTTP_LIMITS),
            timeout=self.timeouts.for_call(self.timeouts.user),
        )
        # Process-local copies of tokens, keyed by (name, fingerprint) so a re-bound name never
        # reuses another account's token.
        self._memory: dict[tuple[str, str], CachedToken] = {}
        self._login_locks: dict[str, asyncio.Lock] = {}
        self._generation_locks: dict[str, asyncio.Lock] = {}

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> NovelAIClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- HTTP plumbing ---------------------------------------------------------------------

    def _user_hosts(self) -> list[str]:
        # NovelAI has been moving /user/* to the image host; try it first, then the API host.
        return list(dict.fromkeys([self.image_url, self.api_url]))

    async def _send(self, method: str, url: str, *, timeout: float, limits: Limits | None = None,
                    **kwargs: Any) -> httpx.Response:
        """One call, its answer read within ``limits`` (the client's unless a call bounds it tighter)."""
        request = self._http.build_request(method, url, timeout=self.timeouts.for_call(timeout), **kwargs)
        try:
            return await read_within(await self._http.send(request, stream=True), limits or self.limits)
        except httpx.TimeoutException as exc:
            raise errors.Timeout(f"no answer from NovelAI within {timeout:.0f} s ({type(exc).__name__})",
                                 user_message="NovelAI did not answer in time") from exc
        except httpx.TransportError as exc:
            raise errors.NetworkError(f"could not reach NovelAI: {type(exc).__name__}: {exc}",
                                      user_message="NovelAI could not be reached") from exc

    async def _user_call(self, method: str, path: str, *, timeout: float, **kwargs: Any) -> httpx.Response:
        hosts = self._user_hosts()
        for i, host in enumerate(hosts):
            last = i == len(hosts) - 1
            try:
                response = await self._send(method, host + path, timeout=timeout, **kwargs)
            except errors.NetworkError:
                if last:
                    raise
                continue
            moved = response.status_code in (404, 405) or (
                response.status_code == 400 and "image url" in response.text.lower()
            )
            if not moved or last:
                return response
        raise AssertionError("unreachable")

    # -- authentication --------------------------------------------------------------------

    async def login(self, access_key: str) -> str:
        """Exchange an access key for a fresh token (``POST /user/login``)."""
        response = await self._user_call("POST", "/user/login", json={"key": access_key},
                                         timeout=self.timeouts.login)
        if response.status_code not in (200, 201):
            raise error_from_response(response, self.limits)
        try:
            token = response.json()["accessToken"]
        except (ValueError, KeyError, TypeError):
            raise errors.ServerError("NovelAI's login answer has no accessToken") from None
        if not isinstance(token, str) or not token:
            raise errors.ServerError("NovelAI's login answer has an empty accessToken")
        return token

    def _lock(self, table: dict[str, asyncio.Lock], key: str) -> asyncio.Lock:
        lock = table.get(key)
        if lock is None:
            lock = table[key] = asyncio.Lock()
        return lock

    def _usable(self, entry: CachedToken | None, stale: str | None) -> TypeGuard[CachedToken]:
        return entry is not None and entry.token != stale and entry.usable(self.refresh_margin)

    async def token_for(self, account: Account, *, stale: str | None = None) -> str:
        """A token to use now. ``stale`` is a token NovelAI just refused: never return it again."""
        access_key = account.access_key
        if access_key is None:  # not account.can_login: the token is all there is
            if account.token == stale or not account.token:
                raise errors.AuthError("NovelAI refused the account's token and it cannot be renewed",
                                       status=401, user_message="NovelAI no longer accepts this token")
            return account.token
        memo_key = (account.name, account.fingerprint)
        entry = self._memory.get(memo_key)
        if self._usable(entry, stale):
            return entry.token
        async with self._lock(self._login_locks, account.fingerprint):
            # Whoever held the lock before us may have logged in already.
            entry = self._memory.get(memo_key)
            if not self._usable(entry, stale):
                entry = await self.tokens.get(account.name)
                if not self._usable(entry, stale):
                    entry = await self._login_once(account, access_key, stale)
            self._memory[memo_key] = entry
            return entry.token

    async def _login_once(self, account: Account, access_key: str, stale: str | None) -> CachedToken:
        """Log in unless another process is doing so right now; then take its token."""
        owner = await self.tokens.acquire_login(account.name, ttl=self.timeouts.login + 5)
        if owner is None:
            entry = await self.tokens.wait_for_login(account.name, stale, timeout=self.timeouts.login + 5)
            if self._usable(entry, stale):
                return entry
            owner = ""
        try:
            token = await self.login(access_key)
            now = time.time()
            entry = CachedToken(token=token, expires_at=jwt_expiry(token) or now + LOGIN_TOKEN_LIFETIME,
                                verified_at=now, obtained_at=now)
            await self.tokens.put(account.name, entry)
            log.info("logged in to NovelAI as account %s", account.name)
            return entry
        finally:
            await self.tokens.release_login(account.name, owner)

    async def forget_token(self, account: Account) -> None:
        """Drop every cached copy of the account's token (logout, account removal)."""
        self._memory.pop((account.name, account.fingerprint), None)
        await self.tokens.delete(account.name)

    async def _authorized(self, account: Account, call: Callable[[str], Awaitable[httpx.Response]]
                          ) -> httpx.Response:
        """Run ``call`` with a token; on 401 renew once and try again; a second 401 is final."""
        token = await self.token_for(account)
        response = await call(token)
        if response.status_code != 401:
            return response
        log.warning("NovelAI refused the token of account %s; renewing it once", account.name)
        self._memory.pop((account.name, account.fingerprint), None)
        await self.tokens.delete(account.name)
        token = await self.token_for(account, stale=token)
        return await call(token)

    @staticmethod
    def _auth_headers(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", **_correlation_headers()}

    # -- account information ---------------------------------------------------------------

    async def subscription(self, account: Account) -> Subscription:
        response = await self._authorized(account, lambda token: self._user_call(
            "GET", "/user/subscription", headers=self._auth_headers(token), timeout=self.timeouts.user))
        if response.status_code != 200:
            raise error_from_response(response, self.limits)
        await self._mark_verified(account)
        return Subscription.from_api(response.json())

    async def _mark_verified(self, account: Account) -> None:
        entry = self._memory.get((account.name, account.fingerprint)) or await self.tokens.get(account.name)
        if entry is None and account.token:
            now = time.time()
            entry = CachedToken(account.token, jwt_expiry(account.token), now, now)
        if entry is not None:
            entry = entry.verified()
            self._memory[(account.name, account.fingerprint)] = entry
            await self.tokens.put(account.name, entry)

    async def status(self, account: Account) -> AccountStatus:
        """Token cache state plus tier and Anlas; an error is reported, not raised."""
        subscription: Subscription | None = None
        error: str | None = None
        try:
            subscription = await self.subscription(account)
        except errors.NovelAIError as exc:
            error = exc.user_message
        entry = await self.tokens.get(account.name) or self._memory.get((account.name, account.fingerprint))
        expires = entry.expires_at if entry else (jwt_expiry(account.token) if account.token else None)
        return AccountStatus(
            name=account.name, kind=account.kind, cached=entry is not None and self.tokens.enabled,
            expires_at=expires, verified_at=entry.verified_at if entry else None,
            subscription=subscription, error=error,
        )

    # -- tag suggestions -------------------------------------------------------------------

    async def suggest_tags(self, account: Account, model: str, prefix: str, *,
                           timeout: float | None = None) -> list[TagSuggestion]:
        """Danbooru-style tags starting with ``prefix`` for ``model`` (``GET /ai/generate-image/suggest-tags``,
        docs/novelai-2026.md §4.8; free). The answer is untrusted: read within ``MAX_SUGGEST_TAGS_BYTES``,
        at most ``MAX_SUGGESTIONS`` tags, each a bounded string with an integer count; malformed entries are
        dropped, an answer of the wrong shape is a ServerError. ``timeout`` bounds each wait (the user
        timeout by default); a caller with a tighter deadline (autocomplete) also wraps the call."""
        params = {"model": resolve_model(model).id, "prompt": prefix.strip()[:MAX_PREFIX_CHARS]}
        limits = dataclasses.replace(self.limits, max_response_bytes=min(self.limits.max_response_bytes,
                                                                     MAX_SUGGEST_TAGS_BYTES))
        seconds = self.timeouts.user if timeout is None else timeout
        response = await self._authorized(account, lambda token: self._send(
            "GET", f"{self.image_url}/ai/generate-image/suggest-tags", params=params,
            headers=self._auth_headers(token), timeout=seconds, limits=limits))
        if response.status_code != 200:
            raise error_from_response(response, self.limits)
        try:
            return parse_suggestions(response.json())
        except ValueError as exc:  # JSONDecodeError is a ValueError too
            raise errors.ServerError(f"NovelAI's tag suggestions are malformed: {exc}",
                                     user_message="NovelAI sent malformed tag suggestions") from None

    # -- generation ------------------------------------------------------------------------

    async def generate(self, account: Account, request: GenerationRequest, *, inputs: ImageInputs | None = None,
                       on_progress: ProgressCallback | None = None) -> list[GeneratedImage]:
        """Generate with ``request`` (resolved here if needed) and return the original PNGs.

        ``inputs`` holds the bytes of the request's input images and vibe encodings (ValueError when the
        request names images it lacks, before anything is sent). With ``on_progress`` the streaming
        endpoint is used and the callback receives each intermediate step (event, total steps);
        otherwise the plain ZIP endpoint.
        """
        request = request.resolved()
        payload = build_payload(request, stream=on_progress is not None, inputs=inputs)
        async with self._exclusive(account, "the generation", "the image"):
            if on_progress is None:
                return await self._generate_zip(account, request, payload)
            return await self._generate_stream(account, request, payload, on_progress)

    @contextlib.asynccontextmanager
    async def _exclusive(self, account: Account, what: str, result: str) -> AsyncIterator[None]:
        """One call at a time per account (NovelAI locks concurrent generations), within the deadline."""
        deadline = self.limits.generation_seconds
        async with self._lock(self._generation_locks, account.fingerprint):
            try:
                async with asyncio.timeout(deadline):
                    yield
            except TimeoutError:
                raise errors.DeadlineExceeded(
                    f"{what} did not finish within {deadline:g} s",
                    user_message=f"NovelAI did not finish {result} within {deadline:g} s") from None

    async def encode_vibe(self, account: Account, png: bytes, information_extracted: float, model: str) -> bytes:
        """A vibe's encoding for ``model`` (``POST /ai/encode-vibe``, §4.2): opaque bytes, cached by the
        caller under ``VibeKey`` and sent in ``reference_image_multiple``. NovelAI charges 2 Anlas per call.

        Only V4/V4.5 take encodings (V3 takes the image, V5 no vibes): other models raise ValueError, as
        does an ``information_extracted`` outside 0–1. The answer is bounded (``MAX_VIBE_ENCODING_BYTES``)
        and must not be empty."""
        info = resolve_model(model)
        if info.family not in ENCODED_VIBE_FAMILIES:
            raise ValueError(f"{info.label} takes no vibe encodings")
        if not 0.0 <= information_extracted <= 1.0:
            raise ValueError(f"information_extracted must be between 0 and 1 (got {information_extracted})")
        body = {"image": b64(png), "information_extracted": information_extracted, "model": info.id}
        limits = dataclasses.replace(self.limits, max_response_bytes=min(self.limits.max_response_bytes,
                                                                     MAX_VIBE_ENCODING_BYTES))
        async with self._exclusive(account, "encoding the vibe", "the vibe"):
            response = await self._authorized(account, lambda token: self._send(
                "POST", f"{self.image_url}/ai/encode-vibe", json=body, headers=self._auth_headers(token),
                timeout=self.timeouts.generate, limits=limits))
        if response.status_code != 200:
            raise error_from_response(response, self.limits)
        if not response.content:
            raise errors.ServerError("NovelAI's vibe encoding is empty", user_message="NovelAI sent an empty vibe")
        return response.content

    async def _generate_zip(self, account: Account, request: GenerationRequest,
                            payload: dict[str, Any]) -> list[GeneratedImage]:
        response = await self._authorized(account, lambda token: self._send(
            "POST", f"{self.image_url}/ai/generate-image", json=payload,
            headers=self._auth_headers(token), timeout=self.timeouts.generate))
        if response.status_code != 200:
            raise error_from_response(response, self.limits)
        return decode_images(response.content, request.seed, self.limits)

    async def _generate_stream(self, account: Account, request: GenerationRequest, payload: dict[str, Any],
                               on_progress: ProgressCallback) -> list[GeneratedImage]:
        stale: str | None = None
        for _attempt in range(2):
            token = await self.token_for(account, stale=stale)
            try:
                async with self._http.stream(
                    "POST", f"{self.image_url}/ai/generate-image-stream", json=payload,
                    headers=self._auth_headers(token), timeout=self.timeouts.for_call(self.timeouts.generate),
                ) as response:
                    if response.status_code == 401 and stale is None:
                        await read_within(response, self.limits)
                        self._memory.pop((account.name, account.fingerprint), None)
                        await self.tokens.delete(account.name)
                        stale = token
                        continue
                    if response.status_code != 200:
                        raise error_from_response(await read_within(response, self.limits), self.limits)
                    return await collect_stream(response, request, on_progress, self.limits)
            except httpx.TimeoutException as exc:
                raise errors.Timeout("NovelAI's stream stalled", user_message="NovelAI did not answer in time"
                                     ) from exc
            except httpx.TransportError as exc:
                raise errors.NetworkError(f"NovelAI's stream broke: {type(exc).__name__}",
                                          user_message="the connection to NovelAI broke") from exc
        raise errors.AuthError("NovelAI refused the renewed token", status=401,
                               user_message="NovelAI did not accept the account's credentials")
