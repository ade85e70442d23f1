"""The HTTP API and the status page (FastAPI), in the FastAPI full-stack template's shape.

- ``app.py``          ``create_app``: builds the shared state at start and includes the routers.
- ``deps.py``         ``ApiState`` and ``api_state``: what every route depends on.
- ``routes/``         ``jobs`` (generate, task status, queue, cancel, images), ``ops`` (health,
                      metrics), ``admin_page`` (the status page), ``docs`` (Swagger UI and ReDoc,
                      served from this process, with ``api.docs``).
- ``auth.py``         API keys and the admin cookie; ``models.py`` request and response bodies;
                      ``status_cache.py`` the polled reads' short cache; ``admin_state.py`` what the page shows.
- ``static/``         the status page's HTML, CSS and JavaScript.

May import ``bot.rules``, ``bot.keys``, ``tasks``, ``novelai``, ``storage``, ``naibot``; never ``bot.chat``
(the API shares the queue with the chats, not their words). Routes never import ``app``.
"""
