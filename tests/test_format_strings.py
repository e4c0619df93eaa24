"""Tenant and shopper text is never a format template (ASVS V1.3.10).

Our texts are the templates (``str.format`` or one-pass placeholders); a store name, tenant name, logged change or
comment word is only ever a value put into them, so ``{0.__class__}``, ``%s``, ``{}`` and our own placeholder names
(``{store}``, ``{date}``) in it come out as written — not formatted, not filled with another value, not an error.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from email.message import EmailMessage

import pytest

from pejling.core.followups.notifications import title_of
from pejling.core.settings import Settings
from pejling.core.surveys.invitation_mail import invitation_message
from pejling.core.surveys.thank_you import LoggedChange, change_text
from pejling.plugins.shopify.models import ShopifyOrder
from pejling.plugins.shopify.reward_mail import reward_message
from pejling.tenants.models import Store, Tenant

#: Format syntax of str.format, %-formatting and our own placeholders, as a tenant could type it.
HOSTILE = "{0.__class__} %s %(x)s %d {} {{ {store} {tenant} {date} {percent} {code} {month} {change}"
LANGUAGES = ["da", "nb", "sv", "en"]


def _plain(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def _html(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def _tenant_and_store() -> tuple[Tenant, Store]:
    tenant = Tenant(id=uuid.uuid4(), name=f"T {HOSTILE}", slug="format-probe")
    store = Store(id=uuid.uuid4(), tenant_id=tenant.id, name=f"S {HOSTILE}", slug="format-probe")
    return tenant, store


@pytest.mark.parametrize("language", LANGUAGES)
def test_names_in_the_reward_mail_come_out_literally(database: Settings, language: str) -> None:
    tenant, store = _tenant_and_store()
    order = ShopifyOrder(id=uuid.uuid4(), tenant_id=tenant.id, reward_code="PEJ-1234",
                         reward_expires_at=datetime(2026, 12, 24, tzinfo=UTC))
    message = reward_message(database, tenant=tenant, store=store, order=order, to="shopper@example.com",
                             language=language, percent=15)
    assert str(message["Subject"]).endswith(store.name)
    text = _plain(message)
    assert store.name in text and tenant.name in text
    assert text.count(HOSTILE) == 2  # the store's and the tenant's: nothing of either was filled in
    assert "ShopifyOrder" not in text and "class" not in str(message["Subject"]).replace(HOSTILE, "")
    assert "{{" in _html(message)  # the HTML part takes the same texts, escaped for HTML only


@pytest.mark.parametrize("language", LANGUAGES)
def test_names_in_the_invitation_mail_come_out_literally(database: Settings, language: str) -> None:
    tenant, store = _tenant_and_store()
    message = invitation_message(database, tenant=tenant, store=store, invitation_id=uuid.uuid4(),
                                 to="shopper@example.com", url="https://pejling.example/i/abc", language=language,
                                 expires_at=datetime(2026, 12, 24, tzinfo=UTC))
    assert store.name in str(message["Subject"])
    text = _plain(message)
    assert store.name in text and tenant.name in text and text.count(HOSTILE) >= 2


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_logged_change_and_comment_words_come_out_literally(language: str) -> None:
    change = LoggedChange(description=f"New signs {HOSTILE}", date=date(2026, 11, 2))
    assert HOSTILE in change_text(language, change, date(2026, 12, 1))
    title = title_of("comment_words", {"words": [HOSTILE, "queue"]}, language)
    assert f"{HOSTILE}, queue" in title
    # A detail named like a placeholder is a value too: the template is ours.
    assert HOSTILE in title_of("goal_strongly_negative", {"goal": HOSTILE, "score": 1.5}, language)
