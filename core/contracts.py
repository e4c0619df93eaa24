"""What plugin hooks hand back to core: scoring models, channels and integrations.

The collector hooks (``register_scoring_models``, ``register_channels``, ``register_integrations``)
return instances of the classes below. Everything a plugin receives or returns is a small frozen
dataclass of plain values, so a plugin never touches the ORM and the contracts stay stable when
the storage changes.

* :class:`ScoringModel` turns one :class:`ShopperResponse` into :class:`ResponseScores` and a set of
  responses (or a :class:`Rollup` of answer counts) into :class:`InsightSection` items.
* :class:`Channel` is how a shopper reaches a survey; it makes the shopper URL, adds its details to a response
  and delivers personal invitations.
* :class:`Integration` connects a tenant to another service; it declares its configuration schema.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from uuid import UUID

from pydantic import BaseModel, Field

from pejling.core.insights.statistics.minimum_n import MIN_N
from pejling.core.insights.statistics.scales import scale_histogram
from pejling.core.languages import LANGUAGES as LANGUAGES  # the languages every statement is phrased in

#: Contract ids (scoring model, channel, integration): lowercase letters, digits and hyphens.
CONTRACT_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")

Texts = Mapping[str, str]
"""A short text per language code (``da``, ``nb``, ``sv``, ``en``)."""


def localised(texts: Texts, language: str) -> str:
    """The text in ``language``, falling back to English."""
    return texts.get(language) or texts["en"]


# ---------------------------------------------------------------------------------------------------------------------
# Statements and responses
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """An integer answer scale ``low..high`` with its end labels (per language)."""

    low: int
    high: int
    low_label: Texts
    high_label: Texts

    def __post_init__(self) -> None:
        if self.high <= self.low:
            raise ValueError(f"a scale needs high > low, got {self.low}..{self.high}")

    @property
    def points(self) -> int:
        return self.high - self.low + 1

    @property
    def kind(self) -> str | None:
        """The name of an askable scale (``1-5``, ``1-7``, ``0-10``, ``yes-no``), ``None`` for any other range.

        Only these four are asked on the survey page (:data:`ASKABLE_SCALES`); a model may still summarise others.
        """
        return ASKABLE_SCALES.get((self.low, self.high))

    @classmethod
    def yes_no(cls, no: Texts, yes: Texts) -> Scale:
        """A yes/no question: ``0`` = no, ``1`` = yes, with the two answers' words as its labels."""
        return cls(0, 1, low_label=no, high_label=yes)


ASKABLE_SCALES: Mapping[tuple[int, int], str] = {(1, 5): "1-5", (1, 7): "1-7", (0, 10): "0-10", (0, 1): "yes-no"}
"""The scales a scoring model's own question may use on the survey page, by ``(low, high)``: yes/no is ``0..1``."""


@dataclass(frozen=True)
class Statement:
    """One survey screen a scoring model brings: a short first-person statement or question on a scale.

    ``kind`` is ``"outcome"`` for an outcome question (recommend, satisfaction, effort) and ``"goal"``
    for a statement that measures one implicit goal (named in ``goal``). ``may_not_apply``: the question may not fit
    every visit (about the staff, a queue, paying), so the survey page offers "doesn't apply" under it; such an answer
    reaches the model as an :class:`Answer` with ``value=None`` and ``not_applicable=True``.
    """

    id: str
    texts: Texts
    scale: Scale
    kind: Literal["outcome", "goal"] = "outcome"
    goal: str | None = None
    may_not_apply: bool = False

    def __post_init__(self) -> None:
        if not CONTRACT_ID.match(self.id):
            raise ValueError(f"statement id {self.id!r}: use lowercase letters, digits and hyphens")
        if "en" not in self.texts:
            raise ValueError(f"statement {self.id!r} needs an English text (the fallback)")
        if (self.kind == "goal") != (self.goal is not None):
            raise ValueError(f"statement {self.id!r}: a goal statement names its goal, an outcome statement does not")


@dataclass(frozen=True)
class Answer:
    """The shopper's answer to one statement. ``value`` is ``None`` when the statement was skipped or answered
    "doesn't apply" (then ``not_applicable`` is true): count such an answer in no figure."""

    statement_id: str
    value: int | None
    reaction_time_ms: float | None = None
    """Time from showing the statement to the tap (``performance.now()``, paused while the page was hidden)."""
    polarity: int | None = None
    """1 when agreeing means the goal was served, -1 for reversed wording; ``None`` for outcome questions."""
    not_applicable: bool = False
    """The shopper chose "doesn't apply" (offered only under a statement that ``may_not_apply``)."""


@dataclass(frozen=True)
class ShopperResponse:
    """One submitted survey response, as plugins see it."""

    id: UUID
    tenant_id: UUID
    submitted_at: datetime
    answers: tuple[Answer, ...]
    language: str = "en"
    store_id: UUID | None = None
    zone_id: UUID | None = None
    channel: str | None = None
    comment: str | None = None
    """The optional "best or worst moment" line."""

    def answer(self, statement_id: str) -> Answer | None:
        """The answer to ``statement_id``, or ``None`` when the statement was not shown."""
        return next((a for a in self.answers if a.statement_id == statement_id), None)


@dataclass(frozen=True)
class Rollup:
    """Answer counts per statement: one count per scale point, from ``low`` to ``high``.

    Rollups are what insights are computed from, so raw responses never need to be re-read;
    rollups of stores, zones or periods add up with :meth:`merge`.
    """

    histograms: Mapping[str, tuple[int, ...]]

    @classmethod
    def from_responses(cls, responses: Sequence[ShopperResponse], statements: Sequence[Statement]) -> Rollup:
        """Count the answered statements of ``responses`` (skipped answers are not counted)."""
        histograms: dict[str, tuple[int, ...]] = {}
        for statement in statements:
            values = [
                a.value for r in responses if (a := r.answer(statement.id)) is not None and a.value is not None
            ]
            histograms[statement.id] = scale_histogram(values, statement.scale.low, statement.scale.high)
        return cls(histograms)

    def merge(self, other: Rollup) -> Rollup:
        """The rollup of both sets of responses."""
        merged = dict(self.histograms)
        for statement_id, counts in other.histograms.items():
            mine = merged.get(statement_id)
            if mine is None:
                merged[statement_id] = counts
            elif len(mine) != len(counts):
                raise ValueError(f"statement {statement_id!r}: histograms of different scales cannot be merged")
            else:
                merged[statement_id] = tuple(a + b for a, b in zip(mine, counts, strict=True))
        return Rollup(merged)

    def counts(self, statement: Statement) -> tuple[int, ...]:
        """The histogram of ``statement`` (all zeros when nobody answered it)."""
        return self.histograms.get(statement.id, (0,) * statement.scale.points)


# ---------------------------------------------------------------------------------------------------------------------
# Scoring models
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseScores:
    """What one scoring model makes of one response: named numbers and an optional category."""

    model_id: str
    values: Mapping[str, float]
    category: str | None = None
    """E.g. ``promoter``/``passive``/``detractor`` for NPS."""


@dataclass(frozen=True)
class SummaryOptions:
    """How a summary is computed: below ``min_n`` responses a figure is reported as "too few responses"."""

    min_n: int = MIN_N
    confidence: float = 0.95


@dataclass(frozen=True)
class InsightSection:
    """One block of an insight report, e.g. the NPS of a store with its interval.

    ``figures`` holds JSON-compatible numbers (usually a ``statistics`` result's ``to_dict()``);
    ``sufficient`` is False, with ``note`` saying why, when there were too few responses.
    """

    model_id: str
    key: str
    title: str
    figures: Mapping[str, Any]
    sufficient: bool = True
    note: str | None = None


class ScoringModel(ABC):
    """Turns a response into scores and a set of responses into insight sections.

    Subclasses set the class attributes ``id`` (e.g. ``"nps"``), ``name``, ``version`` and
    ``statements`` (the survey screens the model brings) and implement the two methods. Both are
    pure computations: no I/O, no database.

    A statement on one of :data:`ASKABLE_SCALES` is a question the tenant may add to its survey (GraphQL
    ``Survey.questionBank``); its answers reach :meth:`score_response` under the statement's id and
    :meth:`summarise` as its histogram in the rollup (``docs/plugins.md``, "Adding a scoring model with its question").
    """

    id: ClassVar[str]
    name: ClassVar[str]
    version: ClassVar[str]
    statements: ClassVar[tuple[Statement, ...]]

    @abstractmethod
    def score_response(self, response: ShopperResponse) -> ResponseScores | None:
        """Score one response; ``None`` when the response does not answer this model's statements."""

    @abstractmethod
    def summarise(
        self, data: Sequence[ShopperResponse] | Rollup, options: SummaryOptions = SummaryOptions()
    ) -> list[InsightSection]:
        """Summarise many responses (or their rollup) into insight sections."""

    def rollup(self, data: Sequence[ShopperResponse] | Rollup) -> Rollup:
        """``data`` as a rollup of this model's statements."""
        return data if isinstance(data, Rollup) else Rollup.from_responses(data, self.statements)


# ---------------------------------------------------------------------------------------------------------------------
# Channels and integrations
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationTarget:
    """Where a shopper URL leads: the survey page of a store or zone, or of one personal invitation.

    ``survey_url`` is the page to open: ``/s/<tenant>/<store>`` (with ``?zone=<uuid>``) for a place, ``/i/<token>``
    for an invitation.
    """

    survey_url: str
    token: str | None = None
    """A single-use invitation token (email, SMS and receipt links); ``None`` for a place (QR code, NFC tag)."""
    extra: Mapping[str, str] = field(default_factory=dict)


#: Channel ids are at most this long: the insights rollups key their rows by channel in 16 characters.
CHANNEL_ID_MAX = 16


class ChannelRefused(Exception):
    """Raised by :meth:`Channel.response_details` when the visit does not hold up (a forged tag, say): the response
    is refused (422 ``channel_refused``) and nothing is stored. ``message`` is shown to the shopper's app."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ChannelVisit:
    """How a response arrived, as its channel sees it before the response is stored."""

    tenant_id: UUID
    store_id: UUID
    zone_id: UUID | None
    params: Mapping[str, str] = field(default_factory=dict)
    """The values of the channel's :attr:`Channel.url_params` the shopper's link carried (others are dropped)."""
    invitation_id: UUID | None = None
    """The personal invitation the response answers, when it came through one."""
    config: BaseModel | None = None
    """The tenant's settings of the plugin that brings the channel (its ``register_plugin_settings`` model)."""
    response_id: UUID | None = None
    """The id the shopper's phone gave the response. A resend after a failed write carries the same id, so a channel
    that uses something up per visit (an NFC tap's counter) can accept the same visit for the same response again."""


@dataclass(frozen=True)
class InvitationMessage:
    """A personal invitation for a channel to deliver (:meth:`Channel.deliver`)."""

    recipient: str
    """The address in the channel's own terms (a phone number, an email address); core never stores it."""
    url: str
    language: str
    store_name: str
    expires_at: datetime
    config: BaseModel | None = None
    """The tenant's settings of the plugin that brings the channel (gateway address, keys …)."""
    tenant_id: UUID | None = None
    """The tenant the invitation is from (core always sets it)."""
    invitation_id: UUID | None = None
    """The invitation's id: a channel that queues the delivery uses it to send each invitation once."""


ChannelDetails = Mapping[str, Any] | None
"""What :meth:`Channel.response_details` gives (directly, or from an ``async def``)."""


class Channel(ABC):  # noqa: B024 - an ABC so that plugins subclass it; every method has a sensible default
    """How a shopper reaches a survey (QR code, NFC tag, email link, SMS …).

    Subclasses set ``id`` (the key stored on every response, at most :data:`CHANNEL_ID_MAX` characters), ``name``
    and ``labels`` (the name per language, da/nb/sv/en); ``personal`` is True for channels that address one
    shopper through a single-use invitation, and those implement :meth:`deliver`. The channel's per-tenant
    configuration is the settings model of its plugin (``register_plugin_settings``); a tenant that has not
    enabled the plugin cannot use the channel.
    """

    id: ClassVar[str]
    name: ClassVar[str]
    labels: ClassVar[Texts] = {}
    personal: ClassVar[bool] = False
    url_params: ClassVar[tuple[str, ...]] = ()
    """Query parameters of the shopper's link that the channel reads back in :meth:`response_details`."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        key = cls.__dict__.get("id")
        if isinstance(key, str) and (len(key) > CHANNEL_ID_MAX or not CONTRACT_ID.match(key)):
            raise ValueError(f"channel id {key!r}: 1-{CHANNEL_ID_MAX} lowercase letters, digits and hyphens")

    def label(self, language: str) -> str:
        """The channel's name in ``language`` (English, then ``name``, when it has no label in that language)."""
        return self.labels.get(language) or self.labels.get("en") or self.name

    def invitation_url(self, target: InvitationTarget) -> str:
        """The URL a shopper opens (encoded in the QR code, written to the tag, put in the mail or the text).

        The default tags the survey URL with the channel (``ch``) and a token that is not already in its path (``t``).
        """
        parts = urlsplit(target.survey_url)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in {"ch", "t"}]
        query.append(("ch", self.id))
        if target.token is not None and not parts.path.endswith(f"/{target.token}"):
            query.append(("t", target.token))
        query.extend(sorted(target.extra.items()))
        return urlunsplit(parts._replace(query=urlencode(query)))

    def response_details(self, visit: ChannelVisit) -> ChannelDetails | Awaitable[ChannelDetails]:
        """What the channel adds to a response before it is stored (a tag id, a verified flag): small JSON values.

        May be ``async``. Raise :class:`ChannelRefused` to refuse the response; any other error is logged and the
        response is stored without details (a shopper's answers are never lost to a channel's bug).
        """
        return None

    async def deliver(self, message: InvitationMessage) -> None:
        """Send (or queue durably) a personal invitation (personal channels only). An error means it was not sent;
        raise ``ValueError`` when the recipient is not an address of this channel."""
        raise NotImplementedError(f"channel {self.id!r} does not deliver invitations")


class Integration(ABC):  # noqa: B024 - an ABC so that plugins subclass it
    """A connection from a tenant to another service (a shop system, a payment provider …).

    ``config_schema`` is the pydantic model of the settings a tenant gives when enabling the plugin
    that brings this integration (API keys, shop domain …). When the plugin does not implement
    ``register_plugin_settings``, its single integration's ``config_schema`` is used instead.
    """

    id: ClassVar[str]
    name: ClassVar[str]
    config_schema: ClassVar[type[BaseModel] | None] = None


@dataclass(frozen=True)
class Reward:
    """A thank-you for the shopper, e.g. a discount code made by a shop integration."""

    code: str
    description: Texts
    expires_at: datetime | None = None


class ScoringSettings(BaseModel):
    """Tenant settings of a scoring plugin: when a figure is "too few responses" and the interval confidence.

    Scoring plugins return this model (or a subclass) from ``register_plugin_settings``.
    """

    model_config = {"extra": "forbid"}

    min_responses: int = Field(MIN_N, ge=1, le=100_000, description="Fewer responses than this: no figure is shown.")
    confidence: float = Field(0.95, ge=0.5, le=0.999, description="Confidence level of the intervals.")

    def options(self) -> SummaryOptions:
        """These settings as :class:`SummaryOptions`."""
        return SummaryOptions(min_n=self.min_responses, confidence=self.confidence)
