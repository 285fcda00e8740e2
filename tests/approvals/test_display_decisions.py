"""/approvals/ after a decision: the request shows under "Decided" at once, by htmx and by a plain form POST."""

import pytest
from django.urls import reverse

from hostup_dash.approvals.models import ChangeRequest

from .conftest import HTMX, decision_url

LIST = reverse("approvals:request-list")
STATUS = '<div id="decision-status" hx-swap-oob="innerHTML">'


def _sections(html: str) -> dict[str, str]:
    """The page's three lists, each as its own piece of the HTML."""
    pending, rest = html.split('id="decided-heading"', 1)
    decided, expired = rest.split('id="expired-heading"', 1)
    return {"pending": pending.split('id="pending-heading"', 1)[1], "decided": decided, "expired": expired}


def _row(change: ChangeRequest) -> str:
    return f'id="change-{change.id}"'


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["approve", "reject"])
def test_htmx_decision_answers_with_the_request_under_decided(hostup, bob_client, requested, name):
    response = bob_client.post(decision_url(name, requested), {"back": "list"}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="change-lists"' in html  # what the row's form swaps: all three lists
    lists = _sections(html)
    assert _row(requested) in lists["decided"]
    assert _row(requested) not in lists["pending"]
    assert "No change request is waiting." in lists["pending"]
    assert "No change request has been decided yet." not in lists["decided"]
    # The top bar's link follows: nothing is waiting any more, so no count.
    assert 'id="approvals-link"' in html and 'hx-swap-oob="true"' in html
    assert 'id="approvals-pending"' not in html
    # The outcome: once, in the status region that stays, visible (seen and heard, not also in the lists).
    assert html.count(f"Request #{requested.id}:") == 1
    region = html.split(STATUS, 1)[1].split("</div>", 1)[0]
    assert f'<p class="flash success">Request #{requested.id}:' in region and "visually-hidden" not in region


@pytest.mark.django_db
def test_the_list_page_targets_the_lists_not_the_row(bob_client, requested):
    html = bob_client.get(LIST).content.decode()

    assert 'hx-target="#change-lists"' in html
    assert f'hx-target="#change-{requested.id}"' not in html
    # The region a decision's outcome is swapped into: outside the lists, so it stays, and not hidden.
    region = html.split('id="decision-status"', 1)
    assert len(region) == 2 and 'id="change-lists"' in region[1]
    assert "visually-hidden" not in region[0].rsplit("<div", 1)[1] + region[1].split(">", 1)[0]


@pytest.mark.django_db
def test_a_plain_post_from_the_list_comes_back_to_it_with_the_request_decided(hostup, bob_client, requested):
    response = bob_client.post(decision_url("approve", requested), {"back": "list"}, follow=True)

    assert response.redirect_chain[-1][0] == LIST
    html = response.content.decode()
    lists = _sections(html)
    assert _row(requested) in lists["decided"] and _row(requested) not in lists["pending"]
    assert 'id="approvals-pending"' not in html  # the top bar's count, on the full page load
    assert html.count(f"Request #{requested.id}: Approved and done.") == 1  # base.html's message, once


@pytest.mark.django_db
def test_a_refused_htmx_decision_shows_the_problem_on_the_requests_row(hostup, bob_client, requested):
    bob_client.post(decision_url("reject", requested), **HTMX)

    response = bob_client.post(decision_url("approve", requested), **HTMX)

    assert response.status_code == 409
    lists = _sections(response.content.decode())
    assert _row(requested) in lists["decided"]
    assert "This request is already decided" in lists["decided"]
    # In the status region the refusal is only heard; no outcome is shown as if it had worked.
    region = response.content.decode().split(STATUS, 1)[1].split("</div>", 1)[0]
    assert region.startswith('<span class="visually-hidden">')
    assert f"Request #{requested.id}:" not in response.content.decode()
    requested.refresh_from_db()
    assert requested.status == ChangeRequest.Status.REJECTED


@pytest.mark.django_db
def test_a_refused_plain_post_from_the_list_shows_the_list_with_the_problem(hostup, bob_client, requested):
    bob_client.post(decision_url("reject", requested), **HTMX)

    response = bob_client.post(decision_url("approve", requested), {"back": "list"})

    assert response.status_code == 409
    html = response.content.decode()
    assert "<h1>Approvals</h1>" in html
    assert "This request is already decided" in _sections(html)["decided"]


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_an_approval_that_failed_is_not_shown_as_a_success(hostup, bob_client, requested, allocated_vps, htmx):
    hostup.fail_next("internal", path_prefix=f"/api/v2/vps/{allocated_vps}/routed-ipv6", count=1)

    extra = HTMX if htmx else {"follow": True}
    html = bob_client.post(decision_url("approve", requested), {"back": "list"}, **extra).content.decode()

    requested.refresh_from_db()
    assert requested.status == ChangeRequest.Status.FAILED
    assert f'<p class="flash error">Request #{requested.id}: Approved, failed.' in html
    assert "flash success" not in html
