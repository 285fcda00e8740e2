"""`make screenshots`: the pictures in README.md, taken from the browser-test setup.

Left out of ordinary runs (see `pytest_collection_modifyitems` in conftest.py).
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from hostup_dash.hostup import HostupError
from hostup_dash.inventory import services
from hostup_dash.simulator.server import Simulator, SimulatorConfig
from tests.conftest import FULL_TOKEN, READ_TOKEN
from tests.factories import pick_vps

pytestmark = [pytest.mark.browser, pytest.mark.screenshots, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    """A fuller fleet than the other tests use, so the list looks like a working day."""
    sim = Simulator(SimulatorConfig(vps_count=18, seed=7, full_token=FULL_TOKEN, read_token=READ_TOKEN)).start()
    yield sim
    sim.stop()


def _shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)  # no hover highlight in the picture
    page.screenshot(path=SCREENSHOTS / name, full_page=True, animations="disabled")


def test_take_screenshots(page: Page, live_server, hostup, make_user, log_in_as):
    vps_id = pick_vps(hostup, allocated=False)
    busy_id = pick_vps(hostup, allocated=True)
    services.inventory_sync()
    operator = make_user("operator", username="olivia")
    services.ipv6_next_hop_refresh(actor=operator, vps_id=busy_id)
    hostup.fail_next("rate_limit", path_prefix=f"/api/v2/vps/{busy_id}", retry_after=12)
    with pytest.raises(HostupError):  # a failed attempt, so the audit picture shows one
        services.ipv6_next_hop_refresh(actor=operator, vps_id=busy_id)
    log_in_as("admin")

    page.goto(live_server.url + "/")
    expect(page.locator("#vps-rows tbody tr").first).to_be_visible()
    _shoot(page, "list.png")

    page.goto(f"{live_server.url}/vps/{vps_id}/")
    expect(page.locator("#ipv6-panel")).to_be_visible()
    _shoot(page, "vps-before.png")

    page.locator("#ipv6-panel").get_by_role("button", name="Allocate", exact=True).click()
    expect(page.locator("#routed-prefix")).to_be_visible()
    expect(page.locator("#history tbody tr").first).to_contain_text("Allocate")
    _shoot(page, "vps-after-allocate.png")

    page.goto(live_server.url + "/audit/")
    expect(page.locator("#audit-rows tbody tr").first).to_be_visible()
    _shoot(page, "audit.png")
