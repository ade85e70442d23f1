"""The bots and the API: everything a person talks to. The map of this package:

- ``rules/``     who pays and what a person may do (policy, groups, quotas, logins): decisions, no
                 words, no platform. May import ``tasks``, ``novelai``, ``naibot``.
- ``chat/``      the platform-free chat product: the commands (``chat/commands/``, one module per
                 family), the router that knows them all, every word the bots say (``chat/texts/``),
                 pacing, delivery of results. May import ``rules`` and below; never an adapter, the
                 HTTP API, the CLI, nor the ``telegram``/``discord`` libraries.
- ``telegram/``  python-telegram-bot in front of the router (``adapter.py``) and the sender.
- ``discord/``   discord.py in front of the router: the adapter, the slash table, the views, the sender.
                 The two adapters never import each other, ``http`` or ``cli``.
- ``http/``      the HTTP API (FastAPI): ``app.py`` assembles, ``deps.py`` is what routes share,
                 ``routes/`` one module per router, ``static/`` the status page's files. Never imports
                 ``chat``; routes never import ``app``.
- ``cli/``       the ``naibot`` command: one module per subcommand family. Nothing imports it.
- ``keys.py``    every Redis key of this layer (the twin of ``tasks/keys.py``).

Below ``bot``: ``tasks`` (the queue and the workers), ``novelai`` (the client), ``storage``,
``naibot`` (settings, secrets, logs, refusals). ``tests/test_architecture.py`` checks every rule above.
"""
