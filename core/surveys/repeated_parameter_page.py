"""The shoppers' pages refuse a query parameter given twice (ASVS V15.3.7, :mod:`pejling.core.repeated_parameters`).

``?lang=en&lang=da`` or ``?zone=a&zone=b`` on the survey page, an invitation, a kiosk screen, a scanned code, the
receipt pages or the unsubscribe page gets the "invalid" page (400) in the browser's language (the ``lang`` asked
for is one of the repeated values, so it is not read), before anything is looked up, counted or cached: each page's
readers take one value (Starlette's ``query_params.get`` the last), and none of them runs on a repeated one.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from pejling.core.repeated_parameters import repeated_name
from pejling.core.surveys.pages import render_problem
from pejling.frontend.language import pick_language

Endpoint = Callable[[Request], Awaitable[Response]]


def repeated_parameter_problem(request: Request) -> HTMLResponse | None:
    """The 400 page when the request's query gives a parameter more than once, in the browser's language; None when
    each parameter comes once."""
    if repeated_name(request.query_params.multi_items()) is None:
        return None
    return render_problem(pick_language(None, request.headers.get("accept-language")), "invalid", 400)


def each_parameter_once(endpoint: Endpoint) -> Endpoint:
    """``endpoint`` behind the rule of one value per query parameter: a repeated one is the 400 page, and
    ``endpoint`` does not run."""

    @functools.wraps(endpoint)
    async def checked(request: Request) -> Response:
        return repeated_parameter_problem(request) or await endpoint(request)

    return checked
