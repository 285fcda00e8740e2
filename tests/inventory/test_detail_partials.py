"""The VPS page's partials read only what they render: the routed-IPv6 panel no history, the history no VPS row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import pick_vps, synced

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _audit_reads(queries: CaptureQueriesContext) -> list[str]:
    """The ORM reads of the audit log (the history); the appends lock the chain and read its head in raw SQL."""
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "audit_auditrecord"' in q["sql"]
    ]


def test_htmx_panel_reads_no_history(hostup, operator_client):
    vps_id = pick_vps(synced(hostup), allocated=True)

    with CaptureQueriesContext(connection) as queries:
        response = operator_client.get(reverse("inventory:vps-detail", args=[vps_id]), **HTMX)

    assert response.status_code == 200 and _audit_reads(queries) == []


def test_htmx_action_reads_no_history(hostup, operator_client):
    vps_id = pick_vps(synced(hostup), allocated=False)

    with CaptureQueriesContext(connection) as queries:
        response = operator_client.post(reverse("inventory:ipv6-allocate", args=[vps_id]), **HTMX)

    assert response.status_code == 200 and _audit_reads(queries) == []


def test_history_fragment_reads_no_vps_row(hostup, operator_client, django_assert_num_queries):
    vps_id = pick_vps(synced(hostup), allocated=True)

    # Session, user, its permissions and role (one query), our history, HostUp's events of the VPS.
    with django_assert_num_queries(5) as queries:
        response = operator_client.get(reverse("inventory:vps-history", args=[vps_id]), **HTMX)

    assert response.status_code == 200 and "Action history" in response.content.decode()
    assert not any("inventory_vpssnapshot" in query["sql"] for query in queries.captured_queries)
