"""What the receipt page shows of one response, in the shopper's language, and what its JSON download holds.

Statement texts come from the bank, the tenant's own statements and the scoring models' questions kept on the
response's survey version; a statement that is no longer known shows its id. Everything runs in the tenant scope of
the response. The contact email is shown and downloaded masked (``a•••@example.com``): a receipt code is a short
key, so the page gives no more than the shopper's answers; the retailer's export (GraphQL ``shopperData``) has it all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime

from pejling.core.surveys.bank import current_bank
from pejling.core.surveys.erasure import export_shopper_data
from pejling.core.surveys.model_items import ModelItem, version_items
from pejling.core.surveys.models import Answer, Response, SurveyVersion
from pejling.core.surveys.survey import available_statements
from pejling.frontend.language import messages
from pejling.tenants.models import Store, Zone


@dataclass(frozen=True)
class AnswerLine:
    """One answer as the page lists it: the statement in the shopper's language and the value in words."""

    statement: str
    value: str


@dataclass(frozen=True)
class ReceiptView:
    """Everything the receipt page shows of one response."""

    receipt_code: str
    store: str
    zone: str | None
    submitted: str
    answers: tuple[AnswerLine, ...]
    outcome_question: str
    outcome: str | None
    comment: str
    contact_email: str | None


def mask_email(address: str | None) -> str | None:
    """``anna@example.com`` → ``a•••@example.com``; None stays None."""
    if not address:
        return None
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"


def _zone_info(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


async def _texts(response: Response) -> tuple[dict[str, Any], dict[str, ModelItem]]:
    statements: dict[str, Any] = dict(await available_statements())
    version = await SurveyVersion.get_or_none(id=response.survey_version_id)
    items = {item.id: item for item in version_items(version)} if version is not None else {}
    return statements, items


def _statement_text(statement_id: str, statements: dict[str, Any], items: dict[str, ModelItem], language: str
                    ) -> str:
    if statement_id in items:
        return items[statement_id].text(language)
    statement = statements.get(statement_id)
    return statement.text(language) if statement is not None else statement_id


def _value_text(answer: Answer, items: dict[str, ModelItem], language: str) -> str:
    t = messages(language)
    if answer.value is None or getattr(answer, "not_applicable", False):
        return t["receipt_not_applicable"]
    item = items.get(answer.statement_id)
    if item is not None:
        if item.kind == "yes-no":
            no, yes = item.labels(language)
            return yes if answer.value == item.high else no
        return f"{answer.value}/{item.high}"
    scale = current_bank().scale.get(language) or current_bank().scale["en"]
    label = scale[answer.value - 1] if 1 <= answer.value <= len(scale) else ""
    return f"{label} ({answer.value}/{len(scale)})" if label else str(answer.value)


async def receipt_view(response: Response, language: str) -> ReceiptView:
    """The page's view of ``response`` in ``language`` (in the current tenant scope)."""
    statements, items = await _texts(response)
    store = await Store.get_or_none(id=response.store_id)
    zone = await Zone.get_or_none(id=response.zone_id) if response.zone_id else None
    answers = await Answer.filter(response_id=response.id).order_by("position")
    bank = current_bank()
    submitted = format_datetime(response.submitted_at, "medium", tzinfo=_zone_info(store.timezone if store else None),
                                locale=language)
    return ReceiptView(
        receipt_code=response.receipt_code,
        store=store.name if store else "",
        zone=zone.name if zone else None,
        submitted=submitted,
        answers=tuple(
            AnswerLine(_statement_text(a.statement_id, statements, items, language), _value_text(a, items, language))
            for a in answers
        ),
        outcome_question=bank.outcome.get(language) or bank.outcome.get("en", ""),
        outcome=f"{response.outcome}/10" if response.outcome is not None else None,
        comment=response.comment,
        contact_email=mask_email(response.contact_email),
    )


async def receipt_download(response: Response, language: str) -> dict[str, Any]:
    """The JSON download: what is stored about the response, each answer with its statement in ``language``."""
    statements, items = await _texts(response)
    data = await export_shopper_data(response)
    for answer in data["answers"]:
        answer["statement"] = _statement_text(answer["statement_id"], statements, items, language)
    if "contact_email" in data:
        data["contact_email"] = mask_email(data["contact_email"])
    return data
