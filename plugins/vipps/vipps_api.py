"""The Vipps MobilePay APIs Pejling calls for a tenant: the Access Token API and the Webhooks API (v1).

Every call carries the sales unit's keys as Vipps documents them: ``POST /accesstoken/get`` with the headers
``client_id``, ``client_secret``, ``Ocp-Apim-Subscription-Key`` and ``Merchant-Serial-Number`` answers a bearer token;
the Webhooks API takes that token with the subscription key and the MSN. ``POST /webhooks/v1/webhooks``
``{"url", "events"}`` answers ``201 {"id", "secret"}``, ``GET /webhooks/v1/webhooks`` answers ``{"webhooks": [{"id",
"url", "events"}]}`` and ``DELETE /webhooks/v1/webhooks/<id>`` answers ``204``. Each failure is a
:class:`VippsApiError` with a message for the retailer (never a key, never a secret).

The API's address is not a tenant setting (so no tenant can point the server at its internal network): production,
or the test environment when the tenant sets ``api_test``; the operator may override both with
``PEJLING_VIPPS_API_BASE_URL`` (the tests' local Vipps). Calls go through the checked client
(:mod:`pejling.core.outbound_http`): a host the operator does not allow is not called.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from pejling.core.outbound_addresses import UrlRefused

PRODUCTION = "https://api.vipps.no"
TEST = "https://apitest.vipps.no"
BASE_URL_ENV = "PEJLING_VIPPS_API_BASE_URL"
TIMEOUT_SECONDS = 10.0
SYSTEM_HEADERS = {"Vipps-System-Name": "pejling", "Vipps-System-Version": "1",
                  "Vipps-System-Plugin-Name": "pejling-vipps", "Vipps-System-Plugin-Version": "1"}
"""Who is calling, as Vipps asks every integration to say."""

EPAYMENT_EVENTS = ("epayments.payment.created.v1", "epayments.payment.authorized.v1",
                   "epayments.payment.captured.v1", "epayments.payment.cancelled.v1",
                   "epayments.payment.refunded.v1", "epayments.payment.aborted.v1",
                   "epayments.payment.expired.v1", "epayments.payment.terminated.v1")
"""The ePayment events the plugin reads (:class:`~.models.PaymentEvent`), by their Webhooks API names."""


class VippsApiError(Exception):
    """Vipps refused a call or could not be reached. ``message`` is for the retailer; ``status`` is Vipps' answer
    (None: no answer); ``field`` is the setting most likely at fault."""

    def __init__(self, message: str, status: int | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.status, self.field = message, status, field


@dataclass(frozen=True)
class Registration:
    """A webhook as the Webhooks API lists it (the secret is only ever in the answer to the registration)."""

    id: str
    url: str
    events: tuple[str, ...]


def base_url(test: bool) -> str:
    """Where the Vipps APIs are for this tenant: the operator's override, else production or the test environment."""
    return (os.environ.get(BASE_URL_ENV) or (TEST if test else PRODUCTION)).rstrip("/")


def _problem(answer: httpx.Response) -> str:
    """A short, printable reason from Vipps' problem answer (``title``/``detail``), never more than 200 characters."""
    try:
        body: Any = answer.json()
    except ValueError:
        body = None
    parts = [str(body.get(k)) for k in ("title", "detail") if isinstance(body, dict) and body.get(k)]
    text = ": ".join(parts) or answer.reason_phrase or "no reason given"
    return "".join(ch for ch in text if ch.isprintable())[:200]


class VippsApi:
    """One sales unit's session with the Vipps APIs: its keys, its MSN, an access token fetched on first use."""

    def __init__(self, http: httpx.AsyncClient, base: str, client_id: str, client_secret: str,
                 subscription_key: str, msn: str) -> None:
        self.http, self.base, self.msn = http, base, msn
        self._keys = (client_id, client_secret, subscription_key)
        self._token: str | None = None

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self.http.request(method, self.base + path, **kwargs)
        except UrlRefused as refused:
            raise VippsApiError(f"Vipps MobilePay was not called: {refused}") from None
        except httpx.HTTPError:
            raise VippsApiError("Vipps MobilePay could not be reached; nothing was changed. Try again.") from None

    async def token(self) -> str:
        """A bearer token for this sales unit (``POST /accesstoken/get``)."""
        if self._token is None:
            client_id, client_secret, subscription_key = self._keys
            answer = await self._call("POST", "/accesstoken/get", content=b"", headers={
                "client_id": client_id, "client_secret": client_secret,
                "Ocp-Apim-Subscription-Key": subscription_key, "Merchant-Serial-Number": self.msn,
                **SYSTEM_HEADERS})
            if answer.status_code in (401, 403):
                raise VippsApiError(f"Vipps MobilePay refused the API keys for sales unit {self.msn}: "
                                    f"{_problem(answer)}", answer.status_code, "api_client_id")
            if answer.status_code != 200:
                raise VippsApiError(f"Vipps MobilePay gave no access token for sales unit {self.msn} "
                                    f"({answer.status_code}: {_problem(answer)}).", answer.status_code)
            try:
                token = answer.json()["access_token"]
            except (ValueError, KeyError, TypeError):
                token = None
            if not isinstance(token, str) or not token:
                raise VippsApiError("Vipps MobilePay answered the token request without an access token.", 200)
            self._token = token
        return self._token

    async def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token()}", "Ocp-Apim-Subscription-Key": self._keys[2],
                "Merchant-Serial-Number": self.msn, **SYSTEM_HEADERS}

    def _refused(self, what: str, answer: httpx.Response) -> VippsApiError:
        field = "api_client_id" if answer.status_code in (401, 403) else "sales_units"
        return VippsApiError(f"Vipps MobilePay refused to {what} for sales unit {self.msn} "
                             f"({answer.status_code}: {_problem(answer)}).", answer.status_code, field)

    async def register(self, url: str, events: tuple[str, ...] = EPAYMENT_EVENTS) -> tuple[str, str]:
        """Register ``url`` for ``events``: the webhook's id and its secret (``POST /webhooks/v1/webhooks``)."""
        answer = await self._call("POST", "/webhooks/v1/webhooks", json={"url": url, "events": list(events)},
                                  headers=await self._headers())
        if answer.status_code not in (200, 201):
            raise self._refused("register the webhook", answer)
        try:
            body = answer.json()
            webhook_id, secret = body["id"], body["secret"]
        except (ValueError, KeyError, TypeError):
            webhook_id = secret = None
        if not (isinstance(webhook_id, str) and webhook_id and isinstance(secret, str) and secret):
            raise VippsApiError("Vipps MobilePay answered the registration without the webhook's id and secret.",
                                answer.status_code)
        return webhook_id, secret

    async def webhooks(self) -> list[Registration]:
        """The webhooks registered for this sales unit (``GET /webhooks/v1/webhooks``)."""
        answer = await self._call("GET", "/webhooks/v1/webhooks", headers=await self._headers())
        if answer.status_code != 200:
            raise self._refused("list the webhooks", answer)
        try:
            listed = answer.json()["webhooks"]
            return [Registration(str(w["id"]), str(w["url"]), tuple(w.get("events") or ())) for w in listed]
        except (ValueError, KeyError, TypeError):
            raise VippsApiError("Vipps MobilePay's list of webhooks could not be read.", 200) from None

    async def delete(self, webhook_id: str) -> None:
        """Remove webhook ``webhook_id`` (``DELETE /webhooks/v1/webhooks/<id>``); one already gone counts as removed."""
        answer = await self._call("DELETE", f"/webhooks/v1/webhooks/{quote(webhook_id, safe='')}",
                                  headers=await self._headers())
        if answer.status_code not in (200, 204, 404):
            raise self._refused("remove the webhook", answer)
