"""A change request's page shows its expiry only while it waits; a decided one shows when it was decided."""

import pytest
from django.urls import reverse
from django.utils.timezone import localtime

from hostup_dash.approvals.models import ChangeRequest

from .conftest import HTMX, decision_url

pytestmark = pytest.mark.django_db


def _detail(client, change: ChangeRequest) -> str:
    response = client.get(reverse("approvals:request-detail", args=[change.id]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_pending_request_shows_when_it_expires(requested, bob_client):
    page = _detail(bob_client, requested)

    assert "<dt>Expires</dt>" in page
    assert localtime(requested.expires_at).isoformat() in page
    assert "Approved by" not in page and "Rejected by" not in page  # no one has decided yet


def test_a_rejected_request_shows_when_it_was_decided_not_an_expiry(hostup, requested, bob_client):
    assert bob_client.post(decision_url("reject", requested), **HTMX).status_code == 200
    requested.refresh_from_db()
    assert requested.status == ChangeRequest.Status.REJECTED

    page = _detail(bob_client, requested)

    assert "Expires" not in page
    assert localtime(requested.expires_at).isoformat() not in page
    assert localtime(requested.decided_at).isoformat() in page
    assert "<dt>Rejected by</dt>" in page
