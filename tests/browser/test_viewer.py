"""The viewer reads the list and a VPS page, and is offered no action."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import pick_vps, synced

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_viewer_sees_the_list_and_a_vps_but_no_action_buttons(page: Page, live_server, hostup, log_in_as):
    vps_id = pick_vps(hostup, allocated=True)
    synced(hostup)
    log_in_as("viewer")

    page.goto(live_server.url + "/")
    expect(page.locator("#vps-rows tbody tr")).to_have_count(len(hostup.vps_ids()))
    page.locator("#vps-rows tr", has_text=vps_id).get_by_role("link").click()

    panel = page.locator("#ipv6-panel")
    expect(panel.get_by_role("heading", name="Routed IPv6")).to_be_visible()
    expect(panel.locator("#routed-prefix")).to_be_visible()
    expect(panel.get_by_role("link", name="Re-check state")).to_be_visible()
    expect(panel.get_by_role("button", name="Copy prefix")).to_be_visible()
    expect(panel.get_by_role("button", name="Allocate", exact=True)).to_have_count(0)
    expect(panel.get_by_role("button", name="Refresh next hop")).to_have_count(0)
    expect(panel.get_by_text("Release…")).to_have_count(0)
    expect(page.get_by_label("Rack id")).to_have_count(0)
    expect(page.locator("#history")).to_have_count(0)


def test_copy_button_puts_the_prefix_on_the_clipboard(page: Page, live_server, hostup, log_in_as):
    vps_id = pick_vps(hostup, allocated=True)
    synced(hostup)
    log_in_as("viewer")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(f"{live_server.url}/vps/{vps_id}/")
    prefix = page.locator("#routed-prefix").inner_text()

    copy = page.get_by_role("button", name="Copy prefix")
    copy.click()

    expect(copy).to_have_text("Copied")
    expect(page.locator("#announcer")).to_have_text(f"Copied {prefix}")
    assert page.evaluate("navigator.clipboard.readText()") == prefix
    expect(copy).to_have_text("Copy")


def test_times_read_as_relative_with_the_exact_time_on_hover(page: Page, open_vps_as):
    open_vps_as("viewer", allocated=True)

    checked = page.locator("#ipv6-panel dt:text-is('Checked') + dd time")
    expect(checked).to_have_text("just now")
    expect(checked).to_have_attribute("title", re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$"))


def test_list_says_when_hostup_is_down_and_stops_refreshing(page: Page, live_server, hostup, log_in_as, start_worker):
    log_in_as("viewer")
    hostup.fail_next("unavailable", count=100)
    start_worker(queues=["sync"])
    refreshes = []
    page.on(
        "request", lambda request: refreshes.append(request.url) if request.url.endswith("/inventory/refresh") else None
    )

    page.goto(live_server.url + "/")

    expect(page.locator(".sync-status")).to_contain_text("The last sync failed: Service unavailable", timeout=20_000)
    expect(page.locator("#vps-rows .empty")).to_contain_text("No VPSes to show yet")
    expect(page.locator("#vps-rows .loading")).to_have_count(0)
    asked = len(refreshes)
    page.wait_for_timeout(2500)  # longer than the polling interval
    assert len(refreshes) == asked
