"""A third-party channel: survey invitations sent as SMS through an HTTP gateway (the example of docs/plugins.md).

It uses only the public contract (``pejling.core.contracts``) and hooks. A tenant enables the plugin ``sms`` with
its gateway's address and shared secret; an invitation on the channel ``sms`` is then posted to the gateway:

    POST <gateway_url>/messages
    Content-Type: application/json
    X-Signature: sha256=<hex HMAC-SHA256 of the body with the secret>

    {"to": "+4791234567", "from": "Pejling", "text": "<store>: how was your visit? <link>"}

The gateway answers 202 when it took the message; anything else is a failure. Responses through the link are
stored with the channel ``sms`` and the details ``{"invited": true, "sender": ...}``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import BaseModel, Field, HttpUrl

from pejling.core.contracts import Channel, ChannelVisit, InvitationMessage
from pejling.core.hookspecs import hookimpl

SIGNATURE_HEADER = "X-Signature"
TEXTS = {
    "da": "{store}: Hvordan var dit besøg? Svar på under et minut: {url}",
    "nb": "{store}: Hvordan var besøket? Svar på under ett minutt: {url}",
    "sv": "{store}: Hur var ditt besök? Svara på under en minut: {url}",
    "en": "{store}: How was your visit? Answer in under a minute: {url}",
}


class SmsSettings(BaseModel):
    """A tenant's gateway: where to post, the shared secret that signs each request, the sender name."""

    model_config = {"extra": "forbid"}

    gateway_url: HttpUrl
    secret: str = Field(min_length=16)
    sender: str = Field("Pejling", min_length=1, max_length=11)


def signature(secret: str, body: bytes) -> str:
    """The value of the signature header for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Sms(Channel):
    id = "sms"
    name = "SMS"
    labels = {"da": "SMS", "nb": "SMS", "sv": "SMS", "en": "Text message"}
    personal = True

    async def deliver(self, message: InvitationMessage) -> None:
        settings = message.config
        assert isinstance(settings, SmsSettings)
        text = TEXTS.get(message.language, TEXTS["en"]).format(store=message.store_name, url=message.url)
        body = json.dumps({"to": message.recipient, "from": settings.sender, "text": text}).encode()
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.post(
                str(settings.gateway_url).rstrip("/") + "/messages", content=body,
                headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature(settings.secret, body)},
            )
        if answer.status_code != 202:
            raise RuntimeError(f"the SMS gateway answered {answer.status_code}")

    def response_details(self, visit: ChannelVisit) -> Mapping[str, Any] | None:
        sender = visit.config.sender if isinstance(visit.config, SmsSettings) else None
        return {"invited": visit.invitation_id is not None, "sender": sender}


@hookimpl
def register_channels() -> list[Channel]:
    return [Sms()]


@hookimpl
def register_plugin_settings() -> type[BaseModel]:
    return SmsSettings
