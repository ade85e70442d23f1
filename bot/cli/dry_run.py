"""``naibot generate … --dry-run``: what a job would send and cost, without queueing it.

The exact body the client would send (``novelai.payload``, the endpoint the worker would use), the model
family, the Anlas price and whether it would be free on the chosen account, which needs that account's
subscription: read once, and when it cannot be read the answer says so and counts the job as paid, the
rule the spend guard follows (a price the bot cannot know for sure is a price). The token is never part
of the body nor of anything printed; an error reading the subscription is named by its kind only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from bot.cli.common import EXIT_OK, fail
from naibot.settings import Settings
from novelai.allowance import describe
from novelai.cost import SpendVerdict, would_spend
from novelai.errors import NovelAIError
from novelai.factory import AccountDirectory, client_from_settings
from novelai.models import family_of
from novelai.payload import build_payload
from novelai.request import GenerationRequest
from novelai.subscription import Subscription

# One subscription read, bounded as a whole (a login included): a dry run must answer promptly.
SUBSCRIPTION_TIMEOUT = 20.0
_ALLOWANCE_WORDS = {"empty": "its free V5 allowance is used up", "unknown": "NovelAI did not report its free V5 "
                    "allowance, so it counts as paid"}


class AccountNotFound(Exception):
    pass


async def account_subscription(settings: Settings, name: str) -> tuple[Subscription | None, str | None]:
    """The account's subscription, or None and why it could not be read (never a secret)."""
    try:
        account = await AccountDirectory(settings).get(name)
    except Exception as exc:  # Redis away, a stored account unreadable: say what kind of failure
        return None, f"the account could not be read ({type(exc).__name__})"
    if account is None:
        raise AccountNotFound(name)
    client = client_from_settings(settings)
    try:
        async with asyncio.timeout(SUBSCRIPTION_TIMEOUT):
            return await client.subscription(account), None
    except NovelAIError as exc:
        return None, f"NovelAI could not be asked ({exc.user_message})"
    except Exception as exc:
        return None, f"NovelAI could not be asked ({type(exc).__name__})"
    finally:
        await client.aclose()


def _report(args: argparse.Namespace, settings: Settings, request: GenerationRequest, verdict: SpendVerdict,
            subscription: Subscription | None, problem: str | None) -> dict[str, Any]:
    stream = settings.queue.stream_progress
    allowed = settings.queue.max_anlas_per_job if args.max_anlas is None else args.max_anlas
    return {
        "dry_run": True,
        "account": args.account,
        "endpoint": "/ai/generate-image-stream" if stream else "/ai/generate-image",
        "body": build_payload(request, stream=stream),
        "model": request.model,
        "family": family_of(request.model).value,
        "anlas": verdict.cost,
        "free": verdict.free,
        "subscription": "unknown" if subscription is None else "read",
        "subscription_problem": problem,
        "allowance": verdict.allowance,
        "v5_allowance": describe(subscription.usage) if subscription and subscription.opus_free else None,
        "balance": verdict.balance,
        "max_anlas": allowed,
        "within_limit": verdict.cost <= allowed,
    }


def _summary(report: dict[str, Any], request: GenerationRequest) -> list[str]:
    cost = "free" if report["anlas"] == 0 else f"{report['anlas']} Anlas"
    if report["subscription"] == "unknown":
        why = f"subscription unknown: {report['subscription_problem']}; treated as paid"
    elif report["allowance"] is not None:
        why = _ALLOWANCE_WORDS[report["allowance"]]
    elif report["free"]:
        why = "Opus free image" + (" (V5 allowance " + report["v5_allowance"] + ")" if report["v5_allowance"] else "")
    else:
        why = f"balance {report['balance']}"
    limit = ("within" if report["within_limit"] else "over, so it would be refused:") + \
        f" the limit of {report['max_anlas']} Anlas per job"
    return [
        "dry run: nothing queued",
        f"model {report['model']} ({report['family']}), {request.width}x{request.height}, {request.steps} steps, "
        f"{request.n_samples} image{'s' if request.n_samples != 1 else ''}",
        f"cost on account {report['account']}: {cost} ({why})",
        f"limit: {limit}",
        f"would send: POST {report['endpoint']} (--json shows the body)",
    ]


async def dry_run(args: argparse.Namespace, settings: Settings, request: GenerationRequest) -> int:
    """Print what the resolved ``request`` would send and cost on ``args.account``; exit 0."""
    try:
        subscription, problem = await account_subscription(settings, args.account)
    except AccountNotFound:
        return fail(f"there is no NovelAI account named {args.account!r}; add it with: "
                    f"naibot account add {args.account} --token", kind="unknown_account", code=2,
                    json_out=args.json)
    report = _report(args, settings, request, would_spend(request, subscription), subscription, problem)
    print(json.dumps(report, ensure_ascii=False) if args.json else "\n".join(_summary(report, request)))
    return EXIT_OK
