"""The routes of the shopper's survey pages, added to the application in :func:`pejling.core.app.create_app`.

Each GET page refuses a query parameter given twice (``lang``, ``ch``, ``zone``, ``device``, ``preview``, a channel's
own) before it reads any (:mod:`pejling.core.surveys.repeated_parameter_page`); the plain form's fields are checked
the same way in :func:`pejling.core.surveys.form_submission.form_submission`. The handlers and renderers are in
:mod:`pejling.core.surveys.pages`, which imports none of the modules here, so each of them imports it at the top.
"""

from __future__ import annotations

from starlette.routing import Route

from pejling.core.surveys.form_submission import form_submission
from pejling.core.surveys.pages import invitation_page, kiosk_screen, survey_page
from pejling.core.surveys.repeated_parameter_page import each_parameter_once

routes = [
    Route("/s/{tenant}/{store}", each_parameter_once(survey_page), methods=["GET"]),
    Route("/s/{tenant}/{store}/form", form_submission, methods=["POST"]),
    Route("/i/{token}", each_parameter_once(invitation_page), methods=["GET"]),
    Route("/k/{token}", each_parameter_once(kiosk_screen), methods=["GET"]),
]
