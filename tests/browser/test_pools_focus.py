"""The pools page in the browser: after an action the focus stays in the panel (never on <body>),
and at phone width the page itself does not scroll sideways."""

import pytest
from playwright.sync_api import Page, expect

from tests.factories import synced
from tests.pools.helpers import eligible_vps

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUS_IN_PANEL = "!!document.activeElement.closest('#pools-panel')"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def pools_page(page: Page, live_server, hostup, log_in_as) -> Page:
    synced(hostup)
    log_in_as("admin")
    page.goto(f"{live_server.url}/routed-ipv6/")
    expect(page.locator("#pools-panel")).to_be_visible()
    return page


def test_a_plain_page_load_takes_no_focus(pools_page: Page):
    assert pools_page.evaluate("document.activeElement === document.body")


def test_a_refused_create_focuses_the_prefix(pools_page: Page):
    form = pools_page.locator("#create-route form")
    form.get_by_label("Destination VPS").select_option(eligible_vps())
    form.locator("#route-prefix").fill("not a prefix")
    form.get_by_role("button", name="Create route").click()

    expect(pools_page.locator("#route-prefix-error")).to_be_visible()
    expect(pools_page.locator("#route-prefix")).to_be_focused()


def test_a_wrong_confirm_delete_focuses_the_confirm_field(pools_page: Page):
    row = pools_page.locator("#pools-panel tr[id^=route-]").first
    row.get_by_text("Delete…").click()
    row.get_by_label("Reason").fill("checking the focus")
    row.get_by_label("to confirm").fill("not the prefix")
    row.get_by_role("button", name="Delete").click()

    confirm = pools_page.locator("#pools-panel tr[id^=route-] input[name=confirm][aria-invalid=true]")
    expect(confirm).to_be_focused()


def test_a_created_route_focuses_the_panel(pools_page: Page):
    form = pools_page.locator("#create-route form")
    form.get_by_label("Destination VPS").select_option(eligible_vps())
    form.get_by_role("button", name="Create route").click()

    expect(pools_page.locator("#pools-announce .flash.success")).to_contain_text("Routed")
    expect(pools_page.locator("#pools-heading")).to_be_focused()
    assert pools_page.evaluate(FOCUS_IN_PANEL)


def test_the_page_does_not_scroll_sideways_at_phone_width(pools_page: Page):
    pools_page.set_viewport_size(PHONE)
    pools_page.reload()
    expect(pools_page.locator("#pools-panel table.routes").first).to_be_visible()
    assert pools_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 4
