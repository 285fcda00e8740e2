"""Four-eyes approval end to end: the VPS page's release form, /approvals/, the simulator, the audit chain."""

import pytest
from django.test import Client
from django.urls import reverse

from hostup_dash.approvals.models import ChangeRequest
from hostup_dash.approvals.services import SELF_DECISION_DETAIL
from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.clients import hostup_client
from hostup_dash.inventory.models import VpsSnapshot
from hostup_dash.inventory.services.snapshot import vps_state_store
from tests.factories import AUTH_ACTIONS, action_trail, release_form, run_together

from .conftest import HTMX, decision_url, deletes, release_url

Action = AuditRecord.Action
Outcome = AuditRecord.Outcome
Status = ChangeRequest.Status


def _outside_the_dashboard(simulator, change) -> None:
    """Change a VPS at HostUp as someone else would (the snapshot does not hear of it); forget the calls."""
    client = hostup_client()
    try:
        change(client)
    finally:
        client.close()
    simulator.reset_calls()


@pytest.mark.django_db
def test_a_release_waits_for_approval_and_sends_nothing(hostup, requested, allocated_vps):
    assert requested.status == Status.PENDING
    assert (requested.requested_by_name, requested.action, requested.vps_id) == ("alice", "release", allocated_vps)
    assert requested.seen_prefix and requested.seen_next_hop and len(requested.seen_hash) == 64
    assert deletes(hostup, allocated_vps) == []
    assert action_trail() == [(Action.CHANGE_REQUEST, Outcome.SUCCEEDED)]
    record = AuditRecord.objects.get(action=Action.CHANGE_REQUEST)
    assert (record.change_request_id, record.reason, record.actor_name) == (requested.id, requested.reason, "alice")
    assert record.request_body["seen"] == {"prefix": requested.seen_prefix, "next_hop": requested.seen_next_hop}


@pytest.mark.django_db
def test_the_page_says_the_release_waits_for_approval(hostup, alice_client, allocated_vps):
    response = alice_client.post(release_url(allocated_vps), release_form(hostup, allocated_vps), **HTMX)

    change = ChangeRequest.objects.get()
    assert f"Request #{change.id} is waiting for approval" in response.content.decode()


@pytest.mark.django_db
def test_approval_by_a_second_person_releases_exactly_once(hostup, requested, bob_client, allocated_vps):
    response = bob_client.post(decision_url("approve", requested), **HTMX)

    assert response.status_code == 200
    requested.refresh_from_db()
    assert requested.status == Status.EXECUTED, requested.status_detail
    assert (requested.decided_by_name, requested.decided_by_role) == ("bob", "approver")
    assert len(deletes(hostup, allocated_vps)) == 1
    assert action_trail() == [
        (Action.CHANGE_REQUEST, Outcome.SUCCEEDED),
        (Action.CHANGE_APPROVE, Outcome.SUCCEEDED),
        (Action.RELEASE, Outcome.PENDING),
        (Action.RELEASE, Outcome.SUCCEEDED),
        (Action.CHANGE_EXECUTE, Outcome.SUCCEEDED),
    ]
    records = list(AuditRecord.objects.exclude(action__in=AUTH_ACTIONS).order_by("id"))
    assert {record.change_request_id for record in records} == {requested.id}
    assert [record.actor_name for record in records] == ["alice", "bob", "bob", "bob", "bob"]
    assert {record.reason for record in records} == {requested.reason}
    assert requested.outcome_record_id == records[3].id
    assert "Approved and done" in response.content.decode()


@pytest.mark.django_db
def test_both_people_are_in_the_vps_history(hostup, requested, bob_client, alice_client, allocated_vps):
    bob_client.post(decision_url("approve", requested), **HTMX)

    page = alice_client.get(f"/vps/{allocated_vps}/history").content.decode()

    assert "Request change" in page and "Approve change" in page
    assert "alice" in page and "bob" in page


@pytest.mark.django_db
def test_the_requester_cannot_approve_in_the_service_or_the_page(hostup, requested, alice_client, allocated_vps):
    response = alice_client.post(decision_url("approve", requested), **HTMX)

    assert response.status_code == 403
    assert SELF_DECISION_DETAIL in response.content.decode()
    requested.refresh_from_db()
    assert requested.status == Status.PENDING and requested.decided_by is None
    refusal = AuditRecord.objects.exclude(action__in=AUTH_ACTIONS).order_by("id").last()
    assert (refusal.action, refusal.outcome, refusal.problem_code) == (
        Action.CHANGE_APPROVE,
        Outcome.REFUSED,
        "self_decision",
    )
    assert refusal.change_request_id == requested.id
    assert deletes(hostup, allocated_vps) == []


@pytest.mark.django_db
def test_the_requester_cannot_reject_either(requested, alice_client):
    response = alice_client.post(decision_url("reject", requested), **HTMX)

    assert response.status_code == 403
    requested.refresh_from_db()
    assert requested.status == Status.PENDING


@pytest.mark.django_db
def test_a_second_admin_may_approve(hostup, requested, make_user, allocated_vps):
    carol = Client()
    carol.force_login(make_user("admin", "carol"))

    carol.post(decision_url("approve", requested), **HTMX)

    requested.refresh_from_db()
    assert (requested.status, requested.decided_by_name) == (Status.EXECUTED, "carol")
    assert len(deletes(hostup, allocated_vps)) == 1


@pytest.mark.django_db
def test_rejection_sends_nothing(hostup, requested, bob_client, allocated_vps):
    response = bob_client.post(decision_url("reject", requested), **HTMX)

    assert response.status_code == 200
    requested.refresh_from_db()
    assert (requested.status, requested.decided_by_name) == (Status.REJECTED, "bob")
    assert deletes(hostup, allocated_vps) == []
    assert action_trail()[-1] == (Action.CHANGE_REJECT, Outcome.SUCCEEDED)


@pytest.mark.django_db
def test_a_decided_request_cannot_be_decided_again(hostup, requested, bob_client, allocated_vps):
    bob_client.post(decision_url("reject", requested), **HTMX)

    response = bob_client.post(decision_url("approve", requested), **HTMX)

    assert response.status_code == 409
    assert "already decided" in response.content.decode()
    assert deletes(hostup, allocated_vps) == []


@pytest.mark.django_db
def test_a_changed_vps_invalidates_the_request_and_nothing_is_sent(hostup, requested, bob_client, allocated_vps):
    # Someone moves the next hop at HostUp after alice asked: net0 renumbered, then a refresh outside the dashboard.
    hostup.renumber_net0(allocated_vps)
    _outside_the_dashboard(hostup, lambda client: client.refresh_next_hop(allocated_vps))

    response = bob_client.post(decision_url("approve", requested), **HTMX)

    requested.refresh_from_db()
    assert requested.status == Status.INVALIDATED
    assert "next hop is now" in requested.status_detail and requested.seen_next_hop in requested.status_detail
    assert requested.status_detail in response.content.decode()
    assert deletes(hostup, allocated_vps) == []
    assert len(hostup.calls_to("GET", f"/api/v2/vps/{allocated_vps}/routed-ipv6")) == 1  # the live read
    assert action_trail()[-2:] == [
        (Action.CHANGE_APPROVE, Outcome.SUCCEEDED),
        (Action.CHANGE_INVALIDATE, Outcome.SUCCEEDED),
    ]


@pytest.mark.django_db
def test_a_prefix_released_meanwhile_invalidates_the_request(hostup, requested, bob_client, allocated_vps):
    _outside_the_dashboard(hostup, lambda client: client.release_routed_ipv6(allocated_vps))

    bob_client.post(decision_url("approve", requested), **HTMX)

    requested.refresh_from_db()
    assert requested.status == Status.INVALIDATED
    assert f"the prefix is now none (the requester saw {requested.seen_prefix})" in requested.status_detail
    assert deletes(hostup, allocated_vps) == []


@pytest.mark.django_db
def test_a_hostup_failure_marks_the_request_failed(hostup, requested, bob_client, allocated_vps):
    hostup.fail_next("internal", path_prefix=f"/api/v2/vps/{allocated_vps}/routed-ipv6", count=1)

    bob_client.post(decision_url("approve", requested), **HTMX)

    requested.refresh_from_db()
    assert requested.status == Status.FAILED
    assert deletes(hostup, allocated_vps) == []  # the failed call was the live read: nothing sent
    assert "could not be read" in requested.status_detail


@pytest.mark.django_db
def test_a_second_request_for_the_same_change_is_refused(hostup, requested, alice_client, allocated_vps):
    response = alice_client.post(release_url(allocated_vps), release_form(hostup, allocated_vps), **HTMX)

    assert response.status_code == 409
    assert f"Request #{requested.id} for this change is already waiting" in response.content.decode()
    assert ChangeRequest.objects.count() == 1


@pytest.mark.django_db
def test_the_request_needs_the_release_forms_reason_and_confirmation(hostup, alice_client, allocated_vps):
    form = release_form(hostup, allocated_vps, confirm="nope", reason="")

    response = alice_client.post(release_url(allocated_vps), form, **HTMX)

    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="release-confirm-error"' in page and 'id="release-reason-error"' in page
    assert ChangeRequest.objects.count() == 0
    assert action_trail() == [(Action.RELEASE, Outcome.REFUSED)]


@pytest.mark.django_db
def test_approval_off_releases_at_once(hostup, settings, alice_client, allocated_vps):
    settings.APPROVAL_REQUIRED_FOR = []

    alice_client.post(release_url(allocated_vps), release_form(hostup, allocated_vps), **HTMX)

    assert ChangeRequest.objects.count() == 0
    assert len(deletes(hostup, allocated_vps)) == 1
    assert action_trail() == [(Action.RELEASE, Outcome.PENDING), (Action.RELEASE, Outcome.SUCCEEDED)]


@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_once_release_once(hostup, requested, make_user, allocated_vps):
    hostup.config.latency_ms = 200
    approvers = []
    for name in ("bob2", "carol"):
        client = Client()
        client.force_login(make_user("approver", name))
        approvers.append(client)

    statuses = run_together(
        lambda: approvers.pop().post(decision_url("approve", requested), **HTMX).status_code, threads=2
    )

    assert sorted(statuses) == [200, 409]
    assert len(deletes(hostup, allocated_vps)) == 1
    requested.refresh_from_db()
    assert requested.status == Status.EXECUTED
    trail = action_trail()
    assert trail.count((Action.CHANGE_APPROVE, Outcome.SUCCEEDED)) == 1
    assert trail.count((Action.CHANGE_APPROVE, Outcome.REFUSED)) == 1
    assert trail.count((Action.RELEASE, Outcome.SUCCEEDED)) == 1


@pytest.mark.django_db
def test_the_audit_page_of_the_executed_release_names_both_people(hostup, requested, bob_client, role_client):
    bob_client.post(decision_url("approve", requested), **HTMX)
    requested.refresh_from_db()

    page = role_client("auditor").get(f"/audit/{requested.outcome_record_id}/").content.decode()

    assert f"#{requested.id}</a>:" in page
    assert "requested by\n      alice" in page and "approved by\n      bob" in page


@pytest.mark.django_db
def test_the_vps_page_says_what_waits_for_approval(hostup, requested, bob_client, role_client, allocated_vps):
    url = reverse("inventory:vps-detail", args=[allocated_vps])

    panel = bob_client.get(url, **HTMX).content.decode()
    viewers = role_client("viewer").get(url, **HTMX).content.decode()

    link = reverse("approvals:request-detail", args=[requested.id])
    assert "Release asked for by alice" in panel and link in panel
    assert link not in viewers


@pytest.mark.django_db
def test_a_release_on_record_invalidates_the_request(hostup, requested, bob_client, allocated_vps):
    # Released outside the dashboard, and the state pass has stored what HostUp now shows.
    def released(client) -> None:
        client.release_routed_ipv6(allocated_vps)
        vps_state_store(vps_id=allocated_vps, state=client.get_routed_ipv6(allocated_vps))

    _outside_the_dashboard(hostup, released)

    bob_client.post(decision_url("approve", requested), **HTMX)

    requested.refresh_from_db()
    assert requested.status == Status.INVALIDATED
    assert requested.seen_prefix in requested.status_detail and "Nothing was sent" in requested.status_detail
    assert deletes(hostup, allocated_vps) == []


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_for_one_change_make_one(hostup, make_user, allocated_vps):
    form = release_form(hostup, allocated_vps)
    askers = []
    for name in ("alice2", "dave"):
        client = Client()
        client.force_login(make_user("admin", name))
        askers.append(client)

    statuses = run_together(lambda: askers.pop().post(release_url(allocated_vps), form, **HTMX).status_code, threads=2)

    assert sorted(statuses) == [200, 409]
    assert ChangeRequest.objects.count() == 1
    assert action_trail().count((Action.CHANGE_REQUEST, Outcome.REFUSED)) == 1
    assert deletes(hostup, allocated_vps) == []


@pytest.mark.django_db
def test_a_record_behind_hostup_neither_blocks_nor_invalidates_an_unchanged_request(
    hostup, requested, bob_client, allocated_vps
):
    # The record says another prefix, but HostUp still shows the one the requester saw: the change stands.
    VpsSnapshot.objects.filter(vps_id=allocated_vps).update(routed_prefix="2001:db8:ffff::/64")

    bob_client.post(decision_url("approve", requested), **HTMX)

    requested.refresh_from_db()
    assert requested.status == Status.EXECUTED, requested.status_detail
    assert len(deletes(hostup, allocated_vps)) == 1


@pytest.mark.django_db
def test_asking_with_the_prefix_hostup_shows_while_the_record_is_behind(hostup, alice_client, allocated_vps):
    form = release_form(hostup, allocated_vps)
    VpsSnapshot.objects.filter(vps_id=allocated_vps).update(routed_prefix="2001:db8:ffff::/64")

    response = alice_client.post(release_url(allocated_vps), form, **HTMX)

    assert response.status_code == 200, response.content.decode()
    assert ChangeRequest.objects.get().seen_prefix == form["confirm"]  # what HostUp shows, read again
    assert deletes(hostup, allocated_vps) == []
