"""A refused route write names its VPS, as HostUp's account state gave it, in /audit/ too."""

import pytest
from django.test import Client
from django.urls import reverse

from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.errors import Refusal
from hostup_dash.inventory.models import VpsSnapshot
from hostup_dash.pools import services
from tests.factories import synced
from tests.pools.helpers import REASON, account_state, account_writes, eligible_vps, ineligible_vps

pytestmark = pytest.mark.django_db


def test_a_refused_route_delete_records_the_routes_vps(hostup, make_user):
    synced(hostup)
    route = next(route for route in account_state().pools[0].routes if route.vps_id and route.vps_name)
    admin = make_user("admin")
    client = Client()
    client.force_login(admin)

    response = client.post(
        reverse("pools:route-delete", args=[route.id]), {"confirm": "not the prefix", "reason": REASON}
    )

    assert response.status_code == 400
    assert account_writes(hostup) == []
    refused = AuditRecord.objects.get(action=AuditRecord.Action.ROUTE_DELETE)
    assert refused.outcome == AuditRecord.Outcome.REFUSED
    assert (refused.vps_id, refused.vps_name) == (route.vps_id, route.vps_name)
    listed = client.get(reverse("audit:audit-list"), {"action": "route_delete"}).content.decode()
    assert route.vps_id in listed and route.vps_name in listed


def test_a_refused_delete_of_a_route_hostup_no_longer_lists_names_no_vps(hostup, make_user):
    client = Client()
    client.force_login(make_user("admin"))

    client.post(reverse("pools:route-delete", args=["ripv6rt_" + "0" * 26]), {"confirm": "x", "reason": REASON})

    refused = AuditRecord.objects.get(action=AuditRecord.Action.ROUTE_DELETE)
    assert (refused.outcome, refused.vps_id, refused.vps_name) == (AuditRecord.Outcome.REFUSED, "", "")


def test_a_refused_route_create_records_the_destinations_name(hostup, make_user):
    state = account_state()
    vps_id = ineligible_vps(state)
    name = state.destination(vps_id).vps_name
    assert name

    with pytest.raises(Refusal):
        services.route_create(actor=make_user("admin"), pool_id=state.pools[0].id, vps_id=vps_id, prefix_length=64)

    refused = AuditRecord.objects.get(action=AuditRecord.Action.ROUTE_CREATE)
    assert (refused.outcome, refused.vps_id, refused.vps_name) == (AuditRecord.Outcome.REFUSED, vps_id, name)


def test_a_route_create_refused_for_its_prefix_names_the_vps_from_the_snapshot(hostup, make_user):
    synced(hostup)
    state = account_state()
    vps_id = eligible_vps(state)
    name = VpsSnapshot.objects.get(vps_id=vps_id).name
    assert name
    client = Client()
    client.force_login(make_user("admin"))

    response = client.post(
        reverse("pools:route-create"),
        {"poolId": state.pools[0].id, "vpsId": vps_id, "prefixLength": "64", "prefix": "not a prefix"},
    )

    assert response.status_code == 400
    assert account_writes(hostup) == []
    refused = AuditRecord.objects.get(action=AuditRecord.Action.ROUTE_CREATE)
    assert (refused.outcome, refused.vps_id, refused.vps_name) == (AuditRecord.Outcome.REFUSED, vps_id, name)
    listed = client.get(reverse("audit:audit-list"), {"action": "route_create"}).content.decode()
    assert name in listed
