"""The languages Pejling speaks: every statement, survey page, playbook lever and tenant default is in one of these.

English is required as the fallback. This module lives apart from :mod:`pejling.core.contracts` so that ``tenants/``
(which may use only core's settings, database, auth, mail and this list) can check a tenant's default language.
"""

from __future__ import annotations

LANGUAGES: tuple[str, ...] = ("da", "nb", "sv", "en")
