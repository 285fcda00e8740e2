"""Fixtures of the trail's tests: the simulator with a synced snapshot, and a short HostUp timeout, so
an event is old enough to import (HOSTUP_TIMEOUT plus a few seconds) after a short wait."""

import time
from datetime import timedelta

import pytest

from hostup_dash.trail.services.ownership import event_settle
from tests.factories import pick_vps, synced

FAST_TIMEOUT_S = 0.5


@pytest.fixture
def trail_hostup(hostup, settings):
    settings.HOSTUP_TIMEOUT = FAST_TIMEOUT_S
    return synced(hostup)


@pytest.fixture
def operator(make_user):
    return make_user("operator")


@pytest.fixture
def free_vps(trail_hostup) -> str:
    return pick_vps(trail_hostup, allocated=False)


@pytest.fixture
def allocated_vps(trail_hostup) -> str:
    return pick_vps(trail_hostup, allocated=True)


def settle(extra: timedelta = timedelta(0)) -> None:
    """Wait until what HostUp logged so far is old enough to be imported."""
    time.sleep((event_settle() + extra).total_seconds() + 0.2)
