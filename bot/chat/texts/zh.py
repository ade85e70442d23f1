"""Every Simplified Chinese text the chat bots send (简体中文): the English table of ``en.py``, translated.

Same keys, same order and same group headers as ``en.py``, so the two files read side by side; a key left
out here falls back to English (``bot.chat.texts.catalog.t``), and tests/bot/chat/test_texts.py fails on
a missing key or a placeholder the English text does not have. Traditional Chinese readers get this
table too (``catalog.normalise_language`` maps zh-TW and zh-HK here).

Plain text, ``str.format`` placeholders and no literal braces, as in ``en.py``.

One piece although past 400 lines, for the reason ``en.py`` gives: it is data, and a translator finds
every sentence of the language in one file.
"""

from __future__ import annotations

# The position advice several validation problems end with (novelai.request.POSITION_HELP).
_POSITION_HELP_ZH = "请用 A1–E5 的格子（字母是从左往右的 x，数字是从上往下的 y，C3 为正中），或 0 到 1 之间的 x,y"

TEXTS: dict[str, str] = {
    # --- how sentences join (Chinese needs no space after "。") --------------------------------
    "join.sentence": "",
    # --- /help --------------------------------------------------------------------------------
    "help.text": (
        "🎨 NovelAI 画图机器人\n"
        "\n"
        "/generate <提示词> [参数] —— 生成图片\n"
        "  /generate 1girl, red hair, beach, sunset --model v4.5 --size portrait --steps 28\n"
        "  /generate 1girl, red hair model:v4.5 size:1216x832 neg:\"lowres, blurry\"\n"
        "\n"
        "参数写法：--名称 值、--名称=值 或 名称:值，放在提示词前后都可以。"
        "值里有空格时请用引号括起来（“中文引号”也行）。\n"
        "  model (m)：模型，可选 {models}\n"
        "  size：尺寸，portrait（竖图）、landscape（横图）、square（方图）等，或 832x1216 这样的 宽x高\n"
        "  steps 步数、scale (cfg) 提示词引导、n 张数、seed 种子\n"
        "  sampler (s)：采样器，如 euler_a、dpm++2m、k_dpmpp_2s_ancestral\n"
        "  neg：负面提示词，如 neg:\"lowres, blurry\"\n"
        "  char：角色及其位置，可以写多个：--char \"girl, red hair@B3\"（位置用 A1–E5 的格子，C3 为正中；"
        "也可写 0 到 1 之间的 x,y）\n"
        "  quality on/off 质量标签、variety on/off 多样性增强、preset 0–3 负面预设、rescale 0–1、"
        "schedule 噪声调度（如 karras）\n"
        "  仅限 V5：transparent on/off 透明背景、qpreset light 轻量质量标签\n"
        "  priority 0–10 优先级（需有权限）\n"
        "artist:wlop、score:9 这类带冒号的标签会原样保留在提示词里。\n"
        "\n"
        "/tags <标签的开头> —— 列出以它开头的标签，常用的在前（/tags 1gi）\n"
        "内联模式：在任意聊天里输入 @ 加我的用户名，再写提示词；选一个补全最后一个标签的结果，就会作为 "
        "/generate 发出。在 Discord 上，/generate 的提示词会在输入时提示标签。\n"
        "\n"
        "/queue —— 查看队列\n"
        "/status [任务] —— 查看某个任务的状态\n"
        "/cancel [任务] —— 取消尚未开始的任务\n"
        "/settings —— 默认参数：/settings set steps 28、/settings reset、/settings language en\n"
        "/style save 名称 masterpiece, ..., detailed neg:\"lowres\" steps:28 —— 把参数存为风格；"
        "之后 /generate a cat style:名称（多个：style:a,b；当次输入的参数优先）。/style list、show、delete\n"
        "/wildcard add hair red hair | blue hair —— 之后提示词里的 __hair__ 会按种子选一项"
        "（同一种子选同一项）。/wildcard list、show、set、delete\n"
        "  前面加 group（/style group save …）即为本群自己的，由群管理员管理；同名时你自己的优先。\n"
        "/account、/login、/logout —— 你的 NovelAI 账号（请只在私聊中登录）\n"
        "/help —— 显示本帮助"
    ),
    "help.group_hint": "在群里请这样叫我：/generate@{bot}",
    "help.unknown_command": "我不认识 /{command}；/help 会列出我能做的事",
    # --- command menus (Telegram) and slash-command descriptions (Discord) --------------------
    "menu.generate": "生成图片：/generate 提示词 --size portrait --n 2",
    "menu.queue": "查看你在队列中的位置",
    "menu.status": "查看任务状态",
    "menu.cancel": "取消排队中的任务",
    "menu.settings": "你的默认参数和语言",
    "menu.help": "使用说明",
    "menu.login": "登录 NovelAI（仅限私聊）",
    "menu.logout": "删除你的 NovelAI 登录",
    "menu.account": "你的 NovelAI 账号、令牌和 Anlas",
    "menu.group": "群账号、额度和暂停（管理员）",
    "menu.admin": "封禁、解封、查看所有通道（机器人管理员）",
    "menu.style": "保存的风格：/style save 名称 参数，然后 style:名称",
    "menu.wildcard": "通配词列表：/wildcard add hair red | blue，然后 __hair__",
    "menu.tags": "补全标签：/tags 1gi",
    # --- tag suggestions: /tags, inline mode (bot/chat/tag_suggestions.py) -----------------------
    "tags.usage": "请输入标签的开头：/tags 1gi。在任意聊天里也可以输入 @{bot} 加提示词。",
    "tags.title": "“{prefix}”开头的标签：",
    "tags.none": "没有找到“{prefix}”开头的标签（也可能是 NovelAI 正忙，请稍后再试）。",
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
    "dc.opt.transparent": "V5：透明背景（带 alpha 通道的 PNG）",
    "dc.opt.characters": "角色和位置：girl, red hair@B3; boy@D3",
    "dc.opt.style": "要套用的风格，按顺序：anime 或 anime,portrait",
    "dc.opt.tool_action": "要做什么",
    "dc.opt.tool_name": "名称（a-z、0-9、- 和 _）",
    "dc.opt.tool_group": "使用本群自己的（由群管理员修改），而不是你自己的",
    "dc.opt.style_prompt": "风格的提示词：... 代表之后输入的提示词",
    "dc.opt.wildcard_entries": "用 | 分隔的各项：red hair | blue hair",
    "dc.opt.priority": "优先级 0-10（需要有权限）",
    "dc.opt.job": "任务编号（默认：你最近的任务）",
    "dc.opt.settings": "例如 show、set steps 28、language zh、reset",
    "dc.opt.group_action": "要做什么",
    "dc.opt.admin_action": "要做什么",
    "dc.opt.group_args": "详细参数，如 images:5 anlas:0 until:2026-12-31（出借）、images:20 cooldown:30（额度）",
    "dc.opt.admin_user": "要封禁或解封的用户",
    # --- durations ----------------------------------------------------------------------------
    "duration.unknown": "未知",
    "duration.seconds": "{seconds} 秒",
    "duration.minutes": "{minutes} 分 {seconds} 秒",
    "duration.hours": "{hours} 小时 {minutes} 分",
    # --- job status message -------------------------------------------------------------------
    "status.queued": "⏳ 排队中：第 {position} 位，共 {total} 位，预计等待约 {wait}",
    "status.queued_no_eta": "⏳ 排队中：第 {position} 位，共 {total} 位",
    "status.queued_unplaced": "⏳ 排队中，预计等待约 {wait}",
    "status.queued_unplaced_no_eta": "⏳ 排队中",
    "status.retrying": "↻ 上一次没有成功，正在重试（第 {attempt} 次）",
    "status.starting": "🎨 正在开始…",
    "status.submitting": "⏳ 正在加入队列…",
    "status.for": "给 {name}（在机器人重启前发出的命令）：",
    "status.lost": "这个任务没能进入队列，请重新发送命令。",
    "status.running": "🎨 生成中：第 {step} 步，共 {total} 步",
    "status.done": "✅ 完成：共 {count} 张图",
    "status.done_one": "✅ 完成：共 1 张图",
    "status.failed": "❌ 失败：{reason}",
    "status.canceled": "🚫 已取消",
    "status.job": "任务 {id}",
    "status.job_cancelable": "任务 {id} · 取消请发 /cancel {id}",
    "status.no_jobs": "你还没有任务；试试 /generate 1girl, red hair, beach",
    # --- buttons under a job and what pressing them answers -----------------------------------
    "button.cancel": "✖ 取消",
    "button.again": "🔁 再来一次（换种子）",
    "button.original": "🖼 原图 PNG",
    "callback.again": "已用新的种子重新排队。",
    "callback.again_not_generation": "只有生成任务可以换个种子重来；想再次放大或使用工具，请重新发送图片。",
    "callback.png": "正在发送原始 PNG 文件…",
    "callback.gone": "这个任务已经不存在了。",
    "callback.elsewhere": "这个按钮属于另一个聊天里的消息。",
    # --- captions -----------------------------------------------------------------------------
    "caption.for": "{name} 的作品",
    "caption.seed": "种子 {seed}",
    "caption.seeds": "种子 {seeds}",
    "caption.steps": "{steps} 步",
    "caption.paid_by": "由 {name} 付费",
    "caption.styles": "风格：{styles}",
    "job.upscale": "放大 ×{scale}",
    "job.tool": "Director 工具：{tool}",
    "tool.bg-removal": "去除背景",
    "tool.lineart": "线稿",
    "tool.sketch": "素描",
    "tool.colorize": "上色",
    "tool.emotion": "表情",
    "tool.declutter": "清理杂物",
    "tool.declutter-keep-bubbles": "清理杂物（保留对话框）",
    # --- /cancel ------------------------------------------------------------------------------
    "cancel.canceled": "🚫 任务 {id} 已取消。",
    "cancel.running": "任务 {id} 已经开始生成，无法取消了。",
    "cancel.done": "任务 {id} 已经完成了。",
    "cancel.failed": "任务 {id} 已经结束（生成失败）。",
    "cancel.missing": "找不到任务 {id}，请用 /queue 核对任务编号。",
    "cancel.forbidden": "只有任务 {id} 的发起人或群管理员才能取消它。",
    "cancel.nothing": "你没有可以取消的排队任务。",
    # --- /queue -------------------------------------------------------------------------------
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
    "board.header": "📋 排队看板：本群有 {count} 个任务在排队",
    "board.help": "任务开始时会单独发消息；图片会回复你的命令。点你任务下的 ✖ 可取消。",
    "board.item": "{position}. {name} · {id} · {prompt}",
    "board.more": "… 还有 {count} 个在排队",
    "board.cancel": "✖ {position}. {name}",
    "board.closed": "📋 本群排队已不多：每个任务恢复单独的状态消息。",
    # --- /settings ----------------------------------------------------------------------------
    "settings.header": "⚙️ 你的默认参数（/generate 里没写的参数会用这些）：",
    "settings.title": "{label}（{name}）",
    "settings.item": "• {title}：{value}",
    "settings.empty": "你还没有保存默认参数，目前使用各模型自己的默认值。",
    "settings.hint": "修改请用 /settings set steps 28，全部清除请用 /settings reset。",
    "settings.saved": "已保存：{title} = {value}，下次 /generate 起生效。",
    "settings.saved_now": "已保存：{title} = {value}，现在起生效。",
    "settings.reset_all": "你的默认参数已全部清除。",
    "settings.reset_one": "已清除{title}的默认值。",
    "settings.on": "开",
    "settings.off": "关",
    "language.en": "English（英文）",
    "language.zh": "简体中文",
    # --- field names in plain words -----------------------------------------------------------
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
    "field.transparent": "透明背景",
    "field.quality_preset": "质量预设",
    "field.image": "输入图片",
    "field.mask": "蒙版",
    "field.strength": "重绘强度",
    "field.noise": "图片噪声",
    "field.inpaint_strength": "局部重绘强度",
    "field.vibes": "风格迁移图",
    "field.references": "精确参考图",
    "field.upscale": "放大",
    "field.emotion": "情绪",
    "field.defry": "去杂程度",
    "field.language": "语言",
    "field.priority": "优先级",
    # --- option errors (bot.chat.generate_options.OptionError keys) ---------------------------
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
    "option.text_too_long": (
        "/{command} 后面的内容太长了（{length} 个字符，最多读 {limit} 个）。没有做任何操作，请缩短后重新发送。"),
    "option.value_too_long": "参数 {option} 的值太长了（{length} 个字符，最多 {limit} 个）。没有做任何操作。",
    # --- validation problems (novelai.errors.Problem.code; params as the Problem carries them) ---
    "problem.bad_position": "“{value}”不是有效的位置。" + _POSITION_HELP_ZH,
    "problem.position_outside": "位置 {value} 超出了画面范围。" + _POSITION_HELP_ZH,
    "problem.position_too_long": "位置写得太长了（{length} 个字符，上限是 {limit}）",
    "problem.empty_prompt": "{label}是空的，请描述你想画的画面，例如 `1girl, red hair, beach`",
    "problem.prompt_too_long": "{label}太长了（{length} 个字符，上限是 {limit}），请删减一些",
    "problem.negative_too_long": "{label}太长了（{length} 个字符，上限是 {limit}），请删减一些",
    "problem.side_range": "{label}必须在 {min} 到 {max} 像素之间（你写的是 {value}）",
    "problem.size_multiple": "{label}必须是 {step} 的倍数（你写的是 {value}，可以改成 {lower} 或 {upper}）",
    "problem.area_too_large": (
        "{width}×{height} 共 {area} 像素，超过了 NovelAI 的上限 {max_area}（1024×3072）。"
        "请换小一点的尺寸，例如 1472x1472 或 1024x1536"),
    "problem.n_samples_range": "{label}必须在 {min} 到 {max} 之间（你写的是 {value}）",
    "problem.n_samples_for_area": (
        "{width}×{height} 的尺寸下，NovelAI 一次最多只能生成 {max} 张图（你要了 {value} 张）。"
        "请少要几张，或者换小一点的尺寸"),
    "problem.steps_range": "{label}必须在 {min} 到 {max} 之间（你写的是 {value}）",
    "problem.scale_range": "{label}必须在 {min} 到 {max} 之间（你写的是 {value}）",
    "problem.cfg_rescale_range": "{label}必须在 {min} 到 {max} 之间（你写的是 {value}）",
    "problem.seed_range": "{label}必须在 {min} 到 {max} 之间（你写的是 {value}）",
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
    "problem.character_empty_prompt": "{label} 的提示词是空的，请照这个格式写：`girl, red hair@B3`",
    "problem.character_too_long": "{label} 的文字超过了 {limit} 个字符，请删减一些",
    "problem.character_text_too_long": "角色的文字太长了（{length} 个字符，上限是 {limit}）",
    "problem.name_too_long": "名称太长了（{length} 个字符，上限是 {limit}）",
    "problem.character_outside": "{label} 的位置 {x},{y} 超出了画面范围。" + _POSITION_HELP_ZH,
    "problem.uc_preset_range": "{model} 的{label}只能是 {choices} 中的一个（你写的是 {value}）",
    "problem.sampler_not_on_model": "{model} 不提供 {value} 采样器，请从 {choices} 中选一个",
    "problem.schedule_not_on_model": "{model} 只能用 {choices} 噪声调度（你写的是 {value}），请去掉这个选项",
    "problem.sampler_without_schedule": "{sampler} 采样器不需要噪声调度（你写的是 {value}），请去掉这个选项",
    "problem.variety_not_on_model": "{model} 没有多样性增强，请关掉它",
    "problem.transparency_not_on_model": "{model} 不能生成透明背景，请换用 V5 模型（例如 v5）或关掉它",
    "problem.unknown_quality_preset": "没有质量预设 '{value}'，请从 {choices} 中选一个",
    "problem.light_quality_not_on_model": "{model} 没有 light 质量预设，请用 standard",
    "problem.fixed_by_model": "{model} 固定使用 {fixed}，请去掉这个选项；想自己设置请改用 v5",
    "problem.negative_not_on_model": "{model} 不接受负面提示词，请去掉它；需要负面提示词请改用 v5",
    # Images in (novelai/image_rules.py).
    "problem.strength_range": "{label}必须在 {min} 到 {max} 之间（你写的是 {value}）",
    "problem.noise_range": "{label}必须在 {min} 到 {max} 之间（你写的是 {value}）",
    "problem.inpaint_strength_range": "{label}必须在 {min} 到 {max} 之间（你写的是 {value}）",
    "problem.image_size_mismatch": (
        "{label}是 {image_width}×{image_height}，但请求的尺寸是 {width}×{height}；NovelAI 要求两者一致，"
        "请按这个尺寸重新发送图片"),
    "problem.smea_with_image": "有输入图片时不能用 SMEA，请把它关掉",
    "problem.mask_without_image": "蒙版需要配上它要重绘的那张图片，请把图片也发上来",
    "problem.setting_without_image": "{label}只在有输入图片时才有用；请发一张图片，或者去掉这个选项",
    "problem.inpaint_strength_without_mask": "{label}只在有蒙版时才有用；请发一个蒙版，或者去掉这个选项",
    "problem.infill_not_on_model": "{model} 没有局部重绘模型，请换一个模型再重绘图片的一部分",
    "problem.sampler_not_for_infill": "{sampler} 采样器不能用于局部重绘，请改用 k_euler_ancestral",
    "problem.references_with_mask": "精确参考不能和局部重绘一起用；请去掉参考图或者蒙版",
    "problem.vibes_not_on_model": "{model} 不支持风格迁移图；请改用 V4.5 模型，或者改用精确参考",
    "problem.vibes_with_references": "风格迁移图和精确参考不能同时使用（NovelAI 会拒绝），请只保留一种",
    "problem.too_many_vibes": "每个请求最多 {max} 张风格迁移图（你给了 {value} 张）",
    "problem.references_not_on_model": "{model} 不支持精确参考，请改用 v4.5 或 v5",
    "problem.too_many_references": "每个请求最多 {max} 张精确参考图（你给了 {value} 张）",
    # 输入图片与放大/工具
    "problem.image_empty": "文件是空的，请发送 PNG、JPEG 或 WebP 图片",
    "problem.image_too_large": "图片大小为 {size}，超过了本机器人接受的 {limit}，请发送更小的文件",
    "problem.image_format": "这是 {format} 文件，请发送 PNG、JPEG 或 WebP 图片",
    "problem.image_not_an_image": "这个文件不是图片，请发送 PNG、JPEG 或 WebP 图片",
    "problem.image_too_many_pixels": (
        "图片为 {width}×{height} 像素，超过了本机器人接受的 {max_pixels} 像素，请换一张更小的"),
    "problem.image_bomb": "这张图片解压后的像素远多于它声称的大小，已拒绝，未作读取",
    "problem.image_corrupt": "这个 {format} 文件已损坏或不完整，无法读取，请重新发送",
    "problem.image_text_too_large": "这张 PNG 带的文字（元数据）超过了本机器人读取的上限，请去掉元数据后重新保存",
    "problem.mask_empty": "蒙版是空的：请在黑底上用白色涂出要重绘的部分",
    "problem.vibes_unsupported": "V5 模型没有风格迁移功能；请改用 V4.5，或者改用精确参考",
    "problem.tool_image_too_large": (
        "图片为 {width}×{height} = {pixels} 像素，超过了 {tool} 可处理的 {max_pixels} 像素；请换一张更小的图片"),
    "problem.upscale_scale": "放大倍数只能是 2 或 4（你写的是 {value}）",
    "problem.upscale_4x_too_large": (
        "4 倍放大最多处理 {max_pixels} 像素，而这张图片为 {width}×{height} = {pixels} 像素；请改用 2 倍放大"),
    "problem.tool_setting_not_allowed": "{tool} 工具不接受 {setting}；接受它的工具：{tools}",
    "problem.emotion_required": "表情工具需要指定一种情绪：{choices} 之一",
    "problem.unknown_emotion": "“{value}” 不是可用的情绪；请使用 {choices} 之一",
    "problem.emotion_prompt_separator": "表情工具的提示词不能包含 “{separator}”",
    "problem.too_expensive": (
        "{width}×{height}、{steps} 步时每张图要花 {price} Anlas，NovelAI 不接受单张超过 {max} Anlas 的请求，"
        "请缩小尺寸或减少步数"),
    # --- job errors and queue refusals --------------------------------------------------------
    "error.invalid_header": "这个请求没法加入队列：",
    "error.problem": "• {field}：{message}",
    "error.problem_named": "• {message}",
    "error.invalid": "请求在发送给 NovelAI 之前就被拒绝了：{detail}",
    "error.bad_request": "NovelAI 认为请求无效（{detail}），请调整参数后再试。",
    "error.auth": "NovelAI 不接受这个账号的登录信息，请账号所有者用 /login 重新登录（可用 /account 查看状态）。",
    "error.payment": "NovelAI 拒绝扣费：Anlas 不足或没有有效订阅。这个任务约需 {cost} Anlas。",
    "error.payment_unknown_cost": "NovelAI 拒绝扣费：Anlas 不足或没有有效订阅。",
    "error.free_hint": "Opus 会员在不超过 1024×1024 像素、28 步、1 张图时免费。",
    "error.concurrency_locked": "NovelAI 账号一直被另一个生成任务占用，只好放弃了。",
    "error.auth_unverified": (
        "NovelAI 拒绝了这个账号的令牌，而且它在这里从未成功使用过：请检查令牌。"
        "如果是机器人自己的账号，请运营者检查 `NOVELAI_TOKEN`，并用 `naibot account status <name>` 核对；"
        "如果是你自己的账号，请用 /login 重新登录。"),
    "error.rate_limited": "NovelAI 一直限制这个账号的请求频率，只好放弃了。",
    "error.server": "NovelAI 服务器出了问题，没能生成图片。",
    "error.stream_error": "NovelAI 中途停止了生成，它的说明是：“{detail}”。",
    "error.timeout": "NovelAI 太久没有响应。",
    "error.deadline": "NovelAI 没有在限定时间内生成完图片，我已停止等待。没有自动重试，以免重复扣费。",
    "error.response_refused": "NovelAI 返回的内容远超正常图片的大小或格式，我拒绝了它。没有自动重试，以免重复扣费。",
    "error.network": "连不上 NovelAI（网络问题）。",
    "error.storage": "图片已经生成，但没能保存下来。",
    "error.account": "这个任务使用的 NovelAI 账号已不存在，请联系管理员，或用 /login 登录自己的账号。",
    "error.input_missing": "这个任务需要的图片已不在存储中（可能已过期），请重新发送图片。",
    "error.tool_free_hint": "Opus 会员使用除去除背景以外的 Director 工具时，图片不超过 1024×1024 像素即免费。",
    "error.internal": "我们这边出了点问题，请再试一次；如果一直这样，请告诉管理员。",
    "error.attempts": "共尝试了 {attempts} 次。",
    "error.queue_unavailable": "队列暂时不可用，请过一分钟再试。",
    "error.queue_full": "你已经有 {waiting} 个任务在排队（上限 {limit} 个），请等其中一个完成，或用 /cancel 取消一个。",
    "error.spend_refused_free": "这次生成要花 {cost} Anlas，但这里只允许免费生成。",
    "error.spend_refused_limit": "这次生成要花 {cost} Anlas，但这里每个任务最多只能花 {allowed} Anlas。",
    "error.spend_refused_allowance_empty": (
        "这次生成要花 {cost} Anlas，但这里只允许免费生成："
        "这个 Opus 账号的 V5 免费额度已用完，恢复之前 V5 出图要花 Anlas。"),
    "error.spend_refused_allowance_unknown": (
        "这次生成要花 {cost} Anlas，但这里只允许免费生成："
        "NovelAI 没有报告这个 Opus 账号的 V5 免费额度，所以 V5 出图按付费计算。"),
    "error.allowance_hint": (
        "可以改用 V4.5（Opus 在不超过 1024×1024 像素、28 步时仍然免费），"
        "或者等额度恢复：/account 会显示剩余额度和恢复时间。"),
    "error.payment_v5_hint": (
        "在 V5 上，Opus 账号的免费出图来自一个会随时间恢复的额度；额度用完后，V5 出图要花 Anlas。"
        "/account 会显示剩余额度。"),
    "error.unknown_account": "这里还没有可用的 NovelAI 账号。请在私聊中用 /login 登录，或请群管理员绑定共享账号。",
    # --- NSFW channels (Discord) --------------------------------------------------------------
    "nsfw.refused": "这个频道没有年龄限制，不能在这里画这些内容。请换到 NSFW 频道，或去掉：{terms}。",
    "nsfw.channels_only": "本服务器只允许在有年龄限制（NSFW）的频道里生成图片。",
    # --- policy refusals ----------------------------------------------------------------------
    "policy.banned": "你不能使用这个机器人：已被管理员封禁。",
    "policy.no_account": (
        "你在这里还没有 NovelAI 账号。请在这个私聊里用 /login 登录：发送你的永久 API 令牌（pst-…）或邮箱和密码。"
        "NovelAI 验证通过之前什么都不会保存。"
    ),
    "policy.no_account_group": (
        "本群没有共享的 NovelAI 账号，你也还没有登录。"
        "请私聊我（@{bot}）发送 /login，或请群管理员用 /group account 设置。"
    ),
    "policy.paused": "本群暂时不接受新任务（管理员已暂停），请稍后再试。",
    "policy.priority_too_high": "优先级 {asked} 超出了你在这里的上限：最多 {allowed}。",
    "policy.quota.member_images": "你今天在本群的 {limit} 张图片额度已用完（已用 {used} 张）。",
    "policy.quota.lender_images": "借出的账号今天已生成 {limit} 张（主人的上限；已用 {used} 张），请明天再试。",
    "policy.quota.lender_anlas": "这会超过借出账号主人允许的每天 {limit} Anlas（今天已花 {used}）。",
    "policy.cooldown": "慢一点：{seconds} 秒后才能在这里开始新任务。",
    # --- /login, /logout and Discord's login form ---------------------------------------------
    "login.ask_secret": (
        "请发送你的 NovelAI 永久 API 令牌（以 pst- 开头，在 NovelAI 账号设置里），或 NovelAI 账号的邮箱。"
        "读取后我会立刻删除你的消息。发送 /cancel_login 可取消。"
    ),
    "login.ask_password": "现在请发送 NovelAI 密码。我会立刻删除这条消息，密码绝不保存。",
    "login.not_a_secret": "这既不是 NovelAI 令牌（pst-…）也不是邮箱。请发送其中之一，或 /cancel_login。",
    "login.canceled": "已取消登录，没有保存任何东西。",
    "login.saved": "✅ 登录成功（{tier}，{anlas} Anlas）。你的任务现在使用你自己的账号。用 /account 查看。",
    "login.rejected": "❌ NovelAI 不接受这些凭据（{reason}）。没有保存任何东西。",
    "login.unreachable": "无法连接 NovelAI 来验证这些凭据（{reason}）。没有保存任何东西，请稍后再试。",
    "login.failed": "保存登录时出错，没有保存任何东西。请再试一次。",
    "login.throttled": "登录尝试次数太多。为防止有人借机器人试探被盗的密码，请在 {wait} 后再试。",
    "login.disabled": "这个机器人没有启用登录（运营者没有设置密钥）。",
    "login.start_private": "我们在这里私下登录吧。发送 /login 开始。",
    "login.go_private": "登录只能私聊进行：请打开与我（@{bot}）的私聊并发送 /login。",
    "login.go_private_unreachable": (
        "登录只能私聊进行，但我还不能私聊你：请打开与我（@{bot}）的对话，"
        "点击“开始”，然后在那里发送 /login。"),
    "login.open_private": "我还不能私聊你：请打开与我（@{bot}）的对话，点击“开始”，然后再试一次。",
    "login.in_group_deleted": (
        "⚠️ 千万不要在群里发送 NovelAI 令牌或密码。我已删除那条消息且没有保存，但可能已被别人看到："
        "请立即修改 NovelAI 密码（或撤销令牌）。请私聊我（@{bot}）发送 /login 登录。"
    ),
    "login.in_group_not_deleted": (
        "⚠️ 千万不要在群里发送 NovelAI 令牌或密码。我无法删除那条消息（我不是管理员）：请自己删除，"
        "并立即修改 NovelAI 密码（或撤销令牌）。我没有保存任何东西。请私聊我（@{bot}）发送 /login 登录。"
    ),
    "logout.done": ("已登出：你的 NovelAI 凭据和缓存的令牌已删除。"
                    "已从 {groups} 个群解绑；取消了 {canceled} 个排队中的任务。"),
    "logout.nothing": "你没有登录，没有需要删除的东西。",
    "dc.login.title": "登录 NovelAI",
    "dc.login.bind_title": "本服务器的 NovelAI 账号",
    "dc.login.token": "永久 API 令牌（pst-…）",
    "dc.login.email": "或：邮箱",
    "dc.login.password": "以及密码",
    "dc.login.private": "只有你和机器人能看到（仅加密保存）",
    "dc.login.empty": "请填写永久 API 令牌（pst-…），或同时填写邮箱和密码。什么都没有保存。",
    # --- /account -----------------------------------------------------------------------------
    "account.none": "这里没有可以为你的任务付费的 NovelAI 账号。请私聊我（@{bot}）用 /login 登录。",
    "account.uses_own": "你在这里的任务使用你自己的 NovelAI 账号。",
    "account.uses_shared": "你在这里的任务使用本群的共享账号（由 {owner} 付费）。",
    "account.uses_default": "你在这里的任务使用机器人自己的账号（你还没有登录）。",
    "account.token_cached": "令牌：已缓存",
    "account.token_not_cached": "令牌：未缓存（下个任务时登录）",
    "account.days_left": "令牌还有 {days} 天有效",
    "account.last_check": "上次验证：{when}",
    "account.tier": "订阅：{tier}，{anlas} Anlas",
    "account.error": "NovelAI 返回：{reason}",
    "account.v5_allowance": "V5 免费额度：约剩 {images} 张（{percent}%），{full} 后充满",
    "account.v5_allowance_full": "V5 免费额度：约剩 {images} 张（{percent}%），已充满",
    "account.v5_allowance_empty": "V5 免费额度：已用完（{percent}%），V5 出图要花 Anlas；{next} 后恢复 1%",
    "account.v5_allowance_unknown": "V5 免费额度：NovelAI 没有报告，所以 V5 出图按付费计算",
    "account.days": "{days} 天 {hours} 小时",
    "account.cost": "你平常的 /generate 花费 {cost} Anlas。",
    "account.cost_free": "你平常的 /generate 在这个账号上免费。",
    "account.rejected": ("⚠️ NovelAI 不再接受你的登录，我也无法续期，所以你的任务会失败。"
                         "请用 /login（@{bot}）重新登录。"),
    # --- /group -------------------------------------------------------------------------------
    "group.only_in_groups": "/group 只能在群（Telegram）或服务器（Discord）里使用。",
    "group.admins_only": "只有本群管理员可以修改。",
    "group.not_admin_anymore": "你已不再是那个群的管理员；没有保存任何东西。",
    "group.usage": (
        "用法：/group status · /group account bind · /group account lend images:5 anlas:0 until:2026-12-31 · "
        "/group unbind · /group quota images:20 waiting:2 cooldown:30 · /group pause · /group resume · "
        "/group prefer shared|own · /group default on|off|inherit · /group priority default:5 max:6 admin:8"
    ),
    "group.account_usage": "用 /group account bind（私聊登录一个群账号）或 "
                           "/group account lend images:N anlas:N until:YYYY-MM-DD（借出你自己的账号）。",
    "group.priority_usage": "用 /group priority default:N max:N admin:N（0–10）。",
    "group.quota_usage": "用 /group quota images:N waiting:N cooldown:秒数（0 = 不限）。",
    "group.prefer_usage": "用 /group prefer shared（所有人都用群账号）或 /group prefer own。",
    "group.default_usage": "用 /group default on、off 或 inherit（没有账号的成员是否使用机器人自己的账号）。",
    "group.bad_argument": "看不懂“{word}”。请写 名称:值，名称可以是：{names}。",
    "group.bad_number": "{name} 必须是 0 到 {high} 之间的整数，而不是“{value}”。",
    "group.bad_until": "“{value}”不是将来的日期：请写 YYYY-MM-DD 或天数，如 7d。",
    "group.bad_channel": "“{value}”不是频道：请提及它（#频道）或给出它的 id。",
    "group.bind_private": ("正在为 {group} 绑定 NovelAI 账号：请发送它的永久 API 令牌（pst-…）或邮箱。"
                           "读取后我会立刻删除你的消息。/cancel_login 可取消。"),
    "group.bind_started": "我已私聊你来绑定账号；凭据绝不在群里发送。",
    "group.bound": "✅ {group} 现在有共享的 NovelAI 账号（{tier}，{anlas} Anlas）。",
    "group.lend_needs_login": "要借出你的账号，请先登录：私聊我（@{bot}）发送 /login。",
    "group.nothing_bound": "本群没有共享账号。",
    "group.unbound": "已移除本群的共享账号；成员现在使用自己的账号。",
    "group.paused": "⏸ 本群已暂停：在 /group resume 之前拒绝新任务。",
    "group.resumed": "▶️ 本群重新接受新任务。",
    "group.prefer_shared": "现在这里所有人都使用群共享账号，即使有自己的账号。",
    "group.prefer_own": "有自己账号的成员使用自己的；其他人使用群账号。",
    "group.default_on": "没有账号的成员可以在这里使用机器人自己的账号。",
    "group.default_off": "这里不使用机器人自己的账号；成员需要自己的或群的账号。",
    "group.default_inherit": "本群遵循机器人对自有账号的设置。",
    "group.status_title": "{group} 的群设置",
    "group.status_no_account": "共享账号：无",
    "group.status_bound": "共享账号：由 {owner} 绑定",
    "group.status_lent": "共享账号：由 {owner} 借出",
    "group.lending_today": "今天：{images}/{images_limit} 张，{anlas}/{anlas_limit} Anlas；借出至 {until}",
    "group.status_channels": "共享账号仅用于频道：{channels}",
    "group.status_prefer_shared": "所有人使用共享账号",
    "group.status_prefer_own": "成员自己的账号优先",
    "group.status_default_on": "机器人自己的账号：没有账号的成员可用",
    "group.status_default_off": "机器人自己的账号：此处不用",
    "group.status_quota": "每位成员：每天 {images} 张，同时排队 {waiting} 个，任务间隔 {cooldown} 秒",
    "group.status_priority": "优先级：成员 {default}（最高 {max}），管理员最高 {admin}",
    "group.status_paused": "⏸ 已暂停：不接受新任务",
    # --- /admin -------------------------------------------------------------------------------
    "admin.only": "只有机器人管理员可以这样做。",
    "admin.usage": "用法：/admin ban <用户 id> · /admin unban <用户 id> · /admin queue",
    "admin.bad_user": "“{value}”不是用户：请给出用户 id、提及或 平台:id。",
    "admin.not_yourself": "你不能封禁或解封自己。",
    "admin.banned": "🚫 已封禁 {user}：其命令和按钮都会被拒绝。",
    "admin.unbanned": "✅ {user} 可以再次使用机器人。",
    "admin.lanes_title": "所有通道：{lanes} 个有任务，{waiting} 个排队中，{running} 个生成中",
    "admin.lane": "▸ {lane}：{depth} 个排队",
    "admin.lane_job": "   • {id} · {user} · 优先级 {priority}",
    "admin.running_job": "▶ {id} · {user} · 在 {lane}",
    # --- images in the chat (bot/chat/commands/images.py) ----------------------------------------
    "help.images": (
        "\n🖼 使用图片：把下列命令作为图片的说明文字发送，或回复任意图片\n"
        "/generate <提示词> [strength:0.6 noise:0.1] — 以图生图（img2img）\n"
        "/enhance [提示词] [factor:1] — 放大 1.5 倍并增强细节（1：原尺寸）· /variations — 生成相似图 · "
        "/upscale [2|4] — 放大\n"
        "/vibe <提示词> [strength:0.6 info:1] — 沿用图片风格（多张图片：以相册发送）\n"
        "/ref <提示词> [kind:character|style|both fidelity:1] — 同一角色（V4.5、V5）\n"
        "/inpaint <提示词> — 用遮罩图片回复原图（白色 = 重绘），或把两张图作为相册发送\n"
        "/tool lineart|sketch|colorize|emotion|declutter|bubbles|bgremove [提示词] — 导演工具\n"
        "/info — 读取以文件发送的 PNG 中的提示词和参数"
    ),
    "menu.enhance": "回复图片：放大并增强细节",
    "menu.variations": "回复图片：生成相似图",
    "menu.upscale": "回复图片：放大 2 倍或 4 倍",
    "menu.vibe": "回复图片：沿用其风格生成",
    "menu.ref": "回复图片：同一角色或风格",
    "menu.inpaint": "用遮罩回复图片：重绘局部",
    "menu.tool": "回复图片：线稿、草图、上色、表情……",
    "menu.info": "回复 PNG 文件：读取提示词和参数",
    "image.none": "这个命令需要一张图片：把命令作为图片的说明文字发送，或用它回复一张图片",
    "image.none_in_reply": "你回复的消息里没有图片；请回复一张照片或图片文件",
    "image.needs_mask": (
        "局部重绘需要原图和遮罩（白色 = 要重绘的部分）：用遮罩照片回复原图并写上 /inpaint，"
        "或把两张图作为相册发送，原图在前"),
    "image.too_big": "{name} 超过了本机器人接受的 {limit_mb} MB；请发送更小的图片",
    "image.unavailable": "无法下载 {name}；请重新发送",
    "info.compressed": (
        "照片会被应用重新压缩，NovelAI 写入的参数随之丢失；请以文件（不压缩）发送图片，再用 /info 回复它"),
    "info.none": "这张图片里没有 NovelAI 的参数",
    "info.header": "🔎 图片中的参数",
    "info.prompt": "提示词：{prompt}",
    "info.negative": "负面提示词：{negative}",
    "info.line": "{name}：{value}",
    "info.character": "角色 {number}：{prompt}",
    # --- /style and /wildcard (bot/chat/commands/prompt_tools.py) ------------------------------
    "library.user": "你的",
    "library.group": "本群的",
    "library.shadowed": "（使用你自己的）",
    "library.bad_name": "“{name}”不能作为名称：最多 {limit} 个字符，只能用 a-z、0-9、- 和 _，并以字母或数字开头",
    "library.too_many": "这里最多保存 {limit} 个，请先删除一个",
    "library.only_in_groups": "群组的风格和通配词属于群组：请在群组（Telegram）或服务器（Discord）中使用",
    "library.admins_only": "只有本群管理员可以修改本群的风格和通配词",
    "style.usage": ("风格：/style save 名称 masterpiece, ..., detailed background neg:\"lowres\" steps:28"
                    "（... 代表你的提示词）、/style list、/style show 名称、/style delete 名称。"
                    "前面加 group 即为本群的风格。"),
    "style.saved": "已保存风格“{name}”（{whose}）：\n{summary}\n使用：/generate a cat style:{name}",
    "style.deleted": "已删除风格“{name}”（{whose}）。",
    "style.not_found": "没有风格“{name}”（{whose}）；/style list 会列出你能用的风格。",
    "style.show": "风格“{name}”（{whose}）：\n{summary}",
    "style.summary_prompt": "提示词：{prompt}",
    "style.list_empty": "还没有风格。保存一个：/style save anime masterpiece, ..., detailed background steps:28",
    "style.list_user": "你的风格：{names}",
    "style.list_group": "本群的风格：{names}",
    "style.unknown": "我不认识风格“{name}”：你和本群都没有保存这个名称的风格。/style list 会列出它们。",
    "style.not_kept": "风格不能保存 {option}，请去掉它",
    "style.too_long": "风格的提示词和负面提示词各自最多 {limit} 个字符",
    "style.too_many_characters": "一个风格最多保存 {limit} 个角色",
    "style.empty": "请告诉我风格要保存什么：提示词（... 代表你的提示词）或 steps:28 之类的参数",
    "style.too_many_in_prompt": "一次最多使用 {limit} 个风格",
    "wildcard.usage": ("通配词：/wildcard add 名称 red hair | blue hair（set 名称 … 会替换整个列表）、"
                       "/wildcard list、/wildcard show 名称、/wildcard delete 名称；然后在提示词中写 __名称__。"
                       "前面加 group 即为本群的列表。"),
    "wildcard.saved": "通配词 __{name}__（{whose}）共 {count} 项：{entries}\n使用：/generate 1girl, __{name}__",
    "wildcard.deleted": "已删除通配词 __{name}__（{whose}）。",
    "wildcard.not_found": "没有通配词 __{name}__（{whose}）；/wildcard list 会列出你能用的列表。",
    "wildcard.show": "通配词 __{name}__（{whose}），共 {count} 项：{entries}",
    "wildcard.list_empty": "还没有通配词。新建一个：/wildcard add hair red hair | blue hair | silver hair",
    "wildcard.list_user": "你的通配词：{names}",
    "wildcard.list_group": "本群的通配词：{names}",
    "wildcard.unknown": ("我不认识通配词 __{name}__：你和本群都没有这个名称的列表。"
                         "新建一个：/wildcard add {name} red hair | blue hair"),
    "wildcard.too_deep": "__{name}__ 嵌套超过了 {limit} 层列表（是不是某个列表引用了自己？）",
    "wildcard.too_long": "填入通配词后，提示词超过了 {limit} 个字符；请使用更短的条目",
    "wildcard.too_many_entries": "一个通配词最多 {limit} 项",
    "wildcard.entry_too_long": "条目“{entry}”超过了 {limit} 个字符",
    "wildcard.no_entries": "请给出用 | 分隔的各项：/wildcard add hair red hair | blue hair",
    "button.use_settings": "▶ 用这些参数生成",
    "button.edit": "✏️ 编辑并重新生成",
    "button.variations": "🎲 相似图",
    "button.enhance": "✨ 增强",
    "button.upscale": "⬆️ 放大",
    "button.variations_n": "🎲 {number}",
    "button.enhance_n": "✨ {number}",
    "button.upscale_n": "⬆️ {number}",
    "callback.variations": "正在生成相似图……",
    "callback.enhance": "正在增强……",
    "callback.upscale": "正在放大……",
    "option.bad_choice": "{option} 不能是“{value}”；可选：{choices}",
    "option.not_for_command": "{option} 对 /{command} 不起作用；请去掉它",
    "option.needs_image": "{option} 需要一张图片：随命令发送图片，或用命令回复图片",
    # Sources of derived jobs (tasks/image_sources.py, tasks/image_submit.py).
    "problem.source_needs_prompt": "这张图片没有 NovelAI 的参数；请加上要使用的提示词",
    "problem.source_job_id": "“{value}”不是任务编号",
    "problem.source_job_missing": "没有任务 {job}（编号不存在，或结果已过期）",
    "problem.source_job_not_done": "任务 {job} 还没有可用的图片（{state}）",
    "problem.source_index": "任务 {job} 有 {images} 张图片；没有第 {value} 张",
    "problem.source_image_gone": "任务 {job} 的图片已不再保存；请直接发送图片",
    "problem.source_inputs_gone": "那个任务使用的原图已不再保存；请重新发送",
    "problem.input_setting": "{label}：{setting} 超出了范围",
    # Discord: pictures in slash commands, context menus and forms (bot/discord/image_*.py).
    "dc.opt.image": "作为起点的图片（图生图；加蒙版：局部重绘）",
    "dc.opt.mask": "局部重绘的蒙版：白色部分会重画",
    "dc.opt.vibe": "参考其风格的图片（氛围迁移，V4.5）",
    "dc.opt.reference": "精确参考：保留角色或风格（V4.5、V5）",
    "dc.opt.strength": "图片改变的程度（图生图 0.01-0.99），或氛围、参考的权重",
    "dc.opt.noise": "图生图：给图片加的噪声（0-0.99）",
    "dc.opt.picture": "图片（NovelAI 生成的 PNG 保留其参数）",
    "dc.opt.tool": "使用哪个导演工具",
    "dc.opt.tool_prompt": "工具的提示词（可选：上色、表情）",
    "dc.opt.emotion": "表情工具：情绪，如 happy、sad、angry",
    "dc.opt.defry": "工具可改变图片的程度（0-5）",
    "dc.opt.upscale": "放大倍数",
    "dc.opt.derived_prompt": "提示词，用于没有 NovelAI 参数的图片",
    "dc.menu.img2img": "用作图生图",
    "dc.menu.enhance": "增强",
    "dc.menu.upscale": "放大",
    "dc.menu.reference": "用作参考",
    "dc.menu.info": "查看提示词",
    "dc.images.one_kind": "一次只能用一种图片：一张图（及其蒙版）、氛围图，或一张参考图",
    "dc.images.reading": "📥 正在读取你的图片……",
    "dc.images.none_in_message": "那条消息没有图片；请对带图片附件的消息使用",
    "dc.form.img2img_title": "用这张图片生成",
    "dc.form.reference_title": "用这张参考图生成",
    "dc.form.edit_title": "修改并重新生成",
    "dc.form.prompt": "提示词",
    "dc.form.negative": "负面提示词",
    "dc.form.strength": "强度（0.01-0.99：改变的程度）",
    "dc.form.kind": "保留：character、style 或 both",
    "dc.form.seed": "种子（留空：新种子）",
    "dc.form.steps": "步数",
    "dc.form.size": "尺寸（宽x高或预设名）",
    # --- /history 和 /show（bot/chat/commands/history.py）-----------------------------------------
    "menu.history": "你在本聊天最近的结果",
    "menu.show": "重新发出一个结果：/show 任务编号",
    "dc.opt.history_page": "第几页（1 = 最新）",
    "dc.opt.show_job": "任务编号（见图片说明或 /history）",
    "help.history": (
        "\n🗂 历史：/history [页码] — 你在本聊天最近的结果，每页六个；点编号即可带按钮重新发出"
        "（再来一次、原图 PNG、变体、增强、放大）· /show 任务编号 — 重新发出一个结果。"
        "要把它当作输入：回复发出的图片并使用 /generate、/vibe、/ref 或 /inpaint"
        "（Discord：应用 → 用作图生图）。结果按部署的保留期限保存，历史会注明各自何时过期。"
        "由此生成的新任务照常计入配额和费用。"
    ),
    "history.title": "🗂 你在本聊天的结果 · 第 {page}/{pages} 页",
    "history.item": "{label}\n    {id} · {expires}",
    "history.expires": "{left}后过期",
    "history.expires_unknown": "过期时间未知",
    "history.hint": ("点编号即可带按钮重新发出该结果。"
                     "要把它当作输入，请回复它并使用 /generate、/vibe、/ref 或 /inpaint。"),
    "history.hint_menu": ("在下方选择一个，即可带按钮发到频道。"
                          "要把它当作输入：在发出的图片上，应用 → 用作图生图 或 用作参考。"),
    "history.select": "重新发出其中一个……",
    "history.empty": "你在本聊天还没有结果（或已过期）。用 /generate 生成一张吧。",
    "history.not_yours": "这是别人的历史：发送 /history 查看你自己的。",
    "history.turning": "第 {page} 页……",
    "history.posted": "已重新发出。要把它当作输入，请回复它并使用 /generate、/vibe、/ref 或 /inpaint。",
    "history.posted_menu": "已发到频道。要把它当作输入：在图片上，应用 → 用作图生图 或 用作参考。",
    "history.buttons": "⬆️ {id}",
    "show.usage": "要哪个结果？/show 任务编号，编号见图片说明或 /history。",
    "show.missing": "本聊天没有结果 {id}：编号未知、已过期，或它是在别的聊天生成的。",
    "show.no_result": "任务 {id} 没有可显示的结果（未完成、失败或已取消）。",
    "show.files_gone": "{id} 的图片已不再保存（或存储暂时无法访问）。",
}
