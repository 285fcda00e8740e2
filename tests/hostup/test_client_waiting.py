"""A slow HostUp: reads give up sooner than writes, and a process bounds the threads waiting on HostUp."""

import time

import pytest

from hostup_dash.hostup import HostupClient, HostupError
from hostup_dash.hostup import errors as codes
from hostup_dash.hostup.waiting import WaitingSlots
from tests.conftest import FULL_TOKEN
from tests.hostup.hanging import HangingServer

VPS_ID = "vps_" + "0" * 26


def _timed_failure(call) -> tuple[HostupError, float]:
    started = time.monotonic()
    with pytest.raises(HostupError) as raised:
        call()
    return raised.value, time.monotonic() - started


def test_a_read_gives_up_after_the_read_timeout():
    with HangingServer() as hanging:
        client = HostupClient(base_url=hanging.url, token=FULL_TOKEN, timeout=5.0, read_timeout=0.3, max_retries=0)
        error, seconds = _timed_failure(lambda: client.get_routed_ipv6(VPS_ID))
        client.close()

    assert error.code == codes.TIMEOUT
    assert 0.3 <= seconds < 2.0


def test_a_write_keeps_the_full_timeout():
    with HangingServer() as hanging:
        client = HostupClient(base_url=hanging.url, token=FULL_TOKEN, timeout=0.8, read_timeout=0.1)
        error, seconds = _timed_failure(lambda: client.allocate_routed_ipv6(VPS_ID))
        client.close()

    assert error.code == codes.TIMEOUT
    assert seconds >= 0.8


def test_a_client_finding_no_free_slot_is_turned_away_before_sending(simulator):
    slots = WaitingSlots(1)
    holder = HostupClient(base_url=simulator.url, token=FULL_TOKEN, timeout=2.0, waiting=slots)

    error, seconds = _timed_failure(
        lambda: HostupClient(base_url=simulator.url, token=FULL_TOKEN, timeout=2.0, waiting=slots)
    )

    assert error.code == codes.HOSTUP_BUSY and error.is_busy and not error.is_outcome_unknown
    assert seconds < 0.5
    assert simulator.calls == []
    holder.close()


def test_closing_a_client_gives_its_slot_back(simulator):
    slots = WaitingSlots(1)
    HostupClient(base_url=simulator.url, token=FULL_TOKEN, timeout=2.0, waiting=slots).close()

    client = HostupClient(base_url=simulator.url, token=FULL_TOKEN, timeout=2.0, waiting=slots)
    client.get_routed_ipv6(simulator.vps_ids()[0])
    client.close()

    assert [call.status for call in simulator.calls] == [200]
