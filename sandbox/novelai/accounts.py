"""Accounts, tokens and the account-shaped JSON of the NovelAI stand-in (docs/novelai-api.md §1.3, §2, §3).

Kept apart from the HTTP layer so the CLI can parse ``--account`` specs and tests can mint
tokens without importing aiohttp routes.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import math
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from argon2.low_level import Type, hash_secret_raw

from novelai.accesskey import normalize_email

OPUS_EMAIL = "opus@example.com"
OPUS_PASSWORD = "opus-password"
TABLET_EMAIL = "tablet@example.com"
TABLET_PASSWORD = "tablet-password"
PAPER_EMAIL = "paper@example.com"
PAPER_PASSWORD = "paper-password"
OPUS_TOKEN = "pst-sandboxopus0000000000000000000000000000000000000000000000000000"

DEFAULT_TOKEN_LIFETIME = 30 * 86400
PERSISTENT_TOKEN_PREFIX = "pst-"
# A fixed, far-future subscription end, so subscription JSON is reproducible between runs.
SUBSCRIPTION_EXPIRES_AT = 4_102_444_800  # 2100-01-01T00:00:00Z
OPUS_TIER = 3
# The V5 Opus allowance (docs/novelai-api.md §9.5, the NovelAI FAQ "Opus Usage Limits" as ima2-gen #193
# quotes it): refilled per minute, empty to full in about a week, never refilled past 100 %.
ALLOWANCE_FULL = 100.0
WEEK_MINUTES = 7 * 24 * 60
DEFAULT_REFILL_PER_MINUTE = ALLOWANCE_FULL / WEEK_MINUTES


@dataclass
class SandboxAccount:
    """A NovelAI account: either email + password (logs in) or a persistent ``pst-`` token.

    Mutable on purpose: the sandbox spends ``anlas`` in place, and tests flip ``active`` or
    ``tier`` to simulate a lapsed subscription.
    """

    email: str | None = None
    password: str | None = None
    token: str | None = None
    tier: int = 3
    anlas: int = 1000
    active: bool = True
    # The V5 allowance in percent as of ``allowance_at`` (wall clock), refilled lazily by ``allowance_now``.
    allowance: float = ALLOWANCE_FULL
    allowance_refill_per_minute: float = DEFAULT_REFILL_PER_MINUTE
    allowance_at: float = field(default_factory=time.time, compare=False)

    @property
    def key(self) -> str:
        """The name stats and the control API use for this account: the normalised email or the token."""
        if self.email is not None:
            return normalize_email(self.email)
        if self.token is not None:
            return self.token
        raise ValueError("a sandbox account needs an email or a token")

    @property
    def account_id(self) -> str:
        """A stable id for the JWT ``id`` claim, derived so no id table has to be kept in sync."""
        return hashlib.sha256(self.key.encode("utf-8")).hexdigest()[:24]

    @property
    def opus_free(self) -> bool:
        """Whether NovelAI would give this account its free Opus image per request (§7)."""
        return self.tier == OPUS_TIER and self.active

    def allowance_now(self, now: float | None = None) -> float:
        """The allowance in percent now: refilled since ``allowance_at`` up to 100 % (a level above
        100, as boosts give, is kept, not refilled further)."""
        now = time.time() if now is None else now
        if self.allowance < ALLOWANCE_FULL and self.allowance_refill_per_minute > 0:
            refilled = self.allowance + (now - self.allowance_at) / 60 * self.allowance_refill_per_minute
            self.allowance = min(refilled, ALLOWANCE_FULL)
        self.allowance_at = now
        return self.allowance

    def set_allowance(self, percent: float, refill_per_minute: float | None = None) -> None:
        self.allowance, self.allowance_at = float(percent), time.time()
        if refill_per_minute is not None:
            self.allowance_refill_per_minute = float(refill_per_minute)

    def draw_allowance(self, percent: float) -> None:
        """Spend allowance; it may go below zero (the image that overdraws it is still free)."""
        self.allowance = self.allowance_now() - percent

    def usage_json(self) -> dict[str, Any]:
        """``usage`` of ``/user/subscription``: whole percent left (down, so a client never sees more than
        there is), overdrawn or not, and the seconds until the next whole percent."""
        level = self.allowance_now()
        rate = self.allowance_refill_per_minute
        refilling = level < ALLOWANCE_FULL and rate > 0
        upcoming = math.ceil((math.floor(level) + 1 - level) / rate * 60) if refilling else 0
        return {"percent": math.floor(level), "isNegative": level < 0, "timeUntilNextPercent": upcoming}


DEFAULT_ACCOUNTS: tuple[SandboxAccount, ...] = (
    SandboxAccount(email=OPUS_EMAIL, password=OPUS_PASSWORD, tier=3, anlas=1000),
    SandboxAccount(email=TABLET_EMAIL, password=TABLET_PASSWORD, tier=1, anlas=500),
    SandboxAccount(email=PAPER_EMAIL, password=PAPER_PASSWORD, tier=0, anlas=0),
    SandboxAccount(token=OPUS_TOKEN, tier=3, anlas=1000),
)


@functools.lru_cache(maxsize=256)
def expected_access_key(email: str, password: str) -> str:
    """The access key NovelAI holds for this account, derived here from docs/novelai-api.md §2 and §10.2,
    not with the client's code: the website slices the password in UTF-16 code units (an emoji is two,
    half an emoji becomes U+FFFD in UTF-8), and the email is used exactly as the account was registered
    with (an account registered with a mixed-case email accepts only that key).

    Argon2id costs ~10 ms, so each account's key is derived once per process, not per login."""
    head = password.encode("utf-16-le", "surrogatepass")[:12].decode("utf-16-le", "replace")
    salt = hashlib.blake2b(f"{head}{email}novelai_data_access_key".encode(), digest_size=16).digest()
    raw = hash_secret_raw(password.encode(), salt, time_cost=2, memory_cost=2_000_000 // 1024, parallelism=1,
                          hash_len=64, type=Type.ID)
    return base64.urlsafe_b64encode(raw).decode("ascii")[:64]


def parse_account_spec(spec: str) -> SandboxAccount:
    """Parse ``EMAIL:PASSWORD[:tier[:anlas]]`` or ``pst-TOKEN[:tier[:anlas]]`` from the command line.

    Trailing all-digit fields (at most two) are tier and Anlas, so a password may itself contain
    ``:`` as long as it does not end in ``:<digits>``.
    """
    parts = spec.split(":")
    head, rest = parts[0], parts[1:]
    numbers: list[int] = []
    while rest and len(numbers) < 2 and rest[-1].isdigit() and (head.startswith("pst-") or len(rest) > 1):
        numbers.insert(0, int(rest.pop()))
    tier, anlas = (numbers + [3, 1000][len(numbers):])[:2]
    if not 0 <= tier <= OPUS_TIER:
        raise ValueError(f"tier must be 0..3, got {tier}")
    if head.startswith(PERSISTENT_TOKEN_PREFIX):
        if rest:
            raise ValueError(f"a token spec is pst-TOKEN[:tier[:anlas]], got {spec!r}")
        return SandboxAccount(token=head, tier=tier, anlas=anlas)
    password = ":".join(rest)
    if "@" not in head or not password:
        raise ValueError(f"an account spec is EMAIL:PASSWORD[:tier[:anlas]] or pst-TOKEN[...], got {spec!r}")
    return SandboxAccount(email=head, password=password, tier=tier, anlas=anlas)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_JWT_HEADER = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())


class TokenIssuer:
    """Signs and checks JWTs shaped like NovelAI's login tokens (payload ``id, exp, iat, nc``, §3).

    Every issued token's nonce is remembered per account, so revoking an account forgets its
    nonces and every older token of it answers 401 while new logins keep working.
    """

    def __init__(self) -> None:
        self._secret = secrets.token_bytes(32)
        self._live_nonces: dict[str, set[str]] = {}

    def issue(self, account: SandboxAccount, lifetime: int) -> str:
        now = int(time.time())
        nonce = secrets.token_hex(8)
        payload = {"id": account.account_id, "exp": now + lifetime, "iat": now, "nc": nonce}
        body = f"{_JWT_HEADER}.{_b64url(json.dumps(payload, separators=(',', ':')).encode())}"
        self._live_nonces.setdefault(account.account_id, set()).add(nonce)
        return f"{body}.{_b64url(self._sign(body))}"

    def account_id_of(self, token: str) -> str | None:
        """The account id a valid, unexpired, unrevoked token belongs to; None otherwise."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        body = f"{parts[0]}.{parts[1]}"
        try:
            signature_ok = hmac.compare_digest(_b64url_decode(parts[2]), self._sign(body))
            payload = json.loads(_b64url_decode(parts[1])) if signature_ok else None
        except ValueError:
            return None
        if not isinstance(payload, dict) or payload.get("exp", 0) <= time.time():
            return None
        account_id = payload.get("id")
        if not isinstance(account_id, str):
            return None
        return account_id if payload.get("nc") in self._live_nonces.get(account_id, ()) else None

    def revoke(self, account: SandboxAccount) -> None:
        self._live_nonces.pop(account.account_id, None)

    def _sign(self, body: str) -> bytes:
        return hmac.new(self._secret, body.encode("ascii"), hashlib.sha256).digest()


def subscription_json(account: SandboxAccount) -> dict[str, Any]:
    """``GET /user/subscription`` for this account; Anlas are reported as fixed training steps."""
    opus = account.opus_free
    paid = account.tier > 0 and account.active
    return {
        "tier": account.tier,
        "active": account.active,
        "expiresAt": SUBSCRIPTION_EXPIRES_AT if account.active else 0,
        "accountType": 0,
        "perks": {
            "maxPriorityActions": 1000 if paid else 0,
            "startPriority": 10 if paid else 0,
            "contextTokens": (3072, 4096, 8192, 8192)[account.tier],
            "unlimitedMaxPriority": opus,
            "moduleTrainingSteps": (0, 1000, 5000, 10000)[account.tier],
            "voiceGeneration": paid,
            "imageGeneration": paid,
            "unlimitedImageGeneration": opus,
            "unlimitedImageGenerationLimits": [{"resolution": 1048576, "maxPrompts": 1}] if opus else [],
        },
        "paymentProcessorData": {},
        "trainingStepsLeft": {"fixedTrainingStepsLeft": account.anlas, "purchasedTrainingSteps": 0},
        "isGracePeriod": False,
        # §9.5: Opus accounts report their V5 allowance; others have none.
        **({"usage": account.usage_json()} if account.tier == OPUS_TIER else {}),
    }


def information_json(account: SandboxAccount) -> dict[str, Any]:
    """``GET /user/information`` (and ``information`` inside ``/user/data``), as the SDK models it."""
    return {
        "emailVerified": account.email is not None,
        "emailVerificationLetterSent": account.email is not None,
        "trialActivated": account.tier == 0,
        "trialActionsLeft": 0,
        "trialImagesLeft": 0,
        "accountCreatedAt": 1_700_000_000,
    }


def user_data_json(account: SandboxAccount) -> dict[str, Any]:
    """``GET /user/data``: the bundle the website loads at start-up (UKB 2.3.12)."""
    subscription = subscription_json(account)
    return {
        "priority": {
            "maxPriorityActions": subscription["perks"]["maxPriorityActions"],
            "nextRefillAt": 0,
            "taskPriority": subscription["perks"]["startPriority"],
        },
        "subscription": subscription,
        "keystore": {"keystore": None, "changeIndex": 0},
        "settings": "{}",
        "information": information_json(account),
    }
