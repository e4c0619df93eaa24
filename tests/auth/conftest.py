from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgi_lifespan import LifespanManager

from pejling.core.settings import Settings
from tests.support.smtp import SmtpSink, smtp_server  # noqa: F401, F811 - the fixture is used by name


@pytest.fixture(scope="session")
async def smtp_settings(database: Settings, smtp_server: SmtpSink) -> Settings:  # noqa: F811
    """The run settings, delivering mail to the local aiosmtpd server."""
    return database.model_copy(update={"smtp_url": smtp_server.url})


@pytest.fixture(scope="session")
async def smtp_app(smtp_settings: Settings) -> AsyncIterator[Any]:
    """The application configured to send mail to the local aiosmtpd server."""
    from pejling.core.app import create_app

    application = create_app(smtp_settings, manage_database=False)
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60) as manager:
        yield manager.app

