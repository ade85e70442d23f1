"""Commands on an image: img2img, inpainting, vibes, references, enhance, variations, upscale, the
Director Tools and ``/info``, and the result buttons that make more of one image.

The adapters say which images a command came with (``ChatContext.images``: attached to it, in its
album, in the message it replies to) and how to fetch each; this family decides what it needs,
fetches only that, bounded by ``images.max_input_bytes`` (the size a platform declares is checked
before anything is downloaded), and hands it to the engine (``tasks.image_submit.ImageJobs``), which
reads, prepares and checks it before anything is stored. A result of this bot is read from storage
(``ChatImage.job_id``), never downloaded again.

Every job then goes through ``GenerateCommands.submit``: the same ban check, permissions, account,
quotas, lender caps, priority, spend rule and record-first order as ``/generate``. Every refusal is
answered privately and leaves nothing behind (no job, no stored input, no quota spent).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from bot.chat.commands.generate import GenerateCommands, RequestBuilder
from bot.chat.context import ChatContext, Conversation
from bot.chat.generate_options import GenerateOptions, OptionError, parse_generate
from bot.chat.kept_settings import KeptSettings
from bot.chat.nsfw import apply_nsfw_rule
from bot.chat.ports import ACTION_SETTINGS, Button, ChatImage, ChatImageError, Reply
from bot.chat.texts.catalog import t
from bot.chat.texts.images import info_text
from naibot.refusal import Refusal
from naibot.settings import ImagesSettings
from novelai.derived import ENHANCE_FACTORS
from novelai.errors import InvalidRequest
from novelai.metadata import read_metadata, settings_from_metadata
from novelai.request import GenerationRequest
from novelai.tools import TOOL_NAMES, ToolName
from tasks.image_submit import ImageJobs, JobImage, PlannedJob, ReferenceUpload, Source, Upload, VibeUpload
from tasks.job import Job

# What people type after /tool, to NovelAI's tool names.
TOOL_WORDS: dict[str, ToolName] = {
    **{name: name for name in TOOL_NAMES},
    "bgremove": "bg-removal", "bg": "bg-removal", "background": "bg-removal", "nobg": "bg-removal",
    "line": "lineart", "colorise": "colorize", "colourise": "colorize", "colour": "colorize", "color": "colorize",
    "bubbles": "declutter-keep-bubbles", "declutter-bubbles": "declutter-keep-bubbles",
    "线稿": "lineart", "草图": "sketch", "上色": "colorize", "表情": "emotion", "去背景": "bg-removal",
    "去杂物": "declutter",
}
# /upscale's factor as typed: "/upscale", "/upscale 4", "/upscale x4", "/upscale 4x".
_UPSCALE_WORDS = {"": 2, "2": 2, "x2": 2, "2x": 2, "4": 4, "x4": 4, "4x": 4}

Planner = Callable[[ChatContext, GenerateOptions], Awaitable[tuple[PlannedJob, int | None]]]
# How a generation uses the pictures a command came with.
PictureUse = Literal["img2img", "inpaint", "vibe", "reference"]


class ImageRefused(Refusal):
    """A refusal about the images themselves (none given, too big, cannot be fetched), with its text key."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key, key=key, **params)


@dataclass
class ImageCommands:
    conv: Conversation
    generator: GenerateCommands
    requests: RequestBuilder
    image_jobs: ImageJobs
    kept: KeptSettings
    limits: ImagesSettings

    # -- typed commands (Telegram captions and replies; Discord's options arrive parsed) -----------

    async def generate(self, ctx: ChatContext, text: str) -> Job | None:
        """`/generate`: img2img when the command came with an image, else text to image as always."""
        if not ctx.images:
            return await self.generator.generate(ctx, text)
        return await self._run(ctx, lambda: parse_generate(text), self._img2img)

    async def generate_options(self, ctx: ChatContext, options: GenerateOptions) -> Job | None:
        """`/generate` with options typed by the platform (Discord) and maybe attachments."""
        if not ctx.images:
            return await self.generator.generate_options(ctx, options)
        return await self._run(ctx, lambda: options, self._img2img)

    async def inpaint(self, ctx: ChatContext, text: str) -> Job | None:
        return await self.use_pictures(ctx, "inpaint", lambda: parse_generate(text))

    async def vibe(self, ctx: ChatContext, text: str) -> Job | None:
        return await self.use_pictures(ctx, "vibe", lambda: parse_generate(text))

    async def reference(self, ctx: ChatContext, text: str) -> Job | None:
        return await self.use_pictures(ctx, "reference", lambda: parse_generate(text))

    async def use_pictures(self, ctx: ChatContext, use: PictureUse, read: Callable[[], GenerateOptions]
                           ) -> Job | None:
        """A generation with the command's pictures used as ``use`` says: the way in for a platform
        that knows it from where the pictures were put (Discord's ``mask``, ``vibe``, ``reference``
        attachments) and reads the options itself; ``read`` runs after the ban check."""
        planners: dict[PictureUse, Planner] = {"img2img": self._img2img, "inpaint": self._inpaint,
                                               "vibe": self._vibes, "reference": self._references}
        return await self._run(ctx, read, planners[use])

    async def edit(self, ctx: ChatContext, job: Job, read: Callable[[], GenerateOptions]) -> Job | None:
        """✏️ Edit & re-run of a generation with pictures: the edited prompt and settings over the
        job's, its pictures copied into the new job (an image or mask fixes the size: another one is
        refused as not matching it). A job without pictures is simply a new `/generate`."""
        async def plan(ctx: ChatContext, options: GenerateOptions) -> tuple[PlannedJob, int | None]:
            changes = {**options.fields, "prompt": options.prompt}
            return self._nsfw_checked(ctx, await self.image_jobs.plan_again(job, changes)), options.priority

        return await self._run(ctx, read, plan)

    async def enhance(self, ctx: ChatContext, text: str) -> Job | None:
        return await self._run(ctx, lambda: parse_generate(text, prompt_required=False), self._derived("enhance"))

    async def variations(self, ctx: ChatContext, text: str) -> Job | None:
        return await self._run(ctx, lambda: parse_generate(text, prompt_required=False),
                               self._derived("variations"))

    async def upscale(self, ctx: ChatContext, text: str) -> Job | None:
        return await self._run(ctx, lambda: parse_generate(text, prompt_required=False), self._upscale)

    async def tool(self, ctx: ChatContext, text: str) -> Job | None:
        return await self._run(ctx, lambda: parse_generate(text, prompt_required=False), self._tool)

    # -- the common path -----------------------------------------------------------------------

    async def _run(self, ctx: ChatContext, read: Callable[[], GenerateOptions], plan: Planner) -> Job | None:
        """Ban check, then read, then plan (fetch, prepare, check), then submit like `/generate`."""
        if await self.conv.refused_banned(ctx):
            return None
        lang = await self.conv.language(ctx)
        try:
            options = read()
            planned, priority = await plan(ctx, options)
        except Refusal as refusal:
            await self.generator.refuse(ctx, refusal, lang)
            return None
        return await self.generator.submit(ctx, planned.request, priority, lang, plan=planned)

    def _images(self, ctx: ChatContext, count: int = 1) -> tuple[ChatImage, ...]:
        """The first ``count`` images the command came with; a refusal that says what to send if fewer."""
        if len(ctx.images) < count:
            if count > 1:
                raise ImageRefused("image.needs_mask")
            raise ImageRefused("image.none_in_reply" if ctx.replying else "image.none")
        return ctx.images[:count]

    async def upload(self, image: ChatImage) -> Upload:
        """The bytes of one image, bounded: a result of ours from storage, else downloaded."""
        if image.job_id is not None:
            source = await self.image_jobs.source_image(JobImage(image.job_id, image.index))
            return Upload(source.upload_data, source.name)
        limit = self.limits.max_input_bytes
        if image.size is not None and image.size > limit:
            raise ImageRefused("image.too_big", name=image.name[:60], limit_mb=_mb(limit))
        try:
            data = await image.fetch(limit)
        except ChatImageError as exc:
            if exc.reason == "too_big":
                raise ImageRefused("image.too_big", name=image.name[:60], limit_mb=_mb(limit)) from None
            raise ImageRefused("image.unavailable", name=image.name[:60]) from None
        return Upload(data, image.name)

    async def source(self, image: ChatImage) -> Source:
        """A derived job's source: a result of ours by reference (its settings come along), else the bytes."""
        return JobImage(image.job_id, image.index) if image.job_id is not None else await self.upload(image)

    async def _request(self, ctx: ChatContext, options: GenerateOptions, image: dict[str, Any]
                       ) -> tuple[GenerationRequest, int | None]:
        """The request of a generation with images: the person's defaults and options, and the
        image's strength and noise where this command uses them.

        Those settings go in after the request is built: it has no image yet, and a request checks
        that strength and noise come with one. ``ImageJobs.plan_generate`` attaches the image and
        checks the whole request again, ranges included."""
        request, priority = await self.requests.build(ctx, dataclasses.replace(options, image={}))
        return (request.model_copy(update=image) if image else request), priority

    @staticmethod
    def _only(options: GenerateOptions, allowed: tuple[str, ...], command: str) -> dict[str, Any]:
        """The image settings this command takes; any other is refused (it would be silently ignored)."""
        for name in options.image:
            if name not in allowed:
                raise OptionError("option.not_for_command", option=name, command=command)
        return options.image

    # -- planners, one per command -------------------------------------------------------------

    async def _img2img(self, ctx: ChatContext, options: GenerateOptions) -> tuple[PlannedJob, int | None]:
        settings = self._only(options, ("strength", "noise"), "generate")
        (image,) = self._images(ctx)
        request, priority = await self._request(ctx, options, settings)
        plan = await self.image_jobs.plan_generate(request, image=await self.upload(image))
        return plan, priority

    async def _inpaint(self, ctx: ChatContext, options: GenerateOptions) -> tuple[PlannedJob, int | None]:
        settings = self._only(options, ("strength",), "inpaint")
        image, mask = self._images(ctx, 2)
        fields = {"inpaint_strength": settings["strength"]} if "strength" in settings else {}
        request, priority = await self._request(ctx, options, fields)
        picture = await self.upload(image)
        plan = await self.image_jobs.plan_generate(request, image=picture, mask=await self.upload(mask))
        return plan, priority

    async def _vibes(self, ctx: ChatContext, options: GenerateOptions) -> tuple[PlannedJob, int | None]:
        settings = self._only(options, ("strength", "info"), "vibe")
        self._images(ctx)
        request, priority = await self._request(ctx, options, {})
        vibes = [VibeUpload(await self.upload(image), strength=settings.get("strength", 0.6),
                            information_extracted=settings.get("info", 1.0)) for image in ctx.images]
        return await self.image_jobs.plan_generate(request, vibes=vibes), priority

    async def _references(self, ctx: ChatContext, options: GenerateOptions) -> tuple[PlannedJob, int | None]:
        settings = self._only(options, ("strength", "fidelity", "kind"), "ref")
        self._images(ctx)
        request, priority = await self._request(ctx, options, {})
        references = [ReferenceUpload(await self.upload(image), kind=settings.get("kind", "character&style"),
                                      strength=settings.get("strength", 1.0), fidelity=settings.get("fidelity", 1.0))
                      for image in ctx.images]
        return await self.image_jobs.plan_generate(request, references=references), priority

    def _derived(self, what: str) -> Planner:
        async def plan(ctx: ChatContext, options: GenerateOptions) -> tuple[PlannedJob, int | None]:
            settings = self._only(options, ("factor",) if what == "enhance" else (), what)
            factor = settings.get("factor", 1.5)
            if factor not in ENHANCE_FACTORS:
                raise OptionError("option.bad_choice", option="factor", value=f"{factor:g}",
                                  choices=", ".join(f"{f:g}" for f in ENHANCE_FACTORS))
            (image,) = self._images(ctx)
            planned = await self.image_jobs.plan_derived(what, await self.source(image), factor=float(factor),
                                                         prompt=options.prompt or None,
                                                         model=options.fields.get("model"))
            return self._nsfw_checked(ctx, planned), options.priority
        return plan

    def _nsfw_checked(self, ctx: ChatContext, planned: PlannedJob) -> PlannedJob:
        """The chat's NSFW rule on a request whose prompt came from an earlier job or a file."""
        request = planned.request
        if not isinstance(request, GenerationRequest):
            return planned
        ruled = apply_nsfw_rule(request, self.requests.nsfw_rule, ctx.age_restricted)
        return planned if ruled is request else dataclasses.replace(planned, request=ruled)

    async def _upscale(self, ctx: ChatContext, options: GenerateOptions) -> tuple[PlannedJob, int | None]:
        self._only(options, (), "upscale")
        scale = _UPSCALE_WORDS.get(options.prompt.strip().lower())
        if scale is None:
            raise OptionError("option.bad_choice", option="upscale", value=options.prompt[:20], choices="2, 4")
        (image,) = self._images(ctx)
        return await self.image_jobs.plan_upscale(await self.source(image), scale=scale), options.priority

    async def _tool(self, ctx: ChatContext, options: GenerateOptions) -> tuple[PlannedJob, int | None]:
        settings = self._only(options, ("defry", "emotion"), "tool")
        word, _, prompt = options.prompt.strip().partition(" ")
        name = TOOL_WORDS.get(word.lower())
        if name is None:
            raise OptionError("option.bad_choice", option="tool", value=word[:30],
                              choices="lineart, sketch, colorize, emotion, declutter, bubbles, bgremove")
        emotion = settings.get("emotion")
        if name == "emotion" and emotion is None and prompt:
            emotion, _, prompt = prompt.strip().partition(" ")
        (image,) = self._images(ctx)
        planned = await self.image_jobs.plan_tool(await self.source(image), name, prompt=prompt.strip(),
                                                  defry=settings.get("defry", 0), emotion=emotion)
        return planned, options.priority

    # -- /info ---------------------------------------------------------------------------------

    async def info(self, ctx: ChatContext, text: str) -> None:
        """The prompt and settings NovelAI recorded in an image, with a button to run them again."""
        if await self.conv.refused_banned(ctx):
            return
        lang = await self.conv.language(ctx)
        try:
            (image,) = self._images(ctx)
            if image.compressed and image.job_id is None:
                raise ImageRefused("info.compressed")
            upload = await self.upload(image)
            meta = await asyncio.to_thread(read_metadata, upload.data, max_bytes=self.limits.max_input_bytes,
                                           max_pixels=self.limits.max_input_pixels)
        except Refusal as refusal:
            await self.generator.refuse(ctx, refusal, lang)
            return
        if meta is None:
            await self.conv.answer(ctx, Reply(t(lang, "info.none"), private=True))
            return
        buttons: list[list[Button]] = []
        try:
            request = GenerationRequest(**settings_from_metadata(meta)).resolved()
        except (ValueError, InvalidRequest):  # recorded settings we cannot run: show them anyway
            request = None
        if request is not None:
            token = await self.kept.keep(request, ctx.platform, ctx.chat.chat_id)
            buttons = [[Button(t(lang, "button.use_settings"), ACTION_SETTINGS, token)]]
        await self.conv.answer(ctx, Reply(info_text(meta, lang), buttons))

    async def use_settings(self, ctx: ChatContext, token: str, lang: str) -> str:
        """"Generate with these settings" under /info: the kept request, as the presser's own job."""
        request = await self.kept.get(token, ctx.platform, ctx.chat.chat_id)
        if request is None:
            return t(lang, "callback.gone")
        ruled = apply_nsfw_rule(request, self.requests.nsfw_rule, ctx.age_restricted)
        self.generator.in_background(ctx, self.generator.submit(ctx, ruled, None, lang))
        return t(lang, "callback.again")

    # -- the result's buttons on one image -------------------------------------------------------

    async def from_result(self, ctx: ChatContext, what: str, job: Job, index: int, lang: str) -> str:
        """🎲 Variations, ✨ Enhance, ⬆️ Upscale of image ``index`` of ``job``: the presser's own job."""
        source = JobImage(job.id, index)

        async def run() -> Job | None:
            try:
                if what == "upscale":
                    planned = await self.image_jobs.plan_upscale(source)
                else:
                    planned = self._nsfw_checked(ctx, await self.image_jobs.plan_derived(what, source))
            except Refusal as refusal:
                await self.generator.refuse(ctx, refusal, lang)
                return None
            return await self.generator.submit(ctx, planned.request, None, lang, plan=planned)

        self.generator.in_background(ctx, run())
        return t(lang, f"callback.{what}")


def _mb(limit: int) -> str:
    return f"{limit / (1024 * 1024):g}"
