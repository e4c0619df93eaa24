"""The email channel: single-use invitations by email (a personal channel).

Responses through an invitation are marked ``invited``. Sending the invitation mails (localised, with unsubscribe,
through the job queue) is issue 11's work; until then :meth:`Channel.deliver` is not implemented and invitations
are made with ``create_invitation`` and sent by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pejling.core.contracts import Channel, ChannelVisit
from pejling.core.hookspecs import hookimpl


class Email(Channel):
    id = "email"
    name = "Email"
    labels = {"da": "E-mail", "nb": "E-post", "sv": "E-post", "en": "Email"}
    personal = True

    def response_details(self, visit: ChannelVisit) -> Mapping[str, Any] | None:
        return {"invited": True} if visit.invitation_id is not None else None


@hookimpl
def register_channels() -> list[Channel]:
    return [Email()]
