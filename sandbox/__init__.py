"""Offline stand-ins that speak the real protocols, so the real clients (httpx, python-telegram-bot,
discord.py) run against them unchanged: ``novelai/``, ``telegram/``, ``discord/``, one package
each (``server.py`` assembles it; ``control.py`` is its test-control API), and what they share
(``control.py``, ``observed.py``); ``terminal/`` is their user at a terminal (``naibot sandbox chat``),
which speaks only to the control APIs. Never imports ``bot`` or ``tasks``, and prices NovelAI jobs
from its own table, not ``novelai.cost``.
"""
