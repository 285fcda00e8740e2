"""The pools page and its actions: each role against each URL, what the page shows, htmx and plain posts."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from hostup_dash.audit.models import AuditRecord
from tests.factories import action_trail, last_record, synced
from tests.pools.helpers import REASON, account_state, account_writes, eligible_vps, pool_emptied, pool_gone

Outcome = AuditRecord.Outcome
HTMX = {"HTTP_HX_REQUEST": "true"}
ROLES = ["viewer", "operator", "auditor", "admin", None]
# URL name -> roles allowed (every other role gets 403 and an audited refusal).
POOL_ACTIONS = {
    "pools:route-create": {"operator", "admin"},
    "pools:route-delete": {"admin"},
    "pools:pool-allocate": {"admin"},
    "pools:pool-release": {"admin"},
}
PAGES = {
    "pools:pool-list": {"viewer", "operator", "auditor", "admin"},
    "pools:vps-routes": {"viewer", "operator", "auditor", "admin"},
}


def _request_for(name: str, simulator) -> tuple[str, dict]:
    """The URL and a valid form for an action, with the account put in a state that allows it."""
    state = account_state()
    if name == "pools:route-create":
        data = {"poolId": state.pools[0].id, "vpsId": eligible_vps(state), "prefixLength": "64", "label": "web"}
        return reverse(name), data
    if name == "pools:route-delete":
        route = state.pools[0].routes[0]
        return reverse(name, args=[route.id]), {"confirm": route.prefix, "reason": REASON}
    if name == "pools:pool-allocate":
        pool_gone(simulator)
        return reverse(name), {}
    pool_id = pool_emptied()
    return reverse(name, args=[pool_id]), {"confirm": state.pools[0].parent_cidr, "reason": REASON}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", POOL_ACTIONS)
def test_action_role_matrix(hostup, role_client, role, name):
    url, data = _request_for(name, hostup)
    synced(hostup)

    response = role_client(role).post(url, data, **HTMX)

    allowed = role in POOL_ACTIONS[name]
    assert response.status_code == (200 if allowed else 403), response.content.decode()[:2000]
    expected = [Outcome.PENDING, Outcome.SUCCEEDED] if allowed else [Outcome.REFUSED]
    assert [outcome for _, outcome in action_trail()] == expected
    assert len(account_writes(hostup)) == (1 if allowed else 0)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", PAGES)
def test_page_role_matrix(hostup, role_client, role, name):
    args = [eligible_vps()] if name == "pools:vps-routes" else []

    response = role_client(role).get(reverse(name, args=args))

    assert response.status_code == (200 if role in PAGES[name] else 403)


@pytest.mark.django_db
@pytest.mark.parametrize("name", POOL_ACTIONS)
def test_actions_refuse_get(admin_client_role, name):
    args = {"pools:route-delete": ["ripv6rt_x"], "pools:pool-release": ["ripv6_x"]}.get(name, [])
    assert admin_client_role.get(reverse(name, args=args)).status_code == 405


@pytest.mark.django_db
def test_actions_need_a_csrf_token(hostup, make_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("admin"))
    url, data = _request_for("pools:route-create", hostup)
    hostup.reset_calls()

    response = client.post(url, data, **HTMX)

    assert response.status_code == 403
    assert hostup.calls == []


@pytest.mark.django_db
def test_page_shows_usage_routes_and_gates(hostup, viewer_client):
    state = account_state()
    pool = state.pools[0]

    page = viewer_client.get(reverse("pools:pool-list")).content.decode()

    assert pool.parent_cidr in page
    # Seeded: two /64s and a /56 (256 /64s).
    assert "258 of 65,536 /64s used; the next free /56 is 2001:db8:1000:200::/56" in page
    assert "/48: 0 · /56: 1 · /64: 2" in page
    for route in pool.routes:
        assert route.prefix in page and route.vps_name in page
        assert reverse("inventory:vps-detail", args=[route.vps_id]) in page
    assert "web subnet" in page
    assert "Create route" not in page and "Delete…" not in page and "Allocate a /48" not in page


@pytest.mark.django_db
def test_operator_sees_create_only_with_eligible_destinations(hostup, operator_client):
    state = account_state()

    page = operator_client.get(reverse("pools:pool-list")).content.decode()

    assert "Create route" in page and "Delete…" not in page and "Release pool" not in page
    for destination in state.destinations:
        offered = f'<option value="{destination.vps_id}"' in page
        assert offered is destination.can_receive_route.allowed


@pytest.mark.django_db
def test_admin_sees_hostups_reasons_on_disabled_buttons(hostup, admin_client_role):
    page = admin_client_role.get(reverse("pools:pool-list")).content.decode()

    assert "Not now: The account already holds a routed /48 pool." in page
    assert "Not now: Delete its 3 routes first." in page


@pytest.mark.django_db
def test_operator_creates_a_route_and_the_page_shows_it(hostup, operator_client):
    url, data = _request_for("pools:route-create", hostup)
    data |= {"prefixLength": "56", "label": "edge"}

    response = operator_client.post(url, data, **HTMX)

    record = last_record()
    assert (record.action, record.outcome, record.http_status) == ("route_create", Outcome.SUCCEEDED, 201)
    assert record.result_prefix == "2001:db8:1000:200::/56"
    assert record.vps_id == data["vpsId"]
    page = response.content.decode()
    assert "Routed 2001:db8:1000:200::/56 to" in page and "edge" in page
    assert json.loads(response["HX-Trigger"]) == {"account-routes-changed": {}}
    (write,) = account_writes(hostup)
    assert json.loads(write.body) == {
        "action": "create_route",
        "poolId": data["poolId"],
        "vpsId": data["vpsId"],
        "prefixLength": 56,
        "label": "edge",
    }


@pytest.mark.django_db
def test_create_without_javascript_redirects_with_a_message(hostup, operator_client):
    url, data = _request_for("pools:route-create", hostup)

    response = operator_client.post(url, data, follow=True)

    assert response.redirect_chain[-1][0] == reverse("pools:pool-list")
    assert "Routed 2001:db8:1000::/64 to" in response.content.decode()


@pytest.mark.django_db
def test_overlapping_prefix_is_a_field_error_and_nothing_is_sent(hostup, operator_client):
    url, data = _request_for("pools:route-create", hostup)
    taken = account_state().pools[0].routes[1]  # the seeded /56
    data |= {"prefixLength": "64", "prefix": "2001:db8:1000:1ff::/64"}
    hostup.reset_calls()

    response = operator_client.post(url, data, **HTMX)

    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="route-prefix-error"' in page
    assert f"2001:db8:1000:1ff::/64 overlaps the route {taken.prefix} to {taken.vps_name}." in page
    assert account_writes(hostup) == []
    assert action_trail() == [("route_create", Outcome.REFUSED)]


@pytest.mark.django_db
def test_bad_prefix_is_refused_before_the_service_asks_hostup_anything(hostup, operator_client):
    url, data = _request_for("pools:route-create", hostup)
    hostup.reset_calls()

    response = operator_client.post(url, data | {"prefix": "2001:db8:1000:0:1::/64", "label": "x" * 65}, **HTMX)

    page = response.content.decode()
    assert response.status_code == 400
    assert "is not aligned to a /64" in page and "A label has at most 64 characters; this one has 65." in page
    assert [call.method for call in hostup.calls] == ["GET"]  # only the page's own read, to show the form again
    assert last_record().problem_code == "invalid_input"


@pytest.mark.django_db
def test_delete_needs_the_typed_prefix_and_a_reason(hostup, admin_client_role):
    url, data = _request_for("pools:route-delete", hostup)

    wrong = admin_client_role.post(url, {"confirm": "2001:db8::/64", "reason": REASON}, **HTMX)
    no_reason = admin_client_role.post(url, {"confirm": data["confirm"]}, **HTMX)

    assert (
        wrong.status_code == 400
        and f"Type the route&#x27;s prefix, {data['confirm']}, exactly" in wrong.content.decode()
    )
    assert no_reason.status_code == 400 and "Give a reason for this change." in no_reason.content.decode()
    assert account_writes(hostup) == []
    assert [outcome for _, outcome in action_trail()] == [Outcome.REFUSED, Outcome.REFUSED]


@pytest.mark.django_db
def test_admin_deletes_a_route_with_reason_and_ticket(hostup, admin_client_role):
    url, data = _request_for("pools:route-delete", hostup)

    response = admin_client_role.post(url, data | {"ticket": "OPS-7"}, **HTMX)

    assert f"Deleted the route {data['confirm']}." in response.content.decode()
    record = last_record()
    assert (record.outcome, record.http_status, record.result_prefix) == (Outcome.SUCCEEDED, 200, data["confirm"])
    assert (record.reason, record.ticket) == (REASON, "OPS-7")
    assert record.intent.request_body["prefix"] == data["confirm"]


@pytest.mark.django_db
def test_release_is_refused_while_the_pool_has_routes(hostup, admin_client_role):
    pool = account_state().pools[0]

    response = admin_client_role.post(
        reverse("pools:pool-release", args=[pool.id]), {"confirm": pool.parent_cidr, "reason": REASON}, **HTMX
    )

    assert response.status_code == 409
    assert "The pool still has 3 routes: delete them first." in response.content.decode()
    assert account_writes(hostup) == []
    assert last_record().outcome == Outcome.REFUSED


@pytest.mark.django_db
def test_admin_releases_then_allocation_waits_for_the_cooldown(hostup, admin_client_role):
    url, data = _request_for("pools:pool-release", hostup)

    released = admin_client_role.post(url, data, **HTMX).content.decode()
    allocate = admin_client_role.post(reverse("pools:pool-allocate"), {}, **HTMX)

    assert "Released the pool 2001:db8:1000::/48. A new pool can be allocated after" in released
    assert "The account holds no routed /48 pool." in released
    assert allocate.status_code == 409 and "in cooldown until" in allocate.content.decode()
    assert [call.method for call in account_writes(hostup)].count("POST") == 0


@pytest.mark.django_db
def test_admin_allocates_a_pool_when_the_gate_allows(hostup, admin_client_role):
    pool_gone(hostup)
    before = admin_client_role.get(reverse("pools:pool-list")).content.decode()

    response = admin_client_role.post(reverse("pools:pool-allocate"), {}, **HTMX)

    assert "Not now:" not in before
    assert "Allocated the pool 2001:db8:1001::/48." in response.content.decode()
    assert last_record().result_prefix == "2001:db8:1001::/48"


@pytest.mark.django_db
def test_hostup_problem_is_shown_in_words_and_recorded(hostup, operator_client):
    url, data = _request_for("pools:route-create", hostup)
    hostup.fail_next("rate_limit", path_prefix="/api/v2/routed-ipv6", count=1, retry_after=7)
    hostup.fail_next("rate_limit", path_prefix="/api/v2/routed-ipv6", count=1, retry_after=7)

    response = operator_client.post(url, data, **HTMX)

    assert response.status_code == 429
    assert "HostUp is rate-limiting us, try again in 7 s." in response.content.decode()
    assert last_record().outcome == Outcome.REFUSED  # the state read before the write was refused: nothing sent
    assert account_writes(hostup) == []


@pytest.mark.django_db
def test_vps_page_lists_its_account_routes_and_offers_a_route(hostup, operator_client, viewer_client):
    route = account_state().pools[0].routes[0]
    url = reverse("pools:vps-routes", args=[route.vps_id])

    page = operator_client.get(url, **HTMX).content.decode()

    assert route.prefix in page and route.label in page
    assert f"?vps={route.vps_id}#create-route" in page and "Route a prefix to this VPS" in page
    assert "Route a prefix to this VPS" not in viewer_client.get(url, **HTMX).content.decode()


@pytest.mark.django_db
def test_vps_page_says_why_a_vps_cannot_receive_a_route(hostup, operator_client):
    from tests.pools.helpers import ineligible_vps

    page = operator_client.get(reverse("pools:vps-routes", args=[ineligible_vps()]), **HTMX).content.decode()

    assert "No route can point here now:" in page and "Route a prefix to this VPS" not in page


@pytest.mark.django_db
def test_vps_detail_page_loads_the_account_routes_panel(hostup, viewer_client):
    vps_id = synced(hostup).vps_ids()[0]

    page = viewer_client.get(reverse("inventory:vps-detail", args=[vps_id])).content.decode()

    assert f'hx-get="{reverse("pools:vps-routes", args=[vps_id])}"' in page


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["bad_gateway", "malformed"])
def test_a_failed_read_before_the_write_says_nothing_was_sent(hostup, operator_client, kind):
    url, data = _request_for("pools:route-create", hostup)
    hostup.fail_next(kind, path_prefix="/api/v2/routed-ipv6", count=5)  # the read and its retries

    response = operator_client.post(url, data, **HTMX)

    page = response.content.decode()
    assert response.status_code == 502
    assert "Nothing was sent: the account&#x27;s routed IPv6 could not be read first." in page
    assert "The outcome is unknown" not in page
    assert account_writes(hostup) == []
    assert action_trail() == [("route_create", Outcome.REFUSED)]
