"""The queue and the workers: jobs (``job``), the Redis priority queue with a lane per account
(``queue``, ``keys``, ``scripts`` and the Lua in ``lua/``), submitting (``submit``, ``spending``),
the Dramatiq actors and the worker loop (``actors``, ``dispatch``, ``worker``, ``retry``,
``bridge``, ``launch``), events and metrics. Imports ``novelai``, ``storage``, ``naibot``;
never ``bot`` or ``sandbox``.
"""
