"""Where a request really comes from: client address and scheme, believing ``X-Forwarded-*`` only from trusted proxies.

uvicorn already rewrites the ASGI scope from these headers when ``pejling serve`` runs with
``trusted_proxies`` set; this module applies the same rule for any other server (OWASP ASVS 4.1.3).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from starlette.datastructures import Headers
from starlette.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=32)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies if proxy.strip())


def is_trusted(address: str | None, trusted_proxies: Iterable[str]) -> bool:
    """True when ``address`` is one of the trusted proxies (single addresses or CIDR networks)."""
    if not address:
        return False
    proxies = trusted_proxies if isinstance(trusted_proxies, tuple) else tuple(trusted_proxies)
    return bool(proxies) and _is_trusted(address, proxies)


@lru_cache(maxsize=4096)
def _is_trusted(address: str, proxies: tuple[str, ...]) -> bool:
    # Cached: the same few peers (the proxies, the clients) ask on every request; parsing costs microseconds.
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(proxies))


def client_address(scope: Scope, trusted_proxies: Iterable[str]) -> str:
    """The client address: the peer, or the last untrusted hop of ``X-Forwarded-For`` behind a trusted proxy."""
    client = scope.get("client")
    peer = client[0] if client else ""
    proxies = tuple(trusted_proxies)
    if not is_trusted(peer, proxies):
        return peer
    forwarded = Headers(scope=scope).get("x-forwarded-for", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop, proxies):
            return hop
    return hops[0] if hops else peer


def is_https(scope: Scope, trusted_proxies: Iterable[str]) -> bool:
    """True when the browser talks HTTPS to us (directly, or to a trusted proxy in front of us)."""
    if scope.get("scheme") in {"https", "wss"}:
        return True
    client = scope.get("client")
    if client and is_trusted(client[0], tuple(trusted_proxies)):
        proto = Headers(scope=scope).get("x-forwarded-proto", "")
        return proto.split(",")[0].strip().lower() == "https"
    return False


def request_origin(scope: Scope, trusted_proxies: Iterable[str]) -> str | None:
    """``scheme://host[:port]`` as the browser sees this server, from the ``Host`` header."""
    host = Headers(scope=scope).get("host")
    if not host:
        return None
    scheme = "https" if is_https(scope, trusted_proxies) else "http"
    return normalise_origin(f"{scheme}://{host}")


def normalise_origin(origin: str) -> str | None:
    """Lower-cased ``scheme://host[:port]`` without default ports, or None for an opaque origin like ``null``."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")
