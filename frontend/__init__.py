"""The shopper-facing pages: Jinja2 templates, static files and UI messages per language."""

from __future__ import annotations

from pathlib import Path

#: Folder of this package: ``templates/``, ``static/`` and ``messages/`` live here.
FRONTEND_DIR = Path(__file__).resolve().parent
