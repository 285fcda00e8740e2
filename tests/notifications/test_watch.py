"""sync.failing once per failing spell (and once when it ends); drift.found once per drift, not per read."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from hostup_dash.inventory import services as inventory
from hostup_dash.inventory.models import SyncRun
from hostup_dash.notifications import watch
from hostup_dash.notifications.models import Delivery, DriftNotice
from tests.factories import pick_vps, synced

pytestmark = pytest.mark.django_db


def _events() -> list[tuple[str, str]]:
    bodies = [json.loads(bytes(p)) for p in Delivery.objects.order_by("id").values_list("payload", flat=True)]
    return [(body["event"], body["outcome"]) for body in bodies]


def _run(status: str, *, minutes_ago: float, message: str = "") -> SyncRun:
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return SyncRun.objects.create(started_at=at, finished_at=at, status=status, message=message)


def test_nothing_is_said_before_any_pass_was_tried(webhook_for):
    webhook_for("sync.failing")
    assert watch.sync_health_check() is None and not Delivery.objects.exists()


def test_a_recent_success_is_not_failing(webhook_for):
    webhook_for("sync.failing")
    _run(SyncRun.Status.SUCCEEDED, minutes_ago=14)
    _run(SyncRun.Status.FAILED, minutes_ago=1)
    assert watch.sync_health_check() is None and not Delivery.objects.exists()


def test_failing_for_15_minutes_is_said_once_then_its_end_once(webhook_for):
    webhook_for("sync.failing")
    _run(SyncRun.Status.SUCCEEDED, minutes_ago=16)
    _run(SyncRun.Status.FAILED, minutes_ago=1, message="HostUp could not be reached.")

    assert watch.sync_health_check() == watch.FAILING
    assert watch.sync_health_check() is None  # the same spell
    text = json.loads(bytes(Delivery.objects.get().payload))["text"]
    assert text.startswith("No inventory pass has succeeded for 15 minutes") and "could not be reached" in text

    _run(SyncRun.Status.SUCCEEDED, minutes_ago=0)
    assert watch.sync_health_check() == watch.RECOVERED
    assert watch.sync_health_check() is None
    assert _events() == [("sync.failing", "failing"), ("sync.failing", "recovered")]


def test_a_sync_that_never_succeeded_fails_from_its_first_try(webhook_for):
    webhook_for("sync.failing")
    _run(SyncRun.Status.FAILED, minutes_ago=20)
    assert watch.sync_health_check() == watch.FAILING


@pytest.fixture
def drifting_vps(hostup) -> str:
    vps_id = pick_vps(hostup, allocated=True)
    synced(hostup)
    hostup.renumber_net0(vps_id)  # HostUp now suggests another next hop than the allocation's
    return vps_id


def test_a_drift_is_told_once_however_often_it_is_read(webhook_for, drifting_vps):
    webhook_for("drift.found")

    inventory.vps_state_refresh(vps_id=drifting_vps)
    inventory.vps_state_refresh(vps_id=drifting_vps)
    inventory.vps_state_refresh(vps_id=drifting_vps)

    [delivery] = Delivery.objects.all()
    body = json.loads(bytes(delivery.payload))
    assert (body["event"], body["vps_id"], body["outcome"]) == ("drift.found", drifting_vps, "drifted")
    assert "differs from HostUp's suggestion" in body["text"] and body["vps_name"]


def test_a_drift_that_ended_is_forgotten_so_the_next_one_is_told(webhook_for, drifting_vps, hostup, make_user):
    webhook_for("drift.found")
    inventory.vps_state_refresh(vps_id=drifting_vps)
    assert watch.drift_notices_prune() == 0  # still drifted

    inventory.ipv6_next_hop_refresh(actor=make_user("operator"), vps_id=drifting_vps)
    assert watch.drift_notices_prune() == 1 and not DriftNotice.objects.exists()

    hostup.renumber_net0(drifting_vps)
    inventory.vps_state_refresh(vps_id=drifting_vps)
    assert Delivery.objects.count() == 2


def test_the_state_pass_tells_of_a_drift_once(webhook_for, drifting_vps, settings):
    settings.STATE_PASS_MIN_AGE = 0
    webhook_for("drift.found")
    inventory.state_pass_run()
    inventory.state_pass_run()  # a second read of every VPS
    told = [json.loads(bytes(p))["vps_id"] for p in Delivery.objects.values_list("payload", flat=True)]
    assert drifting_vps in told and len(told) == len(set(told))  # every drifted VPS (the seed has more), once
