"""Break-glass: an admin acts at once, without approval, by ticking "emergency" and giving a reason."""

import pytest
from django.urls import reverse

from hostup_dash.approvals.emergency import REASON_REQUIRED
from hostup_dash.approvals.models import ChangeRequest
from hostup_dash.audit.models import AuditRecord
from tests.factories import action_trail, release_form

from .conftest import HTMX, decision_url, deletes, release_url

Action = AuditRecord.Action
Outcome = AuditRecord.Outcome


@pytest.mark.django_db
def test_an_emergency_release_runs_at_once_and_says_so_first(hostup, alice_client, allocated_vps):
    form = release_form(hostup, allocated_vps, emergency="1", reason="Prefix leaked in an incident", ticket="INC-9")

    response = alice_client.post(release_url(allocated_vps), form, **HTMX)

    assert response.status_code == 200
    assert "Released" in response.content.decode()
    assert len(deletes(hostup, allocated_vps)) == 1
    assert ChangeRequest.objects.count() == 0
    assert action_trail() == [
        (Action.BREAK_GLASS, Outcome.SUCCEEDED),
        (Action.RELEASE, Outcome.PENDING),
        (Action.RELEASE, Outcome.SUCCEEDED),
    ]
    glass = AuditRecord.objects.get(action=Action.BREAK_GLASS)
    assert (glass.actor_name, glass.vps_id, glass.reason, glass.ticket) == (
        "alice",
        allocated_vps,
        "Prefix leaked in an incident",
        "INC-9",
    )
    assert glass.request_body == {"action": "release"}


@pytest.mark.django_db
def test_an_emergency_without_a_reason_is_a_field_error_and_sends_nothing(hostup, alice_client, allocated_vps):
    form = release_form(hostup, allocated_vps, emergency="1", reason="")

    response = alice_client.post(release_url(allocated_vps), form, **HTMX)

    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="release-reason-error"' in page and REASON_REQUIRED in page
    assert deletes(hostup, allocated_vps) == []
    assert action_trail() == [(Action.BREAK_GLASS, Outcome.REFUSED)]


@pytest.mark.django_db
def test_an_emergency_with_a_wrong_confirmation_is_refused_before_it_is_declared(hostup, alice_client, allocated_vps):
    form = release_form(hostup, allocated_vps, emergency="1", confirm="not the prefix")

    response = alice_client.post(release_url(allocated_vps), form, **HTMX)

    assert response.status_code == 400
    assert deletes(hostup, allocated_vps) == []
    assert action_trail() == [(Action.RELEASE, Outcome.REFUSED)]


@pytest.mark.django_db
def test_an_operator_cannot_break_glass(hostup, allocate_waits, operator_client):
    vps_id = allocate_waits

    response = operator_client.post(
        reverse("inventory:ipv6-allocate", args=[vps_id]), {"emergency": "1", "reason": "Now!"}, **HTMX
    )

    assert response.status_code == 403
    assert hostup.calls_to("POST", f"/api/v2/vps/{vps_id}") == []
    assert action_trail() == [(Action.BREAK_GLASS, Outcome.REFUSED)]


@pytest.mark.django_db
def test_the_emergency_box_is_offered_to_admins_only_where_approval_is_needed(
    hostup, settings, alice_client, allocated_vps
):
    release_form(hostup, allocated_vps)  # the state on record, as the live panel leaves it
    url = reverse("inventory:vps-detail", args=[allocated_vps])

    with_approval = alice_client.get(url, **HTMX).content.decode()
    settings.APPROVAL_REQUIRED_FOR = []
    without = alice_client.get(url, **HTMX).content.decode()

    assert 'name="emergency"' in with_approval and "Ask for approval to release" in with_approval
    assert 'name="emergency"' not in without and "Ask for approval" not in without


@pytest.mark.django_db
def test_an_operators_allocation_can_wait_for_an_admin(hostup, allocate_waits, operator_client, alice_client):
    vps_id = allocate_waits
    allocate = reverse("inventory:ipv6-allocate", args=[vps_id])

    operator_client.post(allocate, {"reason": "New customer", "rack_id": "r1"}, **HTMX)
    change = ChangeRequest.objects.get()
    assert hostup.calls_to("POST", f"/api/v2/vps/{vps_id}") == []
    assert (change.action, change.rack_id, change.seen_prefix) == ("allocate", "r1", "")

    alice_client.post(decision_url("approve", change), **HTMX)

    change.refresh_from_db()
    assert change.status == ChangeRequest.Status.EXECUTED, change.status_detail
    posts = hostup.calls_to("POST", f"/api/v2/vps/{vps_id}/routed-ipv6")
    assert len(posts) == 1 and b'"rackId": "r1"' in posts[0].body
