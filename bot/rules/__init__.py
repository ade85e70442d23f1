"""Who pays and what a person may do: decisions only, no words and no platform.

- ``policy.py``  who pays for a job (own, shared or default account), at what priority, bans.
- ``groups.py``  a group's configuration (shared account, lending, quotas, priorities, pause).
- ``quotas.py``  daily images, waiting jobs, cooldowns: charged atomically, refunded once.
- ``logins.py``  storing and removing personal and group accounts, the login conversation's state.

Refusals raised here are ``naibot.refusal.Refusal`` subclasses (the chat layer says them). May
import ``bot.keys``, ``tasks``, ``novelai``, ``naibot``; never ``bot.chat``, an adapter,
``bot.http`` or ``bot.cli``.
"""
