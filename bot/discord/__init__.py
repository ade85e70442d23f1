"""Discord: discord.py in front of ``bot.chat``'s router.

- ``adapter.py``  the client's lifecycle, ``ChatContext`` from an interaction, the admin check.
- ``slash.py``    the slash-command table: typed options, choices, autocomplete, translations.
- ``views.py``    the login modal and the persistent job buttons, given callbacks (not the bot).
- ``sender.py``   ``ChatSender`` over discord.py's REST client, interaction tokens, 429 tracing.
- ``images.py``   attachments as ``ChatImage``s (bounded downloads; a bot-posted ``<job>-<i>.png`` is a result).
- ``image_slash.py``   the commands on an attached picture and the five message context menus.
- ``image_actions.py`` what they do: pictures to the platform-free ``ImageCommands``, the forms, Edit & re-run.
- ``prompt_tools_slash.py`` ``/style`` and ``/wildcard`` (an ``action`` choice), calling ``PromptTools``.

May import ``bot.chat``, ``bot.rules`` and below; never ``bot.telegram``, ``bot.http`` or ``bot.cli``.
"""
