"""GraphQL types of the survey: statements, survey versions, and what a submitted response gets back."""

from __future__ import annotations

from typing import Any

import strawberry

from pejling.core.surveys.bank import LANGUAGES, BankStatement
from pejling.core.surveys.ingest import IngestResult
from pejling.core.surveys.model_items import ModelItem, version_items
from pejling.core.surveys.models import Survey, SurveyVersion
from pejling.graphql.errors import UserError
from pejling.graphql.relay_ids import encode_id


@strawberry.type(description="A text in one language.")
class LocalisedText:
    language: str
    text: str


@strawberry.type(name="SurveyStatement", description="One statement a survey can ask, mapped to an implicit goal.")
class StatementType:
    id: str = strawberry.field(description="Stable id: '<goal>.<slug>' (built-in) or '<goal>.t-<slug>' (yours).")
    goal: str = strawberry.field(description="security, ease, autonomy, recognition, enjoyment, discovery, value "
                                 "or warmup.")
    polarity: int = strawberry.field(description="1: agreeing means the goal was served; -1: reversed wording.")
    warmup: bool
    builtin: bool = strawberry.field(description="True for the built-in bank, false for your own statements.")
    texts: list[LocalisedText]
    may_not_apply: bool = strawberry.field(
        default=False, description="The statement may not fit every visit (staff, queue, paying): the survey page "
        "offers \"doesn't apply\" under it.")

    @strawberry.field(description="The text in one language (English when the language is unknown).")
    def text(self, language: str = "en") -> str:
        by_language = {t.language: t.text for t in self.texts}
        return by_language.get(language) or by_language["en"]

    @classmethod
    def from_bank(cls, statement: BankStatement) -> StatementType:
        return cls(
            id=statement.id, goal=statement.goal, polarity=statement.polarity, warmup=statement.warmup,
            builtin=statement.builtin,
            texts=[LocalisedText(language=lang, text=statement.texts[lang]) for lang in LANGUAGES],
            may_not_apply=statement.may_not_apply,
        )


@strawberry.type(
    name="SurveyQuestion",
    description="A scoring model's own question (e.g. CSAT's satisfaction, CES's effort), asked after the statements.",
)
class ModelItemType:
    id: str = strawberry.field(description="The question's id, as answers name it (statementId).")
    model_id: str = strawberry.field(description="The scoring model that asks it and summarises its answers.")
    scale: str = strawberry.field(description="1-5, 1-7, 0-10 or yes-no (answered 0 = no, 1 = yes).")
    low: int = strawberry.field(description="The lowest answer (0 for yes-no: no).")
    high: int = strawberry.field(description="The highest answer (1 for yes-no: yes).")
    texts: list[LocalisedText]
    low_labels: list[LocalisedText] = strawberry.field(description="The label of the lowest answer, per language.")
    high_labels: list[LocalisedText] = strawberry.field(description="The label of the highest answer, per language.")
    may_not_apply: bool = strawberry.field(
        default=False, description="The page offers \"doesn't apply\" under this question (its model says so).")

    @strawberry.field(description="The question in one language (English when the language is unknown).")
    def text(self, language: str = "en") -> str:
        by_language = {t.language: t.text for t in self.texts}
        return by_language.get(language) or by_language["en"]

    @classmethod
    def from_item(cls, item: ModelItem) -> ModelItemType:
        def texts(values: Any) -> list[LocalisedText]:
            return [LocalisedText(language=lang, text=values[lang]) for lang in LANGUAGES if lang in values]

        return cls(
            id=item.id, model_id=item.model_id, scale=item.kind, low=item.low, high=item.high, texts=texts(item.texts),
            low_labels=texts(item.low_label), high_labels=texts(item.high_label), may_not_apply=item.may_not_apply,
        )


@strawberry.type(name="SurveyVersion", description="An unchangeable set of statements; a change makes a new version.")
class SurveyVersionType:
    id: strawberry.ID = strawberry.field(description="Global id; also accepted as surveyVersionId by submitResponse.")
    number: int
    active: bool
    outcome_kind: str
    statements: list[StatementType] = strawberry.field(description="The scored statements, in the chosen order.")
    warmups: list[StatementType] = strawberry.field(description="Warm-up statements, always shown first.")
    questions: list[ModelItemType] = strawberry.field(
        description="Scoring models' own questions, asked after the statements in this order."
    )

    @classmethod
    def from_model(cls, version: SurveyVersion, available: dict[str, BankStatement]) -> SurveyVersionType:
        return cls(
            id=strawberry.ID(encode_id("SurveyVersion", version.id)),
            number=version.number,
            active=version.active,
            outcome_kind=version.outcome_kind,
            statements=[StatementType.from_bank(available[s]) for s in version.statement_ids if s in available],
            warmups=[StatementType.from_bank(available[s]) for s in version.warmup_ids if s in available],
            questions=[ModelItemType.from_item(item) for item in version_items(version)],
        )


@strawberry.type(name="Survey", description="Your shopper survey and its active version.")
class SurveyType:
    id: strawberry.ID
    name: str
    active_version: SurveyVersionType
    question_bank: list[ModelItemType] = strawberry.field(
        description="Every scoring model's question you can add (chooseSurveyStatements modelQuestionIds): those of "
        "the models enabled for you, on a 1-5, 1-7, 0-10 or yes/no scale."
    )

    @classmethod
    def from_model(
        cls, survey: Survey, version: SurveyVersionType, askable: dict[str, ModelItem] | None = None
    ) -> SurveyType:
        return cls(
            id=strawberry.ID(encode_id("Survey", survey.id)), name=survey.name, active_version=version,
            question_bank=[ModelItemType.from_item(item) for item in (askable or {}).values()],
        )


@strawberry.type(description="What the thank-you screen says, in the response language.")
class ThankYou:
    headline: str
    body: str
    receipt_note: str


@strawberry.type(description="A reward a plugin offers for the response, e.g. a discount code.")
class Reward:
    code: str
    description: str | None
    expires_at: str | None


@strawberry.type(description="A stored response: keep the receipt code to ask later for the answers or erasure.")
class SubmittedResponse:
    id: strawberry.ID = strawberry.field(description="The id the client generated (a UUID).")
    receipt_code: str
    duplicate: bool = strawberry.field(description="True when this id was already stored: the first result.")
    thank_you: ThankYou
    reward: Reward | None

    @classmethod
    def from_result(cls, result: IngestResult, language: str) -> SubmittedResponse:
        reward: Any = result.reward
        return cls(
            id=strawberry.ID(result.response_id),
            receipt_code=result.receipt_code,
            duplicate=result.duplicate,
            thank_you=ThankYou(
                headline=result.thank_you["headline"], body=result.thank_you["body"],
                receipt_note=result.thank_you.get("receipt_note", ""),
            ),
            reward=None if reward is None else Reward(
                code=str(reward.get("code", "")),
                description=_localised(reward.get("description"), language),
                expires_at=reward.get("expires_at"),
            ),
        )


def _localised(texts: Any, language: str) -> str | None:
    if isinstance(texts, dict):
        return texts.get(language) or texts.get("en")
    return str(texts) if texts else None


@strawberry.type
class SubmitResponsePayload:
    response: SubmittedResponse | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SurveyVersionPayload:
    version: SurveyVersionType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SurveyStatementPayload:
    statement: StatementType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="One answer of a shopper: the statement, the value given and how fast (ms).")
class ShopperAnswer:
    statement_id: str
    value: int | None = strawberry.field(description="Null when the shopper chose \"doesn't apply\".")
    reaction_ms: int | None
    not_applicable: bool = strawberry.field(default=False, description="The shopper chose \"doesn't apply\".")


@strawberry.type(description="What is stored about one shopper response, found by its receipt code (an export).")
class ShopperData:
    receipt_code: str
    store: str | None = strawberry.field(description="The store name.")
    zone: str | None = strawberry.field(description="The zone name, when the response was given in one.")
    channel: str
    language: str
    submitted_at: str = strawberry.field(description="ISO 8601 with offset.")
    outcome: int | None
    comment: str
    contact_email: str | None = strawberry.field(description="Only when the shopper gave one with consent.")
    answers: list[ShopperAnswer]

    @classmethod
    def from_export(cls, data: dict[str, Any]) -> ShopperData:
        return cls(
            receipt_code=data["receipt_code"], store=data["store"], zone=data["zone"], channel=data["channel"],
            language=data["language"], submitted_at=data["submitted_at"], outcome=data["outcome"],
            comment=data["comment"], contact_email=data.get("contact_email"),
            answers=[ShopperAnswer(statement_id=a["statement_id"], value=a["value"], reaction_ms=a["reaction_ms"],
                                   not_applicable=bool(a.get("not_applicable", False)))
                     for a in data["answers"]],
        )


@strawberry.type
class EraseShopperResponsePayload:
    erased_receipt_code: str | None = strawberry.field(default=None, description="The code, normalised (K7Q-4MZ).")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="An address that was not invited, and why (invalid, not_delivered).")
class RefusedRecipient:
    address: str
    code: str


@strawberry.type(description="What became of a list of invitations.")
class InviteShoppersPayload:
    sent: int = strawberry.field(default=0, description="Invitations made and handed to the channel (queued for "
                                 "email: the mail goes out through the job queue).")
    suppressed: int = strawberry.field(default=0, description="Addresses on your suppression list (unsubscribed): "
                                       "never invited.")
    refused: list[RefusedRecipient] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)
