"""Every Redis key the queue uses, in one place, under one configurable prefix.

The Lua scripts receive these names as KEYS (and the prefix as an argument where a script must
reach a job hash it only learns about while running: single-instance Redis allows that).

``docs/redis-keys.md`` lists every key of every layer (these, Dramatiq's under
``dramatiq_namespace``, the NovelAI client's ``<prefix>:nai:`` and the bot's ``bot.keys``): its
type, who writes and reads it, its TTL and what removes it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    prefix: str

    def job(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}"

    def lane(self, account: str) -> str:
        """Waiting jobs of one NovelAI account: a sorted set ordered by member (all scores 0)."""
        return f"{self.prefix}:lane:{account}"

    def lane_rounds(self, account: str) -> str:
        """Fairness rounds per (priority, user), and the round being served per priority."""
        return f"{self.prefix}:lane:{account}:rounds"

    def lane_lease(self, account: str) -> str:
        """Held by the one worker draining the lane (one generation per account at a time)."""
        return f"{self.prefix}:lane:{account}:lease"

    def lane_pause(self, account: str) -> str:
        """Present while the lane must wait (back-off, or the account is locked at NovelAI)."""
        return f"{self.prefix}:lane:{account}:pause"

    def lane_wake(self, account: str) -> str:
        """Present while a wake-up message for the lane is on its way (avoids piling them up)."""
        return f"{self.prefix}:lane:{account}:wake"

    @property
    def lanes(self) -> str:
        """Accounts whose lane has waiting jobs."""
        return f"{self.prefix}:lanes"

    @property
    def running(self) -> str:
        """Running job ids scored by their lease deadline (ms)."""
        return f"{self.prefix}:running"

    @property
    def seq(self) -> str:
        return f"{self.prefix}:seq"

    @property
    def events(self) -> str:
        return f"{self.prefix}:events"

    def user_queued(self, user_key: str) -> str:
        """A user's waiting jobs (for the per-user limit and `/queue`)."""
        return f"{self.prefix}:user:{user_key}:queued"

    @property
    def durations(self) -> str:
        """Moving averages of generation time per model and size class."""
        return f"{self.prefix}:stats:durations"

    @property
    def workers(self) -> str:
        """Worker heartbeats: worker id scored by last beat (s)."""
        return f"{self.prefix}:workers"

    @property
    def chat_processes(self) -> str:
        """Chat bot processes' beats: one field per process, its JSON (see ``tasks.chat_presence``)."""
        return f"{self.prefix}:chat_processes"

    @property
    def metrics(self) -> str:
        """Counters and histograms every process adds to (see ``tasks.metrics``)."""
        return f"{self.prefix}:metrics"

    def accepted(self, account: str) -> str:
        """Present once NovelAI accepted the account's credentials here (their fingerprint as value)."""
        return f"{self.prefix}:accepted:{account}"

    def vibe(self, model: str, information: str, sha256: str) -> str:
        """Where a vibe encoding is kept in storage (``tasks.vibe_cache``): its storage key as value."""
        return f"{self.prefix}:vibe:{model}:{information}:{sha256}"

    def vibe_lock(self, model: str, information: str, sha256: str) -> str:
        """Held (SET NX PX, a random token as value) by the one worker encoding this vibe right now."""
        return f"{self.vibe(model, information, sha256)}:lock"

    @property
    def sweep_lease(self) -> str:
        """Held (SET NX PX one sweep interval, a worker id as value) by the worker sweeping this round."""
        return f"{self.prefix}:sweep:lease"

    @property
    def sweep_cursor(self) -> str:
        """Where the sweep's SSCAN over ``lanes`` goes on (``0``: a new pass starts)."""
        return f"{self.prefix}:sweep:cursor"

    @property
    def dramatiq_namespace(self) -> str:
        return f"{self.prefix}:dramatiq"

    def dramatiq_messages(self, queue_name: str) -> str:
        """Dramatiq's hash of the messages of ``queue_name`` not yet acknowledged (a wake-up on its way)."""
        return f"{self.dramatiq_namespace}:{queue_name}.msgs"
