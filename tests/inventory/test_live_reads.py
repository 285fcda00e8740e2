"""A VPS page's live read: a state read seconds ago stands, and each user has a per-minute budget of reads."""

import time
from datetime import datetime

import pytest
from django.urls import reverse

from hostup_dash.inventory.models import LiveReadCount
from hostup_dash.inventory.services.snapshot import LIVE_READS_SPENT
from tests.factories import synced


def _reads_of(simulator, vps_id: str) -> int:
    return len(simulator.calls_to("GET", f"/api/v2/vps/{vps_id}/routed-ipv6"))


@pytest.fixture
def one_minute(settings):
    """Every read counts toward the budget (no recent-state shortcut), all inside one clock minute."""
    settings.LIVE_STATE_MAX_AGE = 0
    if datetime.now().second >= 58:
        time.sleep(2.5)


@pytest.mark.django_db
def test_a_reload_within_the_max_age_makes_no_second_call(hostup, viewer_client):
    vps_id = synced(hostup).vps_ids()[0]
    url = reverse("inventory:vps-detail", args=[vps_id]) + "?live=1"

    first, second = viewer_client.get(url), viewer_client.get(url)

    assert (first.status_code, second.status_code) == (200, 200)
    assert _reads_of(hostup, vps_id) == 1


@pytest.mark.django_db
def test_a_state_older_than_the_max_age_is_read_again(hostup, viewer_client, settings):
    settings.LIVE_STATE_MAX_AGE = 0
    vps_id = synced(hostup).vps_ids()[0]
    url = reverse("inventory:vps-detail", args=[vps_id]) + "?live=1"

    viewer_client.get(url)
    viewer_client.get(url)

    assert _reads_of(hostup, vps_id) == 2


@pytest.mark.django_db
def test_reads_beyond_the_minute_budget_show_the_snapshot_and_say_so(hostup, viewer_client, settings, one_minute):
    settings.LIVE_READS_PER_USER_MINUTE = 2
    vps_id = synced(hostup).vps_ids()[0]
    url = reverse("inventory:vps-detail", args=[vps_id]) + "?live=1"

    pages = [viewer_client.get(url).content.decode() for _ in range(3)]

    assert _reads_of(hostup, vps_id) == 2
    assert [LIVE_READS_SPENT in page for page in pages] == [False, False, True]
    assert "Prefix" in pages[2]  # the snapshot's state is still shown


@pytest.mark.django_db
def test_the_budget_is_each_users_own(hostup, role_client, settings, one_minute):
    settings.LIVE_READS_PER_USER_MINUTE = 1
    vps_id = synced(hostup).vps_ids()[0]
    url = reverse("inventory:vps-detail", args=[vps_id]) + "?live=1"
    viewer, operator = role_client("viewer"), role_client("operator")

    viewer.get(url)
    viewer.get(url)
    operator.get(url)

    assert _reads_of(hostup, vps_id) == 2


@pytest.mark.django_db
def test_the_budget_is_counted_in_one_row_per_user_and_minute(hostup, viewer_client, settings, one_minute):
    vps_id = synced(hostup).vps_ids()[0]
    url = reverse("inventory:vps-detail", args=[vps_id]) + "?live=1"

    for _ in range(3):
        viewer_client.get(url)

    assert list(LiveReadCount.objects.values_list("user__username", "reads")) == [("viewer", 3)]


@pytest.mark.django_db
def test_a_new_minute_drops_the_users_earlier_counts(hostup, viewer_client, django_user_model, one_minute):
    vps_id = synced(hostup).vps_ids()[0]
    viewer = django_user_model.objects.get(username="viewer")
    LiveReadCount.objects.create(user=viewer, minute=datetime.fromisoformat("2026-01-01T00:00:00+00:00"), reads=99)

    viewer_client.get(reverse("inventory:vps-detail", args=[vps_id]) + "?live=1")

    assert list(LiveReadCount.objects.values_list("reads", flat=True)) == [1]
    assert _reads_of(hostup, vps_id) == 1
