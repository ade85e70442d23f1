"""The sections of the settings (``redis:``, ``novelai:``, ``telegram:`` ...), one model each, with
their defaults, bounds and the checks that stop a process at start on a value that cannot work.

``naibot.settings`` assembles them into ``Settings`` and loads them; import them from there.

One piece although past 400 lines: each section is a short declarative model, and an operator
looking for a setting finds every one of them in this file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlencode, urlsplit, urlunsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from naibot.urls import endpoint_problem, http_url_problem, url_problem

MIN_SECRET_KEY_LENGTH = 32


def _http(value: str) -> str:
    """``value`` if it is an http(s) URL a client can connect to (``naibot.urls``), else the reason."""
    if (problem := http_url_problem(value)) is not None:
        raise ValueError(problem)
    return value


def _api_base(value: str) -> str:
    """An http(s) base URL the clients append paths to: checked, without a trailing slash."""
    return _http(value).rstrip("/")


# The base URL of a service's API (NovelAI, the Bot API, Discord's REST API).
ApiBaseUrl = Annotated[str, AfterValidator(_api_base)]


class Section(BaseModel):
    # A typo in settings.yaml must be an error that names the key, not a silently ignored line.
    model_config = ConfigDict(extra="forbid", validate_default=True)


class SentinelSettings(Section):
    """Redis Sentinel (deploy/SCALING.md): the sentinels to ask where the master is, and its name.

    Every client asks them for the master's address whenever it connects, so after a failover new
    connections reach the new master by themselves. The master's own password, user, database and
    TLS still come from ``redis.url`` (its host and port are not used); ``password`` and ``tls``
    are the sentinels' own (``requirepass`` / ``tls-port`` in sentinel.conf)."""

    # The name the sentinels monitor the master by (``sentinel monitor <name> ...``).
    master: str = Field("", pattern=r"^[A-Za-z0-9_.:-]*$")
    # "host:port" each, e.g. ["10.0.0.1:26379", "10.0.0.2:26379"] (or "a:26379,b:26379" in the environment).
    nodes: list[str] = Field(default_factory=list)
    password: SecretStr | None = None
    tls: bool = False

    @model_validator(mode="after")
    def _complete(self) -> SentinelSettings:
        """Both halves or neither: one alone is a half-finished edit, named as such."""
        if not self.master:
            raise ValueError("sentinel.master is missing: the name the sentinels monitor "
                             "(NAIBOT_REDIS__SENTINEL__MASTER)")
        if not self.nodes:
            raise ValueError("sentinel.nodes is empty: list the sentinels as host:port "
                             "(NAIBOT_REDIS__SENTINEL__NODES)")
        return self

    @field_validator("nodes", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        """``NAIBOT_REDIS__SENTINEL__NODES=a:26379,b:26379``: text is a comma-separated list."""
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("nodes")
    @classmethod
    def _host_port(cls, value: list[str]) -> list[str]:
        for number, node in enumerate(value, 1):
            host, colon, port = node.rpartition(":")
            if not colon or not host or not (port.isascii() and port.isdigit()) or not 1 <= int(port) <= 65535:
                raise ValueError(f"node {number} is not host:port (each sentinel is like 10.0.0.1:26379)")
        return value

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """The nodes as (host, port) pairs, as redis-py's ``Sentinel`` takes them ([v6] in brackets)."""
        pairs = []
        for node in self.nodes:
            host, _, port = node.rpartition(":")
            pairs.append((host.strip("[]"), int(port)))
        return pairs


class RedisSettings(Section):
    url: str = "redis://127.0.0.1:6379/0"
    prefix: str = Field("naibot", min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    # Fail fast when Redis is away instead of hanging a chat handler.
    socket_timeout: float = Field(5.0, gt=0)
    connect_timeout: float = Field(2.0, gt=0)
    # Connections per process; more callers than this wait for one (up to socket_timeout).
    max_connections: int = Field(64, ge=2, le=10_000)
    # With a rediss:// URL (Redis reached over the network, deploy/SCALING.md): the CA that signed
    # the server's certificate, when it is not one the system trusts. The server's certificate
    # and host name are always checked.
    ca_file: Path | None = None
    # Redis Sentinel instead of one fixed address (deploy/SCALING.md): None, one Redis at url.
    sentinel: SentinelSettings | None = None

    @field_validator("url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        problem = url_problem(value, {"redis", "rediss", "unix"}, "must start with redis://, rediss:// or unix://",
                              host=False)  # redis:///0 is redis-py's localhost
        if problem is not None:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _tls_into_url(self) -> RedisSettings:
        """Fold the TLS checks into a rediss:// URL (redis-py's query arguments): every client is
        built from the URL alone (ours, and Dramatiq's broker), so each of them checks the server
        against ``ca_file`` and its certificate's host name without knowing about the setting.
        The host name check is spelled out because redis-py before 6 left it off by default."""
        parts = urlsplit(self.url)
        if parts.scheme != "rediss":
            if self.ca_file is not None:
                raise ValueError("ca_file needs a rediss:// url (TLS); with redis:// nothing would be checked")
            return self
        wanted = {"ssl_check_hostname": "true"}
        if self.ca_file is not None:
            if not self.ca_file.is_file():
                raise ValueError(f"ca_file: no such file: {self.ca_file}")
            wanted["ssl_ca_certs"] = str(self.ca_file)
        query = [item for item in parts.query.split("&") if item and item.split("=", 1)[0] not in wanted]
        query.append(urlencode(wanted))
        self.url = urlunsplit(parts._replace(query="&".join(query)))
        return self

    @model_validator(mode="after")
    def _sentinel_url(self) -> RedisSettings:
        """With sentinels, the URL still says how to talk to the master (user, password, database,
        TLS), over TCP: a unix:// socket cannot be what a sentinel hands out."""
        if self.sentinel is not None and urlsplit(self.url).scheme == "unix":
            raise ValueError("sentinel needs a redis:// or rediss:// url (its user, password, database and TLS "
                             "are the master's; the host and port come from the sentinels)")
        return self

    @property
    def address(self) -> str:
        """The URL without its credentials (``user:password@``, ``?password=``), safe for a log line;
        scheme, host, port and database kept (``rediss://`` tells TLS from plain). With sentinels,
        the master's name and the sentinels come first (the URL's host is not used then)."""
        parts = urlsplit(self.url)
        bare = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
        bare = re.sub(r"(?<=[?&])password=[^&#]*", "password=**********", bare)
        if self.sentinel is None:
            return bare
        return f"sentinel master {self.sentinel.master} via {','.join(self.sentinel.nodes)} ({bare})"


class NovelAITimeouts(Section):
    connect: float = Field(10.0, gt=0)
    login: float = Field(30.0, gt=0)
    user: float = Field(20.0, gt=0)
    # A generation at high resolution and many steps can take well over a minute.
    generate: float = Field(180.0, gt=0)


_MIB = 1024 * 1024


class NovelAILimits(Section):
    """What the client accepts from NovelAI (or whoever answers in its name); ``novelai.limits`` says why
    each default is what it is. Crossing one fails the job with a plain message, without a retry."""

    max_response_bytes: int = Field(64 * _MIB, ge=_MIB)
    max_error_bytes: int = Field(64 * 1024, ge=1024)
    max_message_chars: int = Field(300, ge=20)
    max_zip_members: int = Field(16, ge=1)
    max_image_bytes: int = Field(32 * _MIB, ge=64 * 1024)
    max_image_pixels: int = Field(2048 * 2048, ge=64 * 64)
    max_text_chunk_bytes: int = Field(_MIB, ge=1024)
    max_text_bytes: int = Field(4 * _MIB, ge=1024)
    max_frame_bytes: int = Field(32 * _MIB + 64 * 1024, ge=64 * 1024)
    max_stream_frames: int = Field(1000, ge=10)
    max_retry_after_seconds: float = Field(300.0, ge=0, le=86400)
    # The whole generation, wall clock (timeouts.generate bounds each read only).
    generation_seconds: float = Field(300.0, gt=0)


class DefaultAccount(Section):
    """The deployment's own NovelAI account, named ``default``."""

    token: SecretStr | None = None
    email: str | None = None
    password: SecretStr | None = None

    @property
    def configured(self) -> bool:
        return self.token is not None or (self.email is not None and self.password is not None)


class NovelAISettings(Section):
    api_url: ApiBaseUrl = "https://api.novelai.net"
    image_url: ApiBaseUrl = "https://image.novelai.net"
    timeouts: NovelAITimeouts = NovelAITimeouts()
    limits: NovelAILimits = NovelAILimits()
    # Log in again when a cached token has this many days or fewer left (tokens live 30 days).
    refresh_days: float = Field(10.0, ge=0, le=30)
    default_account: DefaultAccount = DefaultAccount()


class SecuritySettings(Section):
    # Passphrase for secrets at rest; required as soon as anything secret is stored.
    secret_key: SecretStr | None = None

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(f"must be at least {MIN_SECRET_KEY_LENGTH} characters long")
        return value


class MinioSettings(Section):
    endpoint: str = "127.0.0.1:9000"
    access_key: SecretStr | None = None
    secret_key: SecretStr | None = None
    secure: bool = False
    bucket: str = "naibot"
    # Public bucket URLs, or presigned URLs valid for ``presign_seconds``.
    public: bool = False
    presign_seconds: int = Field(7 * 86400, gt=0, le=7 * 86400)

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if (problem := endpoint_problem(value)) is not None:
            raise ValueError(problem)
        return value


class StorageSettings(Section):
    backend: Literal["local", "minio"] = "local"
    dir: Path = Path("./data/images")
    # Where ``/static/images/<key>`` is reachable from outside (the HTTP API), if anywhere.
    public_base_url: str | None = None
    minio: MinioSettings = MinioSettings()

    @field_validator("public_base_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        return None if value is None else _http(value)


# Telegram's alphabet and limit for setWebhook's secret_token; 32 characters of it are 192 bits.
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{32,256}$")
MAKE_WEBHOOK_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
# Words that make a "secret" a placeholder someone forgot to replace (compared without case, - and _).
_PLACEHOLDER_WORDS = ("changeme", "replaceme", "placeholder", "example", "secret", "password")


def webhook_secret_problem(value: str | None, mode: str) -> str | None:
    """What is wrong with ``telegram.webhook_secret`` for this mode, or None.

    In webhook mode anyone who finds the URL can POST an update "from" anyone, a deployment admin
    included; this header, which Telegram sends with every update, is the only proof that a request
    came from Telegram. So webhook mode refuses to start without a long random one."""
    how = f"make one with: {MAKE_WEBHOOK_SECRET} and set NAIBOT_TELEGRAM__WEBHOOK_SECRET to it"
    if value is None:
        return f"required in webhook mode (it proves an update comes from Telegram); {how}" if mode == "webhook" \
            else None
    if not _WEBHOOK_SECRET.match(value):
        return f"must be 32 to 256 characters of A-Z a-z 0-9 _ - (Telegram's alphabet); {how}"
    plain = value.lower().replace("-", "").replace("_", "")
    if len(set(plain)) < 8 or any(word in plain for word in _PLACEHOLDER_WORDS):
        return f"looks like a placeholder, not a random secret; {how}"
    return None


class TelegramSettings(Section):
    token: SecretStr | None = None
    api_url: ApiBaseUrl = "https://api.telegram.org"
    # Long polling needs nothing in front of the bot; webhook mode needs a public HTTPS URL.
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(8443, ge=1, le=65535)
    # Required in webhook mode: Telegram sends it with every update (see webhook_secret_problem).
    webhook_secret: SecretStr | None = None
    # Telegram's documented limits; the bot paces itself to stay under them.
    private_per_second: float = Field(1.0, gt=0)
    group_per_minute: int = Field(20, ge=1)
    global_per_second: int = Field(30, ge=1)

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        return None if value is None else _http(value)

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret_usable(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        # Runs for the default too (validate_default); ``mode`` is declared above, so it is in info.data.
        plain = value.get_secret_value() if value is not None else None
        problem = webhook_secret_problem(plain, info.data.get("mode", "polling"))
        if problem is not None:
            raise ValueError(problem)
        return value


class DiscordSettings(Section):
    token: SecretStr | None = None
    api_url: ApiBaseUrl = "https://discord.com/api/v10"
    gateway_url: str = "wss://gateway.discord.gg/"
    # Sync slash commands to these guilds only (instant, for trying things out); empty = globally.
    guilds: list[int] = Field(default_factory=list)
    # Outside age-restricted channels: allow | sfw_only (refuse adult prompts) | nsfw_channels_only.
    nsfw_rule: Literal["allow", "sfw_only", "nsfw_channels_only"] = "sfw_only"
    # Discord allows about 5 messages or edits per 5 s in a channel, 50 requests a second overall.
    channel_per_5s: int = Field(5, ge=1)
    global_per_second: int = Field(50, ge=1)
    # Role ids (besides Manage Server / Administrator) that count as group admins.
    admin_roles: list[int] = Field(default_factory=list)
    # Role id -> the highest priority members with that role may ask for (e.g. supporters).
    role_priorities: dict[int, int] = Field(default_factory=dict)
    # Sharding (deploy/SCALING.md): the bot's shard count (None: what Discord's GET /gateway/bot
    # recommends at each start) and the shards this process runs (None: all of them; else a list,
    # or text like "0-3" or "0,1"). Several processes with disjoint ranges share one queue.
    shard_count: int | None = Field(None, ge=1)
    shard_ids: list[int] | None = None

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _shard_range(cls, value: object) -> object:
        """ "0-3", "0,1", "0-1,4" or a single number, as the list of ids (lists pass as they are)."""
        if isinstance(value, int) and not isinstance(value, bool):
            return [value]
        if not isinstance(value, str):
            return value
        ids: list[int] = []
        for part in value.replace(" ", "").split(","):
            first, dash, last = part.partition("-")
            if not (first.isdigit() and (not dash or last.isdigit())):
                raise ValueError('shard ids are a list, a range like "0-3" or ids like "0,1"')
            ids.extend(range(int(first), int(last) + 1) if dash else [int(first)])
        return ids

    @field_validator("shard_ids")
    @classmethod
    def _shards_exist(cls, value: list[int] | None, info: ValidationInfo) -> list[int] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("no shard ids: leave it unset (null) to run every shard")
        if "shard_count" not in info.data:
            return value  # shard_count itself is wrong; that error is reported
        count = info.data["shard_count"]
        if count is None:
            raise ValueError("shard ids need a fixed discord.shard_count (which shards exist depends on it)")
        if any(not 0 <= shard < count for shard in value):
            raise ValueError(f"shard ids must be 0 to {count - 1} (shard_count is {count})")
        return sorted(set(value))

    @field_validator("role_priorities")
    @classmethod
    def _priorities_in_range(cls, value: dict[int, int]) -> dict[int, int]:
        if any(not 0 <= p <= 10 for p in value.values()):
            raise ValueError("role priorities are 0..10")
        return value

    @field_validator("gateway_url")
    @classmethod
    def _websocket_url(cls, value: str) -> str:
        if (problem := url_problem(value, {"ws", "wss"}, "must be a ws:// or wss:// URL")) is not None:
            raise ValueError(problem)
        return value


class QueueSettings(Section):
    # Finished jobs (done, failed, canceled) stay readable this long, then expire.
    retention_seconds: int = Field(7 * 86400, gt=0)
    # A running job's lease, and a lane's (renewed by every pop and every third of it while its
    # worker drains the lane); a worker that stops renewing them (killed, machine gone) loses the
    # job back to the head of its lane within about twice this time.
    lease_seconds: float = Field(30.0, ge=1)
    # A finished generation whose result cannot be recorded (Redis away) is retried with back-off
    # this long while its worker keeps the lease; after that the next attempt reuses its images.
    record_retry_seconds: float = Field(120.0, ge=0, le=3600)
    max_attempts: int = Field(5, ge=1, le=50)
    backoff_base_seconds: float = Field(2.0, ge=0)
    backoff_max_seconds: float = Field(60.0, ge=0)
    # An account answering "Concurrent generation is locked" is still busy with an abandoned
    # generation: its lane pauses this long before trying again.
    lock_pause_seconds: float = Field(15.0, ge=0)
    max_waiting_per_user: int = Field(10, ge=1)
    # Anlas a job may spend unless the request allows more; 0 = free generations only.
    max_anlas_per_job: int = Field(0, ge=0)
    # A worker drains at most this many jobs of one lane before letting other lanes in.
    slice_jobs: int = Field(8, ge=1)
    events_max_length: int = Field(20000, ge=100)
    # Send step progress as events at most this often per job.
    progress_interval_seconds: float = Field(1.0, ge=0)
    stream_progress: bool = True
    dramatiq_queue: str = Field("naibot", pattern=r"^[A-Za-z0-9_.-]+$")


class WorkerSettings(Section):
    processes: int = Field(1, ge=1, le=64)
    threads: int = Field(4, ge=1, le=256)


class BotSettings(Section):
    """What the chat bots do by default, whatever the platform."""

    default_language: Literal["en", "zh"] = "en"
    # The NovelAI account jobs run on until personal and group accounts are configured.
    default_account: str = "default"
    # Priority of a normal user's job, and the most they may ask for with --priority.
    default_priority: int = Field(5, ge=0, le=10)
    user_max_priority: int = Field(5, ge=0, le=10)
    # Deployment admins as "<platform>:<user id>", e.g. "telegram:12345": may cancel any job,
    # ban and unban users, queue at up to priority 10 and see every lane (/admin queue).
    admins: list[str] = Field(default_factory=list)
    # Whether the deployment's own account serves people who have not logged in (a group can
    # turn this off for itself with /group default off). Personal accounts always come first.
    allow_default_account: bool = True
    # The most a group admin may ask for (a group can lower or raise it with /group priority).
    group_admin_max_priority: int = Field(8, ge=0, le=10)
    # Personal and group NovelAI accounts (stored encrypted): with them on, every process
    # refuses to start without NAIBOT_SECRET_KEY rather than run unable to read or store them.
    accounts_enabled: bool = True


class ApiKeySettings(Section):
    """One HTTP API client: its key, who it is, how high it may queue, which account it spends."""

    key: SecretStr
    identity: str = Field(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    max_priority: int = Field(5, ge=0, le=10)
    # The NovelAI account its jobs run on; None = bot.default_account.
    account: str | None = None
    # Admin keys see every job, may cancel any, and open the status page.
    admin: bool = False

    @field_validator("key")
    @classmethod
    def _strong_key(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError("API keys must be at least 16 characters long")
        return value


class ApiSettings(Section):
    listen: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    keys: list[ApiKeySettings] = Field(default_factory=list)
    # Repeated GET /task_status for one job within this time is answered from memory.
    status_cache_seconds: float = Field(1.0, ge=0, le=60)
    # GET /metrics without an API key (only where nothing but a private network reaches the API).
    metrics_public: bool = False
    # Where clients reach the API (e.g. https://bot.example): image URLs and the status page's
    # login check use it, never the Host header a client sent. None: relative image URLs.
    public_url: str | None = Field(None, pattern=r"^https?://[^/?#\s]+/?$")
    # The largest request body read (POST /generate's JSON); bigger ones are answered 413.
    max_body_bytes: int = Field(65536, ge=1024, le=1048576)
    # The status page's session cookie is Secure (sent over https only); false for plain-http demos.
    cookie_secure: bool = True
    admin_session_seconds: int = Field(12 * 3600, ge=60, le=7 * 24 * 3600)
    # /docs and /redoc load Swagger UI / ReDoc from a CDN, on the admin page's origin: off unless asked.
    docs: bool = False

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        return None if value is None else _http(value)


class LoggingSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
