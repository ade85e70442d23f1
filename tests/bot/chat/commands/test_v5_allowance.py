"""The Opus V5 allowance in the chat: `/account` shows it, a free-sized V5 `/generate` on an account whose
allowance is used up is refused with its cost (not charged), and it queues while allowance is left."""

from __future__ import annotations

from bot.chat.texts.jobs import status_text
from novelai.request import GenerationRequest
from sandbox.novelai import OPUS_TOKEN, NovelAISandbox
from tasks.job import Job, JobError, JobState, Requester
from tests.fixtures.chat import ChatWorld, answers


def set_allowance(sandbox: NovelAISandbox, percent: float) -> None:
    account = next(a for a in sandbox.accounts if a.token == OPUS_TOKEN)  # the chat's default account
    account.set_allowance(percent, refill_per_minute=0)


async def test_a_v5_generate_on_a_used_up_allowance_says_what_it_would_cost(chat: ChatWorld,
                                                                            novelai_sandbox: NovelAISandbox) -> None:
    set_allowance(novelai_sandbox, 0)
    ann = chat.context("1", "Ann")
    assert await chat.command(ann, "/generate a fox --model v5 --size portrait --steps 23") is None
    assert answers(ann).only.text == (
        "This would cost 26 Anlas, and only free generations are allowed here: this Opus account's free V5 "
        "allowance is used up, so V5 images cost Anlas until it refills. Use V4.5 (still free on Opus at up to "
        "1024×1024 pixels and 28 steps), or wait: /account shows the allowance and when it refills.")
    assert await chat.waiting() == []
    assert novelai_sandbox.stats.generations_started() == 0


async def test_a_v5_generate_with_allowance_left_is_queued_free(chat: ChatWorld,
                                                               novelai_sandbox: NovelAISandbox) -> None:
    set_allowance(novelai_sandbox, 5)
    ann = chat.context("1", "Ann")
    job = await chat.generated(ann, options="--model v5 --size portrait --steps 23")
    assert job.request.model == "nai-diffusion-5-full"


async def test_account_shows_the_v5_allowance_in_both_languages(chat: ChatWorld,
                                                                novelai_sandbox: NovelAISandbox) -> None:
    ann = chat.context("1", "Ann")
    await chat.command(ann, f"/login {OPUS_TOKEN}")
    set_allowance(novelai_sandbox, 50)
    await chat.command(ann, "/account")
    # 49 whole percents at a week's pace (6,048 s each) after the next one, which the stand-in says is now.
    assert "Free V5 allowance: ≈ 865 images left (50%), full in 3 d 10 h" in answers(ann).last.text.splitlines()
    set_allowance(novelai_sandbox, 0)
    await chat.command(ann, "/settings set language zh")
    await chat.command(ann, "/account")
    assert any(line.startswith("V5 免费额度：已用完（0%），V5 出图要花 Anlas")
               for line in answers(ann).last.text.splitlines())


def test_a_refused_payment_of_a_v5_job_names_the_allowance_and_its_v5_price() -> None:
    request = GenerationRequest(prompt="a fox", model="v5", width=832, height=1216, steps=23, seed=1).resolved()
    job = Job(request=request, requester=Requester(platform="telegram", user_id="1"), account="default",
              state=JobState.FAILED, error=JobError(kind="payment", message="NovelAI refused the charge"))
    text = status_text(job, "en")
    assert "This job costs about 26 Anlas." in text
    assert ("On V5, an Opus account's free images come out of an allowance that refills over time; once it is "
            "used up, V5 images cost Anlas. /account shows what is left.") in text
    assert "V5 免费" not in text and "额度用完后，V5 出图要花 Anlas" in status_text(job, "zh")
