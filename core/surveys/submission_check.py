"""Checking one submission before anything is stored: a short sequence of steps, each refusing with a precise code.

The order of the steps is the order of the refusals a shopper can get: survey version, channel, language, zone,
invitation, times, answers, outcome, comment, consent, device hints, and last what the channel adds to the response.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from pejling.core.contracts import ChannelVisit
from pejling.core.surveys.bank import LANGUAGES, BankStatement
from pejling.core.surveys.channels import DEFAULT_CHANNEL, ChannelRefused, TenantChannels, read_params
from pejling.core.surveys.devices import client_device_class
from pejling.core.surveys.invitations import find_invitation
from pejling.core.surveys.models import Invitation, SurveyVersion
from pejling.core.surveys.refusals import IngestRefused
from pejling.core.surveys.submission_answers import Tap, check_answers
from pejling.core.surveys.submission_fields import read_uuid
from pejling.core.surveys.submission_lookups import survey_version, zone_of_store
from pejling.core.surveys.submission_outcome import check_comment, check_contact, check_outcome
from pejling.core.surveys.submission_times import shopper_times
from pejling.tenants.models import Store, Zone

#: ``channel_details`` of a response that came through a channel the tenant has not enabled: ``{NOT_ENABLED: False}``.
NOT_ENABLED = "channel_enabled"


@dataclass
class CheckedSubmission:
    """A submission that passed every check: what is stored as the response and its answers."""

    version: SurveyVersion
    zone: Zone | None
    invitation: Invitation | None
    channel: str
    channel_details: dict[str, Any] | None
    language: str
    started_at: datetime
    submitted_at: datetime
    clock_adjusted: bool
    taps: list[Tap]
    outcome: int | None
    comment: str
    consent_contact: bool
    contact_email: str | None
    device_class: str


async def check_submission(
    payload: Mapping[str, Any], store: Store, user_agent: str, now: datetime, via: str, channels: TenantChannels
) -> CheckedSubmission:
    """Every field of ``payload`` checked for ``store`` (inside its tenant's scope); the first failure is raised."""
    version, statements = await _survey_version(payload)
    channel, params = _channel(payload, channels)
    language = _language(payload)
    zone = await _zone(payload, store)
    invitation = await _invitation(payload, store, now)
    if invitation is not None:  # the invitation's channel wins; its zone stands in for a missing one
        channel = invitation.channel
        if zone is None and invitation.zone_id is not None:
            zone = await zone_of_store(invitation.zone_id, None)
    started_at, submitted_at, clock_adjusted = shopper_times(payload, now, via=via)
    taps = await check_answers(payload.get("answers"), version, statements)
    outcome = check_outcome(payload.get("outcome"))
    comment = check_comment(payload.get("comment"))
    contact, email = check_contact(payload.get("consent"))
    device = client_device_class(payload.get("client"), user_agent)
    visit = ChannelVisit(store.tenant_id, store.id, zone.id if zone is not None else None, params,
                         invitation.id if invitation is not None else None,
                         response_id=_uuid_or_none(payload.get("id")))
    return CheckedSubmission(
        version=version,
        zone=zone,
        invitation=invitation,
        channel=channel,
        channel_details=await _channel_details(channels, channel, visit),
        language=language,
        started_at=started_at,
        submitted_at=submitted_at,
        clock_adjusted=clock_adjusted,
        taps=taps,
        outcome=outcome,
        comment=comment,
        consent_contact=contact,
        contact_email=email,
        device_class=device,
    )


async def _survey_version(payload: Mapping[str, Any]) -> tuple[SurveyVersion, dict[str, BankStatement]]:
    """The survey version answered, with the tenant's statements (read with it)."""
    version_id = read_uuid(payload.get("survey_version_id"), "survey_version_id")
    found = await survey_version(version_id) if version_id is not None else None
    if found is None:
        raise IngestRefused(404, "survey_not_found", "This survey does not exist (any more).", "survey_version_id")
    return found


def _channel(payload: Mapping[str, Any], channels: TenantChannels) -> tuple[str, dict[str, str]]:
    """The channel the submission names (any installed one: see :func:`_channel_details`) and its parameters."""
    channel = payload.get("channel", DEFAULT_CHANNEL)
    if not isinstance(channel, str) or channel not in channels.installed:
        known = ", ".join(channels.enabled) or "none"
        raise IngestRefused(422, "invalid_channel", f"channel must be one of {known}.", "channel")
    params = read_params(payload.get("channel_params"))
    if params is None:
        raise IngestRefused(
            422, "invalid_channel_params", "channel_params must be an object of short texts.", "channel_params"
        )
    return channel, params


def _language(payload: Mapping[str, Any]) -> str:
    language = payload.get("language")
    if language not in LANGUAGES:
        raise IngestRefused(422, "invalid_language", f"language must be one of {', '.join(LANGUAGES)}.", "language")
    return str(language)


async def _zone(payload: Mapping[str, Any], store: Store) -> Zone | None:
    zone_id = read_uuid(payload.get("zone_id"), "zone_id", optional=True)
    if zone_id is None:
        return None
    zone = await zone_of_store(zone_id, store.id)
    if zone is None:
        raise IngestRefused(422, "unknown_zone", "zone_id is not a zone of this store.", "zone_id")
    return zone


async def _invitation(payload: Mapping[str, Any], store: Store, now: datetime) -> Invitation | None:
    """The invitation the submission answers, when it names one: of this store, unused and not expired."""
    token = payload.get("invitation")
    if token is None:
        return None
    if not isinstance(token, str):
        raise IngestRefused(422, "invalid_invitation", "invitation must be a token string or null.", "invitation")
    invitation = await find_invitation(token)
    if invitation is None or invitation.store_id != store.id:
        raise IngestRefused(404, "invitation_not_found", "This invitation link is not valid.", "invitation")
    if invitation.used_at is not None:
        raise IngestRefused(409, "invitation_used", "This invitation has already been used.", "invitation")
    if invitation.expires_at <= now:
        raise IngestRefused(410, "invitation_expired", "This invitation has expired.", "invitation")
    return invitation


def _uuid_or_none(value: Any) -> UUID | None:
    """The response's id as the phone sent it (checked before this runs), or None when it is not one."""
    try:
        return read_uuid(value, "id")
    except IngestRefused:
        return None


async def _channel_details(channels: TenantChannels, channel: str, visit: ChannelVisit) -> dict[str, Any] | None:
    """What the channel adds to the response; the channel may refuse the visit.

    A channel the tenant has not enabled (or switched off after the page loaded) still keeps the shopper's answers:
    stored under that channel, unverified, without asking the channel's plugin for anything.
    """
    enabled = channels.get(channel)
    if enabled is None:
        return {NOT_ENABLED: False}
    try:
        return await enabled.response_details(visit)
    except ChannelRefused as refused:
        raise IngestRefused(422, "channel_refused", refused.message, "channel_params") from None
