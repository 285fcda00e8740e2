"""Logging in and out through the real form."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_user_logs_in_and_out(page: Page, live_server, hostup, make_user):
    make_user("viewer", username="vera")

    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    page.get_by_label("Username").fill("vera")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="VPSes")).to_be_visible()
    topbar = page.locator("header.topbar")
    expect(topbar).to_contain_text("vera")
    expect(topbar.locator(".badge.role")).to_have_text("viewer")

    page.get_by_role("button", name="Log out").click()

    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_wrong_password_is_refused_in_words(page: Page, live_server, make_user):
    make_user("viewer", username="vera")

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("vera")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
    expect(page.get_by_label("Username")).to_have_value("vera")


def test_pages_raise_no_content_security_policy_violations(page: Page, live_server, hostup, log_in_as):
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    log_in_as("admin")

    for path in ["/", f"/vps/{hostup.vps_ids()[0]}/", "/audit/"]:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")

    assert violations == []
