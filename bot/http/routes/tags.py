"""``GET /suggest-tags``: tag autocomplete for an API identity, the HTTP twin of Discord's ``/generate``
autocomplete and Telegram's inline mode.

``prompt`` may be a whole prompt: the tag after its last comma is completed (its weight syntax kept, as in
the chats), and each suggestion comes with the prompt it completes to. The lookup is the chats' own
(``bot.rules.tag_lookup``): cached per (model, prefix), a budget of NovelAI lookups per identity, a short
deadline, the cache or nothing when NovelAI is slow; so this route always answers 200, quickly. NovelAI is
asked with the key's own account if it has one, else the deployment's default (suggest-tags is free).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from bot.http.auth import ApiIdentity, KeyFirstRoute, require_identity
from bot.http.deps import ApiState, api_state
from bot.http.routes.jobs import _errors
from bot.keys import BotKeys
from bot.rules.policy import Policy
from bot.rules.tag_lookup import TagLookup, model_id_of
from novelai.tags import MAX_PREFIX_CHARS, typed_tag

router = APIRouter(route_class=KeyFirstRoute)
# A prompt is bounded like /generate's (novelai.request: 2000 characters); only its last tag is looked up.
MAX_PROMPT_CHARS = 2000


class TagOut(BaseModel):
    tag: str
    count: int = Field(description="how many pictures carry it (NovelAI reports at most 10,000)")
    confidence: float = Field(description="NovelAI's confidence, 0..1")
    prompt: str = Field(description="the prompt with its last tag replaced by this one, weight syntax kept")


class SuggestedTags(BaseModel):
    model: str = Field(description="the model id the suggestions are for")
    typed: str = Field(description="the partial tag that was looked up")
    source: str = Field(description="novelai, cache, shorter (a shorter prefix's cached answer) or none")
    tags: list[TagOut]


def tag_lookup(request: Request, state: ApiState) -> TagLookup:
    """The process's one lookup (its background lookups are closed with the app), built on first use."""
    lookup: TagLookup | None = getattr(request.app.state, "tag_lookup", None)
    if lookup is None:
        services = state.services
        directory = services.submitter.accounts
        policy = Policy(state.settings, services.redis, directory.store, directory, services.submitter.subscriptions)
        lookup = TagLookup(services.redis, BotKeys(state.settings.redis.prefix), services.client, policy)
        request.app.state.tag_lookup = lookup
    return lookup


@router.get("/suggest-tags", response_model=SuggestedTags, responses=_errors(400, 401), tags=["tags"],
            summary="complete the tag being typed (after the prompt's last comma) from NovelAI's suggestions")
async def suggest_tags(request: Request,
                       prompt: str = Query(max_length=MAX_PROMPT_CHARS, description="a partial tag, or a "
                                           "prompt whose last tag is being typed: '1girl, 1.2::blue e'"),
                       model: str | None = Query(default=None, max_length=64,
                                                 description="model id or alias; the default model if none"),
                       identity: ApiIdentity = Depends(require_identity),
                       state: ApiState = Depends(api_state)) -> SuggestedTags:
    cut = typed_tag(prompt)
    model_id = model_id_of(model)
    answer = await tag_lookup(request, state).suggest(identity.user_key, model_id, cut.partial,
                                                      account=identity.account)
    return SuggestedTags(model=model_id, typed=cut.prefix[:MAX_PREFIX_CHARS], source=answer.source,
                         tags=[TagOut(tag=s.tag, count=s.count, confidence=s.confidence, prompt=cut.complete(s.tag))
                               for s in answer.suggestions])
