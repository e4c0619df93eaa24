"""``importResponses``: an integrator's bulk import of historical responses (owners and admins, API token or session).

The work is :func:`pejling.core.surveys.response_import.import_responses`; here are the input, the per-response
results, who may call it and the per-caller limit (:data:`pejling.core.surveys.rate_limit.IMPORT_LIMIT`, counted per
API token or per session, apart from the shoppers' limits). A GraphQL body is at most 64 KB (about a hundred
responses of ten answers): larger batches go to the NDJSON endpoint (:mod:`pejling.core.surveys.import_routes`).
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import strawberry

from pejling.core.surveys import rate_limit
from pejling.core.surveys.channels import channel_registry
from pejling.core.surveys.import_routes import caller_key
from pejling.core.surveys.models import SurveyVersion
from pejling.core.surveys.response_import import MAX_BATCH, ImportRefused, ItemResult, import_responses
from pejling.core.surveys.survey import active_survey
from pejling.graphql.context import Info
from pejling.graphql.errors import UserError, not_found
from pejling.graphql.permissions import mutation_guard
from pejling.graphql.relay_ids import decode_id
from pejling.graphql.surveys.places import store_and_zone


@strawberry.input(description="One answer of an imported response: the statement (or model question) and its value "
                  "on that item's scale.")
class ImportedAnswerInput:
    statement_id: str
    value: int


@strawberry.input(description="One historical response. Times are ISO 8601 with a UTC offset; submittedAt lies "
                  "within the last five years and not in the future; startedAt defaults to submittedAt.")
class ImportedResponseInput:
    id: str = strawberry.field(description="A UUID you choose: sending the same response again stores nothing twice.")
    submitted_at: str
    answers: list[ImportedAnswerInput]
    started_at: str | None = None
    outcome: int | None = None
    comment: str | None = None
    language: str | None = strawberry.field(default=None, description="da, nb, sv or en; default the store's.")
    channel: str | None = strawberry.field(default=None, description="An installed channel's key (qr, email, …) "
                                           "or import (the default).")


@strawberry.input
class ImportResponsesInput:
    store_id: strawberry.ID
    responses: list[ImportedResponseInput] = strawberry.field(description=f"At most {MAX_BATCH}.")
    zone_id: strawberry.ID | None = None
    survey_version_id: strawberry.ID | None = strawberry.field(
        default=None, description="The survey version the answers belong to; default the active one.")


@strawberry.enum(description="What became of one imported response.")
class ImportStatus(enum.Enum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    INVALID = "invalid"


@strawberry.type(description="The result of one response of the batch, in the order given.")
class ImportedResponse:
    index: int
    id: str | None
    status: ImportStatus
    error: UserError | None = strawberry.field(description="Why an invalid response was not stored (its code, e.g. "
                                               "unknown_statement, value_out_of_range, id_conflict).")

    @classmethod
    def of(cls, result: ItemResult) -> ImportedResponse:
        error = (UserError(code=result.code or "invalid", message=result.message or "", field=result.field)
                 if result.status == ImportStatus.INVALID.value else None)
        return cls(index=result.index, id=result.id, status=ImportStatus(result.status), error=error)


@strawberry.type
class ImportResponsesPayload:
    results: list[ImportedResponse] = strawberry.field(default_factory=list)
    stored: int = 0
    duplicates: int = 0
    invalid: int = 0
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why the whole batch was refused (nothing was imported).")


def _items(responses: list[ImportedResponseInput]) -> list[dict[str, Any]]:
    return [
        {"id": r.id, "submitted_at": r.submitted_at, "started_at": r.started_at, "outcome": r.outcome,
         "comment": r.comment, "language": r.language, "channel": r.channel,
         "answers": [{"statement_id": a.statement_id, "value": a.value} for a in r.answers]}
        for r in responses
    ]


async def _version(survey_version_id: strawberry.ID | None) -> SurveyVersion | None:
    if survey_version_id is None:
        active = await active_survey()
        return active.version if active is not None else None
    version_uuid = decode_id(str(survey_version_id), "SurveyVersion")
    return await SurveyVersion.get_or_none(id=version_uuid) if version_uuid else None


@strawberry.type
class ImportMutation:
    @strawberry.mutation(description=f"Import historical responses into a store (owners and admins): up to {MAX_BATCH} "
                         "per call, each checked like a live one; a response sent again is a duplicate, the same id "
                         "with other content is invalid (id_conflict). Stored with via import; not counted against "
                         "shoppers' limits but against your token's (throttled).")
    async def import_responses(self, info: Info, input: ImportResponsesInput) -> ImportResponsesPayload:
        tenant, error = mutation_guard(info)
        if error or tenant is None:
            return ImportResponsesPayload(errors=[error] if error else [])
        if len(input.responses) > MAX_BATCH:  # before any query or count: refused whole
            return ImportResponsesPayload(errors=[UserError(
                code="too_many", field="responses",
                message=f"At most {MAX_BATCH} responses per import; this batch has {len(input.responses)}. "
                        "Nothing was imported: split it.")])
        store, zone, missing = await store_and_zone(input.store_id, input.zone_id)
        if missing is not None or store is None:
            return ImportResponsesPayload(errors=[missing] if missing else [])
        version = await _version(input.survey_version_id)
        if version is None:
            missing = not_found("surveyVersionId", "No survey version of yours has this id.")
            return ImportResponsesPayload(errors=[missing])
        caller = caller_key(info.context.actor)
        retry_after = await rate_limit.limiter_for(info.context.settings).hit(caller, rate_limit.IMPORT_LIMIT)
        if retry_after is not None:
            return ImportResponsesPayload(errors=[UserError(
                code="throttled", field=None, message=f"Too many imports; try again in {retry_after} seconds.")])
        channels = channel_registry(info.context.plugins).keys
        try:
            results = await import_responses(_items(input.responses), store=store, zone=zone, version=version,
                                             channels=channels, now=datetime.now(UTC), plugins=info.context.plugins)
        except ImportRefused as refused:
            return ImportResponsesPayload(errors=[UserError(code=refused.code, message=refused.message,
                                                            field=refused.field)])
        counts = {status: sum(r.status == status.value for r in results) for status in ImportStatus}
        return ImportResponsesPayload(results=[ImportedResponse.of(r) for r in results],
                                      stored=counts[ImportStatus.STORED], duplicates=counts[ImportStatus.DUPLICATE],
                                      invalid=counts[ImportStatus.INVALID])
