"""Telegram: python-telegram-bot in front of ``bot.chat``'s router.

- ``adapter.py``  updates into ``ChatContext``s, the admin check, commands looked up in the
                  router's table, the login conversation's messages deleted, polling or webhook.
- ``sender.py``   ``ChatSender`` over PTB with Telegram's errors mapped onto ``bot.chat.ports``'.
- ``webhook.py``  webhook mode's receiver: the secret token checked in constant time before
                  anything is read, updates queued for PTB (it says why not PTB's own server).

May import ``bot.chat``, ``bot.rules`` and below; never ``bot.discord``, ``bot.http`` or ``bot.cli``.
"""
