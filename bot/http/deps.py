"""What every route depends on: the process's shared state, built once by ``app.create_app``.

Routes import this module, never ``app`` (which imports the routes), as in the FastAPI
full-stack template's ``api/deps.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from bot.http.auth import ApiKeys
from bot.http.login_throttle import LoginThrottle
from bot.http.sessions import AdminSessions
from bot.http.status_cache import Caches
from naibot.settings import Settings
from storage.base import Storage
from tasks.image_submit import ImageJobs
from tasks.services import QueueServices


@dataclass
class ApiState:
    """Everything a request handler needs, built once when the application starts."""

    settings: Settings
    services: QueueServices
    storage: Storage
    keys: ApiKeys
    sessions: AdminSessions  # the status page's logins
    logins: LoginThrottle  # failed status-page logins, and lockouts
    # Built on first use by ``bot.http.routes.jobs.caches`` (it knows what a status poll reads).
    status_cache: Caches | None = None
    # Built on first use by ``bot.http.routes.images.image_jobs``.
    image_jobs: ImageJobs | None = None


def api_state(request: Request) -> ApiState:
    """FastAPI dependency: the process's shared state."""
    state: ApiState = request.app.state.api
    return state
