"""Account routes in the browser: an operator routes a /64 to a VPS from its page, an admin deletes it."""

import pytest
from playwright.sync_api import Page, expect

from hostup_dash.audit.models import AuditRecord
from tests.factories import action_trail, synced
from tests.pools.helpers import account_writes, eligible_vps

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Outcome = AuditRecord.Outcome
LABEL = "browser subnet"


def test_operator_routes_a_64_and_an_admin_deletes_it(page: Page, live_server, hostup, log_in_as):
    synced(hostup)
    vps_id = eligible_vps()
    hostup.reset_calls()
    log_in_as("operator")

    page.goto(f"{live_server.url}/vps/{vps_id}/")
    routes = page.locator("#vps-account-routes")
    expect(routes).not_to_have_attribute("aria-busy", "true")
    routes.get_by_role("link", name="Route a prefix to this VPS").click()

    form = page.locator("#create-route form")
    expect(form.get_by_label("Destination VPS")).to_have_value(vps_id)
    page.evaluate("window.__marker = 1")
    form.get_by_label("Prefix length").select_option("64")
    form.get_by_label("Label").fill(LABEL)
    form.get_by_role("button", name="Create route").click()

    panel = page.locator("#pools-panel")
    expect(page.locator("#pools-announce .flash.success")).to_contain_text("Routed 2001:db8:1000::/64 to")
    row = panel.locator("tr", has_text=LABEL)
    expect(row).to_contain_text("2001:db8:1000::/64")
    assert page.evaluate("window.__marker") == 1  # htmx swapped the panel, no page load

    log_in_as("admin")
    page.goto(f"{live_server.url}/routed-ipv6/")
    row = page.locator("#pools-panel tr", has_text=LABEL)
    row.get_by_text("Delete…").click()
    row.get_by_label("Reason").fill("the test is done with it")
    row.get_by_label("Type 2001:db8:1000::/64 to confirm").fill("2001:db8:1000::/64")
    row.get_by_role("button", name="Delete 2001:db8:1000::/64").click()

    expect(page.locator("#pools-announce .flash.success")).to_have_text("Deleted the route 2001:db8:1000::/64.")
    expect(page.locator("#pools-panel tr", has_text=LABEL)).to_have_count(0)
    assert [(call.method, call.status) for call in account_writes(hostup)] == [("POST", 201), ("DELETE", 200)]
    assert action_trail() == [
        ("route_create", Outcome.PENDING),
        ("route_create", Outcome.SUCCEEDED),
        ("route_delete", Outcome.PENDING),
        ("route_delete", Outcome.SUCCEEDED),
    ]
