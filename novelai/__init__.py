"""The NovelAI client: requests (``request``, ``models``, ``payload``), prices (``cost``), the
HTTP client and its errors (``client``, ``errors``, ``response``), the bounds on what NovelAI may send
(``limits``, ``answers``, ``archive``), accounts and tokens
(``accounts``, ``accesskey``, ``tokens``, ``subscription``, ``factory``, ``account_status``).
Written from the public sources in ``docs/novelai-api.md``. Imports only ``naibot``.
"""
