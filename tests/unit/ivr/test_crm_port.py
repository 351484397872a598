"""CallerInfo as the flows see it: customer fields named as ivr.flow declares them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from ivr.crm_port import ActiveOutage, CallerInfo, OutageKind
from ivr.flow import CUSTOMER_FIELDS


def _known() -> CallerInfo:
    return CallerInfo(
        ani="+15550100",
        customer_id=uuid.UUID(int=7),
        name="Ada Lovelace",
        category="vip",
        vip=True,
        account="A-1",
        balance=Decimal("-12.50"),
        language="en",
        city="Springfield",
        building="12",
        network_node="N-7",
        outage=ActiveOutage(
            outage_id=uuid.UUID(int=1),
            kind=OutageKind.EMERGENCY,
            text="No power",
            starts_at=datetime(2026, 1, 1, tzinfo=UTC),
            expected_end=None,
        ),
    )


def test_customer_fields_are_flow_fields_when_caller_is_known() -> None:
    fields = _known().customer_fields()
    assert set(fields) <= CUSTOMER_FIELDS
    assert fields["id"] == str(uuid.UUID(int=7))
    assert fields["first_name"] == "Ada"
    assert fields["last_name"] == "Lovelace"
    assert fields["vip"] is True
    assert fields["balance"] == Decimal("-12.50")
    assert fields["address"] == "Springfield, 12"
    assert fields["network_node"] == "N-7"


def test_customer_fields_are_empty_when_caller_is_a_stranger() -> None:
    stranger = CallerInfo(ani="+15550199")
    assert stranger.customer_fields() == {}
    assert not stranger.known
    assert stranger.address is None
