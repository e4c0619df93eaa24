"""The built-in channels, each an ordinary plugin registered through the plugin manager's ``BUILTIN_PLUGINS``.

``qr``, ``nfc``, ``kiosk`` and ``link`` lead to a store's (or zone's) survey page; ``email`` is a personal channel
(single-use invitations; sending the mail is issue 11's work). Each module is one plugin named after it.
"""
