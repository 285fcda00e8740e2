"""Four-eyes approval clicked through by two people in two browsers: an admin asks, an approver approves."""

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import Browser, Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _actions_without_approval():
    """Overrides tests/conftest.py's fixture of this name: the flow runs with the default a plain settings
    load gives (release needs approval), as on a clean clone."""
    assert django_settings.APPROVAL_REQUIRED_FOR == ["release"], "run this test without APPROVAL_REQUIRED_FOR set"


@pytest.fixture
def approver_page(browser: Browser, browser_context_args: dict, live_server, make_user):
    """A second browser context (its own cookies), logged in as an approver."""
    context = browser.new_context(**browser_context_args)
    client = Client()
    client.force_login(make_user("approver"))
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_a_release_runs_only_once_a_second_person_approves_it(
    page: Page, approver_page: Page, live_server, hostup, open_vps_as
):
    vps_id = open_vps_as("admin", allocated=True)
    panel = page.locator("#ipv6-panel")
    prefix = panel.locator("#routed-prefix").inner_text()

    # The admin asks: the form looks as always, and nothing reaches HostUp.
    panel.get_by_text("Release…").click()
    panel.locator("#release-reason").fill("Customer cancelled the VPS")
    panel.get_by_label("Ticket").last.fill("OPS-77")
    panel.get_by_label(f"Type {prefix} to confirm").fill(prefix)
    # Ticked, "Emergency" would release at once: the button's words (and accessible name) say so.
    panel.get_by_label("Emergency").check()
    expect(panel.get_by_role("button", name=f"Release now (emergency) {prefix}")).to_be_visible()
    panel.get_by_label("Emergency").uncheck()
    panel.get_by_role("button", name=f"Ask for approval to release {prefix}").click()
    expect(panel.get_by_role("status").filter(has_text="waiting for approval")).to_be_visible()
    assert hostup.calls_to("DELETE", f"/api/v2/vps/{vps_id}") == []

    # The admin's own request offers no Approve button.
    page.goto(f"{live_server.url}/approvals/")
    row = page.locator("tr", has_text="Customer cancelled the VPS")
    expect(row).to_contain_text("Waiting for another person")
    expect(row.get_by_role("button", name="Approve")).to_have_count(0)

    # The approver, in another browser, sees the count and approves.
    approver_page.goto(f"{live_server.url}/")
    expect(approver_page.locator("#approvals-pending")).to_have_text("1")
    approver_page.get_by_role("link", name="Approvals").click()
    row = approver_page.locator("tr", has_text="Customer cancelled the VPS")
    expect(row).to_contain_text(prefix)
    expect(row).to_contain_text("OPS-77")
    row.get_by_role("button", name="Approve").click()

    # The request moves under "Decided" at once, without a reload.
    decided = approver_page.locator("section", has=approver_page.locator("#decided-heading"))
    expect(decided.locator("tr", has_text="Customer cancelled the VPS")).to_contain_text("Approved and done")
    expect(approver_page.locator("section", has=approver_page.locator("#pending-heading"))).to_contain_text(
        "No change request is waiting."
    )
    assert len(hostup.calls_to("DELETE", f"/api/v2/vps/{vps_id}/routed-ipv6")) == 1
    expect(approver_page.locator("#approvals-pending")).to_have_count(0)  # the top bar follows the decision

    # Back on the VPS page, the history names both people.
    page.goto(f"{live_server.url}/vps/{vps_id}/")
    history = page.locator("#history")
    expect(history).to_contain_text("Approve change")
    expect(history.locator("tr", has_text="Request change")).to_contain_text("admin")
    expect(history.locator("tr", has_text="Approve change")).to_contain_text("approver")
    expect(page.locator("#ipv6-panel .badge", has_text="cooldown")).to_be_visible()
