"""/approvals/ for each role: who sees the requests, who decides them, and how the pages answer."""

import pytest
from django.test import Client
from django.urls import reverse

from hostup_dash.approvals.models import ChangeRequest
from hostup_dash.audit.models import AuditRecord
from tests.factories import action_trail, release_form

from .conftest import HTMX, decision_url, release_url

ROLES = ["viewer", "operator", "auditor", "admin", "approver", None]
PAGES = {"approvals:request-list": {"operator", "auditor", "admin", "approver"}}
DETAIL = {"approvals:request-detail": PAGES["approvals:request-list"]}
# The POSTs of /approvals/ and the roles that may make them (on another person's request).
APPROVAL_ACTIONS = {
    "approvals:request-approve": {"admin", "approver"},
    "approvals:request-reject": {"admin", "approver"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_list_role_matrix(role_client, role):
    response = role_client(role).get(reverse("approvals:request-list"))

    assert response.status_code == (200 if role in PAGES["approvals:request-list"] else 403)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_detail_role_matrix(role_client, role, requested):
    response = role_client(role).get(reverse("approvals:request-detail", args=[requested.id]))

    assert response.status_code == (200 if role in DETAIL["approvals:request-detail"] else 403)
    if response.status_code == 200:
        assert requested.reason in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", APPROVAL_ACTIONS)
def test_decision_role_matrix(hostup, role_client, role, name, requested):
    response = role_client(role).post(reverse(name, args=[requested.id]), **HTMX)

    allowed = role in APPROVAL_ACTIONS[name]
    assert response.status_code == (200 if allowed else 403)
    requested.refresh_from_db()
    assert (requested.status != ChangeRequest.Status.PENDING) is allowed
    action = AuditRecord.Action.CHANGE_APPROVE if name.endswith("approve") else AuditRecord.Action.CHANGE_REJECT
    outcome = AuditRecord.Outcome.SUCCEEDED if allowed else AuditRecord.Outcome.REFUSED
    assert (action, outcome) in action_trail()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["approve", "reject"])
def test_decisions_refuse_get(bob_client, requested, name):
    assert bob_client.get(decision_url(name, requested)).status_code == 405


@pytest.mark.django_db
def test_a_decision_needs_a_csrf_token(hostup, bob, requested):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)

    response = client.post(decision_url("approve", requested), **HTMX)

    assert response.status_code == 403
    requested.refresh_from_db()
    assert requested.status == ChangeRequest.Status.PENDING


@pytest.mark.django_db
def test_a_plain_form_post_is_redirected_to_the_request(hostup, bob_client, requested):
    response = bob_client.post(decision_url("reject", requested), follow=True)

    assert response.redirect_chain[-1][0] == reverse("approvals:request-detail", args=[requested.id])
    assert "Rejected" in response.content.decode()


@pytest.mark.django_db
def test_unknown_request_is_404(bob_client):
    assert bob_client.get(reverse("approvals:request-detail", args=[999999])).status_code == 404
    assert bob_client.post(reverse("approvals:request-approve", args=[999999]), **HTMX).status_code == 404


@pytest.mark.django_db
def test_the_list_offers_decisions_to_others_only(requested, alice_client, bob_client):
    others = bob_client.get(reverse("approvals:request-list")).content.decode()
    own = alice_client.get(reverse("approvals:request-list")).content.decode()

    approve = decision_url("approve", requested)
    assert approve in others and approve not in own
    assert "Waiting for another person" in own
    assert requested.reason in others


@pytest.mark.django_db
def test_the_top_bar_counts_pending_requests_for_approvers(requested, bob_client, make_user, role_client):
    approver_page = bob_client.get(reverse("approvals:request-list")).content.decode()
    operator_page = role_client("operator").get(reverse("approvals:request-list")).content.decode()

    assert 'id="approvals-pending"' in approver_page and ">1</span>" in approver_page
    assert "Approvals" in operator_page and 'id="approvals-pending"' not in operator_page


@pytest.mark.django_db
def test_the_count_costs_one_query(requested, bob_client, django_assert_num_queries):
    from django.test import RequestFactory

    from hostup_dash.approvals.templatetags.approvals import approvals_link

    request = RequestFactory().get("/")
    request.user = requested.requested_by
    request.resolver_match = None
    request.user.has_perm("x")  # the permissions are read once per request, before the top bar

    with django_assert_num_queries(1):
        approvals_link({"request": request})


@pytest.mark.django_db
def test_a_decision_updates_the_top_bar_count(hostup, requested, bob_client):
    response = bob_client.post(decision_url("reject", requested), **HTMX)

    page = response.content.decode()
    assert 'id="approvals-link"' in page and 'hx-swap-oob="true"' in page
    assert 'id="approvals-pending"' not in page  # none waits any more


@pytest.mark.django_db
def test_the_list_costs_the_same_for_many_requests(hostup, requested, bob_client, django_assert_max_num_queries):
    for number in range(30):
        ChangeRequest.objects.create(
            action="release",
            vps_id=f"vps_{number:026d}",
            requested_by_name=f"someone{number}",
            seen_hash=requested.seen_hash,
            expires_at=requested.expires_at,
            status=ChangeRequest.Status.PENDING if number % 2 else ChangeRequest.Status.REJECTED,
            decided_by_name="" if number % 2 else "bob",
        )

    with django_assert_max_num_queries(8):  # session, user, rights, three lists, the top bar's count
        response = bob_client.get(reverse("approvals:request-list"))

    assert response.status_code == 200


@pytest.mark.django_db
def test_a_hostile_reason_and_ticket_are_escaped_on_both_pages(hostup, alice_client, bob_client, allocated_vps):
    hostile = {"reason": "<script>alert(1)</script> cancelled", "ticket": '"><img src=x onerror=alert(2)>'}
    response = alice_client.post(release_url(allocated_vps), release_form(hostup, allocated_vps, **hostile), **HTMX)
    assert response.status_code == 200
    change = ChangeRequest.objects.get()

    for url in (reverse("approvals:request-list"), reverse("approvals:request-detail", args=[change.id])):
        page = bob_client.get(url).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt; cancelled" in page, url
        assert "<script>alert(1)" not in page and "<img src=x" not in page, url
