"""The VPS page's partials read only what they render: the routed-IPv6 panel no history, the history no VPS row."""

import pytest
from django.urls import reverse

from tests.factories import pick_vps, synced

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_htmx_panel_reads_no_history(hostup, operator_client):
    vps_id = pick_vps(synced(hostup), allocated=True)

    response = operator_client.get(reverse("inventory:vps-detail", args=[vps_id]), **HTMX)

    assert response.status_code == 200 and response.context["history"] is None


def test_htmx_action_reads_no_history(hostup, operator_client):
    vps_id = pick_vps(synced(hostup), allocated=False)

    response = operator_client.post(reverse("inventory:ipv6-allocate", args=[vps_id]), **HTMX)

    assert response.status_code == 200 and response.context["history"] is None


def test_history_fragment_reads_no_vps_row(hostup, operator_client, django_assert_num_queries):
    vps_id = pick_vps(synced(hostup), allocated=True)

    # Session, user, its permissions and role (one query), the history.
    with django_assert_num_queries(4):
        response = operator_client.get(reverse("inventory:vps-history", args=[vps_id]), **HTMX)

    assert response.status_code == 200 and "Action history" in response.content.decode()
