"""Schemathesis against the live HTTP API: whatever its own description allows (and much that it
does not), the API never answers with a server error.

The app runs in a real uvicorn on this test's event loop, on its own Redis prefix and NovelAI
stand-in, so ``POST /generate`` really queues jobs; schemathesis (sync, ``requests``) runs in a
thread meanwhile. Each operation gets valid and invalid cases, with a key and without.
"""

from __future__ import annotations

import asyncio
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error

from tests.fixtures.deployment import Deployment
from tests.fixtures.http_e2e import ALICE_KEY, auth, serve, with_api

EXAMPLES_PER_OPERATION_AND_MODE = 40


def no_server_error(ctx: Any, response: Any, case: Any) -> bool | None:
    """``not_a_server_error``, except that ``/healthz`` says 503 on purpose: this deployment has no
    worker, which is exactly what a load balancer must hear."""
    if case.path == "/healthz" and response.status_code == 503:
        return None
    return not_a_server_error(ctx, response, case)


def _fuzz_one(operation: Any, mode: schemathesis.GenerationMode, headers: dict[str, str], base_url: str) -> int:
    """Hypothesis over one operation; raises on the first server error. Returns the cases run."""
    ran = 0

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(max_examples=EXAMPLES_PER_OPERATION_AND_MODE, deadline=None, database=None,
                         phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        nonlocal ran
        ran += 1
        case.call_and_validate(base_url=base_url, headers=headers, checks=[no_server_error], timeout=10)

    check()
    return ran


def _fuzz(base_url: str) -> list[str]:
    """Every operation in both generation modes, with and without a key; returns the failures."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    failures: list[str] = []
    ran = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            for headers in (auth(ALICE_KEY), {}):
                try:
                    ran += _fuzz_one(operation, mode, headers, base_url)
                except Unsatisfiable:
                    assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label  # nothing to break
                except Exception as exc:  # a failing case: go on, to report every operation at once
                    failures.append(f"{operation.label} ({mode.value}, key={bool(headers)}): {exc}")
    assert ran >= 100, f"only {ran} cases ran; {failures[:3]}"
    return failures


async def test_schemathesis_finds_no_server_errors(deployment: Deployment) -> None:
    async with serve(with_api(deployment.settings)) as base_url:
        failures = await asyncio.wait_for(asyncio.to_thread(_fuzz, base_url), 100)
    assert not failures, "\n\n".join(failures)
