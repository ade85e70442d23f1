"""Every Redis key the bot layer uses, in one place, under the deployment's prefix.

The twin of ``tasks.keys`` (the queue's keys). Everything here lives under ``<prefix>:bot:``, so
the bot's state and the queue's never collide and ``naibot rotate-key``, ops scripts and
``docs/redis-keys.md`` have one spelling to read. Who writes each key, its type and TTL, and what
removes it are listed in ``docs/redis-keys.md`` (every layer's keys, the queue's included).

Nothing else under ``bot/`` spells a key (``tests/bot/test_keys.py`` checks): a module is given
a ``BotKeys``, or makes one from the deployment's prefix.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BotKeys:
    prefix: str

    @property
    def base(self) -> str:
        return f"{self.prefix}:bot"

    # -- people ------------------------------------------------------------------------------

    def user_recent(self, user_key: str) -> str:
        """List: a person's recent job ids, newest first (``/status``, ``/cancel`` without an id)."""
        return f"{self.base}:user:{user_key}:recent"

    def user_history(self, user_key: str, chat_id: str) -> str:
        """List: a person's recent job ids in one chat (``""``: the HTTP API, which has none), newest
        first (``/history``, ``GET /history``)."""
        return f"{self.base}:user:{user_key}:history:{chat_id or '-'}"

    def user_settings(self, user_key: str) -> str:
        """Hash: a person's saved ``/settings`` (defaults for ``/generate``, language)."""
        return f"{self.base}:user:{user_key}:settings"

    def legacy_user_settings(self, user_key: str) -> str:
        """Where settings were kept before they moved under ``bot:`` (read once, then renamed)."""
        return f"{self.prefix}:user:{user_key}:settings"

    @property
    def banned(self) -> str:
        """Hash: banned user key -> who banned them."""
        return f"{self.base}:banned"

    def login(self, user_key: str) -> str:
        """Hash: a login conversation in progress (which step, for whom); never a secret."""
        return f"{self.base}:login:{user_key}"

    def binding(self, user_key: str) -> str:
        """Set: groups this admin may bind an account for in the next minutes."""
        return f"{self.base}:binding:{user_key}"

    def login_attempts_person(self, user_key: str) -> str:
        """Counter with TTL: a person's rejected credential checks with NovelAI in the current window."""
        return f"{self.base}:login-attempts:user:{user_key}"

    def login_attempts_chat(self, chat: str) -> str:
        """Counter with TTL: rejected credential checks from one chat (``<platform>:<chat id>``)."""
        return f"{self.base}:login-attempts:chat:{chat}"

    # -- accounts ----------------------------------------------------------------------------

    def account_meta(self, account: str) -> str:
        """Hash: who owns a personal or group account the bot stored."""
        return f"{self.base}:account-meta:{account}"

    def auth_notified(self, account: str) -> str:
        """String: the owner was told once that NovelAI rejects this account's token."""
        return f"{self.base}:auth-notified:{account}"

    @property
    def account_naming_key(self) -> str:
        """String (hex): the deployment's key for naming personal accounts (bot.rules.account_names)."""
        return f"{self.base}:account-naming-key"

    def account_groups(self, account: str) -> str:
        """Set: the groups an account is bound or lent to."""
        return f"{self.base}:account-groups:{account}"

    # -- groups ------------------------------------------------------------------------------

    def group(self, group: str) -> str:
        """String (JSON): a group's configuration (shared account, quotas, priorities, pause)."""
        return f"{self.base}:group:{group}"

    def group_recent(self, group: str) -> str:
        """List: a group's recent job ids, newest first (``/queue`` in that group)."""
        return f"{self.base}:group:{group}:recent"

    def quota(self, group: str, user_key: str, day: str) -> str:
        """Counter: a member's images in a group on one UTC day."""
        return f"{self.base}:quota:{group}:{user_key}:{day}"

    def lending(self, account: str, group: str, what: str, day: str) -> str:
        """Counter: what a lent account spent for a group on one UTC day (``images`` or ``anlas``)."""
        return f"{self.base}:lend:{account}:{group}:{what}:{day}"

    def cooldown(self, group: str, user_key: str) -> str:
        """String with TTL: a member must wait before their next job in this group."""
        return f"{self.base}:cooldown:{group}:{user_key}"

    @property
    def no_cooldown(self) -> str:
        """A key no one writes, passed to the quota script when there is no cooldown."""
        return f"{self.base}:cooldown:-"

    def refunded(self, job_id: str) -> str:
        """String: this job's quotas were given back already (a refund happens once)."""
        return f"{self.base}:refunded:{job_id}"

    # -- chat front ends ---------------------------------------------------------------------

    def platform(self, platform: str) -> str:
        """Prefix of a platform's status registry (``<base>:<platform>:...``)."""
        return f"{self.base}:{platform}"

    def status(self, platform: str, job_id: str) -> str:
        """Hash with TTL: which chat message on this platform shows this job, and how far it got."""
        return f"{self.platform(platform)}:status:{job_id}"

    def status_delivering(self, platform: str, job_id: str) -> str:
        """String with TTL: a process of this platform is uploading this job's results (several bot
        processes, e.g. Discord shard ranges, read the same job's events; only one uploads)."""
        return f"{self.platform(platform)}:status:{job_id}:delivering"

    def status_live(self, platform: str) -> str:
        """Set: jobs whose status message on this platform is still kept up to date."""
        return f"{self.platform(platform)}:live"

    def status_lane(self, platform: str, account: str) -> str:
        """Set: the live status messages on this platform of jobs on one account's lane."""
        return f"{self.platform(platform)}:lane:{account}"

    def pace_chat(self, platform: str, chat_id: str) -> str:
        """Sorted set with TTL: the pacer's recent calls into one chat (score: Redis time, member
        ``<token>:<weight>``), shared by every bot process of the platform."""
        return f"{self.platform(platform)}:pace:chat:{chat_id}"

    def pace_block(self, platform: str, chat_id: str) -> str:
        """String with TTL: the platform answered 429 in this chat; no call until it expires."""
        return f"{self.platform(platform)}:pace:block:{chat_id}"

    def pace_overall(self, platform: str) -> str:
        """Sorted set with TTL: the pacer's recent calls on this platform, all chats together."""
        return f"{self.platform(platform)}:pace:all"

    def interaction_token(self, message_id: str) -> str:
        """String with TTL: the Discord interaction token that may edit this message."""
        return f"{self.base}:discord:itoken:{message_id}"

    def telegram_album(self, chat_id: str, media_group_id: str) -> str:
        """Hash with TTL: a Telegram album being gathered (its items as JSON, who collects it), shared by
        every Telegram bot process, so an album whose items reach different processes is handed whole."""
        return f"{self.platform('telegram')}:album:{chat_id}:{media_group_id}"

    def status_chat(self, platform: str, chat_id: str) -> str:
        """Set: the live status entries on this platform of jobs asked for in one group chat
        (the queue board counts and lists that chat's waiting jobs from it)."""
        return f"{self.platform(platform)}:chat:{chat_id}"

    def board(self, platform: str, chat_id: str) -> str:
        """Hash: one group chat's queue board (its message id, language, whether it is showing)."""
        return f"{self.platform(platform)}:board:{chat_id}"

    def result_messages(self, platform: str, chat_id: str) -> str:
        """Hash with TTL: a chat's messages that carry results of this bot, message id -> ``<job id>:<index>``,
        so a command replying to one uses the stored original (no download, metadata intact)."""
        return f"{self.platform(platform)}:results:{chat_id}"

    def kept_settings(self, token: str) -> str:
        """String with TTL: the settings ``/info`` read from an image (a request as JSON, with the chat it
        was shown in), kept for its "Generate with these settings" button."""
        return f"{self.base}:kept-settings:{token}"

    # -- styles and wildcards (/style, /wildcard) -------------------------------------------------

    def styles(self, owner: str) -> str:
        """Hash: one owner's styles, name -> JSON (``owner``: ``user:<user_key>`` or ``group:<group>``)."""
        return f"{self.base}:styles:{owner}"

    def wildcards(self, owner: str) -> str:
        """Hash: one owner's wildcard lists, name -> JSON list of entries (owner as for ``styles``)."""
        return f"{self.base}:wildcards:{owner}"

    # -- tag suggestions (autocomplete) -----------------------------------------------------------

    def tag_suggestions(self, model: str, prefix: str) -> str:
        """String with TTL: NovelAI's suggest-tags answer (JSON list) for a model and a typed prefix."""
        return f"{self.base}:tags:{model}:{prefix}"

    def tag_suggest_rate(self, user_key: str) -> str:
        """Counter with TTL: a person's tag lookups sent on to NovelAI in the current window."""
        return f"{self.base}:tags-rate:{user_key}"

    # -- the HTTP API's status page ----------------------------------------------------------

    def api_session(self, session_digest: str) -> str:
        """String with TTL: an admin page session (by the SHA-256 of its id) -> the digest of the
        key it was made with."""
        return f"{self.base}:api:session:{session_digest}"

    def api_login_failures(self, scope: str) -> str:
        """Counter with TTL: failed status-page logins from one address (``addr:<ip>``), with one key
        (``key:<digest>``) or in all (``all``)."""
        return f"{self.base}:api:login-failures:{scope}"

    def api_login_lock(self, scope: str) -> str:
        """String with TTL: logins from this scope are refused (429) until it expires."""
        return f"{self.base}:api:login-lock:{scope}"
