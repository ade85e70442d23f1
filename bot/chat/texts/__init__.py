"""Every word the chat bots say, and the functions that put them together.

What lives where:

- ``en.py``, ``zh.py``: one table per language, ``TEXTS: dict[str, str]``, key → sentence, grouped by
  where people meet them (``/help``, the status message, ``/queue``, errors, ``/login``, ``/group``, …). A
  translator opens these two files and nothing else; a new language is a new table of the same keys plus a
  line in ``catalog.py``.
- ``catalog.py``: ``t(lang, key, **params)`` (English stands in for a missing translation), ``LANGUAGES``,
  ``TEXTS`` assembled from the tables, ``pick_language`` and ``normalise_language``. No words.
- ``jobs.py``: how a job reads in chat: the status message, captions, ``/queue``, ``/cancel``, every
  error and refusal (``error_text``, ``refusal_text``), plus the shared pieces the other modules build on
  (``progress_bar``, ``duration_text``, ``excerpt``, ``field_label``, ``model_label``).
- ``settings.py``: the ``/settings`` and ``/help`` answers.
- ``accounts.py``: ``/account`` and ``/group`` lines (``status_lines``, ``lending_line``).

The modules here compose sentences from what they are given and decide nothing; the command modules decide
what to say and the adapters where to say it. Texts may import ``bot.rules``, ``novelai``, ``tasks`` and
``naibot`` (and ``bot.chat.generate_options`` for its problems), but never ``bot.chat.commands``,
``bot.chat.router`` or ``bot.cli``: the words sit below the commands, and the CLI borrows ``progress_bar``
and ``duration_text`` from here, not the other way round (tests/test_architecture.py, rule R12-texts).
"""
