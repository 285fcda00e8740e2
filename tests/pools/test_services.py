"""The account-route services: their audit records, the account lock, unknown outcomes, the snapshot's
routes per VPS, and prefix input that never reaches HostUp when it is wrong."""

import ipaddress

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.errors import Refusal
from hostup_dash.core.locks import lock_key
from hostup_dash.hostup import HostupError
from hostup_dash.inventory import selectors
from hostup_dash.inventory.models import SyncRun, VpsSnapshot
from hostup_dash.pools import services
from hostup_dash.pools.writes import ACCOUNT_BUSY_DETAIL, ACCOUNT_LOCK
from tests.factories import action_trail, last_record, run_together, synced
from tests.pools.helpers import REASON, account_state, account_writes, eligible_vps, ineligible_vps

Outcome = AuditRecord.Outcome
HTMX = {"HTTP_HX_REQUEST": "true"}


def _create(actor, **fields):
    state = account_state()
    args = {"pool_id": state.pools[0].id, "vps_id": eligible_vps(state), "prefix_length": 64} | fields
    return services.route_create(actor=actor, client_ip="192.0.2.9", **args)


@pytest.mark.django_db
def test_create_records_intent_then_outcome_with_the_new_prefix(hostup, make_user):
    synced(hostup)
    operator = make_user("operator")

    result = _create(operator, label="web", reason="new web tier", ticket="OPS-1")

    intent, outcome = AuditRecord.objects.order_by("id")
    assert (intent.outcome, outcome.outcome, outcome.intent_id) == (Outcome.PENDING, Outcome.SUCCEEDED, intent.id)
    assert intent.request_body["label"] == "web" and intent.action == "route_create"
    assert (outcome.result_prefix, outcome.http_status) == ("2001:db8:1000::/64", 201)
    assert outcome.hostup_request_id.startswith("req_")
    assert (outcome.reason, outcome.ticket, outcome.client_ip) == ("new web tier", "OPS-1", "192.0.2.9")
    assert outcome.vps_name == VpsSnapshot.objects.get(vps_id=outcome.vps_id).name
    assert result.message == f"Routed 2001:db8:1000::/64 to {outcome.vps_name}."


@pytest.mark.django_db
def test_the_list_column_and_search_show_a_new_route_at_once(hostup, make_user, viewer_client):
    synced(hostup)

    record = _create(make_user("operator"), label="edge").record

    row = VpsSnapshot.objects.get(vps_id=record.vps_id)
    assert {"prefix": "2001:db8:1000::/64", "label": "edge"}.items() <= row.account_routes[-1].items()
    found = selectors.vps_list(query="2001:db8:1000::/64", power_state="", has_routed_ipv6=None, state="")
    assert [vps.vps_id for vps in found] == [record.vps_id]
    listed = viewer_client.get(reverse("inventory:vps-list"), {"q": "2001:db8:1000::/64"}).content.decode()
    assert 'title="Account route edge">2001:db8:1000::/64<' in listed


@pytest.mark.django_db
def test_delete_takes_the_route_off_its_vps_row(hostup, make_user):
    synced(hostup)
    route = account_state().pools[0].routes[0]

    services.route_delete(actor=make_user("admin"), route_id=route.id, confirm=route.prefix, reason=REASON)

    assert route.prefix not in VpsSnapshot.objects.get(vps_id=route.vps_id).account_route_prefixes
    assert action_trail() == [("route_delete", Outcome.PENDING), ("route_delete", Outcome.SUCCEEDED)]


@pytest.mark.django_db
def test_the_sync_still_reads_the_account_in_one_call(hostup):
    synced(hostup)

    run = SyncRun.objects.latest("id")
    route = account_state().pools[0].routes[0]
    assert run.upstream_calls == 2  # one page of 12 VPSes and one account read
    assert route.prefix in VpsSnapshot.objects.get(vps_id=route.vps_id).account_route_prefixes


@pytest.mark.django_db
def test_ineligible_destination_is_refused_with_hostups_reason(hostup, make_user):
    state = account_state()

    with pytest.raises(Refusal) as refused:
        _create(make_user("operator"), vps_id=ineligible_vps(state))

    (error,) = refused.value.errors
    assert error.pointer == "/vpsId" and "cannot receive a route" in error.detail
    assert account_writes(hostup) == []
    assert last_record().outcome == Outcome.REFUSED and last_record().vps_id == ineligible_vps(state)


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "outcome"), [("conflict", Outcome.FAILED), ("bad_gateway", Outcome.UNKNOWN)])
def test_a_write_hostup_fails_is_recorded(hostup, make_user, kind, outcome):
    route = account_state().pools[0].routes[0]
    hostup.fail_next(kind, path_prefix="/api/v2/routed-ipv6/routes/")  # the write only, not the state read

    with pytest.raises(HostupError):
        services.route_delete(actor=make_user("admin"), route_id=route.id, confirm=route.prefix, reason=REASON)

    assert action_trail() == [("route_delete", Outcome.PENDING), ("route_delete", outcome)]
    assert last_record().hostup_request_id.startswith("req_")


@pytest.mark.django_db
def test_an_unreadable_account_state_is_a_refusal_and_nothing_is_written(hostup, make_user):
    hostup.fail_next("internal", path_prefix="/api/v2/routed-ipv6")

    with pytest.raises(HostupError) as raised:
        services.pool_allocate(actor=make_user("admin"))

    assert raised.value.status == 500
    assert action_trail() == [("pool_allocate", Outcome.REFUSED)]
    assert last_record().problem_detail.startswith(
        "Nothing was sent: the account's routed IPv6 could not be read first."
    )
    assert account_writes(hostup) == []


@pytest.mark.django_db(transaction=True)
def test_timeout_leaves_an_unknown_outcome(hostup, settings, make_user):
    state = account_state()
    settings.HOSTUP_TIMEOUT = 0.3
    settings.HOSTUP_READ_TIMEOUT = 2.0
    hostup.config.latency_ms = 600

    with pytest.raises(HostupError) as raised:
        services.route_create(
            actor=make_user("operator"), pool_id=state.pools[0].id, vps_id=eligible_vps(state), prefix_length=64
        )

    assert raised.value.code == "timeout"
    assert action_trail() == [("route_create", Outcome.PENDING), ("route_create", Outcome.UNKNOWN)]


@pytest.mark.django_db(transaction=True)
def test_busy_account_is_refused_and_nothing_sent(hostup, make_user):
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [lock_key(ACCOUNT_LOCK)])
        hostup.reset_calls()
        with pytest.raises(Refusal) as refused:
            services.pool_allocate(actor=make_user("admin"))
    finally:
        other.close()

    assert refused.value.status == 409 and refused.value.detail == ACCOUNT_BUSY_DETAIL
    assert hostup.calls == []
    assert last_record().problem_code == "account_busy"


@pytest.mark.django_db(transaction=True)
def test_concurrent_clicks_send_exactly_one_write(hostup, make_user):
    state = account_state()
    data = {"poolId": state.pools[0].id, "vpsId": eligible_vps(state), "prefixLength": "64", "label": "one"}
    hostup.config.latency_ms = 300
    clients = [Client() for _ in range(5)]
    for number, client in enumerate(clients):
        client.force_login(make_user("operator", username=f"operator{number}"))
    hostup.reset_calls()

    statuses = run_together(
        lambda: clients.pop().post(reverse("pools:route-create"), data, **HTMX).status_code, threads=5
    )

    assert len(account_writes(hostup)) == 1
    assert sorted(statuses) == [200, 409, 409, 409, 409]
    outcomes = sorted(outcome for _, outcome in action_trail())
    assert outcomes == [Outcome.PENDING] + [Outcome.REFUSED] * 4 + [Outcome.SUCCEEDED]


def _is_valid_route_prefix(text: str, length: int) -> bool:
    """An independent reading of the rule: an aligned IPv6 prefix, written with exactly the chosen length."""
    try:
        network = ipaddress.IPv6Network(text.strip(), strict=True)
    except ValueError:
        return False
    return "/" in text and "%" not in text and network.prefixlen == length


POOL = ipaddress.IPv6Network("2001:db8:1000::/48")
inside_pool = st.builds(
    lambda offset, length: f"{POOL.network_address + offset}/{length}",
    st.integers(min_value=0, max_value=(1 << 80) - 1),
    st.sampled_from([48, 56, 64, 63, 128]),
)
any_v6 = st.builds(lambda address, length: f"{address}/{length}", st.ip_addresses(v=6), st.integers(0, 130))
prefixes = st.one_of(st.just(""), inside_pool, any_v6, st.text(max_size=60))
lengths = st.one_of(st.sampled_from([48, 56, 64]), st.integers(min_value=-3, max_value=200))


@pytest.fixture
def fuzzer(make_user):
    return make_user("operator", username="fuzzer")


@pytest.mark.django_db
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=prefixes, length=lengths, label=st.text(max_size=80))
def test_random_prefixes_never_crash_and_never_reach_hostup_when_invalid(hostup, fuzzer, prefix, length, label):
    state = account_state()
    hostup.reset_calls()
    invalid = (
        length not in (48, 56, 64)
        or (bool(prefix.strip()) and not _is_valid_route_prefix(prefix, length))
        or len(label.strip()) > 64
        or not label.strip().isprintable()
    )

    try:
        result = services.route_create(
            actor=fuzzer,
            pool_id=state.pools[0].id,
            vps_id=eligible_vps(state),
            prefix_length=length,
            prefix=prefix,
            label=label,
        )
    except (Refusal, HostupError) as problem:
        result = problem

    if invalid:
        assert isinstance(result, Refusal) and hostup.calls == []
    if not isinstance(result, Refusal | HostupError):
        created = ipaddress.IPv6Network(result.record.result_prefix)
        assert created.prefixlen == length and created.subnet_of(POOL)
