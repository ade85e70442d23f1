"""Tag autocomplete's core: the prompt cut around the tag being typed, NovelAI's untrusted answer bounded,
and the lookup's contract (cache first, a per-person budget, a deadline, never an exception) against the
NovelAI stand-in and a real Redis."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio

from bot.chat.tag_suggestions import TagSuggestions
from bot.keys import BotKeys
from bot.rules.policy import Policy
from bot.rules.tag_lookup import TagLookup
from novelai.client import NovelAIClient
from novelai.errors import ServerError
from novelai.tags import MAX_SUGGESTIONS, MAX_TAG_CHARS, TagSuggestion, parse_suggestions, typed_tag
from novelai.tokens import TokenCache
from sandbox.novelai import OPUS_TOKEN
from sandbox.novelai.tags import REPORTED_COUNT_CAP
from tasks.services import QueueServices
from tests.fixtures.deployment import Deployment

SUGGEST_PATH = "/ai/generate-image/suggest-tags"
MODEL = "nai-diffusion-4-5-full"


# -- the prompt around the tag being typed ------------------------------------------------------------


@pytest.mark.parametrize(("prompt", "completed"), [
    ("1gi", "1girl"),
    ("masterpiece, 1gi", "masterpiece, 1girl"),
    ("masterpiece, 1.2::blue e", "masterpiece, 1.2::blue eyes::"),
    ("a, -0.5::blue e", "a, -0.5::blue eyes::"),
    ("a, {{blue e", "a, {{blue eyes}}"),
    ("a, [blue e]", "a, [blue eyes]"),
    ("a,1.2::{blue e", "a,1.2::{blue eyes}::"),
    ("a, ::blue e", "a, ::blue eyes"),
])
def test_a_completion_keeps_the_earlier_tags_and_the_weight_syntax(prompt: str, completed: str) -> None:
    tag = "1girl" if "1gi" in prompt else "blue eyes"
    assert typed_tag(prompt).complete(tag) == completed


def test_the_partial_tag_is_bare_of_weight_syntax_and_normalised() -> None:
    cut = typed_tag("cat, 1.5::{{Long_Ha}}::")
    assert (cut.opening, cut.partial, cut.closing) == ("1.5::{{", "Long_Ha", "}}::")
    assert cut.prefix == "long ha"


def test_an_untrusted_answer_is_bounded_and_malformed_entries_dropped() -> None:
    junk: list[object] = [
        {"tag": "x" * (MAX_TAG_CHARS + 1), "count": 5}, {"tag": "ok\nnot", "count": 5}, {"tag": 7, "count": 1},
        {"tag": "bool count", "count": True}, {"tag": "float count", "count": 1.5}, "not an object",
        {"tag": "a, b", "count": 3}, {"tag": "  ", "count": 3},
    ]
    good = [{"tag": f"tag {i}", "count": -5 if i == 0 else i, "confidence": 7 if i == 1 else 0.5} for i in range(60)]
    found = parse_suggestions({"tags": junk + good + [{"tag": "tag 1", "count": 9}]})
    assert len(found) == MAX_SUGGESTIONS
    assert [s.tag for s in found] == [f"tag {i}" for i in range(MAX_SUGGESTIONS)]
    assert found[0].count == 0 and found[1].confidence == 1.0
    with pytest.raises(ValueError):
        parse_suggestions(["a bare list"])


async def test_the_client_refuses_an_answer_that_is_not_the_documented_object() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == f"Bearer {OPUS_TOKEN}"
        assert request.url.params["model"] == MODEL and request.url.params["prompt"] == "blue"
        return httpx.Response(200, json={"tags": "nope"})

    client = NovelAIClient(api_url="http://nai", image_url="http://nai", token_cache=TokenCache(None, None, "t"),
                           transport=httpx.MockTransport(answer))
    from novelai.accounts import Account
    try:
        with pytest.raises(ServerError):
            await client.suggest_tags(Account(name="default", token=OPUS_TOKEN), "v4.5", "blue")
    finally:
        await client.aclose()


# -- the lookup against the stand-in ------------------------------------------------------------------


@dataclass
class Lookups:
    deployment: Deployment
    services: QueueServices
    policy: Policy
    keys: BotKeys

    def make(self, **kwargs: float) -> TagLookup:
        return TagLookup(self.services.redis, self.keys, self.services.client, self.policy, **kwargs)  # type: ignore[arg-type]

    def asked(self) -> list[str]:
        """The prompts NovelAI was asked to suggest tags for."""
        return [r["path"] for r in self.deployment.sandbox.stats.requests if r["path"] == SUGGEST_PATH]


@pytest_asyncio.fixture
async def lookups(deployment: Deployment) -> AsyncIterator[Lookups]:
    services = deployment.services()
    directory = services.submitter.accounts
    policy = Policy(deployment.settings, services.redis, directory.store, directory, services.submitter.subscriptions)
    try:
        yield Lookups(deployment, services, policy, BotKeys(deployment.prefix))
    finally:
        await services.aclose()


async def test_a_lookup_asks_novelai_once_then_answers_from_the_cache(lookups: Lookups) -> None:
    lookup = lookups.make()
    first = await lookup.suggest("telegram:1", "v4.5", "Long_H")
    assert first.source == "novelai"
    assert first.suggestions[0].tag == "long hair"
    assert all(0 < s.count <= REPORTED_COUNT_CAP for s in first.suggestions)
    again = await lookup.suggest("discord:2", MODEL, "long h")
    assert again.source == "cache" and again.suggestions == first.suggestions
    assert len(lookups.asked()) == 1, "the second person was answered from the cache (one key per model+prefix)"


async def test_a_slow_novelai_is_answered_from_the_cache_or_with_nothing(lookups: Lookups) -> None:
    lookup = lookups.make(deadline=0.3)
    await lookup.suggest("telegram:1", MODEL, "blu")  # warms "blu" (and the login) while NovelAI is quick
    lookups.deployment.sandbox.faults.slow_seconds = 1.0
    shorter = await lookup.suggest("telegram:1", MODEL, "blue e")
    assert shorter.source == "shorter"
    assert [s.tag for s in shorter.suggestions] == ["blue eyes"], "the cached 'blu' answer, filtered"
    cold = await lookup.suggest("telegram:1", MODEL, "sce")
    assert cold.source == "none" and cold.suggestions == ()
    # The slow lookup went on in the background and filled the cache for the next keystroke.
    key = lookups.keys.tag_suggestions(MODEL, "sce")
    for _ in range(100):
        if await lookups.services.redis.exists(key):
            break
        await asyncio.sleep(0.05)
    cached = await lookups.services.redis.get(key)
    assert cached is not None and [tag for tag, _, _ in json.loads(cached)] == ["scenery"]
    assert (await lookup.suggest("telegram:1", MODEL, "sce")).source == "cache"
    await lookup.aclose()


async def test_past_a_persons_budget_only_the_cache_answers(lookups: Lookups) -> None:
    lookup = lookups.make(lookups_per_window=2, window=60)
    assert (await lookup.suggest("telegram:1", MODEL, "smi")).source == "novelai"
    assert (await lookup.suggest("telegram:1", MODEL, "sho")).source == "novelai"
    over = await lookup.suggest("telegram:1", MODEL, "smil")
    assert over.source == "shorter" and [s.tag for s in over.suggestions] == ["smile"]
    assert (await lookup.suggest("telegram:1", MODEL, "cat")).source == "none"
    assert (await lookup.suggest("telegram:2", MODEL, "cat")).source == "novelai", "the budget is per person"
    assert len(lookups.asked()) == 3


async def test_a_banned_person_and_a_too_short_prefix_get_nothing(lookups: Lookups) -> None:
    lookup = lookups.make()
    await lookups.policy.ban("telegram:1", "admin")
    assert (await lookup.suggest("telegram:1", MODEL, "long")).source == "none"
    assert (await lookup.suggest("telegram:2", MODEL, "l")).source == "none"
    assert lookups.asked() == []


async def test_completions_apply_each_suggestion_to_the_whole_prompt(lookups: Lookups) -> None:
    from bot.chat.user_settings import UserSettings

    suggestions = TagSuggestions(conv=None, lookup=lookups.make(),  # type: ignore[arg-type]
                                 user_settings=UserSettings(lookups.services.redis, lookups.keys))
    completions = await suggestions.completions("telegram:1", "masterpiece, 1.2::{{blue e")
    assert [c.prompt for c in completions] == ["masterpiece, 1.2::{{blue eyes}}::"]
    assert completions[0].label == "blue eyes (10k)"
    fits = "masterpiece, " * 7 + "blue e"  # completed: exactly Discord's 100 characters
    assert await suggestions.discord_choices("telegram:1", fits) == [("blue eyes (10k)", fits + "yes")]
    assert len(fits + "yes") == 100
    # One character more and picking the choice would cut the prompt: no choice, the typed text stays.
    assert await suggestions.discord_choices("telegram:1", "x" + fits) == []


def test_a_tag_suggestion_is_a_plain_value() -> None:
    assert TagSuggestion("a", 1) == TagSuggestion("a", 1, 0.0)
