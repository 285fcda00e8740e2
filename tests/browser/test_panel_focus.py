"""After the routed-IPv6 panel is replaced by an action, the focus lands in it, not on <body>."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUSED_ID = "document.activeElement.id"
FOCUS_IN_PANEL = "!!document.activeElement.closest('#ipv6-panel')"


def test_allocate_focuses_the_panel(page: Page, live_server, hostup, open_vps_as):
    open_vps_as("operator", allocated=False)
    panel = page.locator("#ipv6-panel")
    assert page.evaluate(FOCUSED_ID) != "ipv6-heading"  # the panel's first load takes no focus

    panel.get_by_role("button", name="Allocate", exact=True).click()

    expect(panel.get_by_role("status").filter(has_text="Allocated")).to_be_visible()
    expect(panel.locator("#ipv6-heading")).to_be_focused()
    assert page.evaluate(FOCUS_IN_PANEL)


def test_refused_emergency_release_opens_again_focused_on_the_reason(
    page: Page, live_server, hostup, open_vps_as, settings
):
    settings.APPROVAL_REQUIRED_FOR = ["release"]
    open_vps_as("admin", allocated=True)
    panel = page.locator("#ipv6-panel")
    prefix = panel.locator("#routed-prefix").inner_text()

    panel.get_by_text("Release…").click()
    panel.get_by_label(re.compile("to confirm")).fill(prefix)
    panel.locator("#release-emergency").check()
    # The reason is left empty; the browser's own `required` check would stop the form before the server.
    panel.locator("#release-reason").evaluate("field => field.removeAttribute('required')")
    panel.get_by_role("button", name=f"Release now (emergency) {prefix}").click()

    expect(panel.locator("#release-reason-error")).to_be_visible()
    expect(panel.locator("#release-reason")).to_be_focused()
    expect(panel.locator("details.release")).to_have_attribute("open", "")
    expect(panel.locator("#release-confirm")).to_have_value(prefix)
    expect(panel.locator("#release-emergency")).to_be_checked()
    expect(panel.get_by_role("button", name=f"Release now (emergency) {prefix}")).to_be_visible()
