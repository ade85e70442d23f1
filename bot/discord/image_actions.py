"""Discord's ways in to the commands on pictures: `/generate` with attachments, `/tool`, `/info`,
`/upscale`, `/enhance`, `/variations` with one, the message context menus (Apps → …) and the
✏️ Edit & re-run form under a result.

Everything is decided by the platform-free layer (``bot.chat.commands.images``): this module only
says which pictures an interaction came with (``bot.discord.images``) and which command it is. The
pictures are fetched there, bounded, and only when used; a result of this bot is read from storage.

Discord wants an answer within 3 s. A command whose picture must be downloaded first answers at
once with a note only the asker sees ("reading your picture…"); the status message (or a refusal)
then follows as a follow-up of the same interaction, edited from there like any status message. A
command on a stored result, or without pictures, answers with its status message directly.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import discord

from bot.chat.commands.images import ImageRefused, PictureUse
from bot.chat.context import ChatContext
from bot.chat.generate_options import GenerateOptions, OptionError, parse_value, request_fields
from bot.chat.ports import ButtonPress, ChatImage
from bot.chat.router import CommandRouter, posted_here
from bot.chat.texts.catalog import t
from bot.discord.images import Downloads, GenerateFiles
from bot.discord.sender import mapped
from bot.discord.slash import typed_fields
from bot.discord.views import FieldsModal, FormSubmission, edit_form_id, image_form_id
from naibot.refusal import Refusal
from novelai.errors import InvalidRequest, Problem
from novelai.image_rules import DEFAULT_STRENGTH
from novelai.request import MAX_PROMPT_CHARS, GenerationRequest
from tasks.inputs import request_images
from tasks.job import Job

# The settings of a job the Edit form runs again as they were (it edits prompt, negative, seed,
# steps and size). A job with pictures keeps all of its settings and its pictures
# (``ImageCommands.edit``); its size is fixed by an input image or mask, so the form leaves it out.
KEPT_BY_EDIT = ("model", "sampler", "scale", "n_samples", "characters", "quality_tags", "uc_preset",
                "noise_schedule", "cfg_rescale", "variety", "transparent", "quality_preset")
TextCommand = Callable[[ChatContext, str], Awaitable[object]]
# What the context menus' forms are prefilled with; a value left as it is means "the default".
FORM_DEFAULTS = {"strength": f"{DEFAULT_STRENGTH:g}", "kind": "both"}
# How long reading a form's message again from Discord may take, seconds.
MESSAGE_FETCH_SECONDS = 10.0


class ImageBot(Protocol):
    """What this module needs of the adapter (never imported here)."""

    def router(self) -> CommandRouter: ...

    def context(self, interaction: discord.Interaction) -> ChatContext: ...

    @property
    def bot_user_id(self) -> int | None: ...


def combination_refusal(files: GenerateFiles) -> Refusal | None:
    """Pictures that cannot go together, refused before anything is downloaded."""
    if files.vibes and files.reference:
        return InvalidRequest([Problem("vibes", "vibes and precise references cannot be used together",
                                       code="vibes_with_references")])
    if files.mask and not files.image:
        return InvalidRequest([Problem("mask", "a mask needs the image it paints over", code="mask_without_image")])
    if files.image and (files.vibes or files.reference):
        return ImageRefused("dc.images.one_kind")
    if not files.attached and files.settings():
        return OptionError("option.needs_image", option=next(iter(files.settings())))
    return None


class ImageActions:
    def __init__(self, bot: ImageBot, downloads: Downloads) -> None:
        self.bot = bot
        self.downloads = downloads

    def _context(self, interaction: discord.Interaction, images: tuple[ChatImage, ...], *,
                 replying: bool = False) -> ChatContext:
        return dataclasses.replace(self.bot.context(interaction), images=images, replying=replying)

    # -- /generate with attachments -------------------------------------------------------------

    async def generate(self, interaction: discord.Interaction, prompt: str, raw: dict[str, Any],
                       priority: int | None, files: GenerateFiles) -> None:
        router = self.bot.router()
        attached = [files.image, files.mask, *files.vibes, files.reference]
        ctx = self._context(interaction, tuple(self.downloads.attachment(a) for a in attached if a is not None))
        await router.conv.guarded(ctx, self._generate(interaction, ctx, router, prompt, raw, priority, files))

    async def _generate(self, interaction: discord.Interaction, ctx: ChatContext, router: CommandRouter,
                        prompt: str, raw: dict[str, Any], priority: int | None, files: GenerateFiles) -> None:
        def read() -> GenerateOptions:
            return GenerateOptions(prompt=prompt, fields=typed_fields(raw), priority=priority, image=files.settings())

        refusal = combination_refusal(files)
        if refusal is not None:
            if not await router.conv.refused_banned(ctx):
                await router.generate.refuse(ctx, refusal)
            return
        if not files.attached:
            await router.generate.generate_from(ctx, read)
            return
        use: PictureUse = ("inpaint" if files.mask else "img2img" if files.image
                           else "vibe" if files.vibes else "reference")
        if await self._reading(interaction, ctx, router):
            await router.images.use_pictures(ctx, use, read)

    # -- /tool, /info, /upscale, /enhance, /variations and the context menus that act at once ----

    def command(self, what: str) -> TextCommand:
        images = self.bot.router().images
        handlers: dict[str, TextCommand] = {"tool": images.tool, "info": images.info, "upscale": images.upscale,
                                            "enhance": images.enhance, "variations": images.variations,
                                            "generate": images.generate, "reference": images.reference}
        return handlers[what]

    async def on_attachment(self, interaction: discord.Interaction, what: str, attachment: discord.Attachment,
                            text: str) -> None:
        """A slash command on an attached picture, with its text as the command's words."""
        await self._run(self._context(interaction, (self.downloads.attachment(attachment),)), interaction, what,
                        text)

    async def on_message(self, interaction: discord.Interaction, message: discord.Message, what: str) -> None:
        """A context menu on a message: Enhance, Upscale and Get prompt act at once; Use as img2img and
        Use as reference open a form prefilled from the message."""
        images = self.downloads.of_message(message, self.bot.bot_user_id)
        ctx = self._context(interaction, images, replying=True)
        router = self.bot.router()
        if not images:
            await router.conv.guarded(ctx, self._no_picture(ctx, router))
            return
        if what in ("img2img", "reference"):
            await router.conv.guarded(ctx, self._open_form(interaction, ctx, router, message, what))
            return
        await self._run(ctx, interaction, what, "")

    async def _no_picture(self, ctx: ChatContext, router: CommandRouter) -> None:
        if not await router.conv.refused_banned(ctx):
            await router.generate.refuse(ctx, ImageRefused("dc.images.none_in_message"))

    async def _run(self, ctx: ChatContext, interaction: discord.Interaction, what: str, text: str) -> None:
        router = self.bot.router()

        async def work() -> None:
            if await self._reading(interaction, ctx, router):
                await self.command(what)(ctx, text)

        await router.conv.guarded(ctx, work())

    async def _reading(self, interaction: discord.Interaction, ctx: ChatContext, router: CommandRouter) -> bool:
        """Before a picture is downloaded: the ban check, then a note only the asker sees, so the
        interaction is answered within Discord's 3 s however long the download takes. False if banned."""
        limit = router.images.limits.max_input_bytes
        downloads = [image for image in ctx.images if image.job_id is None]
        if not downloads or interaction.response.is_done() or any((i.size or 0) > limit for i in downloads):
            return True  # nothing to download, or refused on its declared size at once
        if await router.conv.refused_banned(ctx):
            return False
        await router.conv.say(ctx, "dc.images.reading", private=True)
        return True

    # -- the forms ----------------------------------------------------------------------------

    async def _open_form(self, interaction: discord.Interaction, ctx: ChatContext, router: CommandRouter,
                         message: discord.Message, what: str) -> None:
        if await router.conv.refused_banned(ctx):
            return
        lang = await router.conv.language(ctx)
        prompt = await self._prompt_of(router, ctx.images[0], message)
        prompt_field = ("prompt", t(lang, "dc.form.prompt"), prompt, True, MAX_PROMPT_CHARS)
        if what == "img2img":
            fields = [prompt_field, ("strength", t(lang, "dc.form.strength"), FORM_DEFAULTS["strength"], False, 10)]
            title = t(lang, "dc.form.img2img_title")
        else:
            fields = [prompt_field, ("kind", t(lang, "dc.form.kind"), FORM_DEFAULTS["kind"], False, 20)]
            title = t(lang, "dc.form.reference_title")
        modal = FieldsModal(title=title, fields=fields, custom_id=image_form_id(
            what, message.channel.id, message.id, interaction.user.id))
        await mapped(interaction.response.send_modal(modal))

    async def on_form(self, interaction: discord.Interaction, form: FormSubmission) -> None:
        """A submitted form of ours (also one opened before a restart): Edit & re-run of its job,
        or a context menu's form on its message, read again from Discord."""
        if form.user_id != interaction.user.id:
            return  # Discord shows a form only to whom it was opened for; nothing to answer otherwise
        if form.job_id is not None:
            await self._edit_submitted(interaction, form.job_id, form.values)
            return
        assert form.what is not None and form.channel_id is not None and form.message_id is not None
        await self._image_form_submitted(interaction, form.what, form.channel_id, form.message_id, form.values)

    async def _image_form_submitted(self, interaction: discord.Interaction, what: str, channel_id: int,
                                    message_id: int, values: dict[str, str]) -> None:
        router = self.bot.router()
        ctx = self._context(interaction, (), replying=True)
        message = await self._message(interaction, channel_id, message_id)
        images = self.downloads.of_message(message, self.bot.bot_user_id) if message is not None else ()
        if not images:
            await router.conv.guarded(ctx, self._no_picture(ctx, router))
            return
        setting = "strength" if what == "img2img" else "kind"
        chosen = values.get(setting, "").strip()
        if chosen == FORM_DEFAULTS[setting]:
            chosen = ""  # left as prefilled: the default, as if not given
        text = values.get("prompt", "") + (f" {setting}:{chosen}" if chosen else "")
        await self._run(self._context(interaction, images, replying=True), interaction,
                        "generate" if what == "img2img" else "reference", text)

    @staticmethod
    async def _message(interaction: discord.Interaction, channel_id: int, message_id: int) -> discord.Message | None:
        """The message a form was opened on, from Discord (bounded); None if it is gone or unreadable."""
        channel = interaction.channel
        if channel is None or channel.id != channel_id or not isinstance(channel, discord.abc.Messageable):
            return None
        try:
            async with asyncio.timeout(MESSAGE_FETCH_SECONDS):
                return await channel.fetch_message(message_id)
        except (discord.HTTPException, TimeoutError):
            return None

    async def _prompt_of(self, router: CommandRouter, image: ChatImage, message: discord.Message) -> str:
        """A form's prompt: the one a result of ours was made with, else the message's own words."""
        if image.job_id is not None:
            job = await router.queue.get(image.job_id)
            if job is not None and job.generation is not None:
                return job.generation.prompt
        return message.content

    async def edit(self, interaction: discord.Interaction, press: ButtonPress) -> None:
        """✏️ Edit & re-run: a form prefilled with the job's prompt, negative, seed, steps and size."""
        router = self.bot.router()
        ctx = self.bot.context(interaction)
        await router.conv.guarded(ctx, self._edit(interaction, ctx, router, press))

    async def _edit(self, interaction: discord.Interaction, ctx: ChatContext, router: CommandRouter,
                    press: ButtonPress) -> None:
        if await router.conv.refused_banned(ctx):
            return
        lang = await router.conv.language(ctx)
        job = await self._editable(ctx, router, press.job_id)
        if job is None or job.generation is None:
            return
        request = job.generation
        fields = [("prompt", t(lang, "dc.form.prompt"), request.prompt, True, MAX_PROMPT_CHARS),
                  ("negative", t(lang, "dc.form.negative"), request.negative, False, 2 * MAX_PROMPT_CHARS),
                  ("seed", t(lang, "dc.form.seed"), "" if request.seed is None else str(request.seed), False, 12),
                  ("steps", t(lang, "dc.form.steps"), "" if request.steps is None else str(request.steps), False, 4)]
        if request.image is None and request.mask is None:
            fields.append(("size", t(lang, "dc.form.size"), f"{request.width}x{request.height}", False, 20))
        modal = FieldsModal(title=t(lang, "dc.form.edit_title"), custom_id=edit_form_id(job.id, interaction.user.id),
                            fields=fields)
        await mapped(interaction.response.send_modal(modal))

    @staticmethod
    async def _editable(ctx: ChatContext, router: CommandRouter, job_id: str) -> Job | None:
        """The generation to edit, if it still exists and was made in this chat (else said why, privately)."""
        job = await router.queue.get(job_id)
        if job is None or job.generation is None:
            await router.conv.say(ctx, "callback.gone", private=True)
            return None
        if not posted_here(job, ctx):
            await router.conv.say(ctx, "callback.elsewhere", private=True)
            return None
        return job

    async def _edit_submitted(self, interaction: discord.Interaction, job_id: str, values: dict[str, str]) -> None:
        router = self.bot.router()
        ctx = self.bot.context(interaction)

        async def rerun() -> None:
            if await router.conv.refused_banned(ctx):
                return
            job = await self._editable(ctx, router, job_id)
            if job is not None and job.generation is not None:
                await self._rerun(ctx, router, job, job.generation, values)

        await router.conv.guarded(ctx, rerun())

    @staticmethod
    async def _rerun(ctx: ChatContext, router: CommandRouter, job: Job, request: GenerationRequest,
                     values: dict[str, str]) -> None:
        """The edited settings as a new `/generate` of the person who submitted them; a job with
        pictures runs again with its pictures and the rest of its settings."""
        with_pictures = bool(request_images(request))

        def read() -> GenerateOptions:
            fields: dict[str, Any] = {} if with_pictures else {name: getattr(request, name) for name in KEPT_BY_EDIT}
            fields["steps"] = request.steps
            fields["negative"] = ""
            for name in ("negative", "seed", "steps", "size"):
                value = values.get(name, "").strip()
                if value:
                    fields.update(request_fields(*parse_value(name, value)))
            if not values.get("seed", "").strip():
                fields["seed"] = None
            return GenerateOptions(prompt=values.get("prompt", ""), fields=fields)

        if with_pictures:
            await router.images.edit(ctx, job, read)
        else:
            await router.generate.generate_from(ctx, read)
