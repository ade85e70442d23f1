"""``naibot sandbox chat``: a person at the terminal being a Telegram or Discord user of a running stand-in.

It talks to the stand-ins' control APIs over HTTP only (never imports their servers), so it works against
``naibot sandbox telegram|discord`` in another process:

- ``screen``  what is printed: a pure diff of the chat's messages, with numbered buttons
- ``session`` the loop: typed lines in, the chat's changes out; ``press N``, ``photo PATH``
- ``telegram``, ``discord``  one control-API client per platform
"""
