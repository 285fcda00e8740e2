"""The admin releases a prefix, only behind the confirmation: a reason, and the prefix typed."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_releases_behind_the_confirmation_and_sees_the_cooldown(page: Page, hostup, open_vps_as):
    vps_id = open_vps_as("admin", allocated=True)
    panel = page.locator("#ipv6-panel")
    prefix = panel.locator("#routed-prefix").inner_text()
    release = panel.get_by_role("button", name=f"Release {prefix}")
    expect(release).to_be_hidden()

    panel.get_by_text("Release…").click()
    expect(release).to_be_visible()
    panel.locator("#release-reason").fill("Decommissioning this VPS")
    panel.get_by_label("Ticket").last.fill("OPS-1234")
    panel.get_by_label(f"Type {prefix} to confirm").fill(prefix.upper())  # not exactly the prefix
    release.click()

    expect(panel.locator("#release-confirm-error")).to_contain_text(f"type the prefix being released, {prefix}")
    assert hostup.calls_to("DELETE", f"/api/v2/vps/{vps_id}") == []

    expect(panel.locator("#release-reason")).to_have_value(
        "Decommissioning this VPS"
    )  # kept, and open, after the refusal
    panel.get_by_label(f"Type {prefix} to confirm").fill(prefix)
    panel.get_by_role("button", name=f"Release {prefix}").click()

    expect(panel.get_by_role("status").filter(has_text=f"Released {prefix}")).to_contain_text("cooldown")
    expect(panel.locator(".badge", has_text="cooldown")).to_be_visible()
    expect(panel.get_by_role("button", name="Allocate", exact=True)).to_have_count(1)
    assert len(hostup.calls_to("DELETE", f"/api/v2/vps/{vps_id}/routed-ipv6")) == 1
    expect(page.locator("#history")).to_contain_text("Decommissioning this VPS")
    expect(page.locator("#history")).to_contain_text("OPS-1234")


def test_with_debug_on_a_refusal_stays_in_the_panel(page: Page, hostup, open_vps_as, settings):
    """`make run` runs with DEBUG on: a 400 from a form must still be swapped into its panel, not the page."""
    settings.DEBUG = True
    open_vps_as("admin", allocated=True)
    panel = page.locator("#ipv6-panel")
    prefix = panel.locator("#routed-prefix").inner_text()

    panel.get_by_text("Release…").click()
    panel.locator("#release-reason").fill("Decommissioning this VPS")
    panel.get_by_label(f"Type {prefix} to confirm").fill("not the prefix")
    panel.get_by_role("button", name=f"Release {prefix}").click()

    expect(panel.locator("#release-confirm-error")).to_contain_text(f"type the prefix being released, {prefix}")
    expect(page.locator("header.topbar")).to_be_visible()
    expect(page.locator("#history")).to_be_visible()
