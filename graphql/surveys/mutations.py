"""Submit a shopper response (public, for kiosk apps and integrators), change your survey and erase a shopper's
response on request (owners and admins)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from pejling.core.languages import LANGUAGES
from pejling.core.settings import shopper_base_url
from pejling.core.surveys.channels import channel_registry
from pejling.core.surveys.erasure import erase_response, find_by_receipt
from pejling.core.surveys.ingest import IngestRefused, ingest_response
from pejling.core.surveys.invitations import MAX_RECIPIENTS, InvitationRefused, invite_recipients
from pejling.core.surveys.model_items import tenant_items
from pejling.core.surveys.survey import (
    SurveyChangeRefused,
    add_tenant_statement,
    available_statements,
    choose_goals,
    choose_statements,
)
from pejling.graphql.context import Info
from pejling.graphql.errors import UserError, not_found
from pejling.graphql.permissions import mutation_guard
from pejling.graphql.relay_ids import decode_id
from pejling.graphql.surveys.places import store_and_zone
from pejling.graphql.surveys.types import (
    EraseShopperResponsePayload,
    InviteShoppersPayload,
    RefusedRecipient,
    StatementType,
    SubmitResponsePayload,
    SubmittedResponse,
    SurveyStatementPayload,
    SurveyVersionPayload,
    SurveyVersionType,
)


@strawberry.input(description="One tap: the value given to a statement and how fast (ms, from visible to tap).")
class AnswerInput:
    statement_id: str
    value: int | None = strawberry.field(
        default=None, description="1 = strongly disagree … 5 = strongly agree; a scoring model's question on its own "
        "scale (1-5, 1-7, 0-10, yes-no: 0 = no, 1 = yes). Null only with notApplicable: true.")
    not_applicable: bool = strawberry.field(
        default=False, description="\"Doesn't apply\": only for a statement or question whose mayNotApply is true "
        "(else refused, code not_applicable_refused); then value is null and the answer counts in no figure.")
    position: int = strawberry.field(description="0-based display position.")
    reaction_ms: int | None = strawberry.field(default=None, description="Null when not measured.")
    warmup: bool = False


@strawberry.input
class ConsentInput:
    contact: bool = False
    email: str | None = strawberry.field(default=None, description="Only with contact: true.")


@strawberry.input
class ClientInput:
    viewport_width: int | None = None
    touch: bool | None = None
    js: bool | None = None


@strawberry.input(description="A whole shopper response. Same rules and codes as POST /s/{tenant}/{store}/responses.")
class ResponseInput:
    id: strawberry.ID = strawberry.field(description="A UUID made by the client: sending it again never duplicates.")
    tenant_slug: str
    store_slug: str
    survey_version_id: strawberry.ID = strawberry.field(description="A SurveyVersion global id or its UUID.")
    started_at: str = strawberry.field(description="ISO 8601 with offset: when the first statement became visible.")
    submitted_at: str
    language: str
    answers: list[AnswerInput]
    channel: str = "kiosk"
    channel_params: JSON | None = strawberry.field(
        default=None, description="The channel's parameters from the shopper's link, e.g. {tag: …} for an NFC tag.")
    invitation: str | None = None
    zone_id: strawberry.ID | None = strawberry.field(default=None, description="A Zone global id or its UUID.")
    outcome: int | None = None
    comment: str = ""
    consent: ConsentInput | None = None
    client: ClientInput | None = None


@strawberry.input(description="A statement of your own, mapped to a goal, in every language.")
class SurveyStatementInput:
    goal: str
    slug: str = strawberry.field(description="Lowercase letters, digits and hyphens; the id becomes '<goal>.t-<slug>'.")
    da: str
    nb: str
    sv: str
    en: str
    polarity: int = 1


def _global_or_raw(value: str | None, type_name: str) -> str | None:
    if value is None:
        return None
    decoded = decode_id(value, type_name)
    return str(decoded) if decoded is not None else str(value)


def _payload(input: ResponseInput) -> dict[str, Any]:
    return {
        "id": str(input.id),
        "survey_version_id": _global_or_raw(input.survey_version_id, "SurveyVersion"),
        "invitation": input.invitation,
        "zone_id": _global_or_raw(input.zone_id, "Zone"),
        "channel": input.channel,
        "channel_params": input.channel_params,
        "language": input.language,
        "started_at": input.started_at,
        "submitted_at": input.submitted_at,
        "answers": [
            {"statement_id": a.statement_id, "value": a.value, "not_applicable": a.not_applicable,
             "position": a.position, "reaction_ms": a.reaction_ms, "warmup": a.warmup}
            for a in input.answers
        ],
        "outcome": input.outcome,
        "comment": input.comment,
        "consent": {"contact": input.consent.contact, "email": input.consent.email} if input.consent else None,
        "client": {"viewport_width": input.client.viewport_width, "touch": input.client.touch, "js": input.client.js}
        if input.client
        else None,
    }


def _changed(exc: SurveyChangeRefused) -> UserError:
    return UserError(code="invalid", message=exc.message, field=exc.field.removeprefix("texts."))


@strawberry.type
class SurveyMutation:
    @strawberry.mutation(
        description="Store a shopper response (no login needed: kiosk apps and integrators). Errors use the codes of "
        "the JSON endpoint (docs/surveys.md), e.g. unknown_statement, invitation_used, rate_limited."
    )
    async def submit_response(self, info: Info, input: ResponseInput) -> SubmitResponsePayload:
        request = info.context.request
        if len(input.answers) > 50:
            return SubmitResponsePayload(errors=[UserError(code="invalid_answers", message="Too many answers.",
                                                           field="answers")])
        try:
            result = await ingest_response(
                _payload(input),
                tenant_slug=input.tenant_slug,
                store_slug=input.store_slug,
                client_address=request.client.host if request.client else "",
                user_agent=request.headers.get("user-agent", "")[:512],
                via="graphql",
                settings=info.context.settings,
                plugins=info.context.plugins,
            )
        except IngestRefused as refused:
            if refused.retry_after is not None:
                info.context.response.headers["Retry-After"] = str(refused.retry_after)
            return SubmitResponsePayload(errors=[UserError(code=refused.code, message=refused.message,
                                                           field=refused.field)])
        return SubmitResponsePayload(response=SubmittedResponse.from_result(result, input.language))

    @strawberry.mutation(
        description="Ask these statements, and these questions of your scoring models (Survey.questionBank; null "
        "keeps the current ones), from now on (owners and admins): makes a new version. At most 9 taps in all, "
        "and under a minute."
    )
    async def choose_survey_statements(
        self, info: Info, statement_ids: list[str], warmup_ids: list[str] | None = None,
        model_question_ids: list[str] | None = None,
    ) -> SurveyVersionPayload:
        tenant, error = mutation_guard(info)
        if error:
            return SurveyVersionPayload(errors=[error])
        assert tenant is not None
        try:
            askable = await tenant_items(info.context.plugins, tenant.id) if model_question_ids is not None else {}
            version = await choose_statements(statement_ids, warmup_ids, model_question_ids, askable=askable)
        except SurveyChangeRefused as exc:
            return SurveyVersionPayload(errors=[_changed(exc)])
        return SurveyVersionPayload(version=SurveyVersionType.from_model(version, await available_statements()))

    @strawberry.mutation(
        description="Ask about these goals from now on, with the first built-in statement(s) of each (owners and "
        "admins): makes a new version."
    )
    async def choose_survey_goals(self, info: Info, goals: list[str], per_goal: int = 1) -> SurveyVersionPayload:
        _, error = mutation_guard(info)
        if error:
            return SurveyVersionPayload(errors=[error])
        if not 1 <= per_goal <= 3:
            return SurveyVersionPayload(errors=[UserError(code="invalid", message="perGoal is 1 to 3.",
                                                          field="perGoal")])
        try:
            version = await choose_goals(goals, per_goal)
        except SurveyChangeRefused as exc:
            return SurveyVersionPayload(errors=[_changed(exc)])
        return SurveyVersionPayload(version=SurveyVersionType.from_model(version, await available_statements()))

    @strawberry.mutation(description="Add a statement of your own, mapped to a goal (owners and admins).")
    async def add_survey_statement(self, info: Info, input: SurveyStatementInput) -> SurveyStatementPayload:
        _, error = mutation_guard(info)
        if error:
            return SurveyStatementPayload(errors=[error])
        try:
            statement = await add_tenant_statement(
                goal=input.goal, slug=input.slug, polarity=input.polarity,
                texts={"da": input.da, "nb": input.nb, "sv": input.sv, "en": input.en},
            )
        except SurveyChangeRefused as exc:
            return SurveyStatementPayload(errors=[_changed(exc)])
        return SurveyStatementPayload(statement=StatementType.from_bank(statement))

    @strawberry.mutation(
        description="Erase the response with this receipt code, its answers, scores, follow-ups and replies, on the "
        "shopper's request (owners and admins). Insights are recomputed without it."
    )
    async def erase_shopper_response(self, info: Info, receipt_code: str) -> EraseShopperResponsePayload:
        _, error = mutation_guard(info)
        if error:
            return EraseShopperResponsePayload(errors=[error])
        response = await find_by_receipt(receipt_code)
        if response is None:
            return EraseShopperResponsePayload(
                errors=[not_found("receiptCode", "No response of yours has this receipt code.")]
            )
        await erase_response(response)
        return EraseShopperResponsePayload(erased_receipt_code=response.receipt_code)

    @strawberry.mutation(
        description=f"Invite shoppers to the survey of a store (or zone) through a personal channel, e.g. email "
        f"(owners and admins): one single-use link each, sent at most once per address; addresses on your "
        f"suppression list are skipped. At most {MAX_RECIPIENTS} addresses per call."
    )
    async def invite_shoppers(
        self, info: Info, store_id: strawberry.ID, recipients: list[str], channel: str = "email",
        zone_id: strawberry.ID | None = None, language: str | None = None,
    ) -> InviteShoppersPayload:
        tenant, error = mutation_guard(info)
        if error or tenant is None:
            return InviteShoppersPayload(errors=[error] if error else [])
        if not recipients or len(recipients) > MAX_RECIPIENTS:
            return InviteShoppersPayload(errors=[UserError(
                code="invalid", message=f"Give 1 to {MAX_RECIPIENTS} addresses.", field="recipients")])
        if language is not None and language not in LANGUAGES:
            return InviteShoppersPayload(errors=[UserError(
                code="invalid", message=f"Choose one of {', '.join(LANGUAGES)}.", field="language")])
        store, zone, missing = await store_and_zone(store_id, zone_id)
        if missing is not None or store is None:
            return InviteShoppersPayload(errors=[missing] if missing else [])
        channels = await channel_registry(info.context.plugins).for_tenant(tenant.id)
        try:
            batch = await invite_recipients(
                channels, store, recipients, channel=channel, zone=zone,
                language=language or store.default_language, base_url=shopper_base_url(info.context.settings),
            )
        except InvitationRefused as exc:
            return InviteShoppersPayload(errors=[UserError(code=exc.code, message=exc.message, field="channel")])
        return InviteShoppersPayload(
            sent=batch.sent, suppressed=batch.suppressed,
            refused=[RefusedRecipient(address=a, code=c) for a, c in batch.refused],
        )
