"""The list's state filters and the counts above it: one definition per state, agreeing with the badges' properties."""

from datetime import timedelta

import pytest
from django.utils import timezone

from hostup_dash.inventory import selectors
from hostup_dash.inventory.models import StateCounts, VpsSnapshot
from hostup_dash.inventory.selectors import VpsState
from tests.inventory.test_list_paging import names_on

NOW = timezone.now()
HOP, OTHER_HOP = "fe80::1", "fe80::2"
# The property each state's filter must agree with, as the rows' badges read it.
PROPERTIES = {
    VpsState.ACTIVE: "has_active_allocation",
    VpsState.DRIFTED: "is_next_hop_stale",
    VpsState.UNAVAILABLE: "is_unavailable",
    VpsState.COOLDOWN: "is_in_cooldown",
    VpsState.NEVER_CHECKED: "is_never_checked",
    VpsState.UNREADABLE: "has_state_error",
    VpsState.OUTSIDE: "is_changed_outside",
}
CHECKED = {"state_checked_at": NOW, "routed_available": True}
# Each row an edge of some state: in it, or only just out of it.
SHAPES = {
    "never-read": {},
    "idle": {**CHECKED},
    "active": {**CHECKED, "allocation_status": "active", "next_hop": HOP, "suggested_next_hop": HOP},
    "drifted": {**CHECKED, "allocation_status": "active", "next_hop": HOP, "suggested_next_hop": OTHER_HOP},
    "active-no-suggestion": {**CHECKED, "allocation_status": "active", "next_hop": HOP},
    "released-drifted": {**CHECKED, "allocation_status": "released", "next_hop": HOP, "suggested_next_hop": OTHER_HOP},
    "cooling": {
        **CHECKED,
        "routed_available": False,
        "allocation_status": "cooldown",
        "cooldown_until": NOW + timedelta(days=3),
    },
    "cooled": {
        **CHECKED,
        "routed_available": False,
        "allocation_status": "cooldown",
        "cooldown_until": NOW - timedelta(days=1),
    },
    "cooldown-no-end": {**CHECKED, "routed_available": False, "allocation_status": "cooldown"},
    "unavailable": {**CHECKED, "routed_available": False},
    "unreadable": {**CHECKED, "state_error": "HostUp timed out", "state_error_at": NOW},
    "unreadable-never-read": {"state_error": "HostUp timed out", "state_error_at": NOW},
    "changed-outside": {**CHECKED, "outside_changed_at": NOW - timedelta(days=6)},
    "changed-outside-long-ago": {**CHECKED, "outside_changed_at": NOW - timedelta(days=8)},
}


def shaped() -> dict[str, VpsSnapshot]:
    rows = VpsSnapshot.objects.bulk_create(
        VpsSnapshot(vps_id=f"vps_{i:026d}", name=name, synced_at=NOW, **fields)
        for i, (name, fields) in enumerate(SHAPES.items())
    )
    return {row.name: row for row in rows}


@pytest.mark.django_db
@pytest.mark.parametrize("state", VpsState)
def test_each_state_filter_agrees_with_its_property(state):
    rows = shaped()

    filtered = set(selectors.vps_list(state=state).values_list("name", flat=True))

    by_property = {name for name, row in rows.items() if getattr(row, PROPERTIES[state])}
    assert filtered == by_property and filtered  # a state no row is in would prove nothing


@pytest.mark.django_db
def test_counts_count_each_state_in_one_query(django_assert_num_queries):
    shaped()

    with django_assert_num_queries(1):
        counts = selectors.state_counts_count()

    assert counts == {
        VpsState.ACTIVE: 3,
        VpsState.DRIFTED: 1,
        VpsState.UNAVAILABLE: 3,
        VpsState.COOLDOWN: 1,
        VpsState.NEVER_CHECKED: 2,
        VpsState.UNREADABLE: 2,
        VpsState.OUTSIDE: 1,
    }


@pytest.mark.django_db
def test_fresh_counts_are_read_not_recounted(django_assert_num_queries):
    shaped()
    counted = selectors.state_counts()
    VpsSnapshot.objects.filter(name="idle").update(state_error="HostUp timed out")

    with django_assert_num_queries(1):
        assert selectors.state_counts() == counted


@pytest.mark.django_db
def test_counts_older_than_their_age_are_recounted():
    shaped()
    selectors.state_counts()
    VpsSnapshot.objects.filter(name="idle").update(state_error="HostUp timed out")
    StateCounts.objects.update(counted_at=timezone.now() - selectors.STATE_COUNTS_MAX_AGE)

    assert selectors.state_counts()[VpsState.UNREADABLE] == 3


@pytest.mark.django_db
def test_list_shows_each_state_count_as_a_link_to_its_filter(viewer_client):
    shaped()

    page = viewer_client.get("/").content.decode()

    assert '<a href="/?state=drifted">next hop differs <strong>1</strong></a>' in page
    assert '<a href="/?state=unreadable">could not read <strong>2</strong></a>' in page
    assert '<a href="/?state=active">active <strong>3</strong></a>' in page


@pytest.mark.django_db
@pytest.mark.parametrize("state", VpsState)
def test_state_filter_shows_only_that_state(viewer_client, state):
    rows = shaped()

    page = viewer_client.get("/", {"state": state}).content.decode()

    assert names_on(page) == sorted(name for name, row in rows.items() if getattr(row, PROPERTIES[state]))
    assert f'<a href="/?state={state}" aria-current="true">' in page


@pytest.mark.django_db
def test_an_unknown_state_filters_nothing(viewer_client):
    shaped()

    response = viewer_client.get("/", {"state": "haunted"})

    assert response.status_code == 200
    assert len(names_on(response.content.decode())) == len(SHAPES)
