"""The inventory sync against the simulator, in both readings of the account routes."""

import math
from io import StringIO

import pytest
from django.core.management import call_command

from hostup_dash.core.clients import hostup_client
from hostup_dash.inventory import selectors, services
from hostup_dash.inventory.models import SyncRun, VpsSnapshot
from hostup_dash.simulator.server import Simulator, SimulatorConfig
from tests.conftest import FULL_TOKEN

VPS_COUNT = 250


@pytest.fixture(params=[False, True], ids=["separate-routes", "mirrored-routes"])
def big_hostup(request, settings):
    sim = Simulator(
        SimulatorConfig(
            vps_count=VPS_COUNT, seed=3, full_token=FULL_TOKEN, mirror_allocations=request.param, rate_limit=100_000
        )
    ).start()
    settings.HOSTUP_API_URL = sim.url
    settings.HOSTUP_API_TOKEN = FULL_TOKEN
    yield sim
    sim.stop()


@pytest.mark.django_db
def test_inventory_pass_makes_ceil_n_over_100_plus_one_calls(big_hostup):
    result = services.inventory_sync(quick=True)

    assert result.run.status == SyncRun.Status.SUCCEEDED
    assert VpsSnapshot.objects.count() == VPS_COUNT
    assert len(big_hostup.calls) == math.ceil(VPS_COUNT / 100) + 1 == 4
    assert result.run.upstream_calls == 4


@pytest.mark.django_db
def test_full_sync_reads_each_state_at_most_once(big_hostup):
    services.inventory_sync()

    state_calls = [c for c in big_hostup.calls if c.path.endswith("/routed-ipv6") and c.path.startswith("/api/v2/vps/")]
    assert len(state_calls) == VPS_COUNT
    assert len({c.path for c in state_calls}) == VPS_COUNT
    assert len(big_hostup.calls) == 4 + VPS_COUNT


@pytest.mark.django_db
def test_snapshot_prefixes_match_the_vps_state_in_both_modes(big_hostup):
    services.inventory_sync()
    client = hostup_client()

    for snapshot in VpsSnapshot.objects.exclude(routed_prefix="")[:20]:
        state = client.get_routed_ipv6(snapshot.vps_id)
        assert snapshot.routed_prefix == state.allocation.prefix
        # A mirrored allocation is not counted as a second, account-level route.
        assert (
            snapshot.routed_prefix not in [r["prefix"] for r in snapshot.account_routes]
            or big_hostup.config.mirror_allocations
        )


@pytest.mark.django_db
def test_synced_vpses_are_searchable_by_name_ip_and_prefix(big_hostup):
    services.inventory_sync()
    allocated = VpsSnapshot.objects.exclude(routed_prefix="").first()

    assert list(selectors.vps_list(query=allocated.name)) == [allocated]
    assert allocated in selectors.vps_list(query=allocated.primary_ip)
    assert list(selectors.vps_list(query=allocated.routed_prefix)) == [allocated]


@pytest.mark.django_db
def test_state_pass_can_be_bounded(big_hostup):
    services.inventory_sync(limit=10)

    assert VpsSnapshot.objects.filter(state_checked_at__isnull=False).count() == 10


@pytest.mark.django_db
def test_state_pass_reads_the_oldest_first(hostup):
    services.inventory_sync(limit=5)
    first = set(VpsSnapshot.objects.filter(state_checked_at__isnull=False).values_list("vps_id", flat=True))

    services.inventory_sync(limit=5)

    second = set(VpsSnapshot.objects.filter(state_checked_at__isnull=False).values_list("vps_id", flat=True)) - first
    assert len(second) == 5


@pytest.mark.django_db
def test_vps_gone_upstream_disappears(hostup):
    services.inventory_sync(quick=True)
    VpsSnapshot.objects.create(vps_id="vps_" + "1" * 26, name="gone", synced_at="2020-01-01T00:00:00Z")

    services.inventory_sync(quick=True)

    assert not VpsSnapshot.objects.filter(name="gone").exists()
    assert VpsSnapshot.objects.count() == len(hostup.vps_ids())


@pytest.mark.django_db(transaction=True)
def test_only_one_sync_runs_at_a_time(hostup):
    # Another worker holds the lock on its own connection.
    from django.db import connections

    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [_key(services.sync.SYNC_LOCK)])
        result = services.inventory_sync()
    finally:
        other.close()

    assert result.skipped
    assert hostup.calls == []


def _key(name: str) -> int:
    from hostup_dash.core.locks import lock_key

    return lock_key(name)


@pytest.mark.django_db
def test_state_pass_paces_itself_before_the_rate_limit(hostup):
    hostup.config.rate_limit = 12
    hostup.config.rate_window_s = 1.0

    result = services.inventory_sync()

    assert result.run.status == SyncRun.Status.SUCCEEDED
    assert all(call.status != 429 for call in hostup.calls)
    assert result.run.states_checked == len(hostup.vps_ids())


@pytest.mark.django_db
def test_failed_sync_is_recorded_in_words(hostup):
    hostup.fail_next("internal", path_prefix="/api/v2/vps")

    result = services.inventory_sync()

    assert result.run.status == SyncRun.Status.FAILED
    assert "Internal" in result.run.message or "unexpected" in result.run.message.lower()


@pytest.mark.django_db
def test_sync_command_prints_a_summary(hostup):
    out = StringIO()

    call_command("sync_inventory", "--quick", stdout=out)

    assert f"{len(hostup.vps_ids())} VPSes" in out.getvalue()
    assert "3 upstream calls" not in out.getvalue()  # 12 VPSes: one page + one account call
    assert "2 upstream calls" in out.getvalue()


@pytest.mark.django_db
def test_a_bug_in_a_sync_still_ends_the_run(hostup, monkeypatch):
    # One seam, patched with autospec: a programming error inside the state pass.
    from unittest import mock

    store = "hostup_dash.inventory.services.state_pass.vps_state_store"
    with mock.patch(store, autospec=True, side_effect=RuntimeError("bug")):
        with pytest.raises(RuntimeError):
            services.inventory_sync(limit=1)

    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.FAILED and run.finished_at is not None
