"""Reasons and tickets on the VPS page's writes, and the release confirmed by typing its prefix."""

import pytest
from django.urls import reverse

from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.clients import hostup_client
from hostup_dash.inventory import services
from hostup_dash.inventory.models import VpsSnapshot
from tests.factories import RELEASE_REASON, action_trail, last_record, pick_vps, release_form, synced

Outcome = AuditRecord.Outcome
HTMX = {"HTTP_HX_REQUEST": "true"}
CHANGES = ["ipv6-allocate", "ipv6-refresh-next-hop"]

pytestmark = pytest.mark.django_db


def _url(name: str, vps_id: str) -> str:
    return reverse(f"inventory:{name}", args=[vps_id])


def _vps_for(hostup, name: str) -> str:
    vps_id = pick_vps(hostup, allocated=name != "ipv6-allocate")
    synced(hostup)
    return vps_id


@pytest.fixture
def allocated_vps(hostup) -> str:
    return _vps_for(hostup, "ipv6-release")


def _writes(hostup) -> list:
    return [call for call in hostup.calls if call.method != "GET"]


@pytest.mark.parametrize("name", CHANGES)
def test_reason_and_ticket_go_into_the_intent_and_the_outcome(hostup, operator_client, name):
    vps_id = _vps_for(hostup, name)

    response = operator_client.post(_url(name, vps_id), {"reason": "  Customer asked  ", "ticket": "OPS-7"}, **HTMX)

    assert response.status_code == 200
    records = AuditRecord.objects.filter(vps_id=vps_id).order_by("id")
    assert [(r.outcome, r.reason, r.ticket) for r in records] == [
        (Outcome.PENDING, "Customer asked", "OPS-7"),
        (Outcome.SUCCEEDED, "Customer asked", "OPS-7"),
    ]


@pytest.mark.parametrize("name", CHANGES)
def test_no_reason_is_fine_unless_required(hostup, settings, operator_client, name):
    settings.REQUIRE_CHANGE_REASON = False
    vps_id = _vps_for(hostup, name)

    response = operator_client.post(_url(name, vps_id), **HTMX)

    assert response.status_code == 200
    assert last_record().reason == "" and "reason" not in last_record().canonical_content()


@pytest.mark.parametrize("name", CHANGES)
@pytest.mark.parametrize("reason", ["", "   "])
def test_required_reason_missing_is_a_field_error_audited_and_nothing_sent(
    hostup, settings, operator_client, name, reason
):
    settings.REQUIRE_CHANGE_REASON = True
    vps_id = _vps_for(hostup, name)
    VpsSnapshot.objects.filter(vps_id=vps_id).update(routed_prefix="")  # the page shows the form anyway

    response = operator_client.post(_url(name, vps_id), {"reason": reason, "ticket": "OPS-9"}, **HTMX)

    assert response.status_code == 400
    page = response.content.decode()
    assert '<p class="field-error" id="change-reason-error">Give a reason for this change.</p>' in page
    assert 'aria-describedby="change-reason-error"' in page and 'value="OPS-9"' in page
    assert action_trail() == [(name.removeprefix("ipv6-").replace("-", "_"), Outcome.REFUSED)]
    record = last_record()
    assert (record.problem_code, record.ticket) == ("reason_invalid", "OPS-9")
    assert record.problem["errors"] == [
        {"pointer": "/reason", "detail": "Give a reason for this change.", "code": "required"}
    ]
    assert _writes(hostup) == []


def test_the_change_form_marks_the_reason_required_when_the_setting_says_so(hostup, settings, operator_client):
    vps_id = _vps_for(hostup, "ipv6-allocate")
    settings.REQUIRE_CHANGE_REASON = True
    required = operator_client.get(_url("vps-detail", vps_id), **HTMX).content.decode()
    settings.REQUIRE_CHANGE_REASON = False
    optional = operator_client.get(_url("vps-detail", vps_id), **HTMX).content.decode()

    assert (
        'Reason <span class="muted">(required' in required
        and 'name="reason" rows="2" maxlength="500" required' in required
    )
    assert 'Reason <span class="muted">(optional' in optional


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("reason", "r" * 501, "Keep the reason to at most 500 characters (it has 501)."),
        ("ticket", "T" * 101, "Keep the ticket to at most 100 characters (it has 101)."),
    ],
)
def test_too_long_reason_or_ticket_is_a_field_error_and_nothing_sent(hostup, operator_client, field, value, words):
    vps_id = _vps_for(hostup, "ipv6-allocate")

    response = operator_client.post(_url("ipv6-allocate", vps_id), {field: value}, **HTMX)

    assert response.status_code == 400
    assert f'<p class="field-error" id="change-{field}-error">{words}</p>' in response.content.decode()
    assert last_record().outcome == Outcome.REFUSED and last_record().problem_code == "reason_invalid"
    assert _writes(hostup) == []


def test_reason_at_the_limits_is_accepted(hostup, operator_client):
    vps_id = _vps_for(hostup, "ipv6-allocate")

    response = operator_client.post(_url("ipv6-allocate", vps_id), {"reason": "r" * 500, "ticket": "T" * 100}, **HTMX)

    assert response.status_code == 200
    assert (len(last_record().reason), len(last_record().ticket)) == (500, 100)


def test_release_with_reason_and_ticket_shows_them_in_the_history(hostup, admin_client_role, allocated_vps):
    form = release_form(hostup, allocated_vps, ticket="OPS-1234")

    response = admin_client_role.post(_url("ipv6-release", allocated_vps), form)

    assert response.status_code == 302
    assert len(hostup.calls_to("DELETE", f"/api/v2/vps/{allocated_vps}/routed-ipv6")) == 1
    record = last_record()
    assert (record.action, record.outcome, record.reason, record.ticket) == (
        "release",
        Outcome.SUCCEEDED,
        RELEASE_REASON,
        "OPS-1234",
    )
    history = admin_client_role.get(_url("vps-history", allocated_vps)).content.decode()
    assert RELEASE_REASON in history and "OPS-1234" in history


@pytest.mark.parametrize("reason", ["", "  "])
def test_release_without_reason_is_refused_whatever_the_setting(
    hostup, settings, admin_client_role, allocated_vps, reason
):
    settings.REQUIRE_CHANGE_REASON = False
    form = release_form(hostup, allocated_vps, reason=reason)

    response = admin_client_role.post(_url("ipv6-release", allocated_vps), form, **HTMX)

    assert response.status_code == 400
    page = response.content.decode()
    assert '<p class="field-error" id="release-reason-error">Give a reason for this change.</p>' in page
    assert 'id="release-confirm-error"' not in page
    assert action_trail() == [("release", Outcome.REFUSED)]
    assert last_record().problem_code == "reason_invalid"
    assert hostup.calls == []


@pytest.mark.parametrize("typed", ["release", "", "upper", "space"])
def test_release_confirmed_with_anything_but_the_exact_prefix_is_refused(
    hostup, admin_client_role, allocated_vps, typed
):
    form = release_form(hostup, allocated_vps)
    prefix = form["confirm"]
    form["confirm"] = {"upper": prefix.upper(), "space": f" {prefix}"}.get(typed, typed)

    response = admin_client_role.post(_url("ipv6-release", allocated_vps), form, **HTMX)

    assert response.status_code == 400
    words = f"Releasing starts a cooldown: type the prefix being released, {prefix}, exactly."
    assert f'<p class="field-error" id="release-confirm-error">{words}</p>' in response.content.decode()
    record = last_record()
    assert (record.action, record.outcome, record.problem_code) == ("release", Outcome.REFUSED, "not_confirmed")
    assert record.reason == RELEASE_REASON  # the refusal records why it was tried
    assert _writes(hostup) == []  # only the live read that checks whether the record is behind HostUp
    assert VpsSnapshot.objects.get(vps_id=allocated_vps).has_active_allocation


def test_the_release_form_asks_for_the_prefix_typed(hostup, admin_client_role, allocated_vps):
    prefix = release_form(hostup, allocated_vps)["confirm"]

    page = admin_client_role.get(_url("vps-detail", allocated_vps), **HTMX).content.decode()

    assert f'Type <span class="mono">{prefix}</span> to confirm' in page
    assert 'name="confirm" required' in page and 'value="release"' not in page


def test_release_service_carries_the_change_request_to_its_records(hostup, make_user, allocated_vps):
    prefix = release_form(hostup, allocated_vps)["confirm"]

    result = services.ipv6_release(
        actor=make_user("admin"), vps_id=allocated_vps, confirm=prefix, reason="approved", change_request_id=41
    )

    assert result.record.change_request_id == result.record.intent.change_request_id == 41
    assert result.record.compute_hash() == result.record.hash


def test_a_stale_record_lets_no_other_prefix_be_released_and_then_takes_the_live_one(
    hostup, admin_client_role, allocated_vps
):
    form = release_form(hostup, allocated_vps)
    live = form["confirm"]
    stale = "2001:db8:ffff::/48"  # what the page showed: the record is older than HostUp
    VpsSnapshot.objects.filter(vps_id=allocated_vps).update(routed_prefix=stale)

    response = admin_client_role.post(_url("ipv6-release", allocated_vps), form | {"confirm": stale}, **HTMX)

    assert response.status_code == 409
    words = f"HostUp now shows {live} for this VPS, not {stale} as the page did"
    assert words in response.content.decode()
    assert [call.method for call in hostup.calls] == ["GET"]  # the live read only: nothing released
    record = last_record()
    assert (record.action, record.outcome, record.problem_code) == ("release", Outcome.REFUSED, "not_confirmed")
    assert VpsSnapshot.objects.get(vps_id=allocated_vps).routed_prefix == live  # the form now names it

    response = admin_client_role.post(_url("ipv6-release", allocated_vps), form, **HTMX)

    assert response.status_code == 200
    assert [call.method for call in _writes(hostup)] == ["DELETE"]


def test_a_prefix_released_at_hostup_meanwhile_is_not_released_again(hostup, admin_client_role, allocated_vps):
    form = release_form(hostup, allocated_vps)
    client = hostup_client()
    try:
        client.release_routed_ipv6(allocated_vps)  # someone else, outside the dashboard; the record still has it
    finally:
        client.close()
    hostup.reset_calls()

    response = admin_client_role.post(_url("ipv6-release", allocated_vps), form, **HTMX)

    assert response.status_code == 409
    assert "HostUp shows no routed prefix on this VPS any more" in response.content.decode()
    assert _writes(hostup) == []
    assert not VpsSnapshot.objects.get(vps_id=allocated_vps).has_active_allocation


def test_the_prefix_hostup_shows_is_accepted_while_the_record_is_behind(hostup, admin_client_role, allocated_vps):
    form = release_form(hostup, allocated_vps)
    VpsSnapshot.objects.filter(vps_id=allocated_vps).update(routed_prefix="2001:db8:ffff::/48")  # behind HostUp

    response = admin_client_role.post(_url("ipv6-release", allocated_vps), form, **HTMX)

    assert response.status_code == 200, response.content.decode()
    assert [call.method for call in _writes(hostup)] == ["DELETE"]
    assert last_record().outcome == Outcome.SUCCEEDED
