"""Security headers on every HTTP response (pure ASGI, so streamed and static responses get them too).

* ``Strict-Transport-Security`` when the browser talks HTTPS to us: the request scheme is https, or a trusted
  proxy says ``X-Forwarded-Proto: https`` (:func:`pejling.core.auth.forwarded.is_https`).
* ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``, ``X-Frame-Options: DENY``.
* ``Content-Security-Policy``: a page's own policy is kept as it is (the survey pages send one with a per-page
  nonce, GraphiQL a strict one); when it has no ``frame-ancestors``, a second policy ``frame-ancestors 'none'``
  is added (browsers enforce both). A response without a policy gets ``frame-ancestors 'none'``; HTML also gets
  ``object-src 'none'`` and ``base-uri 'none'`` (no plug-ins, no ``<base>`` that moves relative links), anything
  else ``default-src 'none'``. An HTML page whose own policy lacks ``object-src`` or ``base-uri`` gets the
  missing ones in one more policy beside it.

A header the response already sets is never overwritten.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pejling.core.auth.forwarded import is_https
from pejling.core.settings import Settings

FRAME_ANCESTORS = "frame-ancestors 'none'"
HTML_POLICY = f"object-src 'none'; base-uri 'none'; {FRAME_ANCESTORS}"
DEFAULTS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def hsts_value(settings: Settings) -> str | None:
    """The ``Strict-Transport-Security`` value, or None when HSTS is turned off."""
    if settings.hsts_max_age_seconds <= 0:
        return None
    value = f"max-age={settings.hsts_max_age_seconds}"
    return value + "; includeSubDomains" if settings.hsts_include_subdomains else value


def default_policy(content_type: str) -> str:
    """The policy of a response that brings none: no framing; for HTML no plug-ins and no ``<base>``; for
    anything else, no content at all."""
    if _is_html(content_type):
        return HTML_POLICY
    return f"default-src 'none'; {FRAME_ANCESTORS}"


def _is_html(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() == "text/html"


def _has_directive(policy: str, directive: str) -> bool:
    return any(part.split()[:1] == [directive] for part in policy.lower().split(";"))


def _directive_names(policy: str) -> set[str]:
    """The directives ``policy`` names (lower case): what :func:`_has_directive` asks of each, in one pass."""
    return {words[0] for words in (part.split() for part in policy.lower().split(";")) if words}


def missing_html_directives(policies: list[str]) -> list[str]:
    """The ``object-src 'none'`` / ``base-uri 'none'`` directives none of an HTML page's ``policies`` has.

    ``default-src`` does not stand in for ``base-uri`` (it is not a fetch directive), but does for
    ``object-src``; only a page's explicit choice counts here, so ``object-src`` is added unless named.
    """
    return [f"{directive} 'none'" for directive in ("object-src", "base-uri")
            if not any(_has_directive(policy, directive) for policy in policies)]


def forbids_framing(policy: str) -> bool:
    """True when ``policy`` has a ``frame-ancestors`` directive (of any value: the page chose it)."""
    return _has_directive(policy, "frame-ancestors")


def add_policy(headers: MutableHeaders) -> None:
    """Keep the response's own policies untouched; add ``frame-ancestors 'none'`` as one more when none has it.

    Browsers enforce every ``Content-Security-Policy`` header, so the extra one only adds the framing rule.
    """
    policies = headers.getlist("content-security-policy")
    if not policies:
        headers["Content-Security-Policy"] = default_policy(headers.get("content-type", ""))
        return
    extra = missing_html_directives(policies) if _is_html(headers.get("content-type", "")) else []
    if not any(forbids_framing(policy) for policy in policies):
        extra.append(FRAME_ANCESTORS)
    if extra:
        headers.append("Content-Security-Policy", "; ".join(extra))


_RAW_DEFAULTS = tuple((name.lower().encode(), value.encode()) for name, value in DEFAULTS.items())
_CSP = b"content-security-policy"
_HTML_POLICY = default_policy("text/html").encode()
_OTHER_POLICY = default_policy("").encode()


def added_headers(raw: list[tuple[bytes, bytes]], hsts: bytes | None) -> list[tuple[bytes, bytes]]:
    """The headers to append to a response's ``raw`` ones: the same rules as :func:`add_policy` and the
    defaults above, in one pass over the raw headers and with no parsing of settings or header objects."""
    names: set[bytes] = set()
    policies: list[bytes] = []
    content_type = b""
    for name, value in raw:
        lowered = name.lower()
        names.add(lowered)
        if lowered == _CSP:
            policies.append(value)
        elif lowered == b"content-type" and not content_type:
            content_type = value
    extra = [(name, value) for name, value in _RAW_DEFAULTS if name not in names]
    html = content_type.split(b";")[0].strip().lower() == b"text/html"
    if not policies:
        extra.append((_CSP, _HTML_POLICY if html else _OTHER_POLICY))
    else:
        named = set().union(*(_directive_names(policy.decode("latin-1")) for policy in policies))
        directives = [f"{name} 'none'" for name in ("object-src", "base-uri") if name not in named] if html else []
        if "frame-ancestors" not in named:
            directives.append(FRAME_ANCESTORS)
        if directives:
            extra.append((_CSP, "; ".join(directives).encode()))
    if hsts is not None and b"strict-transport-security" not in names:
        extra.append((b"strict-transport-security", hsts))
    return extra


class SecurityHeadersMiddleware:
    """Adds the headers above to every HTTP response of the wrapped app.

    Everything that comes from the settings (the HSTS value, the trusted proxies) is worked out once here;
    per response, the raw headers are read once and the missing ones appended.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.hsts = hsts_value(settings)
        self._hsts = self.hsts.encode() if self.hsts else None
        self.trusted_proxies = tuple(settings.trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        hsts = None
        if self._hsts is not None:
            https = scope.get("scheme") == "https" or (bool(self.trusted_proxies)
                                                      and is_https(scope, self.trusted_proxies))
            hsts = self._hsts if https else None

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", ()))
                raw.extend(added_headers(raw, hsts))
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, send_with_headers)
