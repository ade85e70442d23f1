"""One module per command family: ``generate`` (/generate, Again, PNG), ``jobs`` (/queue,
/status, /cancel, Cancel), ``settings`` (/settings, /help), ``account`` (/login, /logout,
/account, after a job ends), ``group`` (/group), ``admin`` (/admin).

Each family is a dataclass given a ``bot.chat.context.Conversation`` and the services it uses.
A family never imports ``bot.chat.router`` or ``bot.chat.runtime`` (they build it); it may import
``bot.chat.context``, ``bot.chat.texts``, the other chat modules, another family, ``bot.rules``
and ``tasks``. A new command is a method here and one line in the router's table.
"""
