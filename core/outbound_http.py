"""The one way the server makes an outbound HTTP request: an httpx client whose transport checks every request.

Each request, redirects and retries included, is checked by :class:`OutboundTransport` just before it is sent:

* its host must be one the operator allows (``PEJLING_OUTBOUND_ALLOWED_HOSTS``,
  :func:`pejling.core.outbound_addresses.check_host`), for every destination: Stripe, Shopify, Vipps, tenants'
  webhook receivers and identity providers;
* for a destination a tenant chose (``tenant_chosen=True``), every address its host resolves to now must be public
  (unless the caller's test opt-in allows private ones), and the request connects to exactly the address that was
  checked, still verifying the certificate for the host name (TLS SNI), so DNS rebinding cannot swap it.

A refused request raises :class:`DestinationRefused`, which is both an ``httpx.TransportError`` (callers that handle
a service being unreachable handle it) and a :class:`~pejling.core.outbound_addresses.UrlRefused` with the reason
(callers that word a refusal for the tenant show it). The clients read no proxy settings from the environment
(``trust_env=False``): a proxy would resolve the host itself and undo the check; the egress firewall is the
deployment's second wall (docs/deployment.md, Outbound calls).

``tests/test_asvs_outbound.py`` fails when code anywhere else makes an HTTP client or request another way.
"""

from __future__ import annotations

import ssl
from typing import Any

import httpx

from pejling.core.outbound_addresses import UrlRefused, check_host, public_address, resolve


class DestinationRefused(httpx.TransportError, UrlRefused):
    """The request was not sent: its destination is not allowed (the message says why, for a person)."""


class OutboundTransport(httpx.AsyncBaseTransport):
    """httpx's own transport behind the destination check (see the module's docstring)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, tenant_chosen: bool, private_allowed: bool) -> None:
        self._inner = inner
        self.tenant_chosen, self.private_allowed = tenant_chosen, private_allowed

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        try:
            check_host(host)
            if self.tenant_chosen:
                if self.private_allowed:
                    port = request.url.port or (443 if request.url.scheme == "https" else 80)
                    address = (await resolve(host, port))[0]
                else:
                    address = await public_address(request.url)
        except UrlRefused as refused:
            raise DestinationRefused(str(refused), request=request) from None
        if self.tenant_chosen:
            # The connection goes to the checked address; the Host header (httpx set it from the name) and the name
            # the certificate must carry stay the URL's. A copy: redirects are worked out from the request as asked.
            extensions = {**request.extensions, "sni_hostname": host} if request.url.scheme == "https" else \
                request.extensions
            request = httpx.Request(request.method, request.url.copy_with(host=str(address)), headers=request.headers,
                                    stream=request.stream, extensions=extensions)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def outbound_transport(*, tenant_chosen: bool = False, private_allowed: bool = False,
                       verify: ssl.SSLContext | bool = True) -> OutboundTransport:
    """The checking transport, for clients made by libraries (authlib's OAuth client takes it as ``transport=``).

    ``tenant_chosen``: the URL is a tenant's (public addresses only, pinned); ``private_allowed``: a test's opt-in
    that lifts the public-address part (never the operator's allow-list); ``verify``: as httpx's.
    """
    return OutboundTransport(httpx.AsyncHTTPTransport(verify=verify, trust_env=False),
                             tenant_chosen=tenant_chosen, private_allowed=private_allowed)


def outbound_client(*, tenant_chosen: bool = False, private_allowed: bool = False,
                    verify: ssl.SSLContext | bool = True, **options: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` whose every request is checked (``options``: httpx's, such as ``timeout`` and
    ``follow_redirects``; not ``transport``, ``mounts`` or ``trust_env``)."""
    for own in ("transport", "mounts", "trust_env", "proxy"):
        if own in options:
            raise TypeError(f"outbound_client() sets {own} itself")
    return httpx.AsyncClient(transport=outbound_transport(tenant_chosen=tenant_chosen, private_allowed=private_allowed,
                                                          verify=verify), trust_env=False, **options)
