"""Alerts and the closed loop: alert rules open follow-ups, members work them, consenting shoppers get replies.

See ``docs/followups.md``. Job handlers here run without a request, so they read the process settings
given to :func:`use_settings` (the web app does this at start-up), else the environment.
"""

from __future__ import annotations

from pejling.core.settings import Settings, get_settings

_settings: Settings | None = None


def use_settings(settings: Settings) -> None:
    """The settings the follow-up jobs (mails, exports) of this process use."""
    global _settings
    _settings = settings


def current_settings() -> Settings:
    """The settings given to :func:`use_settings`, or those of the environment."""
    return _settings or get_settings()
