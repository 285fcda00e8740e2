"""From the list to a bulk run: every drifted VPS picked in two clicks, and the header box that ticks a page."""

import re

import pytest
from playwright.sync_api import Page, expect

from hostup_dash.bulk.models import BulkRun
from hostup_dash.inventory.models import VpsSnapshot
from hostup_dash.inventory.selectors import VpsState, state_filters
from tests.bulk.helpers import drifted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_operator_refreshes_every_drifted_vps_in_two_clicks(page: Page, live_server, hostup, log_in_as):
    drifted(hostup, 3)
    wanted = set(VpsSnapshot.objects.filter(state_filters()[VpsState.DRIFTED]).values_list("vps_id", flat=True))
    log_in_as("operator")
    page.goto(live_server.url + "/")

    page.get_by_role("link", name=re.compile(r"^next hop differs")).click()
    page.get_by_role("button", name=re.compile(r"^Refresh next hop of all \d+ matching$")).click()

    expect(page).to_have_url(re.compile(r"/bulk/\d+/$"))
    expect(page.get_by_role("progressbar", name="Items done")).to_be_visible()
    run = BulkRun.objects.get()
    assert set(run.items.values_list("vps_id", flat=True)) == wanted and len(wanted) >= 3


def test_the_header_box_ticks_every_row_on_the_page(page: Page, live_server, hostup, log_in_as):
    drifted(hostup, 2)
    log_in_as("operator")
    page.goto(live_server.url + "/")

    page.get_by_label("Select every VPS on this page").check()

    boxes = page.locator('#vps-rows input[name="vps"]')
    expect(boxes).to_have_count(len(hostup.vps_ids()))
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
