"""What the survey page needs, in the shopper's language (see /tmp/survey-contract.md and docs/surveys.md).

The page handlers (``pejling.core.surveys.pages``) call :func:`load_survey_page` to render a survey and
:func:`ingest_response` (re-exported from :mod:`pejling.core.surveys.ingest`) to store a submission.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from babel.core import negotiate_locale

from pejling.core.surveys.bank import LANGUAGES, current_bank
from pejling.core.surveys.channels import MAX_PARAM_CHARS, MAX_PARAMS, channel_registry
from pejling.core.surveys.ingest import IngestRefused, IngestResult, ingest_response, is_slug
from pejling.core.surveys.invitations import find_invitation
from pejling.core.surveys.model_items import ModelItem, tenant_items, version_items
from pejling.core.surveys.models import Invitation
from pejling.core.surveys.survey import active_survey, statements_of
from pejling.tenants.models import Store, Tenant, Zone
from pejling.tenants.scope import all_tenants, tenant_scope

__all__ = [
    "IngestRefused",
    "IngestResult",
    "InvitationUnusable",
    "OutcomeQuestion",
    "PageStatement",
    "SurveyNotFound",
    "SurveyPage",
    "ingest_response",
    "load_survey_page",
    "negotiate_language",
]

DEFAULT_BRAND_COLOUR = "#1f5f8b"


def logo_path(tenant: Tenant) -> str | None:
    """Where the survey page loads the tenant logo from (versioned, so it can be cached for long)."""
    return f"/s/{tenant.slug}/logo?v={tenant.logo_version}" if tenant.logo_type else None
#: Accept-Language tags that mean Norwegian Bokmål for our purposes.
_ALIASES = {"no": "nb", "nn": "nb"}


class SurveyNotFound(LookupError):
    """No survey at this address: unknown tenant, store or invitation (the page answers 404)."""


class InvitationUnusable(Exception):
    """The invitation exists but cannot be used any more. ``reason`` is ``"expired"`` or ``"used"``."""

    def __init__(self, reason: str, language: str = "en") -> None:
        super().__init__(reason)
        self.reason = reason
        self.language = language


@dataclass(frozen=True)
class PageStatement:
    """One statement screen: the stable id, the text in the page language, and whether it is a warm-up.

    ``scale`` is ``agree`` for a statement (the five labels of the page's scale); a scoring model's question has its
    own: ``1-5``, ``1-7``, ``0-10`` (values ``low``..``high`` with the end labels) or ``yes-no`` (0 = ``low_label``,
    1 = ``high_label``). ``may_not_apply``: a "doesn't apply" choice is offered under it.
    """

    id: str
    text: str
    warmup: bool
    scale: str = "agree"
    low: int = 1
    high: int = 5
    low_label: str = ""
    high_label: str = ""
    may_not_apply: bool = False

    @classmethod
    def of_item(cls, item: ModelItem, language: str) -> PageStatement:
        low_label, high_label = item.labels(language)
        return cls(item.id, item.text(language), False, item.kind, item.low, item.high, low_label, high_label,
                   item.may_not_apply)


@dataclass(frozen=True)
class OutcomeQuestion:
    """The outcome question (NPS 0-10)."""

    kind: str
    min: int
    max: int
    text: str


@dataclass(frozen=True)
class SurveyPage:
    """Everything the survey page shows, in one language."""

    tenant_slug: str
    tenant_name: str
    store_slug: str
    store_name: str
    zone_id: str | None
    zone_name: str | None
    channel: str
    invitation_token: str | None
    language: str
    available_languages: tuple[str, ...]
    survey_version_id: str
    statements: list[PageStatement]
    outcome: OutcomeQuestion
    comment_prompt: str
    scale_labels: tuple[str, ...]
    submit_url: str
    form_url: str
    brand_colour: str = DEFAULT_BRAND_COLOUR
    logo_url: str | None = None
    channel_params: tuple[tuple[str, str], ...] = ()
    """The page channel's parameters of the shopper's link (an NFC tag's id and SUN message), sent back with the
    response."""
    shuffled_ids: tuple[str, ...] = ()
    """The statements each shopper gets in an order of their own (the scored ones, between the warm-ups and the
    scoring models' questions), sorted: what :func:`shopper_order` shuffles again for a page served from a copy."""


def shopper_order(statements: list[PageStatement], shuffled_ids: tuple[str, ...]) -> list[PageStatement]:
    """``statements`` in a fresh order for one shopper: the ``shuffled_ids`` among them (one run of the list: the
    scored statements) shuffled, the others (warm-ups before, scoring models' questions after) where they are."""
    shuffled = set(shuffled_ids)
    positions = [index for index, statement in enumerate(statements) if statement.id in shuffled]
    if len(positions) < 2:
        return list(statements)
    picked = [statements[index] for index in positions]
    random.shuffle(picked)
    ordered = list(statements)
    for index, statement in zip(positions, picked, strict=True):
        ordered[index] = statement
    return ordered


def requested_language(requested: str | None, accept_language: str | None) -> str | None:
    """The page language the shopper's request asks for (an explicit choice, else the best Accept-Language match), or
    None when it asks for none of ours: then the store's default language is the page's (:func:`negotiate_language`).
    """
    if requested in LANGUAGES:
        return str(requested)
    preferred: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().replace("-", "_")
        if not tag or tag == "*":
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.split("_")[0].lower()
        preferred.append((-quality, index, _ALIASES.get(primary, tag)))
    ordered = [tag for quality, _, tag in sorted(preferred) if quality < 0]
    chosen = negotiate_locale(ordered, list(LANGUAGES), sep="_") if ordered else None
    return str(chosen) if chosen in LANGUAGES else None


def negotiate_language(requested: str | None, accept_language: str | None, default: str) -> str:
    """The page language: an explicit choice, else the best Accept-Language match, else the store default."""
    chosen = requested_language(requested, accept_language)
    if chosen is not None:
        return chosen
    return default if default in LANGUAGES else "en"


def _channel_params(enabled: Any, params: dict[str, str] | None) -> tuple[tuple[str, str], ...]:
    """The link's query parameters that the page's channel reads back (``url_params``), as the ingest takes them."""
    wanted = enabled.channel.url_params if enabled is not None else ()
    kept = [(k, v) for k, v in sorted((params or {}).items()) if k in wanted and len(v) <= MAX_PARAM_CHARS]
    return tuple(kept[:MAX_PARAMS])


async def load_survey_page(
    *,
    tenant_slug: str | None,
    store_slug: str | None,
    zone_id: str | None,
    channel: str,
    invitation_token: str | None,
    language: str | None,
    accept_language: str | None,
    plugins: Any | None = None,
    channel_params: dict[str, str] | None = None,
) -> SurveyPage:
    """The survey page for a store (``/s/{tenant}/{store}``) or an invitation (``/i/{token}``: slugs may be None).

    Raises :class:`SurveyNotFound` for an unknown tenant, store or invitation and :class:`InvitationUnusable`
    for a used or expired one, or one whose channel is not enabled (``channel_disabled``). ``channel`` is kept when
    the tenant may use it (the channels of ``plugins``), else the page is a QR code's. A slug that is not a slug
    (too long, odd characters) is unknown without a query.
    """
    for slug in (tenant_slug, store_slug):
        if slug is not None and not is_slug(slug):
            raise SurveyNotFound("slug")
    invitation: Invitation | None = None
    with all_tenants():
        if invitation_token:
            invitation = await find_invitation(invitation_token)
            if invitation is None:
                raise SurveyNotFound("invitation")
            tenant = await Tenant.get_or_none(id=invitation.tenant_id)
        else:
            tenant = await Tenant.get_or_none(slug=tenant_slug) if tenant_slug else None
    if tenant is None or (invitation is not None and tenant_slug and tenant.slug != tenant_slug):
        raise SurveyNotFound("tenant")
    with tenant_scope(tenant.id):
        if invitation is not None:
            store = await Store.get_or_none(id=invitation.store_id)
            if store is None or (store_slug and store.slug != store_slug):
                raise SurveyNotFound("store")
        else:
            store = await Store.get_or_none(slug=store_slug) if store_slug else None
            if store is None:
                raise SurveyNotFound("store")
        page_language = negotiate_language(language, accept_language, store.default_language)
        if invitation is not None:
            if invitation.used_at is not None:
                raise InvitationUnusable("used", page_language)
            if invitation.expires_at <= datetime.now(UTC):
                raise InvitationUnusable("expired", page_language)
            channel = invitation.channel
        channels = await channel_registry(plugins).for_tenant(tenant.id)
        if invitation is not None and channels.get(channel) is None:
            raise InvitationUnusable("channel_disabled", page_language)
        zone = await _zone(store, invitation.zone_id if invitation is not None else zone_id)
        current = await active_survey()
        assert current is not None
        statements = await statements_of(current.version)
        items = version_items(current.version)
        if items and plugins is not None:  # a question whose model the tenant switched off is no longer asked
            askable = await tenant_items(plugins, tenant.id)
            items = [item for item in items if item.id in askable]
    warmups = [s for s in statements if s.warmup]
    scored = [s for s in statements if not s.warmup]
    random.shuffle(scored)
    bank = current_bank()
    return SurveyPage(
        tenant_slug=tenant.slug,
        tenant_name=tenant.name,
        store_slug=store.slug,
        store_name=store.name,
        zone_id=str(zone.id) if zone else None,
        zone_name=zone.name if zone else None,
        channel=channels.for_page(channel),
        channel_params=_channel_params(channels.get(channels.for_page(channel)), channel_params),
        invitation_token=invitation_token if invitation is not None else None,
        language=page_language,
        available_languages=LANGUAGES,
        survey_version_id=str(current.version.id),
        statements=[
            *(PageStatement(s.id, s.text(page_language), s.warmup, may_not_apply=s.may_not_apply)
              for s in [*warmups, *scored]),
            *(PageStatement.of_item(item, page_language) for item in items),
        ],
        outcome=OutcomeQuestion("nps", 0, 10, bank.outcome[page_language]),
        comment_prompt=bank.comment[page_language],
        scale_labels=tuple(bank.scale[page_language]),
        submit_url=f"/s/{tenant.slug}/{store.slug}/responses",
        form_url=f"/s/{tenant.slug}/{store.slug}/form",
        brand_colour=tenant.brand_colour or DEFAULT_BRAND_COLOUR,
        logo_url=logo_path(tenant),
        shuffled_ids=tuple(sorted(s.id for s in scored)),
    )


async def _zone(store: Store, zone_id: object) -> Zone | None:
    """The zone of the QR code or tag, named by its UUID or by its API global id (``Zone:<uuid>``, base64).

    No zone given: ``None``. A zone that is malformed, unknown or of another store raises :class:`SurveyNotFound`
    (the page answers 404): a printed link that names a zone must not silently count for the whole store.
    """
    if zone_id is None or zone_id == "":
        return None
    value = zone_id if isinstance(zone_id, UUID) else zone_uuid(str(zone_id))
    zone = await Zone.get_or_none(id=value, store_id=store.id) if value is not None else None
    if zone is None:
        raise SurveyNotFound("zone")
    return zone


def zone_uuid(text: str) -> UUID | None:
    """The UUID of a zone given as a UUID or as a GraphQL global id of type ``Zone``; ``None`` when it is neither."""
    text = text.strip()
    if len(text) > 100:
        return None
    try:
        return UUID(text)
    except ValueError:
        pass
    try:
        decoded = base64.b64decode(text + "=" * (-len(text) % 4), validate=True).decode("ascii")
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        return None
    type_name, _, node_id = decoded.partition(":")
    if type_name != "Zone":
        return None
    try:
        return UUID(node_id)
    except ValueError:
        return None
