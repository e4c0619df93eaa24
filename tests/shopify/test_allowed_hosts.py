"""Shopify's shops are fixed destinations, yet the operator's allow-list (PEJLING_OUTBOUND_ALLOWED_HOSTS) binds them:
a shop address whose host is not on it is never called (ASVS V13.2.4)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from pejling.core.outbound_http import DestinationRefused
from pejling.plugins.shopify.discounts import create_discount_code, discount_input
from tests.shopify.shopify_server import FakeShopify


async def test_a_shop_address_off_the_list_is_not_called(shopify: FakeShopify,
                                                         outbound_hosts: Callable[[str], None]) -> None:
    outbound_hosts("*.myshopify.com")  # what an operator lists; the tests' Shopify is at 127.0.0.1
    now = datetime.now(UTC)
    with pytest.raises(DestinationRefused, match="may not call 127.0.0.1"):
        await create_discount_code("nordlys.myshopify.com", "shpat_x", {"basicCodeDiscount": discount_input(
            "PEJLING-OFFLIST", 10, now, now + timedelta(days=30))})
    assert not any(d["code"] == "PEJLING-OFFLIST" for d in shopify.discounts)
