"""Pages: each role against each URL, the list's search and filters, escaping, the VPS page."""

import pytest
from django.test import Client
from django.urls import reverse
from procrastinate.contrib.django.models import ProcrastinateJob

from hostup_dash.audit.models import AuditRecord
from hostup_dash.inventory import services
from hostup_dash.inventory.models import SyncRun, VpsSnapshot
from tests.factories import action_trail, pick_vps, release_form, synced
from tests.worker.harness import worker_seen_now

HTMX = {"HTTP_HX_REQUEST": "true"}
SOME_VPS = "vps_" + "0" * 26
XSS = "<script>alert(1)</script>"

# URL name -> roles allowed (every other role gets 403). Actions are covered in test_actions.py.
PAGES = {
    "inventory:vps-list": ({"viewer", "operator", "auditor", "admin"}, []),
    "inventory:vps-history": ({"operator", "auditor", "admin"}, [SOME_VPS]),
    "audit:audit-list": ({"auditor", "admin"}, []),
}
ACTIONS = {
    "inventory:ipv6-allocate": {"operator", "admin"},
    "inventory:ipv6-refresh-next-hop": {"operator", "admin"},
    "inventory:ipv6-release": {"admin"},
}
# POSTs that only re-read HostUp for the page on screen: no audited action.
REFRESHES = {"inventory:refresh": {"viewer", "operator", "auditor", "admin"}}
ROLES = ["viewer", "operator", "auditor", "admin", None]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", PAGES)
def test_page_role_matrix(role_client, role, name):
    allowed, args = PAGES[name]

    response = role_client(role).get(reverse(name, args=args))

    assert response.status_code == (200 if role in allowed else 403)
    if response.status_code == 403:
        assert [outcome for _, outcome in action_trail()] == [AuditRecord.Outcome.REFUSED]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ACTIONS)
def test_action_role_matrix(hostup, role_client, role, name):
    vps_id = pick_vps(hostup, allocated=name != "inventory:ipv6-allocate")
    synced(hostup)

    response = role_client(role).post(reverse(name, args=[vps_id]), release_form(hostup, vps_id), **HTMX)

    assert response.status_code == (200 if role in ACTIONS[name] else 403)
    Outcome = AuditRecord.Outcome
    expected = [Outcome.PENDING, Outcome.SUCCEEDED] if role in ACTIONS[name] else [Outcome.REFUSED]
    assert [outcome for _, outcome in action_trail()] == expected


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", REFRESHES)
def test_refresh_role_matrix(hostup, role_client, role, name):
    response = role_client(role).post(reverse(name), **HTMX)

    assert response.status_code == (200 if role in REFRESHES[name] else 403)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", f"/vps/{SOME_VPS}/", "/audit/", f"/vps/{SOME_VPS}/routed-ipv6/allocate"])
def test_anonymous_users_go_to_the_login_page(url):
    response = Client().get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_anonymous_htmx_request_redirects_the_whole_page():
    response = Client().get("/", **HTMX, HTTP_HX_CURRENT_URL="http://testserver/audit/?actor=a&outcome=failed")

    assert response["HX-Redirect"] == reverse("login") + "?next=/audit/%3Factor%3Da%26outcome%3Dfailed"


@pytest.mark.django_db
def test_login_page_is_public():
    assert Client().get(reverse("login")).status_code == 200


@pytest.mark.django_db
def test_detail_role_matrix_controls(hostup, role_client):
    vps_id = pick_vps(hostup, allocated=True)
    synced(hostup)
    url = reverse("inventory:vps-detail", args=[vps_id]) + "?live=1"

    pages = {role: role_client(role).get(url).content.decode() for role in ["viewer", "operator", "auditor", "admin"]}

    assert "Refresh next hop" not in pages["viewer"] and "Release…" not in pages["viewer"]
    assert "Refresh next hop" in pages["operator"] and "Release…" not in pages["operator"]
    assert "Action history" in pages["operator"] and "Action history" not in pages["viewer"]
    assert "Refresh next hop" not in pages["auditor"]
    assert "Refresh next hop" in pages["admin"] and "Release…" in pages["admin"]
    assert ">Allocate</button>" not in pages["admin"]  # already allocated


@pytest.mark.django_db
def test_detail_offers_only_what_the_state_allows(hostup, admin_client_role):
    vps_id = pick_vps(hostup, allocated=False)
    synced(hostup)

    page = admin_client_role.get(reverse("inventory:vps-detail", args=[vps_id]) + "?live=1").content.decode()

    assert ">Allocate</button>" in page
    assert "Refresh next hop" not in page and "Release…" not in page


@pytest.mark.django_db
def test_vps_page_shows_live_state_and_updates_the_snapshot(hostup, viewer_client):
    vps_id = pick_vps(hostup, allocated=True)
    synced(hostup)

    response = viewer_client.get(reverse("inventory:vps-detail", args=[vps_id]) + "?live=1")

    snapshot = VpsSnapshot.objects.get(vps_id=vps_id)
    assert snapshot.state_checked_at is not None
    assert snapshot.routed_prefix in response.content.decode()
    assert [c.path for c in hostup.calls] == [f"/api/v2/vps/{vps_id}/routed-ipv6"]


@pytest.mark.django_db
def test_vps_page_says_when_the_next_hop_differs(hostup, viewer_client):
    synced(hostup)
    stale = None
    for snapshot in VpsSnapshot.objects.all():
        response = viewer_client.get(reverse("inventory:vps-detail", args=[snapshot.vps_id]) + "?live=1")
        if VpsSnapshot.objects.get(vps_id=snapshot.vps_id).is_next_hop_stale:
            stale = response
            break

    assert stale is not None, "the seed should have an allocation whose next hop differs"
    assert "a refresh is due" in stale.content.decode()


@pytest.mark.django_db
def test_vps_page_shows_why_routed_ipv6_is_unavailable(hostup, viewer_client):
    synced(hostup)
    for snapshot in VpsSnapshot.objects.all():
        response = viewer_client.get(reverse("inventory:vps-detail", args=[snapshot.vps_id]) + "?live=1")
        row = VpsSnapshot.objects.get(vps_id=snapshot.vps_id)
        if row.routed_available is False and row.routed_reason:
            assert f"Not available: {row.routed_reason}" in response.content.decode()
            return
    raise AssertionError("the seed should have a VPS without routed IPv6")


@pytest.mark.django_db
def test_unknown_vps_is_404(hostup, viewer_client):
    assert viewer_client.get(reverse("inventory:vps-detail", args=[SOME_VPS])).status_code == 404
    assert viewer_client.get("/vps/not-an-id/").status_code == 404


@pytest.mark.django_db
def test_vps_page_survives_hostup_being_down(hostup, viewer_client):
    vps_id = pick_vps(hostup, allocated=True)
    synced(hostup)
    hostup.fail_next("internal", count=5, path_prefix="/api/v2/vps")

    response = viewer_client.get(reverse("inventory:vps-detail", args=[vps_id]) + "?live=1")

    assert response.status_code == 200
    assert "Internal server error" in response.content.decode()


@pytest.mark.django_db
def test_list_reads_only_the_snapshot(hostup, viewer_client, django_assert_max_num_queries):
    synced(hostup)
    SyncRun.objects.update(finished_at="2999-01-01T00:00:00Z")  # fresh: no background refresh

    with django_assert_max_num_queries(10):
        response = viewer_client.get("/")

    assert response.status_code == 200
    assert hostup.calls == []
    assert "hx-post" not in response.content.decode().split('id="vps-rows"')[1]


@pytest.mark.django_db
def test_stale_list_asks_the_worker_once_and_never_syncs_in_the_request(hostup, viewer_client):
    worker_seen_now()

    response = viewer_client.get("/")

    assert "Refreshing from HostUp" in response.content.decode()
    viewer_client.post(reverse("inventory:refresh"), **HTMX)
    viewer_client.post(reverse("inventory:refresh"), **HTMX)  # a second tab

    assert hostup.calls == []
    assert ProcrastinateJob.objects.filter(task_name="inventory_pass", status="todo").count() == 1


@pytest.mark.django_db
def test_list_says_so_when_no_worker_is_running(hostup, viewer_client):
    page = viewer_client.post(reverse("inventory:refresh"), **HTMX).content.decode()

    assert "Background refresh is not running" in page
    assert "Refreshing from HostUp" not in page  # no polling for a worker that is not there


@pytest.mark.django_db
def test_fresh_list_does_not_ask_for_a_refresh(hostup, viewer_client):
    services.inventory_sync(quick=True)

    page = viewer_client.get("/").content.decode()

    assert "Refreshing from HostUp" not in page


@pytest.mark.django_db
def test_list_search_and_filters(hostup, viewer_client):
    hostup.add_vps(name="needle-box", primary_ip="192.0.2.250", power_state="stopped")
    synced(hostup)

    by_name = viewer_client.get("/", {"q": "needle"}, **HTMX).content.decode()
    by_ip = viewer_client.get("/", {"q": "192.0.2.250"}, **HTMX).content.decode()
    stopped = viewer_client.get("/", {"power": "stopped"}, **HTMX).content.decode()
    nothing = viewer_client.get("/", {"q": "no-such-thing"}, **HTMX).content.decode()

    assert "needle-box" in by_name and by_name.count("<tr>") == 2  # header + one row
    assert "needle-box" in by_ip
    assert "needle-box" in stopped
    assert "No VPS matches this search" in nothing


@pytest.mark.django_db
def test_has_routed_ipv6_filter(hostup, viewer_client):
    vps_id = pick_vps(hostup, allocated=True)
    services.inventory_sync()
    name = VpsSnapshot.objects.get(vps_id=vps_id).name

    with_routes = viewer_client.get("/", {"routed": "yes"}, **HTMX).content.decode()
    without = viewer_client.get("/", {"routed": "no"}, **HTMX).content.decode()

    assert name in with_routes and name not in without


@pytest.mark.django_db
def test_hostile_vps_name_is_shown_as_text_everywhere(hostup, operator_client, admin_client_role):
    vps_id = hostup.add_vps(name=XSS)
    synced(hostup)
    operator_client.post(reverse("inventory:ipv6-allocate", args=[vps_id]), **HTMX)

    pages = [
        operator_client.get("/").content.decode(),
        operator_client.get(reverse("inventory:vps-detail", args=[vps_id]) + "?live=1").content.decode(),
        admin_client_role.get(reverse("audit:audit-list")).content.decode(),
    ]

    for page in pages:
        assert XSS not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.django_db
def test_api_token_never_reaches_a_page(hostup, settings, admin_client_role):
    vps_id = pick_vps(hostup, allocated=False)
    synced(hostup)
    admin_client_role.post(reverse("inventory:ipv6-allocate", args=[vps_id]), **HTMX)

    for url in ["/", reverse("inventory:vps-detail", args=[vps_id]) + "?live=1", reverse("audit:audit-list")]:
        assert settings.HOSTUP_API_TOKEN not in admin_client_role.get(url).content.decode()
    assert settings.HOSTUP_API_TOKEN not in str(list(AuditRecord.objects.values()))


@pytest.mark.django_db
def test_rate_limited_vps_page_does_not_hold_the_worker(hostup, viewer_client):
    import time

    vps_id = pick_vps(hostup, allocated=True)
    synced(hostup)
    hostup.fail_next("rate_limit", path_prefix=f"/api/v2/vps/{vps_id}", retry_after=5)

    started = time.monotonic()
    response = viewer_client.get(reverse("inventory:vps-detail", args=[vps_id]) + "?live=1")

    assert time.monotonic() - started < 2
    assert "HostUp is rate-limiting us, try again in 5 s" in response.content.decode()
    assert VpsSnapshot.objects.get(vps_id=vps_id).routed_prefix in response.content.decode()


@pytest.mark.django_db
def test_vps_page_renders_from_the_snapshot_and_loads_the_live_state_into_its_panel(hostup, viewer_client):
    vps_id = pick_vps(hostup, allocated=True)
    synced(hostup)
    url = reverse("inventory:vps-detail", args=[vps_id])

    page = viewer_client.get(url).content.decode()

    assert hostup.calls == []  # a slow HostUp cannot hold the page
    assert f'hx-get="{url}" hx-trigger="load"' in page
    assert "Reading the current state from" in page
    panel = viewer_client.get(url, **HTMX).content.decode()
    assert [c.path for c in hostup.calls] == [f"/api/v2/vps/{vps_id}/routed-ipv6"]
    assert 'hx-trigger="load"' not in panel and "Reading the current state" not in panel


@pytest.mark.django_db
def test_refresh_with_a_non_ascii_digit_is_a_first_ask_not_a_500(hostup, viewer_client):
    response = viewer_client.post(reverse("inventory:refresh"), {"waiting_since": "²"}, **HTMX)

    assert response.status_code == 200
