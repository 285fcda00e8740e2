"""The admin releases a prefix, only behind the confirmation."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_releases_behind_the_confirmation_and_sees_the_cooldown(page: Page, hostup, open_vps_as):
    vps_id = open_vps_as("admin", allocated=True)
    panel = page.locator("#ipv6-panel")
    prefix = panel.locator("#routed-prefix").inner_text()
    confirm = panel.get_by_role("button", name=f"Yes, release {prefix}")
    expect(confirm).to_be_hidden()

    panel.get_by_text("Release…").click()
    expect(confirm).to_be_visible()
    assert hostup.calls_to("DELETE", f"/api/v2/vps/{vps_id}") == []
    confirm.click()

    expect(panel.get_by_role("status").filter(has_text=f"Released {prefix}")).to_contain_text("cooldown")
    expect(panel.locator(".badge", has_text="cooldown")).to_be_visible()
    expect(panel.get_by_role("button", name="Allocate", exact=True)).to_have_count(1)
    assert len(hostup.calls_to("DELETE", f"/api/v2/vps/{vps_id}/routed-ipv6")) == 1
