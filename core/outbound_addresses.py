"""Where the server may send a request a tenant chose the address of: public addresses only (SSRF protection).

Outbound webhooks (``plugins/webhooks``), a tenant's identity provider (``core/auth/sso``) and a tenant's Vipps Login
issuer (``plugins/vipps``) are URLs a tenant types. Each is checked against the addresses its host resolves to at
that moment: private, loopback, link-local (cloud metadata), shared, multicast, reserved and unspecified ranges are
refused, also when hidden inside an IPv6 address (IPv4-mapped, 6to4, Teredo, NAT64). A webhook attempt then connects
to exactly the address that was checked (DNS rebinding cannot swap it). Each user has its own opt-in that lifts the
check, for tests only (``PEJLING_WEBHOOKS_ALLOW_PRIVATE``, ``PEJLING_SSO_ALLOW_PRIVATE_ISSUERS``,
``PEJLING_VIPPS_ALLOW_PRIVATE_ISSUER``).

Above that, the operator may name the only hosts the server calls at all (``PEJLING_OUTBOUND_ALLOWED_HOSTS``, ASVS
V13.2.4/V13.2.5): :func:`check_host` refuses any other, for the URLs tenants choose (when they are saved and again
at every call) and for the fixed services (Stripe, Shopify, Vipps) alike; no opt-in lifts it. Every outbound request
goes through it in :mod:`pejling.core.outbound_http`. Empty, the default: any host, as above.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2000
#: How long a host name may take to resolve.
RESOLVE_SECONDS = 5.0
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


class UrlRefused(ValueError):
    """The URL may not be called; the message says why, for the tenant."""


@dataclass(frozen=True)
class Target:
    """A checked URL and the address an attempt connects to."""

    url: httpx.URL
    address: IPAddress


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """True when ``address`` is a globally routable unicast address (nothing internal hides in it)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id or address in _NAT64_LOCAL:
            return False
        inner = _embedded_ipv4(address)
        if inner is not None:
            return is_public(inner)
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_loopback
                                      or address.is_link_local or address.is_private or address.is_unspecified)


def host_allowed(host: str, patterns: Sequence[str]) -> bool:
    """Whether ``host`` is one of ``patterns``: a host name or IP address, or ``*.example.com`` for every name under
    ``example.com`` (not ``example.com`` itself). No patterns: every host. Case and a final dot do not count."""
    if not patterns:
        return True
    name = host.lower().rstrip(".").strip("[]")
    for pattern in patterns:
        pattern = pattern.lower().rstrip(".")
        if pattern.startswith("*."):
            if name.endswith(pattern[1:]) and len(name) > len(pattern) - 1:
                return True
        elif name == pattern.strip("[]"):
            return True
    return False


_allowed: list[str] | None = None


def use_allowed_hosts(hosts: Sequence[str] | None) -> None:
    """Use ``hosts`` as the allow-list of this process (the app's settings give theirs; ``None``: the environment's)."""
    global _allowed
    _allowed = None if hosts is None else list(hosts)


def allowed_hosts() -> list[str]:
    """The operator's list of the only hosts outbound calls may reach (``PEJLING_OUTBOUND_ALLOWED_HOSTS``); empty:
    every host."""
    if _allowed is not None:
        return _allowed
    from pejling.core.settings import get_settings

    return get_settings().outbound_allowed_hosts


def check_host(host: str) -> None:
    """Refuse (:class:`UrlRefused`) a host that is not on the operator's list of outbound destinations."""
    if not host_allowed(host, allowed_hosts()):
        raise UrlRefused(f"This server may not call {host}: it is not one of the destinations its operator allows.")


def parse_url(url: str, *, allow_private: bool = False) -> httpx.URL:
    """``url`` parsed and checked for shape: absolute https (http only with ``allow_private``), a host, no user; and
    its host allowed by the operator (:func:`check_host`)."""
    if not isinstance(url, str) or not url.strip() or len(url) > MAX_URL_LENGTH:
        raise UrlRefused(f"Give an https URL of at most {MAX_URL_LENGTH} characters.")
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in url):
        raise UrlRefused("The URL may not contain spaces or control characters.")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        raise UrlRefused("This is not a valid URL.") from None
    allowed = ("https", "http") if allow_private else ("https",)
    if parsed.scheme not in allowed:
        raise UrlRefused("The URL must use https.")
    if not parsed.host:
        raise UrlRefused("The URL needs a host name.")
    if parsed.userinfo:
        raise UrlRefused("Put no user name or password in the URL.")
    if parsed.fragment:
        raise UrlRefused("The URL may not have a #fragment.")
    check_host(parsed.host)
    return parsed


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to now (an IP literal is itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, TimeoutError):
        raise UrlRefused(f"The host name {host!r} does not resolve.") from None
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in found:
            found.append(address)
    if not found:
        raise UrlRefused(f"The host name {host!r} does not resolve.")
    return found


async def public_address(url: httpx.URL) -> IPAddress:
    """The first address ``url``'s host resolves to when every one is public; else :class:`UrlRefused`."""
    port = url.port or (443 if url.scheme == "https" else 80)
    addresses = await resolve(url.host, port)
    if any(not is_public(a) for a in addresses):
        raise UrlRefused("The URL points at a private, loopback or otherwise internal address; "
                         "only public addresses are called.")
    return addresses[0]


async def check_url(url: str, *, allow_private: bool = False) -> Target:
    """The target of ``url`` when every address its host resolves to is public; else :class:`UrlRefused`."""
    parsed = parse_url(url, allow_private=allow_private)
    if allow_private:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        return Target(parsed, (await resolve(parsed.host, port))[0])
    return Target(parsed, await public_address(parsed))
