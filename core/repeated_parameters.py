"""One value per parameter (ASVS V15.3.7, HTTP parameter pollution).

The rule for ``/graphql`` by ``GET`` (the persisted queries) and for the shoppers' plain pages and forms (the survey
page and form, invitations, kiosk screens, scanned codes, the receipt look-up and erase form, the unsubscribe page:
:mod:`pejling.core.surveys.repeated_parameter_page`) and for the ``tenant`` a download link or the live
feed names (``tenants/middleware.py``): a parameter given more than once
(``?query=a&query=b``, two ``code`` fields in one form, a key twice in one object of a JSON body posted to
``/graphql``) is refused with a 400 and nothing runs. Reading one of the
values instead would be a choice each reader makes for itself — Starlette's ``query_params.get`` and ``dict(pairs)``
keep the last, ``parse_qs(...)[0]`` and a browser's ``URLSearchParams.get`` the first — so a check and the code
after it could read different values.
"""

from __future__ import annotations

from collections.abc import Iterable


def repeated_name(pairs: Iterable[tuple[str, object]]) -> str | None:
    """The first name that ``pairs`` (a query's or a form's ``(name, value)`` pairs) holds more than once, or None."""
    seen: set[str] = set()
    for name, _ in pairs:
        if name in seen:
            return name
        seen.add(name)
    return None
