"""The one root of every refusal a person can get, whatever front end they use.

A refusal is not a failure: the request was understood and is declined (a bad option, a quota,
a ban, a full queue, a price nobody allowed). Each carries everything a front end needs to say
so, so each front end turns any refusal into its answer in one place:

- ``key`` and ``params``: the chat's text (``bot.chat.texts``) in the asker's language;
- ``str(refusal)``: the English sentence (the CLI, the HTTP API's ``error``, logs);
- ``http_status``: the HTTP API's status code; ``exit_code``: the CLI's exit status.

The tree (each class lives with the rule that raises it, all under ``Refusal``)::

    Refusal
    ├── bot.chat.generate_options.OptionError       400  a mistake in what was typed (/generate, /settings, /group)
    │   └── bot.chat.nsfw.NsfwRefused               400  not in this channel (the NSFW rule)
    ├── novelai.errors.InvalidRequest               400  the request breaks NovelAI's limits (also a NovelAIError)
    ├── tasks.queue.QueueFull                       429  too many of the person's jobs wait already
    ├── tasks.queue.QueueUnavailable                503  Redis cannot be reached
    ├── tasks.spending.SpendRefused                 400  it would spend Anlas nobody allowed
    ├── tasks.submit.UnknownAccount                 400  no such NovelAI account
    ├── bot.rules.policy.NoAccount                  402  nobody will pay for it
    ├── bot.rules.policy.GroupPaused                403  the group's admins paused it
    ├── bot.rules.policy.Banned                     403  the person is banned
    ├── bot.rules.policy.PriorityTooHigh            403  above the person's priority limit
    ├── bot.rules.quotas.QuotaExceeded              429  a daily or waiting quota is used up
    └── bot.rules.quotas.CoolingDown                429  the group's cooldown has not passed

It lives on the ground floor (``naibot``) because ``tasks``, ``novelai`` and ``bot`` all raise one.
"""

from __future__ import annotations

from typing import Any, ClassVar

# The CLI's exit statuses (``bot.cli.common`` has the same): a refusal of what was asked is 2 (change
# the request), one that passes by itself (the queue is unavailable) 1.
EXIT_FAILED, EXIT_USAGE = 1, 2


class Refusal(Exception):
    """A request declined on purpose; ``key``/``params`` say why in any language."""

    key: str = "error.internal"
    # A second sentence that names the way out, said after the reason (e.g. how to stay free).
    hint: ClassVar[str | None] = None
    http_status: ClassVar[int] = 400
    exit_code: ClassVar[int] = EXIT_USAGE

    def __init__(self, message: str = "", *, key: str | None = None, **params: Any) -> None:
        super().__init__(message or (key or type(self).key))
        if key is not None:
            self.key = key
        self.params: dict[str, Any] = params

    def describe(self) -> str:
        """The English sentence a person is shown (the CLI, the HTTP API); never internals."""
        return str(self)
