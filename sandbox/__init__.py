"""Offline stand-ins that speak the real protocols, so the real clients (httpx, python-telegram-bot,
discord.py) run against them unchanged: ``novelai/``, ``telegram/``, ``discord/``, one package
each (``server.py`` assembles it; ``control.py`` is its test-control API), and what they share
(``control.py``, ``observed.py``). Never imports ``bot`` or ``tasks``, and prices NovelAI jobs
from its own table, not ``novelai.cost``.
"""
