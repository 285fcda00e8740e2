"""Bulk pages: who may start, watch and cancel a run; htmx and plain requests; CSRF; polling that stops."""

import pytest
from django.test import Client
from django.urls import reverse

from hostup_dash.audit.models import AuditRecord
from hostup_dash.bulk import services
from hostup_dash.bulk.models import BulkItem, BulkRun
from tests.bulk.helpers import drifted
from tests.factories import action_trail, pick_vps, synced

HTMX = {"HTTP_HX_REQUEST": "true"}
ROLES = ["viewer", "operator", "auditor", "admin", None]
SOME_VPS = "vps_" + "0" * 26
# POST views that start or stop bulk runs -> roles allowed (tests/test_url_coverage.py reads this).
BULK_ACTIONS = {
    "bulk:refresh-next-hop": {"operator", "admin"},
    "bulk:allocate": {"operator", "admin"},
    "bulk:run-cancel": {"operator", "admin"},
}
PAGES = {"bulk:run-list", "bulk:run-detail"}


def _queued_run(make_user, vps_ids=(SOME_VPS,)) -> BulkRun:
    owner = make_user("operator", "owner")
    return services.bulk_run_create(
        actor=owner, action=BulkRun.Action.REFRESH_NEXT_HOP, vps_ids=list(vps_ids), queue=False
    )


def _url(name: str, run: BulkRun) -> str:
    return reverse(name, args=[run.id]) if name in ("bulk:run-cancel", "bulk:run-detail") else reverse(name)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", BULK_ACTIONS)
def test_bulk_action_role_matrix(make_user, role_client, role, name):
    run = _queued_run(make_user)

    response = role_client(role).post(_url(name, run), {"vps": [SOME_VPS]}, **HTMX)

    allowed = role in BULK_ACTIONS[name]
    assert response.status_code == (200 if allowed else 403)
    if not allowed:
        assert [outcome for _, outcome in action_trail()] == [AuditRecord.Outcome.REFUSED]
        assert BulkRun.objects.count() == 1 and run.items.get().state == BulkItem.State.PENDING


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", PAGES)
def test_bulk_page_role_matrix(make_user, role_client, role, name):
    run = _queued_run(make_user)

    response = role_client(role).get(_url(name, run))

    assert response.status_code == (403 if role is None else 200)


@pytest.mark.django_db
@pytest.mark.parametrize("name", BULK_ACTIONS)
def test_bulk_actions_refuse_get(make_user, operator_client, name):
    assert operator_client.get(_url(name, _queued_run(make_user))).status_code == 405


@pytest.mark.django_db
def test_htmx_start_redirects_to_the_run_page(operator_client):
    response = operator_client.post(reverse("bulk:refresh-next-hop"), {"vps": [SOME_VPS]}, **HTMX)

    run = BulkRun.objects.get()
    assert response["HX-Redirect"] == reverse("bulk:run-detail", args=[run.id])
    assert list(run.items.values_list("vps_id", flat=True)) == [SOME_VPS]


@pytest.mark.django_db
def test_plain_start_redirects_to_the_run_page(operator_client):
    response = operator_client.post(reverse("bulk:allocate"), {"vps": [SOME_VPS]})

    assert response.status_code == 302
    assert response["Location"] == reverse("bulk:run-detail", args=[BulkRun.objects.get().id])


@pytest.mark.django_db
def test_start_with_nothing_selected_says_so(operator_client):
    response = operator_client.post(reverse("bulk:allocate"), {}, **HTMX)

    assert response.status_code == 400
    assert services.NOTHING_SELECTED in response.content.decode()
    assert not BulkRun.objects.exists()


@pytest.mark.django_db
def test_start_matching_drifted_covers_every_drifted_vps(hostup, operator_client):
    vps_ids = drifted(hostup, 2)

    operator_client.post(reverse("bulk:refresh-next-hop"), {"match": "1", "state": "drifted"})

    assert sorted(BulkRun.objects.get().items.values_list("vps_id", flat=True)) == sorted(vps_ids)


@pytest.mark.django_db
def test_start_matching_the_list_search_covers_only_the_matches(hostup, operator_client):
    [first, second] = drifted(hostup, 2)

    operator_client.post(reverse("bulk:refresh-next-hop"), {"match": "1", "q": "drift-001"})

    assert list(BulkRun.objects.get().items.values_list("vps_id", flat=True)) == [second]


@pytest.mark.django_db
def test_start_needs_the_csrf_token(make_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("operator", "olga"))

    response = client.post(reverse("bulk:refresh-next-hop"), {"vps": [SOME_VPS]})

    assert response.status_code == 403
    assert not BulkRun.objects.exists()


@pytest.mark.django_db
def test_cancel_skips_pending_items_and_shows_the_stopped_progress(make_user, operator_client):
    run = _queued_run(make_user)

    response = operator_client.post(reverse("bulk:run-cancel", args=[run.id]), **HTMX)

    page = response.content.decode()
    assert run.items.get().detail == services.CANCELLED_DETAIL
    assert "Cancelled by operator" in page and 'hx-trigger="every 2s"' not in page


@pytest.mark.django_db
def test_plain_cancel_redirects_to_the_run_page(make_user, operator_client):
    run = _queued_run(make_user)

    response = operator_client.post(reverse("bulk:run-cancel", args=[run.id]))

    assert response["Location"] == reverse("bulk:run-detail", args=[run.id])


@pytest.mark.django_db
def test_a_running_run_polls_every_two_seconds(make_user, viewer_client):
    run = _queued_run(make_user)

    page = viewer_client.get(reverse("bulk:run-detail", args=[run.id])).content.decode()

    assert 'hx-trigger="every 2s"' in page
    assert "0 of 1 done (0%)" in page


@pytest.mark.django_db
def test_a_finished_run_stops_polling_and_says_why_items_were_skipped(hostup, make_user, viewer_client):
    vps_id = pick_vps(hostup, allocated=False)
    synced(hostup)
    run = _queued_run(make_user, vps_ids=[vps_id])
    services.bulk_run_process(run_id=run.id)

    response = viewer_client.get(reverse("bulk:run-detail", args=[run.id]), **HTMX)

    page = response.content.decode()
    assert 'hx-trigger="every 2s"' not in page and 'id="bulk-progress"' in page
    assert services.SKIP_NOT_ALLOCATED in page and "1 of 1 done (100%)" in page
    assert "<html" not in page  # the fragment alone


@pytest.mark.django_db
def test_items_link_their_vps_page(make_user, viewer_client):
    run = _queued_run(make_user)

    page = viewer_client.get(reverse("bulk:run-detail", args=[run.id])).content.decode()

    assert reverse("inventory:vps-detail", args=[SOME_VPS]) in page


@pytest.mark.django_db
def test_a_viewer_sees_no_cancel_button(make_user, viewer_client, operator_client):
    run = _queued_run(make_user)
    url = reverse("bulk:run-detail", args=[run.id])

    assert ">Cancel</button>" not in viewer_client.get(url).content.decode()
    assert ">Cancel</button>" in operator_client.get(url).content.decode()


@pytest.mark.django_db
def test_an_unknown_run_is_404(viewer_client):
    assert viewer_client.get(reverse("bulk:run-detail", args=[999])).status_code == 404


@pytest.mark.django_db
def test_the_run_list_shows_recent_runs_with_their_progress(make_user, viewer_client):
    run = _queued_run(make_user)

    page = viewer_client.get(reverse("bulk:run-list")).content.decode()

    assert f"#{run.id}" in page and "0 of 1" in page
