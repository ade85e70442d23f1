"""``naibot api``: the HTTP API, on the same queue and submit rules as the chat bots.

This module only assembles the application: shared state built once per process (queue
services, storage, API keys, the status cache; ``bot.http.deps``) and the routers, each in its
own module: ``bot.http.routes.jobs`` (the original naibot API's endpoints and images),
``bot.http.routes.images`` (``/generate`` and the other jobs that take images),
``bot.http.routes.ops`` (health and metrics), ``bot.http.routes.admin_page`` (the status page) and,
with ``api.docs``, ``bot.http.routes.docs`` (Swagger UI and ReDoc, served from this process).
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bot.http.auth import ApiKeys
from bot.http.deps import ApiState
from bot.http.limits import RequestLimits
from bot.http.login_throttle import LoginThrottle
from bot.http.routes import admin_page, docs, history, images, jobs, ops, tags
from bot.http.sessions import AdminSessions
from naibot.settings import Settings
from storage.factory import storage_from_settings
from tasks.services import QueueServices
from tasks.startup import shared_start_checks

log = logging.getLogger(__name__)


class SecretKeyRefused(RuntimeError):
    """Raised from the application's start: its secret key is not the deployment's (logged first)."""


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The status page's login sessions and the NovelAI logins it checks are sealed: an API with
        # another NAIBOT_SECRET_KEY than the deployment's does not start (tasks.startup).
        refusal = await shared_start_checks(settings)
        if refusal is not None:
            log.error("the HTTP API does not start: %s", refusal)
            raise SecretKeyRefused(refusal)
        services = QueueServices.from_settings(settings)
        keys, prefix = ApiKeys(settings.api), settings.redis.prefix
        app.state.api = ApiState(settings, services, storage_from_settings(settings), keys,
                                 AdminSessions(services.redis, prefix, keys, settings.api.admin_session_seconds),
                                 LoginThrottle(services.redis, prefix))
        log.info("HTTP API (pid %d) up on %s:%d: Redis %s, prefix %s, storage %s, %d API keys",
                 os.getpid(), settings.api.listen, settings.api.port, settings.redis.address,
                 settings.redis.prefix, settings.storage.backend, len(settings.api.keys))
        try:
            yield
        finally:
            # The status page's token-status refresher, if the page was ever opened.
            tokens = getattr(app.state, "admin_tokens", None)
            if tokens is not None:
                await tokens.aclose()
            lookup = getattr(app.state, "tag_lookup", None)  # GET /suggest-tags' lookups still running
            if lookup is not None:
                await lookup.aclose()
            await services.aclose()

    # redirect_slashes off: Starlette builds that redirect from the Host header a client sent.
    # FastAPI's own /docs and /redoc load their scripts from a CDN: ours (routes.docs) serve them.
    app = FastAPI(title="naibot HTTP API", version="1.0",
                  description="Queue NovelAI generations and follow them; the same queue as the chat bots.",
                  lifespan=lifespan, docs_url=None, redoc_url=None, redirect_slashes=False)
    # Outermost of ours: sizes are checked before anything reads a header or the body.
    # The paths that take images are capped at what their image parts may weigh (routes.images).
    app.add_middleware(RequestLimits, body_bytes=settings.api.max_body_bytes,
                       body_bytes_by_path={**admin_page.BODY_LIMITS, **images.body_limits(settings)})
    jobs.install(app)  # the router and the app-wide error handlers (one JSON error shape)
    images.install(app)  # /generate and the routes that take images
    app.include_router(history.router)  # GET /history
    app.include_router(tags.router)  # GET /suggest-tags
    app.include_router(ops.router)
    app.include_router(admin_page.router)
    if settings.api.docs:  # third-party scripts on the status page's origin: only on request
        docs.install(app)
    return app
