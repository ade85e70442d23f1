"""What the bots say about accounts, logins, groups, quotas, priorities and bans (English, Chinese).

Kept apart from ``bot.chat.texts.catalog`` only for size; ``catalog`` merges these tables into its own, and
the same test proves both languages have every key with the same placeholders.
"""

from __future__ import annotations

EN: dict[str, str] = {
    # --- policy refusals ------------------------------------------------------------------
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
    # --- login ----------------------------------------------------------------------------
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
    "login.disabled": "Logins are not enabled on this bot (its operator has not set a secret key).",
    "login.start_private": "Let's log you in here, privately. Send /login to start.",
    "login.go_private": "Logins happen only in private: open a chat with me (@{bot}) and send /login.",
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
    # --- /account -------------------------------------------------------------------------
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
    "account.cost": "Your usual /generate costs {cost} Anlas.",
    "account.cost_free": "Your usual /generate is free on this account.",
    "account.rejected": (
        "⚠️ NovelAI no longer accepts your login and I could not renew it, so your jobs fail. "
        "Log in again with /login (@{bot})."
    ),
    # --- /group ---------------------------------------------------------------------------
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
    # --- /admin ---------------------------------------------------------------------------
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
    # --- menus ----------------------------------------------------------------------------
    "menu.login": "Log in to NovelAI (private chat only)",
    "menu.logout": "Delete your NovelAI login",
    "menu.account": "Your NovelAI account, token and Anlas",
    "menu.group": "Group account, quotas and pause (admins)",
    "dc.opt.group_action": "What to do",
    "dc.opt.admin_action": "What to do",
    "dc.opt.group_args": "Details, e.g. images:5 anlas:0 until:2026-12-31 (lend), images:20 cooldown:30 (quota)",
    "dc.opt.admin_user": "The user to ban or unban",
    "menu.admin": "Ban, unban, every lane (bot admins)",
    "dc.login.title": "Log in to NovelAI",
    "dc.login.bind_title": "NovelAI account for this server",
    "dc.login.token": "Persistent API token (pst-…)",
    "dc.login.email": "Or: email",
    "dc.login.password": "And password",
    "dc.login.private": "Only you and the bot see this (stored only encrypted)",
    "dc.login.empty": "Give either a persistent API token (pst-…) or both email and password. Nothing was stored.",
}

ZH: dict[str, str] = {
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
    "login.disabled": "这个机器人没有启用登录（运营者没有设置密钥）。",
    "login.start_private": "我们在这里私下登录吧。发送 /login 开始。",
    "login.go_private": "登录只能私聊进行：请打开与我（@{bot}）的私聊并发送 /login。",
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
    "account.cost": "你平常的 /generate 花费 {cost} Anlas。",
    "account.cost_free": "你平常的 /generate 在这个账号上免费。",
    "account.rejected": ("⚠️ NovelAI 不再接受你的登录，我也无法续期，所以你的任务会失败。"
                         "请用 /login（@{bot}）重新登录。"),
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
    "menu.login": "登录 NovelAI（仅限私聊）",
    "menu.logout": "删除你的 NovelAI 登录",
    "menu.account": "你的 NovelAI 账号、令牌和 Anlas",
    "menu.group": "群账号、额度和暂停（管理员）",
    "dc.opt.group_action": "要做什么",
    "dc.opt.admin_action": "要做什么",
    "dc.opt.group_args": "详细参数，如 images:5 anlas:0 until:2026-12-31（出借）、images:20 cooldown:30（额度）",
    "dc.opt.admin_user": "要封禁或解封的用户",
    "menu.admin": "封禁、解封、查看所有通道（机器人管理员）",
    "dc.login.title": "登录 NovelAI",
    "dc.login.bind_title": "本服务器的 NovelAI 账号",
    "dc.login.token": "永久 API 令牌（pst-…）",
    "dc.login.email": "或：邮箱",
    "dc.login.password": "以及密码",
    "dc.login.private": "只有你和机器人能看到（仅加密保存）",
    "dc.login.empty": "请填写永久 API 令牌（pst-…），或同时填写邮箱和密码。什么都没有保存。",
}
