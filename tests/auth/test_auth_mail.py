from __future__ import annotations

import asyncio
import logging
import os
import sys
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from pejling.core.app import create_app
from pejling.core.mail import (
    MailConfigError,
    build_mail,
    check_mail_settings,
    mail_problem,
    parse_smtp_url,
    send_mail,
)
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


def _production(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update={"environment": "production", "smtp_url": "", **changes})


async def test_in_production_without_smtp_a_mail_is_refused_loudly_not_filed(
    settings: Settings, tmp_path: Path
) -> None:
    production = _production(settings, var_dir=tmp_path)
    message = build_mail(production, to="lost-link@example.com", subject="Reset your password", text="link")
    with pytest.raises(MailConfigError, match="PEJLING_SMTP_URL"):
        await send_mail(production, message)
    assert not production.mail_dir.exists()
    with pytest.raises(MailConfigError, match="PEJLING_MAIL_TO_FILES"):
        create_app(production, manage_database=False)
    assert mail_problem(production) is not None


async def test_in_production_files_are_kept_only_when_asked_for(settings: Settings, tmp_path: Path) -> None:
    production = _production(settings, var_dir=tmp_path, mail_to_files=True)
    assert mail_problem(production) is None
    check_mail_settings(production)  # what create_app, pejling serve and pejling worker check first: no error
    path = await send_mail(production, build_mail(production, to="ops@example.com", subject="Filed", text="x"))
    assert path is not None and path.parent == production.mail_dir
    assert path.stat().st_mode & 0o077 == 0 and production.mail_dir.stat().st_mode & 0o077 == 0
    assert mail_problem(_production(settings, smtp_url="smtp://mail.example.com:587?starttls=1")) is None
    assert "smtp://" in (mail_problem(_production(settings, smtp_url="http://mail.example.com")) or "")


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["worker"]])
async def test_serve_and_worker_refuse_to_start_in_production_without_smtp(
    settings: Settings, tmp_path: Path, command: list[str]
) -> None:
    env = {**os.environ, "PEJLING_ENVIRONMENT": "production", "PEJLING_VAR_DIR": str(tmp_path),
           "PEJLING_SECRET_KEY": "production-secret-" + "p" * 32,
           "PEJLING_DATABASE_URL": settings.resolved_database_url}
    env.pop("PEJLING_SMTP_URL", None)
    env.pop("PEJLING_MAIL_TO_FILES", None)
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("pejling")), *command, env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2, (out, err)
    message = err.decode()
    assert message.startswith("error: PEJLING_SMTP_URL is not set") and "PEJLING_MAIL_TO_FILES=true" in message
    assert not (tmp_path / "mail").exists()
