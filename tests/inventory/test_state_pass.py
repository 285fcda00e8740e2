"""The state pass when HostUp answers badly: one VPS's failure stays on its row, HostUp's stops the pass."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from hostup_dash.core.clients import hostup_client
from hostup_dash.hostup import HostupError
from hostup_dash.hostup.errors import CONNECT_TIMEOUT, CONNECTION_DROPPED, CONNECTION_FAILED, TIMEOUT
from hostup_dash.inventory import services
from hostup_dash.inventory.models import SyncRun, VpsSnapshot
from hostup_dash.inventory.services.snapshot import vps_state_store
from hostup_dash.inventory.services.state_pass import MAX_FAILURES_IN_A_ROW, _is_outage_sign, _stop_reason
from tests.factories import pick_vps, synced

ALWAYS = 1000  # injected failures: more than any test reads
UNREADABLE = "HostUp sent an answer we could not read. The answer was not valid JSON."


def state_path(vps_id: str) -> str:
    return f"/api/v2/vps/{vps_id}/routed-ipv6"


def state_reads(simulator) -> list[str]:
    """The VPS ids whose state was asked for, in order."""
    return [c.path.split("/")[4] for c in simulator.calls if c.path.startswith("/api/v2/vps/")]


def order(simulator) -> list[str]:
    """The order of the first state pass: no row read yet, so by VPS id."""
    return sorted(simulator.vps_ids())


def spoil(simulator, kind: str = "malformed", *, count: int = ALWAYS) -> str:
    """The VPS in the middle of the first pass's order, its state reads answered with `kind`."""
    vps_id = order(simulator)[len(order(simulator)) // 2]
    simulator.fail_next(kind, count=count, path_prefix=state_path(vps_id))
    return vps_id


@pytest.mark.django_db
def test_one_bad_vps_does_not_stop_the_pass(hostup):
    spoil(hostup)

    run = services.inventory_sync().run

    assert run.status == SyncRun.Status.SUCCEEDED
    assert (run.states_checked, run.states_failed, run.state_stop) == (len(hostup.vps_ids()) - 1, 1, "")


@pytest.mark.django_db
def test_every_other_vps_is_read_in_that_pass(hostup):
    bad = spoil(hostup)

    services.inventory_sync()

    good = VpsSnapshot.objects.exclude(vps_id=bad)
    assert good.count() == len(hostup.vps_ids()) - 1
    assert not good.filter(state_checked_at=None).exists()
    assert not good.exclude(state_error="").exists()


@pytest.mark.django_db
def test_bad_vps_is_flagged_on_its_row(hostup):
    bad = spoil(hostup)

    services.inventory_sync()

    row = VpsSnapshot.objects.get(vps_id=bad)
    assert row.has_state_error and row.state_error == UNREADABLE
    assert row.state_error_at is not None and row.state_checked_at == row.state_error_at


@pytest.mark.django_db
def test_failed_read_keeps_the_last_known_state(hostup):
    services.inventory_sync()
    bad = spoil(hostup)
    known = VpsSnapshot.objects.filter(vps_id=bad).values("routed_available", "routed_prefix", "next_hop").get()

    services.inventory_sync()

    assert VpsSnapshot.objects.filter(vps_id=bad).values("routed_available", "routed_prefix", "next_hop").get() == known


@pytest.mark.django_db
def test_next_pass_reads_the_bad_vps_after_every_other(hostup):
    bad = spoil(hostup)
    services.inventory_sync(limit=order(hostup).index(bad) + 1)  # the pass ends on the bad VPS
    hostup.reset_calls()

    services.inventory_sync()

    reads = state_reads(hostup)
    assert reads[-1] == bad and sorted(reads) == order(hostup)


@pytest.mark.django_db
def test_successful_read_clears_the_error(hostup):
    bad = spoil(hostup, count=1)
    services.inventory_sync()

    services.inventory_sync()

    row = VpsSnapshot.objects.get(vps_id=bad)
    assert (row.state_error, row.state_error_at, row.has_state_error) == ("", None, False)


@pytest.mark.django_db
def test_conflict_on_one_vps_is_that_vps_failure(hostup):
    bad = spoil(hostup, "conflict")

    run = services.inventory_sync().run

    assert run.status == SyncRun.Status.SUCCEEDED and run.states_failed == 1
    assert VpsSnapshot.objects.get(vps_id=bad).state_error.startswith("VPS not ready.")


@pytest.mark.django_db
def test_five_server_errors_in_a_row_stop_the_pass(hostup):
    hostup.fail_next("internal", count=MAX_FAILURES_IN_A_ROW, path_prefix="/api/v2/vps/")

    run = services.inventory_sync().run

    assert run.status == SyncRun.Status.FAILED and run.state_stop == SyncRun.StateStop.FAILING
    assert (run.states_checked, run.states_failed) == (0, MAX_FAILURES_IN_A_ROW)
    assert len(state_reads(hostup)) == MAX_FAILURES_IN_A_ROW
    assert run.message.startswith(f"HostUp failed {MAX_FAILURES_IN_A_ROW} VPSes in a row")


@pytest.mark.django_db
def test_fewer_server_errors_in_a_row_do_not_stop_the_pass(hostup):
    hostup.fail_next("internal", count=MAX_FAILURES_IN_A_ROW - 1, path_prefix="/api/v2/vps/")

    run = services.inventory_sync().run

    assert run.status == SyncRun.Status.SUCCEEDED
    assert (run.states_checked, run.states_failed) == (len(hostup.vps_ids()) - MAX_FAILURES_IN_A_ROW + 1, 4)


@pytest.mark.django_db
def test_refused_key_stops_the_pass(hostup):
    bad = spoil(hostup, "unauthorized", count=1)

    run = services.inventory_sync().run

    assert run.status == SyncRun.Status.FAILED and run.state_stop == SyncRun.StateStop.KEY_REFUSED
    assert state_reads(hostup)[-1] == bad
    assert run.message == "Unauthorized. Authentication required."


@pytest.mark.django_db
def test_stopped_pass_still_counts_what_it_read(hostup):
    bad = spoil(hostup, "unauthorized", count=1)

    run = services.inventory_sync().run

    assert run.states_checked == order(hostup).index(bad)
    assert not VpsSnapshot.objects.exclude(state_error="").exists()  # not that VPS's fault


@pytest.mark.django_db
def test_rate_limit_pauses_the_pass(hostup):
    hostup.fail_next("rate_limit", count=ALWAYS, path_prefix="/api/v2/vps/", retry_after=60)

    run = services.inventory_sync().run

    assert run.status == SyncRun.Status.SUCCEEDED and run.state_stop == SyncRun.StateStop.RATE_LIMITED
    assert (run.states_checked, run.states_failed) == (0, 0)


@pytest.mark.parametrize(
    ("problem", "stop", "outage_sign"),
    [
        (HostupError(code="unauthorized", title="Unauthorized", status=401), SyncRun.StateStop.KEY_REFUSED, False),
        (HostupError(code="forbidden", title="Forbidden", status=403), SyncRun.StateStop.KEY_REFUSED, False),
        (HostupError(code=CONNECTION_FAILED, title="Refused"), SyncRun.StateStop.UNREACHABLE, False),
        (HostupError(code=CONNECT_TIMEOUT, title="No connection"), SyncRun.StateStop.UNREACHABLE, False),
        (HostupError(code=TIMEOUT, title="HostUp did not answer in time"), "", True),
        (HostupError(code=CONNECTION_DROPPED, title="The connection to HostUp broke"), "", True),
        (HostupError(code="bad_gateway", title="Bad gateway", status=502), "", True),
        (HostupError(code="vps_not_ready", title="VPS not ready", status=409), "", False),
    ],
    ids=["401", "403", "refused", "connect-timeout", "timeout", "dropped", "502", "409"],
)
def test_each_failure_belongs_to_one_vps_or_to_hostup(problem, stop, outage_sign):
    assert (_stop_reason(problem), _is_outage_sign(problem)) == (stop, outage_sign)


@pytest.mark.django_db
def test_list_says_the_bad_vps_could_not_be_read(hostup, viewer_client):
    spoil(hostup)
    services.inventory_sync()

    page = viewer_client.get(reverse("inventory:vps-list")).content.decode()

    assert page.count("could not read: ") == 1
    assert f"could not read: {UNREADABLE}" in page


@pytest.mark.django_db
def test_vps_page_says_its_state_could_not_be_read(hostup, viewer_client):
    bad = spoil(hostup)
    services.inventory_sync()

    page = viewer_client.get(reverse("inventory:vps-detail", args=[bad]) + "?live=1").content.decode()

    assert f"could not read: {UNREADABLE}" in page


@pytest.mark.django_db
def test_vps_page_read_clears_the_flag(hostup, viewer_client):
    bad = spoil(hostup, count=1)
    services.inventory_sync()

    page = viewer_client.get(reverse("inventory:vps-detail", args=[bad]) + "?live=1").content.decode()

    assert "could not read: " not in page
    assert not VpsSnapshot.objects.get(vps_id=bad).has_state_error


@pytest.mark.django_db
def test_command_exits_zero_when_some_vpses_failed(hostup):
    spoil(hostup)
    out = StringIO()

    call_command("sync_inventory", stdout=out)

    assert f"{len(hostup.vps_ids()) - 1} routed-IPv6 states read, 1 could not be read" in out.getvalue()


@pytest.mark.django_db
def test_command_fails_when_the_pass_stopped_early(hostup):
    spoil(hostup, "unauthorized", count=1)

    with pytest.raises(CommandError, match="stopped early: HostUp refused our API key"):
        call_command("sync_inventory", stdout=StringIO())


@pytest.mark.django_db
def test_a_background_read_older_than_a_stored_state_does_not_put_it_back(hostup):
    vps_id = pick_vps(synced(hostup), allocated=True)
    client = hostup_client()
    older = client.get_routed_ipv6(vps_id)  # the state pass's read, begun before the action below
    read_started = timezone.now() - timedelta(seconds=1)
    client.release_routed_ipv6(vps_id)
    services.vps_state_refresh(vps_id=vps_id)  # the newer state, as an action or a page stores it
    client.close()

    assert vps_state_store(vps_id=vps_id, state=older, read_started=read_started) is False
    assert not VpsSnapshot.objects.get(vps_id=vps_id).has_active_allocation
