"""Single sign-on in Chromium: the dashboard's button, the provider's own login page, back with a role; logout
through the provider's page."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.sso.conftest import sso_settings
from tests.sso.provider import OidcProvider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def provider(settings, live_server, make_user):
    make_user(None, username="placeholder")  # the role groups exist (make_user puts them back)
    started = OidcProvider(dashboard_urls=[live_server.url])
    sso_settings(settings, started)
    yield started
    started.stop()


def test_a_person_logs_in_through_the_provider_and_out_again(page: Page, live_server, hostup, provider):
    provider.user_set("u-4001", preferred_username="sofia", email="sofia@example.com", groups=["ops"])

    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Log in with Test IdP").click()
    # The provider's own page.
    expect(page).to_have_url(re.compile(rf"^{re.escape(provider.issuer)}/interaction/"))
    page.get_by_placeholder("Enter any login").fill("u-4001")
    page.get_by_placeholder("and password").fill("whatever-the-provider-checks")
    page.get_by_role("button", name="Sign-in").click()

    expect(page.get_by_role("heading", name="VPSes")).to_be_visible()
    topbar = page.locator("header.topbar")
    expect(topbar).to_contain_text("sofia")
    expect(topbar.locator(".badge.role")).to_have_text("operator")

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Yes, sign me out").click()

    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
