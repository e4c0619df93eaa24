"""No input can add a header to a mail we send (ASVS V1.3.11): subjects are made one line, a line break in an
address is refused."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from auth_helpers import make_owner

from pejling.core.auth.password_reset import send_welcome
from pejling.core.mail import EMAIL_ADDRESS, build_mail
from pejling.core.settings import Settings
from pejling.tenants.signup import SignupRefused, normalise_email
from tests.support.smtp import SmtpSink

INJECTION = "\r\nBcc: evil@example.com\r\nX-Injected: yes"


def test_a_line_break_in_a_subject_cannot_add_a_header(settings: Settings) -> None:
    message = build_mail(settings, to="reader@example.com", subject=f"Hello{INJECTION}", text="Body")
    parsed = message_from_bytes(bytes(message), policy=policy.default)
    assert parsed["Bcc"] is None and parsed["X-Injected"] is None
    assert parsed["Subject"] == "Hello Bcc: evil@example.com X-Injected: yes"
    assert parsed.get_body().get_content().strip() == "Body"


@pytest.mark.parametrize("to", [f"reader@example.com{INJECTION}", "reader@example.com\nBcc: evil@example.com"])
def test_a_line_break_in_an_address_is_refused(settings: Settings, to: str) -> None:
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        build_mail(settings, to=to, subject="Hello", text="Body")
    with pytest.raises(SignupRefused):
        normalise_email(to)


@pytest.mark.parametrize("address", ["reader@example.com\n", "reader@example.com\r\n", "reader@exa mple.com",
                                     "reader@example.com\nBcc:x@example.com"])
def test_an_address_with_white_space_anywhere_is_not_an_address(address: str) -> None:
    assert EMAIL_ADDRESS.match(address) is None
    assert EMAIL_ADDRESS.match("reader@example.com") is not None


async def test_a_tenant_name_with_a_line_break_does_not_reach_another_recipient(
    smtp_settings: Settings, smtp_server: SmtpSink
) -> None:
    tenant, owner = await make_owner()
    tenant.name = f"Nordlys{INJECTION}"  # names are stripped at sign-up, not made one line
    await send_welcome(smtp_settings, owner, tenant, background=False)
    [received] = await smtp_server.wait_for(owner.email)
    assert received["Subject"] == "Welcome to Nordlys Bcc: evil@example.com X-Injected: yes on Pejling"
    assert received["Bcc"] is None and received["X-Injected"] is None
    assert smtp_server.to("evil@example.com") == []
