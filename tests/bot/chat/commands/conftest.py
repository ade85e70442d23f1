"""The command layer's doubles and worlds (``tests.fixtures.chat``) for every test here."""

from tests.fixtures.chat import chat, make_chat, router  # noqa: F401 - fixtures
