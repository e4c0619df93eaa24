from __future__ import annotations

import logging
from email import message_from_bytes, policy

import pytest

from pejling.core.mail import MailConfigError, build_mail, parse_smtp_url, send_mail
from pejling.core.settings import Settings
from tests.support.smtp import SmtpSink


def test_smtp_urls_are_understood() -> None:
    plain = parse_smtp_url("smtp://mail.example.com")
    assert (plain.hostname, plain.port, plain.use_tls, plain.start_tls, plain.username) == (
        "mail.example.com", 25, False, False, None,
    )
    tls = parse_smtp_url("smtps://user%40x.dk:p%3Ass@mail.example.com")
    assert (tls.port, tls.use_tls, tls.username, tls.password) == (465, True, "user@x.dk", "p:ss")
    upgrade = parse_smtp_url("smtp://u:p@mail.example.com:2525?starttls=1&timeout=5")
    assert (upgrade.port, upgrade.start_tls, upgrade.use_tls, upgrade.timeout) == (2525, True, False, 5.0)
    assert parse_smtp_url("smtp://mail.example.com?starttls=true").port == 587


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "smtps://h?starttls=1", "smtp://h:notaport"])
def test_bad_smtp_urls_are_refused(url: str) -> None:
    with pytest.raises(MailConfigError):
        parse_smtp_url(url)


async def test_mail_is_delivered_over_smtp(smtp_settings: Settings, smtp_server: SmtpSink) -> None:
    message = build_mail(
        smtp_settings, to="smtp-reader@example.com", subject="Hej fra Pejling", text="Tak for dit besøg.",
        html="<p>Tak for dit besøg.</p>",
    )
    assert await send_mail(smtp_settings, message) is None
    [received] = await smtp_server.wait_for("smtp-reader@example.com")
    assert received["Subject"] == "Hej fra Pejling"
    assert received["From"] == smtp_settings.mail_from
    assert received["Message-ID"]
    assert "Tak for dit besøg." in received.get_body(preferencelist=("plain",)).get_content()
    assert "<p>Tak for dit besøg.</p>" in received.get_body(preferencelist=("html",)).get_content()


async def test_without_smtp_the_mail_is_written_as_eml(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    assert settings.smtp_url == ""
    message = build_mail(settings, to="file-reader@example.com", subject="Written to disk", text="Body line")
    with caplog.at_level(logging.INFO, logger="pejling.core.mail"):
        path = await send_mail(settings, message)
    assert path is not None and path.parent == settings.mail_dir and path.suffix == ".eml"
    stored = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert stored["To"] == "file-reader@example.com"
    assert stored.get_body().get_content().strip() == "Body line"
    assert str(path) in caplog.text
