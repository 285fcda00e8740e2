"""What people type into the account-route forms: reasons when change control asks for them, labels
shown escaped wherever they appear, and an unknown outcome explained beside the state read again."""

import pytest
from django.urls import reverse

from hostup_dash.audit.models import AuditRecord
from tests.factories import action_trail, last_record, synced
from tests.pools.helpers import account_writes
from tests.pools.test_views import HTMX, _request_for

Outcome = AuditRecord.Outcome
HOSTILE = '<img src=x onerror="alert(1)">'


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["pools:route-create", "pools:pool-allocate"])
def test_require_change_reason_makes_every_write_ask_for_one(hostup, settings, admin_client_role, name):
    settings.REQUIRE_CHANGE_REASON = True
    url, data = _request_for(name, hostup)  # allocate: the pool released and its cooldown over
    hostup.reset_calls()

    shown = admin_client_role.get(reverse("pools:pool-list")).content.decode()
    refused = admin_client_role.post(url, data, **HTMX)
    given = admin_client_role.post(url, data | {"reason": "capacity for the new tier"}, **HTMX)

    assert 'name="reason"' in shown and "required" in shown.split('name="reason"', 1)[1].split(">", 1)[0]
    assert refused.status_code == 400 and "Give a reason for this change." in refused.content.decode()
    assert given.status_code == 200
    assert [outcome for _, outcome in action_trail()] == [Outcome.REFUSED, Outcome.PENDING, Outcome.SUCCEEDED]
    assert last_record().reason == "capacity for the new tier"
    assert len(account_writes(hostup)) == 1


@pytest.mark.django_db
def test_a_hostile_label_is_escaped_on_the_pools_page_the_vps_panel_and_the_list(hostup, operator_client):
    synced(hostup)
    url, data = _request_for("pools:route-create", hostup)
    operator_client.post(url, data | {"label": HOSTILE}, **HTMX)
    vps_id = data["vpsId"]

    pages = [
        operator_client.get(reverse("pools:pool-list")).content.decode(),
        operator_client.get(reverse("pools:vps-routes", args=[vps_id]), **HTMX).content.decode(),
        operator_client.get(reverse("inventory:vps-list"), {"q": "2001:db8:1000::/64"}).content.decode(),
    ]

    assert last_record().outcome == Outcome.SUCCEEDED
    for page in pages:
        assert HOSTILE not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in pages[0] and "&lt;img" in pages[1]


@pytest.mark.django_db(transaction=True)
def test_an_unknown_outcome_is_explained_and_the_state_read_again(hostup, operator_client):
    url, data = _request_for("pools:route-create", hostup)
    # The write only, not the state read before it: a gateway's 502 says nothing of what HostUp did.
    hostup.before_next("POST", "/api/v2/routed-ipv6", lambda: hostup.fail_next("bad_gateway", path_prefix="/api/v2"))
    response = operator_client.post(url, data | {"label": "maybe"}, **HTMX)

    page = response.content.decode()
    assert response.status_code == 502
    assert "The outcome is unknown: HostUp may or may not have made the change." in page
    assert "The pools below were read from HostUp again after it: see whether the change is there" in page
    assert 'id="pools-panel"' in page and "2001:db8:1000:10::/64" in page  # the pools as HostUp shows them now
    assert action_trail() == [("route_create", Outcome.PENDING), ("route_create", Outcome.UNKNOWN)]
