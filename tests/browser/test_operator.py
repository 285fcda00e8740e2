"""The operator's day: search, open a VPS, allocate, refresh the next hop, and read problems in words."""

import re

import pytest
from playwright.sync_api import Page, expect

from hostup_dash.inventory.models import VpsSnapshot
from tests.factories import synced

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SLOW_MS = 800
RATE_LIMITED = "HostUp is rate-limiting us, try again in 7 s"
RACK_ID_TOO_LONG = "Rack id must be at most 50 characters."


def _still_same_page(page: Page) -> bool:
    return page.evaluate("window.__marker") == 1


def test_operator_searches_the_list_and_opens_a_vps(page: Page, live_server, hostup, log_in_as):
    synced(hostup)
    log_in_as("operator")
    wanted = VpsSnapshot.objects.order_by("name")[3]

    page.goto(live_server.url + "/")
    page.evaluate("window.__marker = 1")
    page.get_by_label("Search").fill(wanted.name)

    rows = page.locator("#vps-rows tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(wanted.vps_id)
    expect(page).to_have_url(re.compile(rf"\?q={re.escape(wanted.name)}"))
    assert _still_same_page(page)
    rows.get_by_role("link", name=wanted.name).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(wanted.name)
    expect(page.locator(".facts").first).to_contain_text(wanted.vps_id)


def test_operator_search_without_a_match_says_so(page: Page, live_server, hostup, log_in_as):
    synced(hostup)
    log_in_as("operator")

    page.goto(live_server.url + "/")
    page.get_by_label("Search").fill("no-such-vps-anywhere")

    expect(page.locator("#vps-rows .empty")).to_contain_text("No VPS matches this search")
    page.get_by_role("link", name="Clear the filters").click()
    expect(page.locator("#vps-rows tbody tr")).to_have_count(len(hostup.vps_ids()))


def test_operator_allocates_without_a_page_reload(page: Page, live_server, hostup, open_vps_as):
    open_vps_as("operator", allocated=False)
    panel = page.locator("#ipv6-panel")
    expect(panel.locator("#routed-prefix")).to_have_count(0)
    hostup.config.latency_ms = SLOW_MS

    allocate = panel.get_by_role("button", name="Allocate", exact=True)
    allocate.click()

    expect(panel.locator(".spinner.htmx-indicator")).to_be_visible()
    expect(allocate).to_be_disabled()
    expect(panel.get_by_role("status").filter(has_text="Allocated")).to_be_visible()
    prefix = panel.locator("#routed-prefix")
    expect(prefix).to_have_text(re.compile(r"^[0-9a-f:]+/\d+$"))
    expect(panel.locator(".spinner.htmx-indicator")).to_be_hidden()
    assert _still_same_page(page)
    expect(page.locator("#history tbody tr").first).to_contain_text("Allocate")
    # The live region outside the replaced panel carries the outcome to screen readers.
    expect(page.locator("#ipv6-announce")).to_have_text(re.compile(r"^Allocated [0-9a-f:]+/\d+\.$"))


def test_operator_refreshes_the_next_hop(page: Page, live_server, hostup, open_vps_as):
    vps_id = open_vps_as("operator", allocated=True)
    panel = page.locator("#ipv6-panel")

    panel.get_by_role("button", name="Refresh next hop").click()

    expect(panel.get_by_role("status").filter(has_text="Next hop is now")).to_be_visible()
    expect(panel.locator(".badge", has_text="next hop differs")).to_have_count(0)
    assert _still_same_page(page)
    assert len(hostup.calls_to("POST", f"/api/v2/vps/{vps_id}/routed-ipv6")) == 1


def test_operator_sees_a_rate_limit_in_words(page: Page, live_server, hostup, open_vps_as):
    vps_id = open_vps_as("operator", allocated=False)
    hostup.fail_next("rate_limit", path_prefix=f"/api/v2/vps/{vps_id}", retry_after=7)

    page.locator("#ipv6-panel").get_by_role("button", name="Allocate", exact=True).click()

    expect(page.locator("#ipv6-panel").get_by_role("alert")).to_contain_text(RATE_LIMITED)
    assert _still_same_page(page)


def test_operator_sees_a_field_error_next_to_the_field(page: Page, live_server, hostup, open_vps_as):
    vps_id = open_vps_as("operator", allocated=False)

    page.get_by_label("Rack id").fill("r" * 51)
    page.locator("#ipv6-panel").get_by_role("button", name="Allocate", exact=True).click()

    rack_id = page.get_by_label("Rack id")
    expect(rack_id).to_have_attribute("aria-invalid", "true")
    expect(rack_id).to_have_value("r" * 51)
    error = page.locator("#" + rack_id.get_attribute("aria-describedby"))
    expect(error).to_have_text(RACK_ID_TOO_LONG)
    # Next to the field: the error follows the input directly.
    expect(page.locator("#rack-id + .field-error")).to_have_text(RACK_ID_TOO_LONG)
    assert hostup.calls_to("POST", f"/api/v2/vps/{vps_id}/routed-ipv6") == []


def test_double_click_on_allocate_sends_one_request(page: Page, live_server, hostup, open_vps_as):
    vps_id = open_vps_as("operator", allocated=False)
    hostup.config.latency_ms = 300
    posted = []
    page.on("request", lambda request: posted.append(request.url) if request.method == "POST" else None)

    page.locator("#ipv6-panel").get_by_role("button", name="Allocate", exact=True).dblclick()

    expect(page.locator("#routed-prefix")).to_be_visible()
    assert len(hostup.calls_to("POST", f"/api/v2/vps/{vps_id}/routed-ipv6")) == 1
    assert [url for url in posted if url.endswith("/routed-ipv6/allocate")] == [
        f"{live_server.url}/vps/{vps_id}/routed-ipv6/allocate"
    ]
