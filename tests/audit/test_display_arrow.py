"""/audit/ and /audit/<id>/: a result's arrow and "via" only when there is a next hop to point at."""

import re

import pytest
from django.urls import reverse

from hostup_dash.audit.models import AuditRecord
from hostup_dash.audit.services import audit_append
from tests.factories import last_record
from tests.pools.helpers import account_state, eligible_vps

HTMX = {"HTTP_HX_REQUEST": "true"}


def _text(html: str) -> str:
    """The page's words, tags dropped and spaces squeezed, as a reader sees them."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _account_route_created(client) -> AuditRecord:
    """An account route made through the pools page, as the acceptance tester did: HostUp's reply has no next hop."""
    state = account_state()
    data = {"poolId": state.pools[0].id, "vpsId": eligible_vps(state), "prefixLength": "64", "label": "web"}
    assert client.post(reverse("pools:route-create"), data, **HTMX).status_code == 200
    record = last_record()
    assert (record.result_prefix, record.result_next_hop) == ("2001:db8:1000::/64", "")
    return record


@pytest.mark.django_db
def test_account_route_row_has_no_dangling_arrow(hostup, admin_client_role):
    record = _account_route_created(admin_client_role)

    page = admin_client_role.get(reverse("audit:audit-list")).content.decode()

    row = next(row for row in page.split("<tr") if f'href="/audit/{record.id}/"' in row)
    assert "2001:db8:1000::/64" in row
    assert "→" not in row


@pytest.mark.django_db
def test_account_route_detail_has_no_dangling_via(hostup, admin_client_role):
    record = _account_route_created(admin_client_role)

    text = _text(admin_client_role.get(reverse("audit:audit-detail", args=[record.id])).content.decode())

    assert "Result 2001:db8:1000::/64 Problem" in text
    assert " via " not in text


@pytest.mark.django_db
def test_a_result_with_a_next_hop_keeps_its_arrow_and_via(auditor_client):
    record = audit_append(
        actor_name="operator",
        actor_role="operator",
        action="allocate",
        vps_id="vps_" + "a" * 26,
        vps_name="web-001",
        outcome=AuditRecord.Outcome.SUCCEEDED,
        result_prefix="2001:db8:1000:5::/64",
        result_next_hop="2001:db8:ffff::5",
    )

    listed = _text(auditor_client.get(reverse("audit:audit-list")).content.decode())
    detail = _text(auditor_client.get(reverse("audit:audit-detail", args=[record.id])).content.decode())

    assert "2001:db8:1000:5::/64 → 2001:db8:ffff::5" in listed
    assert "2001:db8:1000:5::/64 via 2001:db8:ffff::5" in detail
