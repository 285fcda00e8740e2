"""The client never follows a redirect: a 3xx is not HostUp's answer, and a followed one replays a write as a GET."""

import pytest

from hostup_dash.hostup import HostupClient, HostupError
from hostup_dash.hostup import errors as codes


def test_a_redirected_write_is_sent_once_and_its_outcome_is_unknown(simulator, hostup_client: HostupClient):
    vps_id = simulator.vps_ids()[0]
    simulator.reset_calls()
    simulator.fail_next("redirect")

    with pytest.raises(HostupError) as raised:
        hostup_client.allocate_routed_ipv6(vps_id)

    assert (raised.value.status, raised.value.code) == (302, codes.UNEXPECTED_REDIRECT)
    assert raised.value.is_outcome_unknown
    assert [(call.method, call.status) for call in simulator.calls] == [("POST", 302)]


def test_a_redirected_read_is_not_followed(simulator, hostup_client: HostupClient):
    vps_id = simulator.vps_ids()[0]
    simulator.reset_calls()
    simulator.fail_next("redirect")

    with pytest.raises(HostupError) as raised:
        hostup_client.get_routed_ipv6(vps_id)

    assert raised.value.code == codes.UNEXPECTED_REDIRECT
    assert len(simulator.calls) == 1
