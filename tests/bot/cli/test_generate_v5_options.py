"""`naibot generate --transparent` and `--quality-preset` reach the request (and its body) the way
`--seed` does; the V5 rules behind them are novelai's (tests/novelai/test_v5_request_rules.py)."""

from __future__ import annotations

from bot.cli.main import build_parser
from bot.cli.queue import build_request
from novelai.payload import build_payload
from novelai.request import GenerationRequest


def _request(*argv: str) -> GenerationRequest:
    return build_request(build_parser().parse_args(["generate", "1girl", *argv]))


def test_transparent_and_light_quality_reach_the_v5_body() -> None:
    body = build_payload(_request("--model", "v5", "--transparent", "--quality-preset", "light",
                                  "--seed", "3").resolved())
    assert body["parameters"]["tag_hint_transparent_background"] is True
    assert body["parameters"]["qualityPresetId"] == "light"


def test_without_the_options_the_request_keeps_its_defaults() -> None:
    request = _request("--model", "v5")
    assert (request.transparent, request.quality_preset) == (False, "standard")
