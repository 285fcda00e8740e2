"""Bulk runs as the service makes and works through them: skips say why, records carry the run id."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from hostup_dash.audit.models import AuditRecord
from hostup_dash.bulk import services
from hostup_dash.bulk.models import BulkItem, BulkRun
from hostup_dash.core.errors import Refusal
from hostup_dash.inventory.models import VpsSnapshot
from tests.bulk.helpers import drifted, posts_to
from tests.factories import action_trail, pick_vps, synced

pytestmark = pytest.mark.django_db
Action = BulkRun.Action
State = BulkItem.State


def _run(user, action: str, vps_ids: list[str]) -> BulkRun:
    run = services.bulk_run_create(actor=user, action=action, vps_ids=vps_ids, queue=False)
    services.bulk_run_process(run_id=run.id)
    run.refresh_from_db()
    return run


def _states(run: BulkRun) -> list[tuple[str, str]]:
    return list(run.items.order_by("id").values_list("state", "detail"))


def test_drifted_vpses_are_refreshed_and_their_records_carry_the_run_id(hostup, make_user):
    vps_ids = drifted(hostup, 3)

    run = _run(make_user("operator"), Action.REFRESH_NEXT_HOP, vps_ids)

    assert run.status == BulkRun.Status.FINISHED and run.finished_at is not None
    assert [state for state, _ in _states(run)] == [State.SUCCEEDED] * 3
    records = AuditRecord.objects.filter(vps_id__in=vps_ids).exclude(action="view_inventory")
    assert sorted(records.values_list("outcome", flat=True)) == ["pending"] * 3 + ["succeeded"] * 3
    assert set(records.values_list("bulk_run_id", flat=True)) == {run.id}
    assert all(not snapshot.is_next_hop_stale for snapshot in VpsSnapshot.objects.filter(vps_id__in=vps_ids))


def test_each_item_links_its_outcome_record(hostup, make_user):
    [vps_id] = drifted(hostup, 1)

    run = _run(make_user("operator"), Action.REFRESH_NEXT_HOP, [vps_id])

    record = run.items.get().audit_record
    assert (record.outcome, record.vps_id, record.bulk_run_id) == ("succeeded", vps_id, run.id)


def test_refresh_skips_a_vps_whose_next_hop_is_already_right(hostup, make_user):
    [vps_id] = drifted(hostup, 1)
    _run(make_user("operator", "first"), Action.REFRESH_NEXT_HOP, [vps_id])
    hostup.reset_calls()

    run = _run(make_user("operator", "second"), Action.REFRESH_NEXT_HOP, [vps_id])

    [(state, detail)] = _states(run)
    next_hop = VpsSnapshot.objects.get(vps_id=vps_id).next_hop
    assert (state, detail) == (State.SKIPPED, services.SKIP_NEXT_HOP_RIGHT.format(next_hop=next_hop))
    assert posts_to(hostup, vps_id) == 0


def test_refresh_skips_a_vps_without_an_allocation(hostup, make_user):
    vps_id = pick_vps(hostup, allocated=False)
    synced(hostup)

    run = _run(make_user("operator"), Action.REFRESH_NEXT_HOP, [vps_id])

    assert _states(run) == [(State.SKIPPED, services.SKIP_NOT_ALLOCATED)]


def test_allocate_skips_an_allocated_vps_and_allocates_the_other(hostup, make_user):
    allocated, idle = pick_vps(hostup, allocated=True), pick_vps(hostup, allocated=False)
    synced(hostup)

    run = _run(make_user("operator"), Action.ALLOCATE, [allocated, idle])

    prefix = VpsSnapshot.objects.get(vps_id=allocated).routed_prefix
    [skipped, succeeded] = _states(run)
    assert skipped == (State.SKIPPED, services.SKIP_ALREADY_ALLOCATED.format(prefix=prefix))
    assert succeeded[0] == State.SUCCEEDED and succeeded[1].startswith("Allocated ")


def test_allocate_skips_a_vps_where_routed_ipv6_is_not_available(hostup, make_user):
    vps_id = hostup.add_vps(name="stopped-1", power_state="stopped")
    synced(hostup)

    run = _run(make_user("operator"), Action.ALLOCATE, [vps_id])

    assert _states(run) == [(State.SKIPPED, services.SKIP_NOT_AVAILABLE.format(reason="The VPS is not running."))]


def test_a_viewer_may_not_start_a_run_and_the_refusal_is_audited(hostup, make_user):
    with pytest.raises(Refusal) as refused:
        services.bulk_run_create(actor=make_user("viewer"), action=Action.ALLOCATE, vps_ids=["vps_" + "0" * 26])

    assert refused.value.status == 403
    assert action_trail() == [("allocate", "refused")]
    assert not BulkRun.objects.exists()


def test_an_empty_selection_is_refused(make_user):
    with pytest.raises(Refusal, match=services.NOTHING_SELECTED):
        services.bulk_run_create(actor=make_user("operator"), action=Action.ALLOCATE, vps_ids=[])


def test_text_that_is_not_a_vps_id_is_refused(make_user):
    with pytest.raises(Refusal, match="Not a VPS id"):
        services.bulk_run_create(actor=make_user("operator"), action=Action.ALLOCATE, vps_ids=["../etc"])


def test_processing_a_finished_run_again_does_nothing(hostup, make_user):
    run = _run(make_user("operator"), Action.REFRESH_NEXT_HOP, drifted(hostup, 2))
    hostup.reset_calls()
    records = AuditRecord.objects.count()

    services.bulk_run_process(run_id=run.id)

    assert hostup.calls == [] and AuditRecord.objects.count() == records


def test_cancel_skips_the_items_not_yet_started(hostup, make_user):
    user = make_user("operator")
    run = services.bulk_run_create(actor=user, action=Action.REFRESH_NEXT_HOP, vps_ids=drifted(hostup, 2), queue=False)

    services.bulk_run_cancel(run=run, actor=user)
    services.bulk_run_process(run_id=run.id)

    run.refresh_from_db()
    assert run.status == BulkRun.Status.CANCELLED and run.cancelled_by_name == "operator"
    assert _states(run) == [(State.SKIPPED, services.CANCELLED_DETAIL)] * 2
    assert hostup.calls_to("POST", "/") == []


def test_an_item_left_running_by_a_dead_worker_ends_unknown_and_is_not_sent_again(hostup, make_user):
    vps_ids = drifted(hostup, 2)
    run = services.bulk_run_create(
        actor=make_user("operator"), action=Action.REFRESH_NEXT_HOP, vps_ids=vps_ids, queue=False
    )
    run.items.filter(vps_id=vps_ids[0]).update(state=State.RUNNING)  # as a worker killed mid-call leaves it

    services.bulk_run_process(run_id=run.id)

    assert [state for state, _ in _states(run)] == [State.UNKNOWN, State.SUCCEEDED]
    assert _states(run)[0][1] == services.LOST_DETAIL
    assert (posts_to(hostup, vps_ids[0]), posts_to(hostup, vps_ids[1])) == (0, 1)


def test_a_429_on_the_read_leaves_the_item_pending_and_says_when_to_come_back(hostup, make_user):
    vps_ids = drifted(hostup, 2)
    run = services.bulk_run_create(
        actor=make_user("operator"), action=Action.REFRESH_NEXT_HOP, vps_ids=vps_ids, queue=False
    )
    hostup.fail_next("rate_limit", path_prefix="/api/v2/vps/", retry_after=3)

    result = services.bulk_run_process(run_id=run.id)

    run.refresh_from_db()
    assert result.retry_after == 3
    assert [state for state, _ in _states(run)] == [State.PENDING, State.PENDING]
    assert run.paused_until is not None and run.finished_at is None


def test_the_audit_chain_verifies_with_bulk_records(hostup, make_user):
    _run(make_user("operator"), Action.REFRESH_NEXT_HOP, drifted(hostup, 2))

    assert call_command("audit_verify", stdout=StringIO()) == "4 records, chain intact"


def test_a_record_outside_a_bulk_run_hashes_as_records_did_before_bulk_runs():
    record = AuditRecord(actor_name="alice", action="login", outcome="succeeded", prev_hash="0" * 64)

    assert "bulk_run_id" not in record.canonical_content()


def test_the_audit_record_page_links_its_bulk_run(hostup, make_user, admin_client_role):
    run = _run(make_user("operator"), Action.REFRESH_NEXT_HOP, drifted(hostup, 1))
    record = run.items.get().audit_record

    page = admin_client_role.get(reverse("audit:audit-detail", args=[record.id])).content.decode()

    assert f'href="{reverse("bulk:run-detail", args=[run.id])}"' in page
