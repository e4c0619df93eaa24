"""The signature scheme integrators verify: HMAC-SHA256 over ``t.body``, constant-time, with a tolerance."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from pejling.plugins.webhooks.signatures import SignatureMismatch, new_secret, signature_header, verify

BODY = b'{"id":"e","type":"response.created"}'


def test_the_header_is_the_documented_hmac_and_verifies() -> None:
    secret = new_secret()
    header = signature_header(secret, 1_700_000_000, BODY)
    expected = hmac.new(secret.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert verify(secret, header, BODY, now=1_700_000_100) == 1_700_000_000


@pytest.mark.parametrize("case", ["tampered body", "other secret", "stale", "from the future", "no v1", "empty"])
def test_forged_stale_or_malformed_signatures_are_refused(case: str) -> None:
    secret = new_secret()
    header = signature_header(secret, 1_700_000_000, BODY)
    body, key, now = BODY, secret, 1_700_000_010.0
    if case == "tampered body":
        body = BODY.replace(b"response", b"followup")
    elif case == "other secret":
        key = new_secret()
    elif case == "stale":
        now = 1_700_000_301.0
    elif case == "from the future":
        now = 1_699_999_600.0
    elif case == "no v1":
        header = header.split(",")[0]
    else:
        header = ""
    with pytest.raises(SignatureMismatch):
        verify(key, header, body, now=now)


def test_secrets_are_fresh_and_long() -> None:
    secrets = {new_secret() for _ in range(20)}
    assert len(secrets) == 20 and all(s.startswith("whsec_") and len(s) >= 48 for s in secrets)
