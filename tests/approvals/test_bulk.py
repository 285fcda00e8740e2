"""A bulk run cannot go round four-eyes approval: an action that needs it is refused for many VPSes at once."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from hostup_dash.audit.models import AuditRecord
from hostup_dash.bulk.models import BulkRun
from hostup_dash.bulk.services import NEEDS_APPROVAL_DETAIL
from tests.factories import action_trail

from .conftest import HTMX

SOME_VPS = "vps_" + "0" * 26


@pytest.mark.django_db
def test_a_bulk_run_of_an_action_that_needs_approval_is_refused(settings, operator_client):
    settings.APPROVAL_REQUIRED_FOR = ["refresh_next_hop"]

    response = operator_client.post(reverse("bulk:refresh-next-hop"), {"vps": [SOME_VPS], "reason": "drift"}, **HTMX)

    assert response.status_code == 403
    assert escape(NEEDS_APPROVAL_DETAIL) in response.content.decode()
    assert BulkRun.objects.count() == 0
    assert action_trail() == [("refresh_next_hop", AuditRecord.Outcome.REFUSED)]


@pytest.mark.django_db
def test_a_bulk_run_of_another_action_goes_ahead(settings, operator_client):
    settings.APPROVAL_REQUIRED_FOR = ["release"]

    operator_client.post(reverse("bulk:refresh-next-hop"), {"vps": [SOME_VPS], "reason": "drift"}, **HTMX)

    assert BulkRun.objects.count() == 1
