"""The chat product, the same on every platform: what each command does and says.

- ``ports.py``           what the chat layer needs of a platform (``ChatSender``, ``ChatRef``,
                         ``Button``, ``Picture``, ``Reply``, the ``ChatError`` tree); adapters implement it.
- ``context.py``         ``ChatContext`` (one command's facts), ``Answerer``, ``Conversation`` (how every
                         family talks back: language, answers, privately, the ban check, actor, caller).
- ``commands/``          one module per command family; each gets a ``Conversation`` and its services.
- ``router.py``          builds the families and knows every command by name (the only module that does).
- ``runtime.py``         builds and starts what a chat process runs (services, pacer, delivery, router).
- ``texts/``             every word the bots say, one table per language.
- ``generate_options.py`` the ``/generate`` grammar; ``user_settings.py`` saved defaults and language;
  ``nsfw.py`` the age-restricted rule; ``recent_jobs.py`` a person's and a group's recent jobs.
- ``delivery.py``, ``pacer.py``, ``windows.py``, ``status_registry.py``: results back into the chat,
  within the platform's rate limits (windows shared in Redis), surviving restarts.
- ``queue_board.py``     one message listing a busy group's waiting jobs with their Cancel buttons.

May import ``bot.rules``, ``bot.keys``, ``tasks``, ``novelai``, ``storage``, ``naibot``; never
``bot.telegram``, ``bot.discord``, ``bot.http``, ``bot.cli`` or the platform libraries.
"""
