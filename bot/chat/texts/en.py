"""Every English text the chat bots send, one key per sentence: the table a translator starts from.

English is the reference language: ``bot.chat.texts.catalog.t`` falls back to it for any key another language
lacks, and a key missing here is a programming error. ``zh.py`` holds the same keys in the same order, under
the same headers, so the two files read side by side; tests/bot/chat/test_texts.py proves both have every
key with the same placeholders, and that every key the code passes to ``t`` is here.

Keys are grouped by where people meet them (``/help``, the status message, ``/queue``, errors, ``/group``,
…); the first word of a key names its group. Texts are plain text (no Markdown or HTML) so a user's prompt
can be echoed inside them without escaping. Placeholders are ``str.format`` names ({id}, {wait}); literal
braces are avoided on purpose so the placeholder check in the tests stays simple.

This table is one piece although it runs past 400 lines: it is data, not logic, and a translator should
find every sentence of the language in one file rather than hunt for them across several.
"""

from __future__ import annotations

# The position advice several validation problems end with (novelai.request.POSITION_HELP).
_POSITION_HELP_EN = ("use a grid cell A1–E5 (letter = x from left, digit = y from top; C3 = center) "
                     "or x,y between 0 and 1")

TEXTS: dict[str, str] = {
    # --- how sentences join (Chinese needs no space after "。") --------------------------------
    "join.sentence": " ",
    # --- /help --------------------------------------------------------------------------------
    "help.text": (
        "🎨 NovelAI image bot\n"
        "\n"
        "/generate <prompt> [options] — make images\n"
        "  /generate 1girl, red hair, beach, sunset --model v4.5 --size portrait --steps 28\n"
        "  /generate 1girl, red hair model:v4.5 size:1216x832 neg:\"lowres, blurry\"\n"
        "\n"
        "Options: write --name value, --name=value or name:value, anywhere in the text. "
        "Put values with spaces in quotes.\n"
        "  model (m): {models}\n"
        "  size: portrait, landscape, square, large-portrait … or WxH such as 832x1216\n"
        "  steps, scale (cfg), n (number of images), seed\n"
        "  sampler (s): euler_a, dpm++2m, k_dpmpp_2s_ancestral …\n"
        "  neg: negative prompt, e.g. neg:\"lowres, blurry\"\n"
        "  char: a character and where it stands, repeatable: --char \"girl, red hair@B3\" "
        "(grid A1–E5, C3 is the centre; or x,y between 0 and 1)\n"
        "  quality on/off, variety on/off, preset 0–3 (negative preset), rescale 0–1, schedule karras …\n"
        "  V5 only: transparent on/off (transparent background), qpreset light (lighter quality tags)\n"
        "  priority 0–10, where you are allowed to raise it\n"
        "Tags with colons such as artist:wlop or score:9 stay in the prompt.\n"
        "\n"
        "/tags <part of a tag> — tags that start with it, most used first (/tags 1gi)\n"
        "Inline: in any chat type @ and my name, then your prompt; pick a completed last tag to send it as "
        "/generate. On Discord, /generate's prompt suggests tags as you type.\n"
        "\n"
        "/queue — the queue as you see it\n"
        "/status [job] — one job's state\n"
        "/cancel [job] — cancel a job that has not started yet\n"
        "/settings — your defaults: /settings set steps 28, /settings reset, /settings language zh\n"
        "/style save NAME masterpiece, ..., detailed neg:\"lowres\" steps:28 — keep options as a style; "
        "then /generate a cat style:NAME (several: style:a,b; typed options win). /style list, show, delete\n"
        "/wildcard add hair red hair | blue hair — then __hair__ in a prompt picks one entry from the seed "
        "(the same seed picks the same). /wildcard list, show, set, delete\n"
        "  Add group first (/style group save …) for the group's own, which its admins manage; yours win over "
        "the group's of the same name.\n"
        "/account, /login, /logout — your NovelAI account (log in only in a private chat)\n"
        "/help — this text"
    ),
    "help.group_hint": "In groups, address me as /generate@{bot}.",
    "help.unknown_command": "I don't know /{command}; /help lists what I can do",
    # --- command menus (Telegram) and slash-command descriptions (Discord) --------------------
    "menu.generate": "Generate images: /generate prompt --size portrait --n 2",
    "menu.queue": "Your place in the queue",
    "menu.status": "The state of a job",
    "menu.cancel": "Cancel a waiting job",
    "menu.settings": "Your default options and language",
    "menu.help": "How to use this bot",
    "menu.login": "Log in to NovelAI (private chat only)",
    "menu.logout": "Delete your NovelAI login",
    "menu.account": "Your NovelAI account, token and Anlas",
    "menu.group": "Group account, quotas and pause (admins)",
    "menu.admin": "Ban, unban, every lane (bot admins)",
    "menu.style": "Saved styles: /style save NAME options, then style:NAME",
    "menu.wildcard": "Wildcard lists: /wildcard add hair red | blue, then __hair__",
    "menu.tags": "Complete a tag: /tags 1gi",
    # --- tag suggestions: /tags, inline mode (bot/chat/tag_suggestions.py) -----------------------
    "tags.usage": "Type the start of a tag: /tags 1gi. In any chat you can also type @{bot} and your prompt.",
    "tags.title": "Tags for “{prefix}”:",
    "tags.none": "No tags found for “{prefix}” (or NovelAI is busy; try again in a moment).",
    "dc.generate": "Generate images with NovelAI",
    "dc.opt.prompt": "What to draw (tags or words)",
    "dc.opt.negative": "What to avoid",
    "dc.opt.model": "Model (default: V4.5 Full)",
    "dc.opt.sampler": "Sampler",
    "dc.opt.size": "Size: a preset or WxH, e.g. 832x1216",
    "dc.opt.steps": "Sampling steps (1-50; 28 or less is free on Opus)",
    "dc.opt.scale": "Prompt guidance (0-10)",
    "dc.opt.n": "Number of images (1-8)",
    "dc.opt.seed": "Seed, for repeatable results",
    "dc.opt.transparent": "V5: a transparent background (PNG with alpha)",
    "dc.opt.characters": "Characters with positions: girl, red hair@B3; boy@D3",
    "dc.opt.style": "Saved styles to apply, in order: anime or anime,portrait",
    "dc.opt.tool_action": "What to do",
    "dc.opt.tool_name": "The name (a-z, 0-9, - and _)",
    "dc.opt.tool_group": "The group's own set (its admins change it) instead of yours",
    "dc.opt.style_prompt": "The style's prompt: ... stands for the prompt typed later",
    "dc.opt.wildcard_entries": "Entries separated by |: red hair | blue hair",
    "dc.opt.priority": "Priority 0-10, if you may raise it",
    "dc.opt.job": "Job id (default: your latest)",
    "dc.opt.settings": "e.g. show, set steps 28, language zh, reset",
    "dc.opt.group_action": "What to do",
    "dc.opt.admin_action": "What to do",
    "dc.opt.group_args": "Details, e.g. images:5 anlas:0 until:2026-12-31 (lend), images:20 cooldown:30 (quota)",
    "dc.opt.admin_user": "The user to ban or unban",
    # --- durations ----------------------------------------------------------------------------
    "duration.unknown": "unknown",
    "duration.seconds": "{seconds} s",
    "duration.minutes": "{minutes} min {seconds} s",
    "duration.hours": "{hours} h {minutes} min",
    # --- job status message -------------------------------------------------------------------
    "status.queued": "⏳ Queued: position {position} of {total}, estimated wait about {wait}",
    "status.queued_no_eta": "⏳ Queued: position {position} of {total}",
    "status.queued_unplaced": "⏳ Queued, estimated wait about {wait}",
    "status.queued_unplaced_no_eta": "⏳ Queued",
    "status.retrying": "↻ The last try did not work out; trying again (attempt {attempt})",
    "status.starting": "🎨 Starting…",
    "status.submitting": "⏳ Adding your job to the queue…",
    "status.for": "For {name}, who asked before the bot restarted:",
    "status.lost": "This job was lost before it reached the queue; please send the command again.",
    "status.running": "🎨 Generating: step {step} of {total}",
    "status.done": "✅ Done: {count} images",
    "status.done_one": "✅ Done: 1 image",
    "status.failed": "❌ Failed: {reason}",
    "status.canceled": "🚫 Canceled",
    "status.job": "Job {id}",
    "status.job_cancelable": "Job {id} · to cancel: /cancel {id}",
    "status.no_jobs": "You have no jobs yet; try /generate 1girl, red hair, beach",
    # --- buttons under a job and what pressing them answers -----------------------------------
    "button.cancel": "✖ Cancel",
    "button.again": "🔁 Again (new seed)",
    "button.original": "🖼 Original PNG",
    "callback.again": "Queued again with a new seed.",
    "callback.again_not_generation": (
        "Only generations can run again with a new seed; send the image again for another upscale or tool."),
    "callback.png": "Sending the original PNG files…",
    "callback.gone": "That job is no longer available.",
    "callback.elsewhere": "That button belongs to a message in another chat.",
    # --- captions -----------------------------------------------------------------------------
    "caption.for": "Results for {name}",
    "caption.seed": "Seed {seed}",
    "caption.seeds": "Seeds {seeds}",
    "caption.steps": "{steps} steps",
    "caption.paid_by": "Paid by {name}",
    "caption.styles": "style: {styles}",
    "job.upscale": "Upscale ×{scale}",
    "job.tool": "Director Tool: {tool}",
    "tool.bg-removal": "remove background",
    "tool.lineart": "line art",
    "tool.sketch": "sketch",
    "tool.colorize": "colorize",
    "tool.emotion": "emotion",
    "tool.declutter": "declutter",
    "tool.declutter-keep-bubbles": "declutter (keep speech bubbles)",
    # --- /cancel ------------------------------------------------------------------------------
    "cancel.canceled": "🚫 Job {id} is canceled.",
    "cancel.running": "Job {id} is already running and can no longer be canceled.",
    "cancel.done": "Job {id} has already finished.",
    "cancel.failed": "Job {id} has already ended (it failed).",
    "cancel.missing": "I can't find job {id}. Check the id with /queue.",
    "cancel.forbidden": "Only the person who asked for job {id} or a group admin can cancel it.",
    "cancel.nothing": "You have no waiting jobs to cancel.",
    # --- /queue -------------------------------------------------------------------------------
    "queue.empty": "The queue is empty. Start something with /generate.",
    "queue.summary": "📋 Queue: {waiting} waiting, {running} running",
    "queue.average": "A job takes about {duration} on average.",
    "queue.own_header": "Your jobs:",
    "queue.group_header": "Jobs from this chat:",
    "queue.none_own": "You have no jobs waiting.",
    "queue.none_group": "Nothing from this chat is waiting.",
    "queue.item": "• {id} · position {position} of {total} · wait {wait} · {prompt}",
    "queue.item_unplaced": "• {id} · waiting · wait {wait} · {prompt}",
    "queue.item_named": "• {id} · {name} · position {position} of {total} · wait {wait} · {prompt}",
    "queue.item_named_unplaced": "• {id} · {name} · waiting · wait {wait} · {prompt}",
    "queue.running_header": "Running now:",
    "queue.running_item": "• {id} · {name}",
    # --- the queue board (one message per busy group) --------------------------------------
    "board.header": "📋 Queue board: {count} jobs from this chat are waiting",
    "board.help": "Your job gets its own message when it starts; the pictures answer your command. "
                  "Press ✖ under your job to cancel it.",
    "board.item": "{position}. {name} · {id} · {prompt}",
    "board.more": "… and {count} more waiting",
    "board.cancel": "✖ {position}. {name}",
    "board.closed": "📋 The queue here is short again: each job shows its own status message.",
    # --- /settings ----------------------------------------------------------------------------
    "settings.header": "⚙️ Your defaults (used when /generate does not say otherwise):",
    "settings.title": "{label} ({name})",
    "settings.item": "• {title}: {value}",
    "settings.empty": "You have no saved defaults; each model's own defaults apply.",
    "settings.hint": "Change one with /settings set steps 28, remove all with /settings reset.",
    "settings.saved": "Saved: {title} = {value}. It applies from your next /generate.",
    "settings.saved_now": "Saved: {title} = {value}. It applies from now on.",
    "settings.reset_all": "All your defaults are removed.",
    "settings.reset_one": "Your default for {title} is removed.",
    "settings.on": "on",
    "settings.off": "off",
    "language.en": "English",
    "language.zh": "简体中文 (Simplified Chinese)",
    # --- field names in plain words -----------------------------------------------------------
    "field.prompt": "prompt",
    "field.negative": "negative prompt",
    "field.model": "model",
    "field.sampler": "sampler",
    "field.steps": "steps",
    "field.scale": "guidance scale",
    "field.size": "size",
    "field.width": "width",
    "field.height": "height",
    "field.n_samples": "number of images",
    "field.seed": "seed",
    "field.characters": "characters",
    "field.character": "character {number}",
    "field.position": "character position",
    "field.cfg_rescale": "guidance rescale",
    "field.noise_schedule": "noise schedule",
    "field.uc_preset": "negative preset",
    "field.smea": "SMEA",
    "field.smea_dyn": "SMEA DYN",
    "field.quality_tags": "quality tags",
    "field.variety": "variety boost",
    "field.transparent": "transparent background",
    "field.quality_preset": "quality preset",
    "field.image": "image",
    "field.mask": "mask",
    "field.strength": "image strength",
    "field.noise": "image noise",
    "field.inpaint_strength": "inpaint strength",
    "field.vibes": "vibes",
    "field.references": "precise references",
    "field.upscale": "upscale",
    "field.emotion": "mood",
    "field.defry": "defry",
    "field.language": "language",
    "field.priority": "priority",
    # --- option errors (bot.chat.generate_options.OptionError keys) ---------------------------
    "option.unknown": "I don't know the option {option}. Options: {choices}.",
    "option.unknown_suggest": "I don't know the option {option}. Did you mean {suggestion}?",
    "option.missing_value": "The option {option} needs a value, e.g. {option}:{example}.",
    "option.bad_number": "“{value}” is not a number I can use for {option}; write it like {option}:{example}.",
    "option.bad_switch": "{option} takes on or off, not “{value}”.",
    "option.bad_priority": "Priority must be a whole number from {min} to {max}, not “{value}”.",
    "option.unknown_model": "I don't know the model “{value}”. Try one of: {choices}.",
    "option.unknown_sampler": "I don't know the sampler “{value}”. Try one of: {choices}.",
    "option.bad_size": "“{value}” is not a size. Write WIDTHxHEIGHT such as 832x1216, or use a preset: {choices}.",
    "option.bad_character": (
        "I can't read the character “{value}”. Write it as prompt@position, e.g. \"girl, red hair@B3\" "
        "(position: a grid cell A1–E5 or x,y between 0 and 1)."),
    "option.unterminated_quote": "The value of {option} opens a quote ({quote}) that is never closed.",
    "option.missing_prompt": "Please tell me what to draw, e.g. /generate 1girl, red hair, beach --size portrait",
    "option.unknown_setting": "There is no setting called {name}. Settings: {choices}.",
    "option.unknown_setting_suggest": "There is no setting called {name}. Did you mean {suggestion}?",
    "option.bad_language": "I don't speak “{value}”. Choose one of: {choices}.",
    "option.bad_settings_command": (
        "I didn't understand “/settings {command}”. Use /settings, /settings set steps 28, "
        "/settings reset or /settings language zh."),
    "option.text_too_long": (
        "Your /{command} text is too long ({length} characters; I read at most {limit}). "
        "Nothing was done: shorten it and send it again."),
    "option.value_too_long": (
        "The value of {option} is too long ({length} characters; at most {limit}). Nothing was done."),
    # --- validation problems (novelai.errors.Problem.code; params as the Problem carries them) ---
    "problem.bad_position": "'{value}' is not a position; " + _POSITION_HELP_EN,
    "problem.position_outside": "position {value} is outside the image; " + _POSITION_HELP_EN,
    "problem.position_too_long": "the position is too long ({length} characters, the limit is {limit})",
    "problem.empty_prompt": "the {label} is empty; describe the picture, e.g. `1girl, red hair, beach`",
    "problem.prompt_too_long": "the {label} is too long ({length} characters, the limit is {limit}); shorten it",
    "problem.negative_too_long": "the {label} is too long ({length} characters, the limit is {limit}); shorten it",
    "problem.side_range": "{label} must be between {min} and {max} pixels (got {value})",
    "problem.size_multiple": "{label} must be a multiple of {step} (got {value}; try {lower} or {upper})",
    "problem.area_too_large": (
        "{width}×{height} is {area} pixels, more than NovelAI's {max_area} (1024×3072); "
        "use a smaller size such as 1472x1472 or 1024x1536"),
    "problem.n_samples_range": "{label} must be between {min} and {max} (got {value})",
    "problem.n_samples_for_area": (
        "at {width}×{height} NovelAI makes at most {max} image(s) per request (got {value}); "
        "ask for fewer or use a smaller size"),
    "problem.steps_range": "{label} must be between {min} and {max} (got {value})",
    "problem.scale_range": "{label} must be between {min} and {max} (got {value})",
    "problem.cfg_rescale_range": "{label} must be between {min} and {max} (got {value})",
    "problem.seed_range": "{label} must be between {min} and {max} (got {value})",
    "problem.unknown_model": (
        "unknown model '{value}'; use one of {choices} (or a full id such as nai-diffusion-4-5-full)"),
    "problem.legacy_model": "'{value}' is a legacy V1/V2 model this bot does not support; use v3 or newer",
    "problem.inpainting_model": (
        "'{value}' is an inpainting model; for text-to-image use the same model without '{suffix}'"),
    "problem.unknown_sampler": (
        "unknown sampler '{value}'; use one of {choices} (short forms such as euler_a or dpm++2m work too)"),
    "problem.smea_sampler_v3_only": "SMEA samplers only work on V3 models, not {model}; use {sampler}",
    "problem.bad_size": (
        "'{value}' is not a size; write it as WIDTHxHEIGHT (e.g. 832x1216) or use a preset: {choices}"),
    "problem.unknown_noise_schedule": "unknown noise schedule '{value}'; use one of {choices}",
    "problem.native_schedule_v4": (
        "the native noise schedule does not work on {model}; use karras, exponential or polyexponential"),
    "problem.k_dpm_2_schedule": "the k_dpm_2 sampler only works with exponential or polyexponential (got {value})",
    "problem.smea_v3_only": "SMEA only exists on V3 models, not on {model}; turn it off",
    "problem.smea_dyn_needs_smea": "SMEA DYN is a variant of SMEA; turn SMEA on as well, or turn SMEA DYN off",
    "problem.characters_v4_only": (
        "{model} does not support character prompts; use a V4 or newer model (e.g. v4.5) "
        "or describe everyone in the main prompt"),
    "problem.too_many_characters": "{model} takes at most {max} characters (got {value})",
    "problem.character_empty_prompt": "{label} has an empty prompt; write it like `girl, red hair@B3`",
    "problem.character_too_long": "{label}'s text is longer than {limit} characters; shorten it",
    "problem.character_text_too_long": "the character text is too long ({length} characters, the limit is {limit})",
    "problem.name_too_long": "this name is too long ({length} characters, the limit is {limit})",
    "problem.character_outside": "{label}'s position {x},{y} is outside the image; " + _POSITION_HELP_EN,
    "problem.uc_preset_range": "{label} must be one of {choices} for {model} (got {value})",
    "problem.sampler_not_on_model": "the {value} sampler is not offered on {model}; use one of {choices}",
    "problem.schedule_not_on_model": "{model} only takes the {choices} noise schedule (got {value}); leave it out",
    "problem.sampler_without_schedule": "the {sampler} sampler takes no noise schedule (got {value}); leave it out",
    "problem.variety_not_on_model": "{model} has no variety boost; turn it off",
    "problem.transparency_not_on_model": (
        "{model} cannot make a transparent background; use a V5 model (e.g. v5) or turn it off"),
    "problem.unknown_quality_preset": "unknown quality preset '{value}'; use one of {choices}",
    "problem.light_quality_not_on_model": "{model} has no light quality preset; use standard",
    "problem.fixed_by_model": "{model} always uses {fixed}; leave it out, or choose v5 to set it yourself",
    "problem.negative_not_on_model": "{model} takes no negative prompt; leave it out, or choose v5 to use one",
    # Images in (novelai/image_rules.py).
    "problem.strength_range": "{label} must be between {min} and {max} (got {value})",
    "problem.noise_range": "{label} must be between {min} and {max} (got {value})",
    "problem.inpaint_strength_range": "{label} must be between {min} and {max} (got {value})",
    "problem.image_size_mismatch": (
        "the {label} is {image_width}×{image_height} but the request is {width}×{height}; NovelAI needs them "
        "equal, so send the image again at this size"),
    "problem.smea_with_image": "SMEA does not work with an input image; turn it off",
    "problem.mask_without_image": "a mask needs the image it paints over; send the image too",
    "problem.setting_without_image": "{label} only applies to an input image; send one or leave it out",
    "problem.inpaint_strength_without_mask": "{label} only applies with a mask; send one or leave it out",
    "problem.infill_not_on_model": (
        "{model} has no inpainting model; choose another model to paint over part of an image"),
    "problem.sampler_not_for_infill": "the {sampler} sampler does not work for inpainting; use k_euler_ancestral",
    "problem.references_with_mask": "precise references do not work with inpainting; leave them out or the mask",
    "problem.vibes_not_on_model": "{model} does not take vibes; use a V4.5 model, or a precise reference instead",
    "problem.vibes_with_references": (
        "vibes and precise references cannot be used together (NovelAI refuses both at once); keep one kind"),
    "problem.too_many_vibes": "at most {max} vibes per request (got {value})",
    "problem.references_not_on_model": "{model} does not take precise references; use v4.5 or v5",
    "problem.too_many_references": "at most {max} precise references per request (got {value})",
    # Input images (novelai/image_input.py, novelai/images.py) and upscale/tools (novelai/tool_rules.py).
    "problem.image_empty": "the file is empty; send a PNG, JPEG or WebP image",
    "problem.image_too_large": "the image is {size}, larger than the {limit} this bot accepts; send a smaller file",
    "problem.image_format": "this is a {format} file; send a PNG, JPEG or WebP image",
    "problem.image_not_an_image": "this file is not an image; send a PNG, JPEG or WebP image",
    "problem.image_too_many_pixels": (
        "the image is {width}×{height} pixels, more than the {max_pixels} this bot accepts; send a smaller one"),
    "problem.image_bomb": (
        "this image would decompress to far more pixels than it claims to hold; it was refused unread"),
    "problem.image_corrupt": "this {format} file is damaged or cut short and cannot be read; send it again",
    "problem.image_text_too_large": (
        "this PNG carries more text (metadata) than this bot reads; save the picture again without it"),
    "problem.mask_empty": "the mask is empty; paint the part to redraw in white on black",
    "problem.vibes_unsupported": "vibe transfer does not exist on V5 models; use V4.5, or a precise reference instead",
    "problem.tool_image_too_large": (
        "the image is {width}×{height} = {pixels} pixels, more than the {max_pixels} {tool} takes; "
        "use a smaller image"),
    "problem.upscale_scale": "upscale by 2 or 4, not {value}",
    "problem.upscale_4x_too_large": (
        "4× upscaling takes at most {max_pixels} pixels and the image is {width}×{height} = {pixels}; "
        "upscale it by 2 instead"),
    "problem.tool_setting_not_allowed": "the {tool} tool takes no {setting}; the tools that do: {tools}",
    "problem.emotion_required": "the emotion tool needs a mood: one of {choices}",
    "problem.unknown_emotion": "'{value}' is not a mood; use one of {choices}",
    "problem.emotion_prompt_separator": "the emotion tool's prompt may not contain '{separator}'",
    "problem.too_expensive": (
        "{width}×{height} at {steps} steps would cost {price} Anlas per image; NovelAI refuses more than {max}, "
        "so use a smaller size or fewer steps"),
    # --- job errors and queue refusals --------------------------------------------------------
    "error.invalid_header": "I couldn't queue that:",
    "error.problem": "• {field}: {message}",
    "error.problem_named": "• {message}",
    "error.invalid": "The request was refused before reaching NovelAI: {detail}",
    "error.bad_request": "NovelAI refused the request as invalid ({detail}). Change the parameters and try again.",
    "error.auth": (
        "NovelAI did not accept the account's login. Its owner should log in again with /login "
        "(or check it with /account)."),
    "error.payment": (
        "NovelAI would not charge the account: not enough Anlas or no active subscription. "
        "This job costs about {cost} Anlas."),
    "error.auth_unverified": (
        "NovelAI refused this account's token, and it has never worked here: check the token. "
        "For the bot's own account, its operator checks `NOVELAI_TOKEN` with `naibot account status <name>`; "
        "for your own account, log in again with /login."),
    "error.payment_unknown_cost": (
        "NovelAI would not charge the account: not enough Anlas or no active subscription."),
    "error.free_hint": "On Opus it is free with at most 1024×1024 pixels, 28 steps and 1 image.",
    "error.concurrency_locked": "NovelAI kept the account busy with another generation, so I gave up.",
    "error.rate_limited": "NovelAI kept turning the account away (rate limit), so I gave up.",
    "error.server": "NovelAI had server trouble and could not make the image.",
    "error.stream_error": "NovelAI stopped making the image and said: “{detail}”.",
    "error.timeout": "NovelAI took too long to answer.",
    "error.deadline": (
        "NovelAI did not finish the image in time, so I stopped waiting. I did not try again, so it is not "
        "paid twice."),
    "error.response_refused": (
        "NovelAI sent back something far larger or stranger than an image, so I refused it. I did not try "
        "again, so it is not paid twice."),
    "error.network": "I couldn't reach NovelAI (network problem).",
    "error.storage": "The images were made but I couldn't store them.",
    "error.account": "The NovelAI account for this job is no longer set up. Ask an admin, or log in with /login.",
    "error.input_missing": "An image this job needs is no longer stored (it may have expired). Please send it again.",
    "error.tool_free_hint": (
        "On Opus, Director Tools other than background removal are free for images up to 1024×1024 pixels."),
    "error.internal": "Something went wrong on our side. Please try again; if it keeps happening, tell an admin.",
    "error.attempts": "Tried {attempts} times.",
    "error.queue_unavailable": "The queue is unavailable right now. Please try again in a minute.",
    "error.queue_full": (
        "You already have {waiting} jobs waiting (the limit is {limit}). "
        "Wait for one to finish or /cancel one."),
    "error.spend_refused_free": (
        "This would cost {cost} Anlas, and only free generations are allowed here."),
    "error.spend_refused_limit": (
        "This would cost {cost} Anlas, and at most {allowed} Anlas per job are allowed here."),
    "error.spend_refused_allowance_empty": (
        "This would cost {cost} Anlas, and only free generations are allowed here: this Opus account's free "
        "V5 allowance is used up, so V5 images cost Anlas until it refills."),
    "error.spend_refused_allowance_unknown": (
        "This would cost {cost} Anlas, and only free generations are allowed here: NovelAI did not report this "
        "Opus account's free V5 allowance, so V5 images count as paid."),
    "error.allowance_hint": (
        "Use V4.5 (still free on Opus at up to 1024×1024 pixels and 28 steps), or wait: /account shows the "
        "allowance and when it refills."),
    "error.payment_v5_hint": (
        "On V5, an Opus account's free images come out of an allowance that refills over time; once it is "
        "used up, V5 images cost Anlas. /account shows what is left."),
    "error.unknown_account": (
        "There is no NovelAI account for you here. Log in with /login in a private chat, "
        "or ask a group admin to bind one."),
    # --- NSFW channels (Discord) --------------------------------------------------------------
    "nsfw.refused": ("This channel is not age-restricted, so I can't draw that here. "
                     "Use an NSFW channel, or leave out: {terms}."),
    "nsfw.channels_only": "Generation is only allowed in age-restricted (NSFW) channels on this server.",
    # --- policy refusals ----------------------------------------------------------------------
    "policy.banned": "You can't use this bot: a deployment admin has banned you.",
    "policy.no_account": (
        "You have no NovelAI account here yet. Log in with /login (in this private chat): send your "
        "persistent API token (pst-…) or your email and password. Nothing is stored until NovelAI accepts it."
    ),
    "policy.no_account_group": (
        "This group has no shared NovelAI account and you have not logged in. Open a private chat with "
        "me (@{bot}) and send /login, or ask a group admin to set one up with /group account."
    ),
    "policy.paused": "This group is not taking new jobs right now (an admin paused it). Try again later.",
    "policy.priority_too_high": "Priority {asked} is above your limit here: the most you may ask for is {allowed}.",
    "policy.quota.member_images": "You have used your {limit} images for today in this group ({used} so far).",
    "policy.quota.lender_images": (
        "The lent account has made its {limit} images for today (its owner's limit; {used} so far). "
        "Try again tomorrow."
    ),
    "policy.quota.lender_anlas": (
        "That would go over the {limit} Anlas per day the lent account's owner allows ({used} spent today)."
    ),
    "policy.cooldown": "Slow down a little: you can start another job here in {seconds} s.",
    # --- /login, /logout and Discord's login form ---------------------------------------------
    "login.ask_secret": (
        "Send me your NovelAI persistent API token (starts with pst-, from NovelAI's account settings), "
        "or the email address of your NovelAI account. I delete your message right after reading it. "
        "Send /cancel_login to stop."
    ),
    "login.ask_password": "Now send your NovelAI password. I delete the message at once and never store the password.",
    "login.not_a_secret": (
        "That is neither a NovelAI token (pst-…) nor an email address. Send one of them, or /cancel_login."
    ),
    "login.canceled": "Login stopped; nothing was stored.",
    "login.saved": "✅ Logged in ({tier}, {anlas} Anlas). Your jobs now run on your own account. /account shows it.",
    "login.rejected": "❌ NovelAI did not accept these credentials ({reason}). Nothing was stored.",
    "login.unreachable": "I could not reach NovelAI to check these credentials ({reason}). Nothing was stored; "
                         "try again in a minute.",
    "login.failed": "Something went wrong while saving your login; nothing was stored. Please try again.",
    "login.throttled": ("Too many login attempts. To keep the bot from being used to test stolen passwords, "
                        "try again in {wait}."),
    "login.disabled": "Logins are not enabled on this bot (its operator has not set a secret key).",
    "login.start_private": "Let's log you in here, privately. Send /login to start.",
    "login.go_private": "Logins happen only in private: open a chat with me (@{bot}) and send /login.",
    "login.go_private_unreachable": ("Logins happen only in private, and I can't message you privately yet: "
                                     "open a chat with me (@{bot}), press Start, and send /login there."),
    "login.open_private": ("I can't message you privately yet: open a chat with me (@{bot}), press Start, "
                           "and try again."),
    "login.in_group_deleted": (
        "⚠️ Never post a NovelAI token or password in a group. I deleted the message and stored nothing, "
        "but others may have seen it: change your NovelAI password (or revoke the token) now. Log in "
        "privately: open a chat with me (@{bot}) and send /login."
    ),
    "login.in_group_not_deleted": (
        "⚠️ Never post a NovelAI token or password in a group. I could not delete the message (I'm not an "
        "admin here): delete it yourself and change your NovelAI password (or revoke the token) now. I stored "
        "nothing. Log in privately: open a chat with me (@{bot}) and send /login."
    ),
    "logout.done": (
        "Logged out: your NovelAI credentials and cached token are deleted. Unbound from {groups} group(s); "
        "{canceled} waiting job(s) canceled."
    ),
    "logout.nothing": "You were not logged in; there was nothing to delete.",
    "dc.login.title": "Log in to NovelAI",
    "dc.login.bind_title": "NovelAI account for this server",
    "dc.login.token": "Persistent API token (pst-…)",
    "dc.login.email": "Or: email",
    "dc.login.password": "And password",
    "dc.login.private": "Only you and the bot see this (stored only encrypted)",
    "dc.login.empty": "Give either a persistent API token (pst-…) or both email and password. Nothing was stored.",
    # --- /account -----------------------------------------------------------------------------
    "account.none": (
        "No NovelAI account would pay for your jobs here. Log in privately with /login (@{bot})."
    ),
    "account.uses_own": "Your jobs here run on your own NovelAI account.",
    "account.uses_shared": "Your jobs here run on this group's shared account (paid by {owner}).",
    "account.uses_default": "Your jobs here run on this bot's own account (you have not logged in).",
    "account.token_cached": "Token: cached",
    "account.token_not_cached": "Token: not cached (logged in on the next job)",
    "account.days_left": "Token valid for {days} more days",
    "account.last_check": "Last checked: {when}",
    "account.tier": "Subscription: {tier}, {anlas} Anlas",
    "account.error": "NovelAI says: {reason}",
    "account.v5_allowance": "Free V5 allowance: ≈ {images} images left ({percent}%), full in {full}",
    "account.v5_allowance_full": "Free V5 allowance: ≈ {images} images left ({percent}%), full",
    "account.v5_allowance_empty": (
        "Free V5 allowance: used up ({percent}%), so V5 images cost Anlas; 1% more in {next}"),
    "account.v5_allowance_unknown": "Free V5 allowance: not reported by NovelAI, so V5 images count as paid",
    "account.days": "{days} d {hours} h",
    "account.cost": "Your usual /generate costs {cost} Anlas.",
    "account.cost_free": "Your usual /generate is free on this account.",
    "account.rejected": (
        "⚠️ NovelAI no longer accepts your login and I could not renew it, so your jobs fail. "
        "Log in again with /login (@{bot})."
    ),
    # --- /group -------------------------------------------------------------------------------
    "group.only_in_groups": "/group works in a group (Telegram) or a server (Discord).",
    "group.admins_only": "Only this group's admins can change that.",
    "group.not_admin_anymore": "You no longer administer that group; nothing was stored.",
    "group.usage": (
        "Use: /group status · /group account bind · /group account lend images:5 anlas:0 until:2026-12-31 · "
        "/group unbind · /group quota images:20 waiting:2 cooldown:30 · /group pause · /group resume · "
        "/group prefer shared|own · /group default on|off|inherit · /group priority default:5 max:6 admin:8"
    ),
    "group.account_usage": "Use /group account bind (log in a group account privately) or "
                           "/group account lend images:N anlas:N until:YYYY-MM-DD (lend your own).",
    "group.priority_usage": "Use /group priority default:N max:N admin:N (0–10).",
    "group.quota_usage": "Use /group quota images:N waiting:N cooldown:SECONDS (0 = no limit).",
    "group.prefer_usage": "Use /group prefer shared (everyone uses the group's account) or /group prefer own.",
    "group.default_usage": "Use /group default on, off or inherit (the bot's own account for members without one).",
    "group.bad_argument": "I don't understand “{word}”. Write name:value with one of: {names}.",
    "group.bad_number": "{name} must be a whole number from 0 to {high}, not “{value}”.",
    "group.bad_until": "“{value}” is not a future date: write YYYY-MM-DD or a number of days such as 7d.",
    "group.bad_channel": "“{value}” is not a channel: mention it (#channel) or give its id.",
    "group.bind_private": (
        "Binding a NovelAI account to {group}: send me its persistent API token (pst-…) or its email. "
        "I delete your messages right after reading them. /cancel_login stops."
    ),
    "group.bind_started": "I've sent you a private message to bind the account; credentials never go in the group.",
    "group.bound": "✅ {group} now has a shared NovelAI account ({tier}, {anlas} Anlas).",
    "group.lend_needs_login": "To lend your account, log in first: open a chat with me (@{bot}) and send /login.",
    "group.nothing_bound": "This group has no shared account.",
    "group.unbound": "The group's shared account is removed; members use their own accounts now.",
    "group.paused": "⏸ The group is paused: new jobs are refused until /group resume.",
    "group.resumed": "▶️ The group takes new jobs again.",
    "group.prefer_shared": "Everyone here now uses the group's shared account, even members with their own.",
    "group.prefer_own": "Members with their own account use it; the others use the group's.",
    "group.default_on": "Members without an account may use this bot's own account here.",
    "group.default_off": "This bot's own account is not used here; members need their own or the group's.",
    "group.default_inherit": "This group follows the bot's setting for its own account.",
    "group.status_title": "Group settings for {group}",
    "group.status_no_account": "Shared account: none",
    "group.status_bound": "Shared account: bound by {owner}",
    "group.status_lent": "Shared account: lent by {owner}",
    "group.lending_today": "Today: {images} of {images_limit} images, {anlas} of {anlas_limit} Anlas; "
                           "lent until {until}",
    "group.status_channels": "Shared account only in channels: {channels}",
    "group.status_prefer_shared": "Everyone uses the shared account",
    "group.status_prefer_own": "Members' own accounts come first",
    "group.status_default_on": "Bot's own account: allowed for members without one",
    "group.status_default_off": "Bot's own account: not used here",
    "group.status_quota": "Per member: {images} images a day, {waiting} waiting at once, {cooldown} s between jobs",
    "group.status_priority": "Priority: members {default} (up to {max}), admins up to {admin}",
    "group.status_paused": "⏸ Paused: not taking new jobs",
    # --- /admin -------------------------------------------------------------------------------
    "admin.only": "Only the bot's admins can do that.",
    "admin.usage": "Use: /admin ban <user id> · /admin unban <user id> · /admin queue",
    "admin.bad_user": "“{value}” is not a user: give a user id, a mention, or platform:id.",
    "admin.not_yourself": "You can't ban or unban yourself.",
    "admin.banned": "🚫 {user} is banned: their commands and buttons are refused.",
    "admin.unbanned": "✅ {user} may use the bot again.",
    "admin.lanes_title": "All lanes: {lanes} with jobs, {waiting} waiting, {running} running",
    "admin.lane": "▸ {lane}: {depth} waiting",
    "admin.lane_job": "   • {id} · {user} · priority {priority}",
    "admin.running_job": "▶ {id} · {user} · on {lane}",
    # --- images in the chat (bot/chat/commands/images.py) ----------------------------------------
    "help.images": (
        "\n🖼 With a picture: send it with one of these as its caption, or reply to any picture with one\n"
        "/generate <prompt> [strength:0.6 noise:0.1] — redraw it (img2img)\n"
        "/enhance [prompt] [factor:1] — 1.5× bigger and sharper (1: same size) · /variations — more like it · "
        "/upscale [2|4]\n"
        "/vibe <prompt> [strength:0.6 info:1] — in its style (several pictures: send an album)\n"
        "/ref <prompt> [kind:character|style|both fidelity:1] — the same character (V4.5, V5)\n"
        "/inpaint <prompt> — reply to the picture with the mask (white = redraw), or send both as an album\n"
        "/tool lineart|sketch|colorize|emotion|declutter|bubbles|bgremove [prompt] — Director Tools\n"
        "/info — the prompt and settings inside a PNG sent as a file"
    ),
    "menu.enhance": "Reply to a picture: bigger and sharper",
    "menu.variations": "Reply to a picture: more like it",
    "menu.upscale": "Reply to a picture: upscale 2× or 4×",
    "menu.vibe": "Reply to pictures: generate in their style",
    "menu.ref": "Reply to a picture: the same character or style",
    "menu.inpaint": "Reply to a picture with a mask: redraw part of it",
    "menu.tool": "Reply to a picture: lineart, sketch, colorize, emotion …",
    "menu.info": "Reply to a PNG file: its prompt and settings",
    "image.none": "This needs a picture: send one with the command as its caption, or reply to a picture with it",
    "image.none_in_reply": "The message you replied to has no picture; reply to a photo or an image file",
    "image.needs_mask": (
        "Inpainting needs the picture and a mask (white = the part to redraw): reply to the picture with the "
        "mask as a photo captioned /inpaint, or send both as an album, picture first"),
    "image.too_big": "{name} is larger than the {limit_mb} MB this bot accepts; send a smaller picture",
    "image.unavailable": "I could not download {name}; send it again",
    "info.compressed": (
        "Photos are re-encoded by the app and lose the settings NovelAI wrote into them; send the picture as a "
        "file (uncompressed) and reply /info to it"),
    "info.none": "This image carries no NovelAI settings",
    "info.header": "🔎 Settings in this image",
    "info.prompt": "Prompt: {prompt}",
    "info.negative": "Negative: {negative}",
    "info.line": "{name}: {value}",
    "info.character": "Character {number}: {prompt}",
    # --- /style and /wildcard (bot/chat/commands/prompt_tools.py) ------------------------------
    "library.user": "yours",
    "library.group": "this group's",
    "library.shadowed": "(yours is used)",
    "library.bad_name": ("“{name}” cannot be a name: use up to {limit} of a-z, 0-9, - and _, starting with a letter or "
        "digit"),
    "library.too_many": "You can keep at most {limit} of these here; delete one first",
    "library.only_in_groups": ("A group's styles and wildcards live in a group: use this in the group (Telegram) or "
        "server (Discord)"),
    "library.admins_only": "Only this group's admins can change its styles and wildcards",
    "style.usage": ("Styles: /style save NAME masterpiece, ..., detailed background neg:\"lowres\" steps:28 "
                    "(... stands for your prompt), /style list, /style show NAME, /style delete NAME. "
                    "Put group first for the group's styles."),
    "style.saved": "Saved style “{name}” ({whose}):\n{summary}\nUse it: /generate a cat style:{name}",
    "style.deleted": "Deleted style “{name}” ({whose}).",
    "style.not_found": "There is no style “{name}” ({whose}); /style list shows the styles you can use.",
    "style.show": "Style “{name}” ({whose}):\n{summary}",
    "style.summary_prompt": "prompt: {prompt}",
    "style.list_empty": "No styles yet. Save one: /style save anime masterpiece, ..., detailed background steps:28",
    "style.list_user": "Your styles: {names}",
    "style.list_group": "This group's styles: {names}",
    "style.unknown": ("I don't know the style “{name}”: neither you nor this group saved one by that name. /style list "
        "shows them."),
    "style.not_kept": "A style cannot keep {option}; leave it out",
    "style.too_long": "A style's prompt and negative can be at most {limit} characters each",
    "style.too_many_characters": "A style can keep at most {limit} characters",
    "style.empty": "Tell me what the style keeps: a prompt (... stands for yours) or options such as steps:28",
    "style.too_many_in_prompt": "Use at most {limit} styles at once",
    "wildcard.usage": ("Wildcards: /wildcard add NAME red hair | blue hair (set NAME … replaces the list), "
                       "/wildcard list, /wildcard show NAME, /wildcard delete NAME; then __NAME__ in a prompt. "
                       "Put group first for the group's lists."),
    "wildcard.saved": ("Wildcard __{name}__ ({whose}) has {count} entries: {entries}\nUse it: /generate 1girl, "
        "__{name}__"),
    "wildcard.deleted": "Deleted wildcard __{name}__ ({whose}).",
    "wildcard.not_found": "There is no wildcard __{name}__ ({whose}); /wildcard list shows the lists you can use.",
    "wildcard.show": "Wildcard __{name}__ ({whose}), {count} entries: {entries}",
    "wildcard.list_empty": "No wildcards yet. Make one: /wildcard add hair red hair | blue hair | silver hair",
    "wildcard.list_user": "Your wildcards: {names}",
    "wildcard.list_group": "This group's wildcards: {names}",
    "wildcard.unknown": ("I don't know the wildcard __{name}__: neither you nor this group has a list by that name. "
                         "Make one: /wildcard add {name} red hair | blue hair"),
    "wildcard.too_deep": "__{name}__ is nested deeper than {limit} lists (does a list name itself?)",
    "wildcard.too_long": ("With its wildcards filled in, the prompt is longer than {limit} characters; use shorter "
        "entries"),
    "wildcard.too_many_entries": "A wildcard can hold at most {limit} entries",
    "wildcard.entry_too_long": "The entry “{entry}” is longer than {limit} characters",
    "wildcard.no_entries": "Give the entries, separated by |: /wildcard add hair red hair | blue hair",
    "button.use_settings": "▶ Generate with these settings",
    "button.edit": "✏️ Edit & re-run",
    "button.variations": "🎲 Variations",
    "button.enhance": "✨ Enhance",
    "button.upscale": "⬆️ Upscale",
    "button.variations_n": "🎲 {number}",
    "button.enhance_n": "✨ {number}",
    "button.upscale_n": "⬆️ {number}",
    "callback.variations": "Making variations…",
    "callback.enhance": "Enhancing…",
    "callback.upscale": "Upscaling…",
    "option.bad_choice": "{option} cannot be '{value}'; choose one of {choices}",
    "option.not_for_command": "{option} does nothing for /{command}; leave it out",
    "option.needs_image": "{option} needs a picture: send one with the command, or reply to one",
    # Sources of derived jobs (tasks/image_sources.py, tasks/image_submit.py).
    "problem.source_needs_prompt": "this picture carries no NovelAI settings; add the prompt to run it with",
    "problem.source_job_id": "'{value}' is not a job id",
    "problem.source_job_missing": "there is no job {job} (unknown, or its results have expired)",
    "problem.source_job_not_done": "job {job} has no pictures to use yet ({state})",
    "problem.source_index": "job {job} has {images} picture(s); there is no picture {value}",
    "problem.source_image_gone": "the pictures of job {job} are no longer kept; send the picture itself",
    "problem.source_inputs_gone": "the pictures that job started from are no longer kept; send them again",
    "problem.input_setting": "{label}: {setting} is out of its range",
    # Discord: pictures in slash commands, context menus and forms (bot/discord/image_*.py).
    "dc.opt.image": "A picture to start from (img2img; with a mask: inpainting)",
    "dc.opt.mask": "Inpainting mask for the image: white is repainted",
    "dc.opt.vibe": "A picture whose style to follow (vibe transfer, V4.5)",
    "dc.opt.reference": "A precise reference: a character or style to keep (V4.5, V5)",
    "dc.opt.strength": "How much the picture changes (img2img 0.01-0.99), or how much a vibe or reference counts",
    "dc.opt.noise": "img2img: noise added to the picture (0-0.99)",
    "dc.opt.picture": "The picture (a PNG made by NovelAI keeps its settings)",
    "dc.opt.tool": "Which Director Tool",
    "dc.opt.tool_prompt": "Optional prompt for the tool (colorize, emotion)",
    "dc.opt.emotion": "Emotion tool: the mood, e.g. happy, sad, angry",
    "dc.opt.defry": "How much the tool may change the picture (0-5)",
    "dc.opt.upscale": "How much larger",
    "dc.opt.derived_prompt": "Prompt, for a picture that carries no NovelAI settings",
    "dc.menu.img2img": "Use as img2img",
    "dc.menu.enhance": "Enhance",
    "dc.menu.upscale": "Upscale",
    "dc.menu.reference": "Use as reference",
    "dc.menu.info": "Get prompt",
    "dc.images.one_kind": "Use one kind of picture at a time: an image (and its mask), vibes, or a reference",
    "dc.images.reading": "📥 Reading your picture…",
    "dc.images.none_in_message": "That message has no picture; use this on a message with an image attached",
    "dc.form.img2img_title": "Generate from this picture",
    "dc.form.reference_title": "Generate with this reference",
    "dc.form.edit_title": "Edit & re-run",
    "dc.form.prompt": "Prompt",
    "dc.form.negative": "Negative prompt",
    "dc.form.strength": "Strength (0.01-0.99: how much it changes)",
    "dc.form.kind": "Keep: character, style or both",
    "dc.form.seed": "Seed (empty: a new one)",
    "dc.form.steps": "Steps",
    "dc.form.size": "Size (WxH or a preset)",
    # --- /history and /show (bot/chat/commands/history.py) --------------------------------------
    "menu.history": "Your recent results in this chat",
    "menu.show": "Post one result again: /show JOB",
    "dc.opt.history_page": "Which page (1 = the newest)",
    "dc.opt.show_job": "The job id (from a caption or /history)",
    "help.history": (
        "\n🗂 History: /history [page] — your recent results in this chat, six a page; pick a number to post "
        "one again with its buttons (Again, Original PNG, Variations, Enhance, Upscale) · /show JOB — post one "
        "result again. To use one as input, reply to the posted picture with /generate, /vibe, /ref or /inpaint "
        "(Discord: Apps → Use as img2img). Results are kept as long as this bot's retention setting says; the "
        "history shows when each expires. New jobs from it follow the usual quotas and costs."
    ),
    "history.title": "🗂 Your results in this chat · page {page} of {pages}",
    "history.item": "{label}\n    {id} · {expires}",
    "history.expires": "expires in {left}",
    "history.expires_unknown": "expiry unknown",
    "history.hint": (
        "Tap a number to post that result again with its buttons. To use one as input, reply to it with "
        "/generate, /vibe, /ref or /inpaint."
    ),
    "history.hint_menu": (
        "Pick one below to post it in the channel with its buttons. To use one as input: on the posted "
        "picture, Apps → Use as img2img or Use as reference."
    ),
    "history.select": "Post one of these again…",
    "history.empty": "No results of yours in this chat yet (or they have expired). Make one with /generate.",
    "history.not_yours": "That is someone else's history: send /history for yours.",
    "history.turning": "Page {page}…",
    "history.posted": "Posted again. To use it as input, reply to it with /generate, /vibe, /ref or /inpaint.",
    "history.posted_menu": (
        "Posted in the channel. To use it as input: on it, Apps → Use as img2img or Use as reference."
    ),
    "history.buttons": "⬆️ {id}",
    "show.usage": "Which result? /show JOB, with the job id from a caption or from /history.",
    "show.missing": "No result {id} in this chat: it is unknown, expired, or was made in another chat.",
    "show.no_result": "Job {id} has no result to show (not finished, failed, or canceled).",
    "show.files_gone": "The images of {id} are no longer stored (or storage is unreachable right now).",
}
