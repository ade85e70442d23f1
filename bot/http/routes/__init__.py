"""One ``APIRouter`` per module (``jobs``, ``ops``, ``admin_page``; ``docs`` adds its own with
``install``); ``bot.http.app`` includes them. Routes depend on ``bot.http.deps``, never on ``bot.http.app``."""
