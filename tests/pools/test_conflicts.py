"""HostUp refusing a write the dashboard checked: the account changed between the read and the write
(someone in HostUp's panel). Its 409s are shown in words next to the field they concern, and recorded."""

import pytest
from django.urls import reverse

from hostup_dash.audit.models import AuditRecord
from hostup_dash.hostup import HostupError
from hostup_dash.pools.problems import CHANGED, hostup_advice, hostup_refusal_errors
from tests.factories import action_trail
from tests.pools.helpers import account_state, account_writes, eligible_vps, pool_emptied, pool_gone
from tests.pools.test_views import HTMX

Outcome = AuditRecord.Outcome
ACCOUNT = "/api/v2/routed-ipv6"


def _outside(write):
    """A change made at HostUp by someone else, through its API, just before the dashboard's write."""

    def change():
        from hostup_dash.core.clients import hostup_client

        client = hostup_client()
        try:
            write(client)
        finally:
            client.close()

    return change


@pytest.mark.django_db
def test_a_prefix_taken_meanwhile_is_explained_next_to_the_prefix(hostup, operator_client):
    state = account_state()
    pool_id, vps_id = state.pools[0].id, eligible_vps(state)
    prefix = "2001:db8:1000:4242::/64"
    hostup.before_next(
        "POST",
        ACCOUNT,
        _outside(lambda c: c.create_account_route(pool_id=pool_id, vps_id=vps_id, prefix_length=64, prefix=prefix)),
    )
    hostup.reset_calls()

    data = {"poolId": pool_id, "vpsId": vps_id, "prefixLength": "64", "prefix": prefix}
    response = operator_client.post(reverse("pools:route-create"), data, **HTMX)

    page = response.content.decode()
    assert response.status_code == 409
    error = page.split('id="route-prefix-error">', 1)[1].split("</p>", 1)[0]
    assert f"{prefix} overlaps a route of this pool." in error and "The account changed since" in error
    assert "Reload the page and choose a free prefix" in error
    assert len(account_writes(hostup)) == 2  # the outside one and the dashboard's, refused
    assert action_trail() == [("route_create", Outcome.PENDING), ("route_create", Outcome.FAILED)]


@pytest.mark.django_db
def test_a_pool_filled_meanwhile_is_explained_next_to_the_length(hostup, operator_client):
    pool_id = pool_emptied()
    vps_id = eligible_vps()
    hostup.before_next(
        "POST", ACCOUNT, _outside(lambda c: c.create_account_route(pool_id=pool_id, vps_id=vps_id, prefix_length=64))
    )

    data = {"poolId": pool_id, "vpsId": vps_id, "prefixLength": "48"}
    response = operator_client.post(reverse("pools:route-create"), data, **HTMX)

    page = response.content.decode()
    assert response.status_code == 409
    assert 'id="route-length-error"' in page and "has no free /48 left." in page
    assert "Choose a longer prefix, or delete a route first." in page
    assert action_trail()[-1] == ("route_create", Outcome.FAILED)


@pytest.mark.django_db
def test_a_pool_allocated_meanwhile_is_explained(hostup, admin_client_role):
    pool_gone(hostup)
    hostup.before_next("POST", ACCOUNT, _outside(lambda c: c.allocate_account_pool()))

    response = admin_client_role.post(reverse("pools:pool-allocate"), {}, **HTMX)

    page = response.content.decode()
    assert response.status_code == 409
    assert "The account already holds a routed /48 pool." in page
    assert f"{CHANGED} The account holds a pool already, and HostUp gives it only one." in page
    assert action_trail() == [("pool_allocate", Outcome.PENDING), ("pool_allocate", Outcome.FAILED)]


def test_hostups_own_field_errors_are_kept_and_other_problems_get_none():
    from hostup_dash.hostup import FieldError

    errors = (FieldError(pointer="/label", detail="Too long.", code="too_long"),)
    invalid = HostupError(code="invalid_request", title="Validation failed", status=400, errors=errors)
    ineligible = HostupError(
        code="routed_ipv6_destination_not_eligible", title="Destination not eligible", status=409, detail="Stopped."
    )
    down = HostupError(code="internal_error", title="Internal server error", status=500)

    assert hostup_refusal_errors(invalid) == errors
    (error,) = hostup_refusal_errors(ineligible)
    assert error.field == "vpsId" and error.detail.startswith("Stopped. The account changed")
    assert hostup_refusal_errors(down) == () and hostup_advice(down) == "" and hostup_advice(ineligible) == ""
