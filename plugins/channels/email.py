"""The email channel: single-use invitations by email (a personal channel).

Responses through an invitation are marked ``invited``. :meth:`Email.deliver` queues the invitation's mail on the
durable job queue (:mod:`pejling.core.surveys.invitation_mail`): localised text and HTML with the store's branding, a
one-click unsubscribe, retries with back-off, and never two mails for one invitation. Addresses on the tenant's
suppression list are refused before an invitation is made (:func:`pejling.core.surveys.invitations.send_invitation`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pejling.core.contracts import Channel, ChannelVisit, InvitationMessage
from pejling.core.hookspecs import hookimpl
from pejling.core.mail import EMAIL_ADDRESS
from pejling.core.surveys.invitation_mail import queue_invitation_mail


class Email(Channel):
    id = "email"
    name = "Email"
    labels = {"da": "E-mail", "nb": "E-post", "sv": "E-post", "en": "Email"}
    personal = True

    def response_details(self, visit: ChannelVisit) -> Mapping[str, Any] | None:
        return {"invited": True} if visit.invitation_id is not None else None

    async def deliver(self, message: InvitationMessage) -> None:
        """Queue the invitation's mail; the job queue sends it (with retries) and never twice."""
        if message.tenant_id is None or message.invitation_id is None:
            raise ValueError("an email invitation needs its tenant and invitation id")
        address = message.recipient.strip()
        if len(address) > 254 or not EMAIL_ADDRESS.match(address):
            raise ValueError("not an email address")
        await queue_invitation_mail(
            tenant_id=message.tenant_id, invitation_id=message.invitation_id, to=address,
            url=message.url, language=message.language, store_name=message.store_name,
            expires_at=message.expires_at,
        )


@hookimpl
def register_channels() -> list[Channel]:
    return [Email()]
