"""The import of HostUp's audit log against the simulator over HTTP: windows, idempotence, gaps, the missing scope."""

import json
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from hostup_dash.inventory.models import RateBudget
from hostup_dash.inventory.services.budget import BUDGET_KEY
from hostup_dash.trail import selectors, services
from hostup_dash.trail.models import EventGap, EventImport, HostupEvent
from hostup_dash.trail.services.imports import HOSTUP_KEEPS, KEY_REMOVED, NO_IMPORT_RAN, OVERLAP, SCOPE_MISSING
from hostup_dash.trail.services.ownership import event_settle

pytestmark = pytest.mark.django_db(transaction=True)
Status = EventImport.Status


def _outside(sim, vps_id: str, *, minutes_ago: float, change: str = "refresh_next_hop", actor: str = "staff") -> dict:
    return sim.outside_change(vps_id, change, actor, occurred_at=timezone.now() - timedelta(minutes=minutes_ago))


def _audit_log_calls(sim) -> list[dict[str, str]]:
    return [{k: v[0] for k, v in call.query.items()} for call in sim.calls_to("GET", "/api/v2/audit-log")]


def test_the_first_import_reads_hostups_whole_window_with_startat_and_a_fixed_endat(trail_hostup, allocated_vps):
    _outside(trail_hostup, allocated_vps, minutes_ago=30)

    run = services.events_import()

    assert run.status == Status.SUCCEEDED and run.events_new == 1
    assert run.end_at - run.start_at == HOSTUP_KEEPS - event_settle()
    (query,) = _audit_log_calls(trail_hostup)
    assert query["startAt"].startswith(run.start_at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert query["endAt"].startswith(run.end_at.strftime("%Y-%m-%dT%H:%M:%S")) and query["hideGet"] == "true"


def test_every_page_of_a_run_sends_the_same_window(trail_hostup, allocated_vps):
    for minutes in range(130):
        trail_hostup.add_audit_event(
            {"occurredAt": (timezone.now() - timedelta(minutes=minutes + 1)).isoformat(), "method": "POST"}
        )

    run = services.events_import()

    queries = _audit_log_calls(trail_hostup)
    assert run.events_new == 130 and len(queries) == 2 and "cursor" in queries[1]
    assert {(q["startAt"], q["endAt"]) for q in queries} == {(queries[0]["startAt"], queries[0]["endAt"])}


def test_the_next_import_starts_at_the_last_end_minus_the_overlap(trail_hostup):
    first = services.events_import()

    second = services.events_import()

    assert second.start_at == first.end_at - OVERLAP
    assert _audit_log_calls(trail_hostup)[-1]["startAt"].startswith(second.start_at.strftime("%Y-%m-%dT%H:%M:%S"))


def test_reimporting_the_same_window_stores_each_event_once(trail_hostup, allocated_vps):
    event = _outside(trail_hostup, allocated_vps, minutes_ago=2)
    services.events_import()

    again = services.events_import()

    assert again.events_seen == 1 and again.events_new == 0  # the overlap read it again
    assert list(HostupEvent.objects.values_list("id", flat=True)) == [event["id"]]


def test_an_event_written_late_inside_the_last_window_is_caught_by_the_overlap(trail_hostup, allocated_vps):
    first = services.events_import()
    late = _outside(trail_hostup, allocated_vps, minutes_ago=0)  # backdated below, into the window already read
    trail_hostup.add_audit_event(
        late | {"id": "evt_late", "occurredAt": (first.end_at - timedelta(minutes=1)).isoformat()}
    )

    services.events_import()

    assert HostupEvent.objects.filter(id="evt_late").exists()


def test_a_run_killed_half_way_leaves_the_checkpoint_and_is_read_again(trail_hostup, allocated_vps):
    first = services.events_import()
    # What a killed worker leaves: a run still "running", some of its events stored, no checkpoint moved.
    EventImport.objects.create(start_at=first.end_at - OVERLAP, end_at=timezone.now())
    _outside(trail_hostup, allocated_vps, minutes_ago=1)

    run = services.events_import()

    assert run.start_at == first.end_at - OVERLAP and run.events_new == 1
    assert EventImport.objects.filter(status=Status.RUNNING).count() == 0


def test_imported_events_cannot_be_changed_or_removed(trail_hostup, allocated_vps):
    _outside(trail_hostup, allocated_vps, minutes_ago=1)
    services.events_import()

    for sql in ("UPDATE audit_hostupevent SET summary = 'rewritten'", "DELETE FROM audit_hostupevent"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)


def test_other_categories_are_imported_too(trail_hostup):
    trail_hostup.add_audit_event(
        {
            "occurredAt": (timezone.now() - timedelta(minutes=3)).isoformat(),
            "eventSource": "dns_history",
            "category": "dns",
            "summary": "A record changed",
        }
    )

    services.events_import()

    (event,) = HostupEvent.objects.all()
    assert (event.category, event.is_routed_ipv6, event.outside_dashboard) == ("dns", False, False)


def test_without_audit_read_the_import_fails_in_words(trail_hostup, settings):
    settings.HOSTUP_API_TOKEN = trail_hostup.config.no_audit_token

    run = services.events_import()

    assert (run.status, run.problem_status, run.message) == (Status.FAILED, 403, SCOPE_MISSING)
    assert not EventGap.objects.exists()  # nothing is lost yet: HostUp still keeps it all


def test_an_import_after_hostups_window_records_the_gap(trail_hostup):
    long_ago = timezone.now() - HOSTUP_KEEPS - timedelta(hours=3)
    EventImport.objects.create(status=Status.SUCCEEDED, start_at=long_ago - timedelta(minutes=15), end_at=long_ago)

    run = services.events_import()

    (gap,) = EventGap.objects.all()
    assert gap.from_at == long_ago and gap.reason == NO_IMPORT_RAN
    assert abs(gap.to_at - (run.started_at - HOSTUP_KEEPS)) < timedelta(seconds=1)


def test_failing_imports_extend_one_gap_with_their_reason(trail_hostup, settings):
    long_ago = timezone.now() - HOSTUP_KEEPS - timedelta(hours=1)
    EventImport.objects.create(status=Status.SUCCEEDED, start_at=long_ago - timedelta(minutes=15), end_at=long_ago)
    settings.HOSTUP_API_TOKEN = trail_hostup.config.no_audit_token

    services.events_import()
    later = services.events_import()

    (gap,) = EventGap.objects.all()
    assert gap.reason == f"The imports failed: {SCOPE_MISSING}"
    assert abs(gap.to_at - (later.started_at - HOSTUP_KEEPS)) < timedelta(seconds=1)


def test_a_failed_first_import_at_start_up_leaves_no_gap(trail_hostup, settings):
    # `make run`: the worker's first import runs a second before the simulator answers.
    settings.HOSTUP_API_URL = "http://127.0.0.1:9"
    failed = services.events_import()
    assert failed.status == Status.FAILED
    ten_minutes = timedelta(minutes=10)  # the next import is due that much later
    EventImport.objects.update(started_at=F("started_at") - ten_minutes, start_at=F("start_at") - ten_minutes)
    settings.HOSTUP_API_URL = trail_hostup.url

    run = services.events_import()

    assert run.status == Status.SUCCEEDED and run.start_at < run.started_at - HOSTUP_KEEPS + timedelta(seconds=1)
    assert not EventGap.objects.exists()  # the first success read all HostUp keeps: nothing is missing


def test_each_page_is_taken_from_the_background_share_of_the_rate_limit(trail_hostup):
    # The share is spent until the window ends in a second and a half: the import waits for the next one.
    resets_at = timezone.now() + timedelta(seconds=1.5)
    RateBudget.objects.update_or_create(key=BUDGET_KEY, defaults={"limit": 100, "remaining": 1, "resets_at": resets_at})

    run = services.events_import()

    (call,) = trail_hostup.calls_to("GET", "/api/v2/audit-log")
    assert run.status == Status.SUCCEEDED and timezone.now() >= resets_at
    budget = RateBudget.objects.get(key=BUDGET_KEY)
    assert budget.remaining is not None and budget.remaining < budget.limit  # corrected from HostUp's answer


def test_a_rate_limited_import_fails_in_words_and_holds_off_every_background_call(trail_hostup):
    trail_hostup.fail_next("rate_limit", count=3, path_prefix="/api/v2/audit-log", retry_after=1)

    run = services.events_import()

    assert (run.status, run.problem_status) == (Status.FAILED, 429) and run.message
    assert RateBudget.objects.get(key=BUDGET_KEY).paused_until > timezone.now()


def test_our_api_key_is_never_stored_even_if_hostup_echoes_it(trail_hostup, settings):
    token = settings.HOSTUP_API_TOKEN
    trail_hostup.add_audit_event(
        {
            "occurredAt": (timezone.now() - timedelta(minutes=3)).isoformat(),
            "method": "POST",
            "userAgent": f"curl (Bearer {token})",
            "headers": {"authorization": f"Bearer {token}"},
        }
    )

    services.events_import()

    (event,) = HostupEvent.objects.all()
    assert token not in event.user_agent and token not in json.dumps(event.raw) and KEY_REMOVED in event.user_agent


def test_an_import_that_could_not_reach_hostup_is_tried_again_within_a_minute(trail_hostup, settings):
    settings.HOSTUP_API_URL = "http://127.0.0.1:9"  # `make run`: the worker up before the simulator
    services.events_import()
    EventImport.objects.update(started_at=timezone.now() - timedelta(seconds=61))

    assert selectors.events_import_is_due()


def test_an_import_refused_for_its_key_waits_its_turn(trail_hostup, settings):
    settings.HOSTUP_API_TOKEN = trail_hostup.config.no_audit_token
    services.events_import()
    EventImport.objects.update(started_at=timezone.now() - timedelta(seconds=61))

    assert not selectors.events_import_is_due()  # every HOSTUP_EVENTS_EVERY: only a person can add the scope
