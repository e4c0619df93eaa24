"""Removing what authentication no longer needs: expired sessions and reset links, old failed logins (the
throttle's rows, and the audit entries of no tenant after 90 days, :mod:`pejling.core.audit.retention`)."""

from __future__ import annotations

from datetime import UTC, datetime

from pejling.core.audit.retention import purge_old_instance_entries
from pejling.core.auth.password_reset import purge_old_reset_tokens
from pejling.core.auth.sessions import purge_expired_sessions
from pejling.core.auth.throttle import SIGNUP_WINDOW, purge_old_failures
from pejling.core.jobs.registry import register_job, run_hourly
from pejling.core.settings import Settings, get_settings


async def purge_expired_account_data(settings: Settings, now: datetime | None = None) -> dict[str, int]:
    """Delete expired sessions, expired reset tokens, throttling rows past their window and failed logins of no
    tenant older than 90 days. Returns counts.

    Meant for an hourly job; safe to run from several workers at once.
    """
    now = now or datetime.now(UTC)
    # Keep throttling rows for the longer of the login and the sign-up windows.
    window_settings = settings
    if SIGNUP_WINDOW.total_seconds() > settings.login_failure_window_seconds:
        window_settings = settings.model_copy(
            update={"login_failure_window_seconds": int(SIGNUP_WINDOW.total_seconds())}
        )
    return {
        "sessions": await purge_expired_sessions(now),
        "reset_tokens": await purge_old_reset_tokens(now),
        "throttle_rows": await purge_old_failures(window_settings, now),
        "instance_audit_entries": await purge_old_instance_entries(now),
    }


@register_job("accounts.purge_expired", timeout_seconds=300)
async def purge_expired_account_data_job(payload: dict[str, object]) -> None:
    """The hourly job form of :func:`purge_expired_account_data`, with the process settings."""
    await purge_expired_account_data(get_settings())


run_hourly("accounts.purge_expired")
