"""Retailer single sign-on: a tenant's staff log in with the tenant's own OpenID Connect identity provider.

* :mod:`.models` — the tenant's configuration and the pending logins (state, nonce, PKCE verifier);
* :mod:`.provider` — discovery, the code exchange (authlib) and ID-token validation (joserfc);
* :mod:`.configuration` — what an owner may configure, checked;
* :mod:`.login` — the two steps of a login (start, callback) and the SSO-only rule for password logins;
* :mod:`.routes` — ``/sso/<tenant slug>/start`` and ``/callback``, served by the built-in plugin ``sso``.

See docs/sso.md.
"""
