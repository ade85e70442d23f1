"""One ``APIRouter`` per module (``jobs``, ``ops``, ``admin_page``); ``bot.http.app`` includes
them. Routes depend on ``bot.http.deps``, never on ``bot.http.app``."""
