"""Retailer single sign-on: a tenant's staff log in with the tenant's own OpenID Connect identity provider.

* :mod:`.models` — the tenant's configuration and the pending logins (state, nonce, PKCE verifier);
* :mod:`.provider` — discovery, the code exchange (authlib) and ID-token validation (joserfc);
* :mod:`.configuration` — what an owner may configure, checked;
* :mod:`.login` — the two steps of a login (start, callback) and the SSO-only rule for password logins;
* :mod:`.routes` — ``/sso/<tenant slug>/start`` and ``/callback``, served by the built-in plugin ``sso``.

See docs/sso.md.
"""

#: The built-in plugin that serves the routes (``pejling.plugins.sso``).
PLUGIN_NAME = "sso"
ALWAYS_ON_REASON = "single sign-on is set up and removed per tenant with configureSso / disableSso"
"""Why switching the ``sso`` plugin off is refused: an SSO-only tenant's staff would be locked out."""
