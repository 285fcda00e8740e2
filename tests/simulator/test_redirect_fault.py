"""The redirect failure kind: an answer HostUp itself never sends, for clients that must not follow it."""

from hostup_dash.simulator.faults import REDIRECT_LOCATION
from hostup_dash.simulator.server import Simulator
from tests.simulator.helpers import call, routed


def test_fail_next_redirect_answers_302_with_a_location(simulator: Simulator) -> None:
    simulator.fail_next("redirect")
    vps_id = simulator.vps_ids()[0]

    response = call(simulator, "POST", routed(vps_id), json={"action": "allocate"}, allow_redirects=False)

    assert (response.status_code, response.headers["Location"]) == (302, REDIRECT_LOCATION)
    assert simulator.calls[-1].status == 302
