"""Every sentence the chat bots say, in English and Simplified Chinese.

One table per language keeps translations reviewable side by side and lets a test prove that
no key is missing in either. Texts are plain text (no Markdown/HTML) so a user's prompt can be
echoed inside them without escaping. Placeholders use ``str.format`` names; literal braces are
avoided on purpose so the placeholder check in the tests stays simple.
"""

from __future__ import annotations

from typing import Any

from bot.chat.texts import accounts_table as i18n_accounts

LANGUAGES: tuple[str, ...] = ("en", "zh")
DEFAULT_LANGUAGE = "en"

# What people type for a language in /settings, lower-cased. Traditional Chinese codes map to
# zh as well: Simplified is closer for those readers than English.
_LANGUAGE_NAMES: dict[str, str] = {
    "en": "en", "english": "en", "en-us": "en", "en-gb": "en", "英文": "en", "英语": "en",
    "zh": "zh", "chinese": "zh", "中文": "zh", "简体中文": "zh", "简体": "zh", "汉语": "zh", "zh-cn": "zh",
    "zh-hans": "zh", "zh-sg": "zh", "zh-hant": "zh", "zh-tw": "zh", "zh-hk": "zh", "cn": "zh",
}

# The position advice several validation problems end with (novelai.request.POSITION_HELP).
_POSITION_HELP_EN = ("use a grid cell A1–E5 (letter = x from left, digit = y from top; C3 = center) "
                     "or x,y between 0 and 1")
_POSITION_HELP_ZH = "请用 A1–E5 的格子（字母是从左往右的 x，数字是从上往下的 y，C3 为正中），或 0 到 1 之间的 x,y"

_EN: dict[str, str] = {
    # How two sentences are put side by side (Chinese needs no space after "。").
    "join.sentence": " ",
    # --- help -----------------------------------------------------------------------------
    "help.text": (
        "🎨 NovelAI image bot\n"
        "\n"
        "/generate <prompt> [options] — make images\n"
        "  /generate 1girl, red hair, beach, sunset --model v4.5 --size portrait --steps 28\n"
        "  /generate 1girl, red hair model:v4.5 size:1216x832 neg:\"lowres, blurry\"\n"
        "\n"
        "Options: write --name value, --name=value or name:value, anywhere in the text. "
        "Put values with spaces in quotes.\n"
        "  model (m): v3, v4, v4.5, v4.5-curated, v5 …\n"
        "  size: portrait, landscape, square, large-portrait … or WxH such as 832x1216\n"
        "  steps, scale (cfg), n (number of images), seed\n"
        "  sampler (s): euler_a, dpm++2m, k_dpmpp_2s_ancestral …\n"
        "  neg: negative prompt, e.g. neg:\"lowres, blurry\"\n"
        "  char: a character and where it stands, repeatable: --char \"girl, red hair@B3\" "
        "(grid A1–E5, C3 is the centre; or x,y between 0 and 1)\n"
        "  quality on/off, variety on/off, preset 0–3 (negative preset), rescale 0–1, schedule karras …\n"
        "  priority 0–10, where you are allowed to raise it\n"
        "Tags with colons such as artist:wlop or score:9 stay in the prompt.\n"
        "\n"
        "/queue — the queue as you see it\n"
        "/status [job] — one job's state\n"
        "/cancel [job] — cancel a job that has not started yet\n"
        "/settings — your defaults: /settings set steps 28, /settings reset, /settings language zh\n"
        "/account, /login, /logout — your NovelAI account (log in only in a private chat)\n"
        "/help — this text"
    ),
    "help.group_hint": "In groups, address me as /generate@{bot}.",
    # --- durations ------------------------------------------------------------------------
    "duration.unknown": "unknown",
    "duration.seconds": "{seconds} s",
    "duration.minutes": "{minutes} min {seconds} s",
    "duration.hours": "{hours} h {minutes} min",
    # --- job status message ---------------------------------------------------------------
    "status.queued": "⏳ Queued: position {position} of {total}, estimated wait about {wait}",
    "status.queued_no_eta": "⏳ Queued: position {position} of {total}",
    "status.queued_unplaced": "⏳ Queued, estimated wait about {wait}",
    "status.queued_unplaced_no_eta": "⏳ Queued",
    "status.retrying": "↻ The last try did not work out; trying again (attempt {attempt})",
    "status.starting": "🎨 Starting…",
    "status.submitting": "⏳ Adding your job to the queue…",
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
    "dc.opt.characters": "Characters with positions: girl, red hair@B3; boy@D3",
    "dc.opt.priority": "Priority 0-10, if you may raise it",
    "dc.opt.job": "Job id (default: your latest)",
    "dc.opt.settings": "e.g. show, set steps 28, language zh, reset",
    "nsfw.refused": ("This channel is not age-restricted, so I can't draw that here. "
                     "Use an NSFW channel, or leave out: {terms}."),
    "nsfw.channels_only": "Generation is only allowed in age-restricted (NSFW) channels on this server.",
    "menu.generate": "Generate images: /generate prompt --size portrait --n 2",
    "menu.queue": "Your place in the queue",
    "menu.status": "The state of a job",
    "menu.cancel": "Cancel a waiting job",
    "menu.settings": "Your default options and language",
    "menu.help": "How to use this bot",
    "status.lost": "This job was lost before it reached the queue; please send the command again.",
    "callback.again": "Queued again with a new seed.",
    "callback.png": "Sending the original PNG files…",
    "callback.gone": "That job is no longer available.",
    "status.running": "🎨 Generating: step {step} of {total}",
    "status.done": "✅ Done: {count} images",
    "status.done_one": "✅ Done: 1 image",
    "status.failed": "❌ Failed: {reason}",
    "status.canceled": "🚫 Canceled",
    "status.job": "Job {id}",
    "status.job_cancelable": "Job {id} · to cancel: /cancel {id}",
    # --- /cancel --------------------------------------------------------------------------
    "cancel.canceled": "🚫 Job {id} is canceled.",
    "cancel.running": "Job {id} is already running and can no longer be canceled.",
    "cancel.done": "Job {id} has already finished.",
    "cancel.failed": "Job {id} has already ended (it failed).",
    "cancel.missing": "I can't find job {id}. Check the id with /queue.",
    "cancel.forbidden": "Only the person who asked for job {id} or a group admin can cancel it.",
    "cancel.nothing": "You have no waiting jobs to cancel.",
    # --- /queue ---------------------------------------------------------------------------
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
    # --- /settings ------------------------------------------------------------------------
    "settings.header": "⚙️ Your defaults (used when /generate does not say otherwise):",
    "settings.title": "{label} ({name})",
    "settings.item": "• {title}: {value}",
    "settings.empty": "You have no saved defaults; each model's own defaults apply.",
    "settings.hint": "Change one with /settings set steps 28, remove all with /settings reset.",
    "settings.saved": "Saved: {title} = {value}. It applies from your next /generate.",
    "settings.reset_all": "All your defaults are removed.",
    "settings.reset_one": "Your default for {title} is removed.",
    "settings.on": "on",
    "settings.off": "off",
    "language.en": "English",
    "language.zh": "简体中文 (Simplified Chinese)",
    # --- field names in plain words -------------------------------------------------------
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
    "field.language": "language",
    "field.priority": "priority",
    # --- option errors (bot.chat.generate_options.OptionError keys) -------------------------------------
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
    # --- validation problems (novelai.errors.Problem.code; params as the Problem carries them) -
    "problem.bad_position": "'{value}' is not a position; " + _POSITION_HELP_EN,
    "problem.position_outside": "position {value} is outside the image; " + _POSITION_HELP_EN,
    "problem.empty_prompt": "the prompt is empty; describe the picture, e.g. `1girl, red hair, beach`",
    "problem.prompt_too_long": "the prompt is too long ({length} characters, the limit is {limit}); shorten it",
    "problem.negative_too_long": (
        "the negative prompt is too long ({length} characters, the limit is {limit}); shorten it"),
    "problem.side_range": "{side} must be between {min} and {max} pixels (got {value})",
    "problem.size_multiple": "{side} must be a multiple of {step} (got {value}; try {lower} or {upper})",
    "problem.area_too_large": (
        "{width}×{height} is {area} pixels, more than NovelAI's {max_area} (1024×3072); "
        "use a smaller size such as 1472x1472 or 1024x1536"),
    "problem.n_samples_range": "n_samples must be between {min} and {max} (got {value})",
    "problem.n_samples_for_area": (
        "at {width}×{height} NovelAI makes at most {max} image(s) per request (got {value}); "
        "ask for fewer or use a smaller size"),
    "problem.steps_range": "steps must be between {min} and {max} (got {value})",
    "problem.scale_range": "scale (prompt guidance) must be between {min} and {max} (got {value})",
    "problem.cfg_rescale_range": "cfg_rescale must be between {min} and {max} (got {value})",
    "problem.seed_range": "seed must be between {min} and {max} (got {value})",
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
    "problem.character_empty_prompt": "character {number} has an empty prompt; write it like `girl, red hair@B3`",
    "problem.character_too_long": "character {number}'s text is longer than {limit} characters; shorten it",
    "problem.character_outside": "character {number}'s position {x},{y} is outside the image; " + _POSITION_HELP_EN,
    "problem.uc_preset_range": "uc_preset must be one of {choices} for {model} (got {value})",
    "problem.too_expensive": (
        "{width}×{height} at {steps} steps would cost {price} Anlas per image; NovelAI refuses more than {max}, "
        "so use a smaller size or fewer steps"),
    # --- errors ---------------------------------------------------------------------------
    "error.invalid_header": "I couldn't queue that:",
    "error.problem": "• {field}: {message}",
    "error.invalid": "The request was refused before reaching NovelAI: {detail}",
    "error.bad_request": "NovelAI refused the request as invalid ({detail}). Change the parameters and try again.",
    "error.auth": (
        "NovelAI did not accept the account's login. Its owner should log in again with /login "
        "(or check it with /account)."),
    "error.payment": (
        "NovelAI would not charge the account: not enough Anlas or no active subscription. "
        "This job costs about {cost} Anlas."),
    "error.payment_unknown_cost": (
        "NovelAI would not charge the account: not enough Anlas or no active subscription."),
    "error.free_hint": "On Opus it is free with at most 1024×1024 pixels, 28 steps and 1 image.",
    "error.concurrency_locked": "NovelAI kept the account busy with another generation, so I gave up.",
    "error.rate_limited": "NovelAI kept turning the account away (rate limit), so I gave up.",
    "error.server": "NovelAI had server trouble and could not make the image.",
    "error.timeout": "NovelAI took too long to answer.",
    "error.network": "I couldn't reach NovelAI (network problem).",
    "error.storage": "The images were made but I couldn't store them.",
    "error.account": "The NovelAI account for this job is no longer set up. Ask an admin, or log in with /login.",
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
    "error.unknown_account": (
        "There is no NovelAI account for you here. Log in with /login in a private chat, "
        "or ask a group admin to bind one."),
    # --- buttons --------------------------------------------------------------------------
    "button.cancel": "✖ Cancel",
    "button.again": "🔁 Again (new seed)",
    "button.original": "🖼 Original PNG",
    # --- captions -------------------------------------------------------------------------
    "caption.for": "Results for {name}",
    "caption.seed": "Seed {seed}",
    "caption.seeds": "Seeds {seeds}",
    "caption.steps": "{steps} steps",
    "caption.paid_by": "Paid by {name}",
}

_ZH: dict[str, str] = {
    "join.sentence": "",
    "help.text": (
        "🎨 NovelAI 画图机器人\n"
        "\n"
        "/generate <提示词> [参数] —— 生成图片\n"
        "  /generate 1girl, red hair, beach, sunset --model v4.5 --size portrait --steps 28\n"
        "  /generate 1girl, red hair model:v4.5 size:1216x832 neg:\"lowres, blurry\"\n"
        "\n"
        "参数写法：--名称 值、--名称=值 或 名称:值，放在提示词前后都可以。"
        "值里有空格时请用引号括起来（“中文引号”也行）。\n"
        "  model (m)：模型，如 v3、v4、v4.5、v4.5-curated、v5\n"
        "  size：尺寸，portrait（竖图）、landscape（横图）、square（方图）等，或 832x1216 这样的 宽x高\n"
        "  steps 步数、scale (cfg) 提示词引导、n 张数、seed 种子\n"
        "  sampler (s)：采样器，如 euler_a、dpm++2m、k_dpmpp_2s_ancestral\n"
        "  neg：负面提示词，如 neg:\"lowres, blurry\"\n"
        "  char：角色及其位置，可以写多个：--char \"girl, red hair@B3\"（位置用 A1–E5 的格子，C3 为正中；"
        "也可写 0 到 1 之间的 x,y）\n"
        "  quality on/off 质量标签、variety on/off 多样性增强、preset 0–3 负面预设、rescale 0–1、"
        "schedule 噪声调度（如 karras）\n"
        "  priority 0–10 优先级（需有权限）\n"
        "artist:wlop、score:9 这类带冒号的标签会原样保留在提示词里。\n"
        "\n"
        "/queue —— 查看队列\n"
        "/status [任务] —— 查看某个任务的状态\n"
        "/cancel [任务] —— 取消尚未开始的任务\n"
        "/settings —— 默认参数：/settings set steps 28、/settings reset、/settings language en\n"
        "/account、/login、/logout —— 你的 NovelAI 账号（请只在私聊中登录）\n"
        "/help —— 显示本帮助"
    ),
    "help.group_hint": "在群里请这样叫我：/generate@{bot}",
    "duration.unknown": "未知",
    "duration.seconds": "{seconds} 秒",
    "duration.minutes": "{minutes} 分 {seconds} 秒",
    "duration.hours": "{hours} 小时 {minutes} 分",
    "status.queued": "⏳ 排队中：第 {position} 位，共 {total} 位，预计等待约 {wait}",
    "status.queued_no_eta": "⏳ 排队中：第 {position} 位，共 {total} 位",
    "status.queued_unplaced": "⏳ 排队中，预计等待约 {wait}",
    "status.queued_unplaced_no_eta": "⏳ 排队中",
    "status.retrying": "↻ 上一次没有成功，正在重试（第 {attempt} 次）",
    "status.starting": "🎨 正在开始…",
    "status.submitting": "⏳ 正在加入队列…",
    "dc.generate": "用 NovelAI 生成图片",
    "dc.opt.prompt": "要画的内容（标签或文字）",
    "dc.opt.negative": "不想出现的内容",
    "dc.opt.model": "模型（默认 V4.5 Full）",
    "dc.opt.sampler": "采样器",
    "dc.opt.size": "尺寸：预设名或 宽x高，如 832x1216",
    "dc.opt.steps": "采样步数（1-50；Opus 下 28 步以内免费）",
    "dc.opt.scale": "提示词引导强度（0-10）",
    "dc.opt.n": "图片数量（1-8）",
    "dc.opt.seed": "种子，用于复现结果",
    "dc.opt.characters": "角色和位置：girl, red hair@B3; boy@D3",
    "dc.opt.priority": "优先级 0-10（需要有权限）",
    "dc.opt.job": "任务编号（默认：你最近的任务）",
    "dc.opt.settings": "例如 show、set steps 28、language zh、reset",
    "nsfw.refused": "这个频道没有年龄限制，不能在这里画这些内容。请换到 NSFW 频道，或去掉：{terms}。",
    "nsfw.channels_only": "本服务器只允许在有年龄限制（NSFW）的频道里生成图片。",
    "menu.generate": "生成图片：/generate 提示词 --size portrait --n 2",
    "menu.queue": "查看你在队列中的位置",
    "menu.status": "查看任务状态",
    "menu.cancel": "取消排队中的任务",
    "menu.settings": "你的默认参数和语言",
    "menu.help": "使用说明",
    "status.lost": "这个任务没能进入队列，请重新发送命令。",
    "callback.again": "已用新的种子重新排队。",
    "callback.png": "正在发送原始 PNG 文件…",
    "callback.gone": "这个任务已经不存在了。",
    "status.running": "🎨 生成中：第 {step} 步，共 {total} 步",
    "status.done": "✅ 完成：共 {count} 张图",
    "status.done_one": "✅ 完成：共 1 张图",
    "status.failed": "❌ 失败：{reason}",
    "status.canceled": "🚫 已取消",
    "status.job": "任务 {id}",
    "status.job_cancelable": "任务 {id} · 取消请发 /cancel {id}",
    "cancel.canceled": "🚫 任务 {id} 已取消。",
    "cancel.running": "任务 {id} 已经开始生成，无法取消了。",
    "cancel.done": "任务 {id} 已经完成了。",
    "cancel.failed": "任务 {id} 已经结束（生成失败）。",
    "cancel.missing": "找不到任务 {id}，请用 /queue 核对任务编号。",
    "cancel.forbidden": "只有任务 {id} 的发起人或群管理员才能取消它。",
    "cancel.nothing": "你没有可以取消的排队任务。",
    "queue.empty": "队列是空的，用 /generate 画一张吧。",
    "queue.summary": "📋 队列：{waiting} 个排队中，{running} 个生成中",
    "queue.average": "平均每个任务约 {duration}。",
    "queue.own_header": "你的任务：",
    "queue.group_header": "本群的任务：",
    "queue.none_own": "你没有排队中的任务。",
    "queue.none_group": "本群没有排队中的任务。",
    "queue.item": "• {id} · 第 {position} 位，共 {total} 位 · 预计等待 {wait} · {prompt}",
    "queue.item_unplaced": "• {id} · 等待中 · 预计等待 {wait} · {prompt}",
    "queue.item_named": "• {id} · {name} · 第 {position} 位，共 {total} 位 · 预计等待 {wait} · {prompt}",
    "queue.item_named_unplaced": "• {id} · {name} · 等待中 · 预计等待 {wait} · {prompt}",
    "queue.running_header": "正在生成：",
    "queue.running_item": "• {id} · {name}",
    "settings.header": "⚙️ 你的默认参数（/generate 里没写的参数会用这些）：",
    "settings.title": "{label}（{name}）",
    "settings.item": "• {title}：{value}",
    "settings.empty": "你还没有保存默认参数，目前使用各模型自己的默认值。",
    "settings.hint": "修改请用 /settings set steps 28，全部清除请用 /settings reset。",
    "settings.saved": "已保存：{title} = {value}，下次 /generate 起生效。",
    "settings.reset_all": "你的默认参数已全部清除。",
    "settings.reset_one": "已清除{title}的默认值。",
    "settings.on": "开",
    "settings.off": "关",
    "language.en": "English（英文）",
    "language.zh": "简体中文",
    "field.prompt": "提示词",
    "field.negative": "负面提示词",
    "field.model": "模型",
    "field.sampler": "采样器",
    "field.steps": "步数",
    "field.scale": "提示词引导",
    "field.size": "尺寸",
    "field.width": "宽度",
    "field.height": "高度",
    "field.n_samples": "图片张数",
    "field.seed": "种子",
    "field.characters": "角色",
    "field.character": "角色 {number}",
    "field.position": "角色位置",
    "field.cfg_rescale": "引导重缩放",
    "field.noise_schedule": "噪声调度",
    "field.uc_preset": "负面预设",
    "field.smea": "SMEA",
    "field.smea_dyn": "SMEA DYN",
    "field.quality_tags": "质量标签",
    "field.variety": "多样性增强",
    "field.language": "语言",
    "field.priority": "优先级",
    "option.unknown": "没有 {option} 这个参数。可用的参数：{choices}。",
    "option.unknown_suggest": "没有 {option} 这个参数，你是不是想写 {suggestion}？",
    "option.missing_value": "参数 {option} 需要一个值，例如 {option}:{example}。",
    "option.bad_number": "“{value}”不是 {option} 能用的数字，请这样写：{option}:{example}。",
    "option.bad_switch": "{option} 只能是 on 或 off，不能是“{value}”。",
    "option.bad_priority": "优先级必须是 {min} 到 {max} 之间的整数，不能是“{value}”。",
    "option.unknown_model": "没有“{value}”这个模型。可以试试：{choices}。",
    "option.unknown_sampler": "没有“{value}”这个采样器。可以试试：{choices}。",
    "option.bad_size": "“{value}”不是有效的尺寸。请写成 宽x高（如 832x1216），或使用预设：{choices}。",
    "option.bad_character": (
        "看不懂角色“{value}”。请写成 提示词@位置，例如 \"girl, red hair@B3\""
        "（位置为 A1–E5 的格子，或 0 到 1 之间的 x,y）。"),
    "option.unterminated_quote": "参数 {option} 的值有左引号（{quote}）但没有右引号。",
    "option.missing_prompt": "请告诉我要画什么，例如：/generate 1girl, red hair, beach --size portrait",
    "option.unknown_setting": "没有 {name} 这个设置项。可用的设置项：{choices}。",
    "option.unknown_setting_suggest": "没有 {name} 这个设置项，你是不是想写 {suggestion}？",
    "option.bad_language": "不支持“{value}”这种语言，请从这些中选择：{choices}。",
    "option.bad_settings_command": (
        "看不懂“/settings {command}”。可以用 /settings、/settings set steps 28、"
        "/settings reset 或 /settings language en。"),
    "problem.bad_position": "“{value}”不是有效的位置。" + _POSITION_HELP_ZH,
    "problem.position_outside": "位置 {value} 超出了画面范围。" + _POSITION_HELP_ZH,
    "problem.empty_prompt": "提示词是空的，请描述你想画的画面，例如 `1girl, red hair, beach`",
    "problem.prompt_too_long": "提示词太长了（{length} 个字符，上限是 {limit}），请删减一些",
    "problem.negative_too_long": "负面提示词太长了（{length} 个字符，上限是 {limit}），请删减一些",
    "problem.side_range": "必须在 {min} 到 {max} 像素之间（你写的是 {value}）",
    "problem.size_multiple": "必须是 {step} 的倍数（你写的是 {value}，可以改成 {lower} 或 {upper}）",
    "problem.area_too_large": (
        "{width}×{height} 共 {area} 像素，超过了 NovelAI 的上限 {max_area}（1024×3072）。"
        "请换小一点的尺寸，例如 1472x1472 或 1024x1536"),
    "problem.n_samples_range": "图片张数必须在 {min} 到 {max} 之间（你写的是 {value}）",
    "problem.n_samples_for_area": (
        "{width}×{height} 的尺寸下，NovelAI 一次最多只能生成 {max} 张图（你要了 {value} 张）。"
        "请少要几张，或者换小一点的尺寸"),
    "problem.steps_range": "步数必须在 {min} 到 {max} 之间（你写的是 {value}）",
    "problem.scale_range": "提示词引导（scale）必须在 {min} 到 {max} 之间（你写的是 {value}）",
    "problem.cfg_rescale_range": "引导重缩放（cfg_rescale）必须在 {min} 到 {max} 之间（你写的是 {value}）",
    "problem.seed_range": "种子必须在 {min} 到 {max} 之间（你写的是 {value}）",
    "problem.unknown_model": (
        "没有“{value}”这个模型。请从 {choices} 中选一个（也可以写完整的模型 ID，如 nai-diffusion-4-5-full）"),
    "problem.legacy_model": "“{value}”是旧版 V1/V2 模型，本机器人不支持，请用 v3 或更新的模型",
    "problem.inpainting_model": "“{value}”是局部重绘模型。文生图请用去掉“{suffix}”后缀的同一个模型",
    "problem.unknown_sampler": "没有“{value}”这个采样器。请从 {choices} 中选一个（euler_a、dpm++2m 这样的简写也可以）",
    "problem.smea_sampler_v3_only": "SMEA 采样器只能用在 V3 模型上，{model} 用不了，请改用 {sampler}",
    "problem.bad_size": "“{value}”不是有效的尺寸。请写成 宽x高（如 832x1216），或使用预设：{choices}",
    "problem.unknown_noise_schedule": "没有“{value}”这种噪声调度，请从 {choices} 中选一个",
    "problem.native_schedule_v4": "{model} 不能用 native 噪声调度，请改用 karras、exponential 或 polyexponential",
    "problem.k_dpm_2_schedule": "k_dpm_2 采样器只能搭配 exponential 或 polyexponential 噪声调度（你写的是 {value}）",
    "problem.smea_v3_only": "只有 V3 模型才有 SMEA，{model} 没有，请把它关掉",
    "problem.smea_dyn_needs_smea": "SMEA DYN 是 SMEA 的变体，请同时打开 SMEA，或者关掉 SMEA DYN",
    "problem.characters_v4_only": (
        "{model} 不支持角色提示词。请换用 V4 或更新的模型（如 v4.5），或者把所有人物都写进主提示词"),
    "problem.too_many_characters": "{model} 最多只能有 {max} 个角色（你写了 {value} 个）",
    "problem.character_empty_prompt": "角色 {number} 的提示词是空的，请照这个格式写：`girl, red hair@B3`",
    "problem.character_too_long": "角色 {number} 的文字超过了 {limit} 个字符，请删减一些",
    "problem.character_outside": "角色 {number} 的位置 {x},{y} 超出了画面范围。" + _POSITION_HELP_ZH,
    "problem.uc_preset_range": "{model} 的负面预设只能是 {choices} 中的一个（你写的是 {value}）",
    "problem.too_expensive": (
        "{width}×{height}、{steps} 步时每张图要花 {price} Anlas，NovelAI 不接受单张超过 {max} Anlas 的请求，"
        "请缩小尺寸或减少步数"),
    "error.invalid_header": "这个请求没法加入队列：",
    "error.problem": "• {field}：{message}",
    "error.invalid": "请求在发送给 NovelAI 之前就被拒绝了：{detail}",
    "error.bad_request": "NovelAI 认为请求无效（{detail}），请调整参数后再试。",
    "error.auth": "NovelAI 不接受这个账号的登录信息，请账号所有者用 /login 重新登录（可用 /account 查看状态）。",
    "error.payment": "NovelAI 拒绝扣费：Anlas 不足或没有有效订阅。这个任务约需 {cost} Anlas。",
    "error.payment_unknown_cost": "NovelAI 拒绝扣费：Anlas 不足或没有有效订阅。",
    "error.free_hint": "Opus 会员在不超过 1024×1024 像素、28 步、1 张图时免费。",
    "error.concurrency_locked": "NovelAI 账号一直被另一个生成任务占用，只好放弃了。",
    "error.rate_limited": "NovelAI 一直限制这个账号的请求频率，只好放弃了。",
    "error.server": "NovelAI 服务器出了问题，没能生成图片。",
    "error.timeout": "NovelAI 太久没有响应。",
    "error.network": "连不上 NovelAI（网络问题）。",
    "error.storage": "图片已经生成，但没能保存下来。",
    "error.account": "这个任务使用的 NovelAI 账号已不存在，请联系管理员，或用 /login 登录自己的账号。",
    "error.internal": "我们这边出了点问题，请再试一次；如果一直这样，请告诉管理员。",
    "error.attempts": "共尝试了 {attempts} 次。",
    "error.queue_unavailable": "队列暂时不可用，请过一分钟再试。",
    "error.queue_full": "你已经有 {waiting} 个任务在排队（上限 {limit} 个），请等其中一个完成，或用 /cancel 取消一个。",
    "error.spend_refused_free": "这次生成要花 {cost} Anlas，但这里只允许免费生成。",
    "error.spend_refused_limit": "这次生成要花 {cost} Anlas，但这里每个任务最多只能花 {allowed} Anlas。",
    "error.unknown_account": "这里还没有可用的 NovelAI 账号。请在私聊中用 /login 登录，或请群管理员绑定共享账号。",
    "button.cancel": "✖ 取消",
    "button.again": "🔁 再来一次（换种子）",
    "button.original": "🖼 原图 PNG",
    "caption.for": "{name} 的作品",
    "caption.seed": "种子 {seed}",
    "caption.seeds": "种子 {seeds}",
    "caption.steps": "{steps} 步",
    "caption.paid_by": "由 {name} 付费",
}

_EN.update(i18n_accounts.EN)
_ZH.update(i18n_accounts.ZH)
TEXTS: dict[str, dict[str, str]] = {"en": _EN, "zh": _ZH}


def t(lang: str, key: str, **params: Any) -> str:
    """The text for ``key`` in ``lang``, formatted; English stands in for anything missing.

    A key English lacks is a programming error (KeyError), never a blank message in a chat.
    """
    template = TEXTS.get(lang, _EN).get(key)
    if template is None:
        template = _EN[key]
    return template.format(**params)


def normalise_language(value: str) -> str | None:
    """The supported language a user or platform code means (``zh-TW`` → zh), or None."""
    code = value.strip().lower().replace("_", "-")
    if code in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[code]
    primary = code.split("-", 1)[0]
    return primary if primary in LANGUAGES else None


def pick_language(saved: str | None, platform_code: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The user's saved choice first, then what their app reports, then the chat's default."""
    for candidate in (saved, platform_code):
        language = normalise_language(candidate) if candidate else None
        if language is not None:
            return language
    return default if default in LANGUAGES else DEFAULT_LANGUAGE
