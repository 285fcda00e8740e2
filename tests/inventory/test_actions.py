"""Allocate, refresh next hop and release, end to end: view, service, simulator, audit log."""

import json

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.clients import hostup_client
from hostup_dash.core.locks import lock_key
from hostup_dash.inventory.models import VpsSnapshot
from hostup_dash.inventory.services.actions import VPS_BUSY_DETAIL
from tests.factories import action_trail, last_record, pick_vps, release_form, run_together, synced

Outcome = AuditRecord.Outcome
HTMX = {"HTTP_HX_REQUEST": "true"}


def _url(name: str, vps_id: str) -> str:
    return reverse(f"inventory:{name}", args=[vps_id])


def _posts(simulator, vps_id: str, method: str = "POST"):
    return simulator.calls_to(method, f"/api/v2/vps/{vps_id}/routed-ipv6")


@pytest.fixture
def free_vps(hostup) -> str:
    vps_id = pick_vps(hostup, allocated=False)
    synced(hostup)
    return vps_id


@pytest.fixture
def allocated_vps(hostup) -> str:
    vps_id = pick_vps(hostup, allocated=True)
    synced(hostup)
    return vps_id


@pytest.mark.django_db
def test_operator_allocates_and_the_panel_shows_the_prefix(hostup, operator_client, free_vps):
    response = operator_client.post(_url("ipv6-allocate", free_vps), **HTMX)

    assert response.status_code == 200
    assert action_trail() == [("allocate", Outcome.PENDING), ("allocate", Outcome.SUCCEEDED)]
    record = last_record()
    assert (record.outcome, record.http_status, record.action) == (Outcome.SUCCEEDED, 201, "allocate")
    assert record.result_prefix and record.result_prefix in response.content.decode()
    assert record.actor_name == "operator" and record.actor_role == "operator"
    assert record.vps_name == VpsSnapshot.objects.get(vps_id=free_vps).name
    assert record.intent_id is not None and record.duration_ms is not None
    assert record.client_ip == "127.0.0.1"
    assert json.loads(response["HX-Trigger"]) == {"ipv6-changed": {}}
    assert (
        f'<div id="ipv6-announce" hx-swap-oob="innerHTML">Allocated {record.result_prefix}.</div>'
        in response.content.decode()
    )
    assert len(_posts(hostup, free_vps)) == 1


@pytest.mark.django_db
def test_failed_attempt_tells_the_history_to_reload(hostup, operator_client, free_vps):
    hostup.fail_next("internal", path_prefix=f"/api/v2/vps/{free_vps}")

    response = operator_client.post(_url("ipv6-allocate", free_vps), **HTMX)

    assert json.loads(response["HX-Trigger"]) == {"ipv6-changed": {}}


@pytest.mark.django_db
def test_allocate_without_javascript_redirects_with_a_message(hostup, operator_client, free_vps):
    response = operator_client.post(_url("ipv6-allocate", free_vps), follow=True)

    assert response.redirect_chain[-1][0] == _url("vps-detail", free_vps)
    assert "Allocated" in response.content.decode()


@pytest.mark.django_db
def test_rack_id_is_sent_and_recorded(hostup, operator_client, free_vps):
    operator_client.post(_url("ipv6-allocate", free_vps), {"rack_id": "stockholm-a"}, **HTMX)

    assert b'"rackId": "stockholm-a"' in _posts(hostup, free_vps)[0].body
    assert last_record().request_body == {"action": "allocate", "rackId": "stockholm-a"}


@pytest.mark.django_db
def test_operator_refreshes_the_next_hop(hostup, operator_client, allocated_vps):
    VpsSnapshot.objects.filter(vps_id=allocated_vps).update(name="renamed-by-a-sync")  # meanwhile, elsewhere
    response = operator_client.post(_url("ipv6-refresh-next-hop", allocated_vps), **HTMX)

    assert response.status_code == 200
    record = last_record()
    assert (record.outcome, record.http_status, record.action) == (Outcome.SUCCEEDED, 200, "refresh_next_hop")
    snapshot = VpsSnapshot.objects.get(vps_id=allocated_vps)
    assert snapshot.next_hop == snapshot.suggested_next_hop == record.result_next_hop
    assert snapshot.name == "renamed-by-a-sync"  # the action wrote only the state columns
    assert "Next hop is now" in response.content.decode()


@pytest.mark.django_db
def test_admin_releases_and_the_cooldown_shows(hostup, admin_client_role, allocated_vps):
    response = admin_client_role.post(_url("ipv6-release", allocated_vps), release_form(hostup, allocated_vps), **HTMX)

    assert response.status_code == 200
    page = response.content.decode()
    assert "cooldown" in page and "Cooldown ends" in page
    snapshot = VpsSnapshot.objects.get(vps_id=allocated_vps)
    assert snapshot.allocation_status == "cooldown" and snapshot.is_in_cooldown
    record = last_record()
    assert (record.outcome, record.action, record.http_status) == (Outcome.SUCCEEDED, "release", 200)
    assert len(_posts(hostup, allocated_vps, "DELETE")) == 1


@pytest.mark.django_db
def test_release_without_confirmation_is_refused(hostup, admin_client_role, allocated_vps):
    release_form(hostup, allocated_vps)  # the page was read, but the form sent blank
    response = admin_client_role.post(_url("ipv6-release", allocated_vps), **HTMX)

    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="release-confirm-error"' in page and 'id="release-reason-error"' in page
    assert action_trail() == [("release", Outcome.REFUSED)]
    assert last_record().problem_code == "not_confirmed"
    assert _posts(hostup, allocated_vps, "DELETE") == []


@pytest.mark.django_db
def test_operator_cannot_release(hostup, operator_client, allocated_vps):
    response = operator_client.post(_url("ipv6-release", allocated_vps), release_form(hostup, allocated_vps), **HTMX)

    assert response.status_code == 403
    assert action_trail() == [("release", Outcome.REFUSED)]
    record = last_record()
    assert (record.problem_code, record.vps_id) == ("permission_denied", allocated_vps)
    assert hostup.calls == []


@pytest.mark.django_db
def test_too_long_rack_id_shows_a_field_error_and_sends_nothing(hostup, operator_client, free_vps):
    response = operator_client.post(_url("ipv6-allocate", free_vps), {"rack_id": "r" * 51}, **HTMX)

    assert response.status_code == 400
    assert 'id="rack-id-error"' in response.content.decode()
    assert "at most 50 characters" in response.content.decode()
    assert action_trail() == [("allocate", Outcome.REFUSED)]
    record = last_record()
    assert record.problem_code == "invalid_rack_id"
    assert record.problem["errors"][0]["pointer"] == "/rackId"
    assert hostup.calls == []


@pytest.mark.django_db
def test_upstream_conflict_is_shown_and_recorded_as_failed(hostup, operator_client, allocated_vps):
    # Someone released it behind the dashboard's back, so there is nothing to refresh.
    hostup_client().release_routed_ipv6(allocated_vps)

    response = operator_client.post(_url("ipv6-refresh-next-hop", allocated_vps), **HTMX)

    assert response.status_code == 409
    record = last_record()
    assert (record.outcome, record.http_status, record.problem_code) == (
        Outcome.FAILED,
        409,
        "routed_ipv6_not_allocated",
    )
    assert record.hostup_request_id.startswith("req_")
    assert "Routed IPv6 not allocated" in response.content.decode()


@pytest.mark.django_db
def test_rate_limited_action_says_when_to_retry(hostup, operator_client, free_vps):
    hostup.fail_next("rate_limit", path_prefix=f"/api/v2/vps/{free_vps}", retry_after=7)

    response = operator_client.post(_url("ipv6-allocate", free_vps), **HTMX)

    assert response.status_code == 429
    assert "HostUp is rate-limiting us, try again in 7 s" in response.content.decode()
    record = last_record()
    assert (record.outcome, record.http_status) == (Outcome.FAILED, 429)


@pytest.mark.django_db(transaction=True)
def test_timeout_leaves_unknown_outcome(hostup, settings, operator_client, free_vps):
    settings.HOSTUP_TIMEOUT = 0.3
    hostup.config.latency_ms = 1000

    response = operator_client.post(_url("ipv6-allocate", free_vps), **HTMX)

    assert response.status_code == 504
    page = response.content.decode()
    assert "outcome is unknown" in page and "Re-check state" in page
    assert action_trail() == [("allocate", Outcome.PENDING), ("allocate", Outcome.UNKNOWN)]
    assert last_record().problem_code == "timeout"
    # Whatever the snapshot said before is no longer known to be true.
    assert VpsSnapshot.objects.get(vps_id=free_vps).state_checked_at is None


@pytest.mark.django_db(transaction=True)
def test_busy_vps_is_refused_and_not_sent(hostup, operator_client, free_vps):
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [lock_key(f"vps-action:{free_vps}")])
        response = operator_client.post(_url("ipv6-allocate", free_vps), **HTMX)
    finally:
        other.close()

    assert response.status_code == 409
    assert VPS_BUSY_DETAIL in response.content.decode()
    assert last_record().problem_code == "vps_busy"
    assert hostup.calls == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_allocations_send_exactly_one(hostup, make_user, free_vps):
    hostup.config.latency_ms = 400
    clients = [Client() for _ in range(5)]
    for client in clients:
        client.force_login(make_user("operator", username=f"operator{id(client)}"))

    statuses = run_together(lambda: clients.pop().post(_url("ipv6-allocate", free_vps), **HTMX).status_code, threads=5)

    assert len(_posts(hostup, free_vps)) == 1
    assert sorted(statuses) == [200, 409, 409, 409, 409]
    outcomes = sorted(outcome for _, outcome in action_trail())
    assert outcomes == [Outcome.PENDING] + [Outcome.REFUSED] * 4 + [Outcome.SUCCEEDED]


@pytest.mark.django_db
def test_action_needs_a_csrf_token(hostup, make_user, free_vps):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("operator"))

    response = client.post(_url("ipv6-allocate", free_vps), **HTMX)

    assert response.status_code == 403
    assert hostup.calls == []


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["ipv6-allocate", "ipv6-refresh-next-hop", "ipv6-release"])
def test_actions_refuse_get(admin_client_role, name):
    assert admin_client_role.get(_url(name, "vps_" + "0" * 26)).status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["bad_gateway", "malformed"])
def test_gateway_error_or_unreadable_answer_is_outcome_unknown(hostup, operator_client, free_vps, kind):
    hostup.fail_next(kind, path_prefix=f"/api/v2/vps/{free_vps}")

    response = operator_client.post(_url("ipv6-allocate", free_vps), **HTMX)

    assert "outcome is unknown" in response.content.decode()
    assert action_trail() == [("allocate", Outcome.PENDING), ("allocate", Outcome.UNKNOWN)]
