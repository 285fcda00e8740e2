"""Once app.js has made the cooldown's end relative, the sentence around it still reads."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page, expect

from hostup_dash.accounts.roles import Role
from tests.factories import pick_vps, release_form, synced

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_cooldown_sentence_reads_with_relative_words(page: Page, live_server, hostup, make_user, log_in_as):
    vps_id = pick_vps(hostup, allocated=True)
    synced(hostup)
    admin = Client()
    admin.force_login(make_user(Role.ADMIN, "alice"))
    released = admin.post(
        reverse("inventory:ipv6-release", args=[vps_id]), release_form(hostup, vps_id), HTTP_HX_REQUEST="true"
    )
    assert released.status_code == 200
    log_in_as("viewer")

    page.goto(f"{live_server.url}/vps/{vps_id}/")

    reason = page.locator("#ipv6-panel p.reason")
    ends = reason.locator("time")
    expect(ends).to_have_text(re.compile(r"^in \d+ (days|weeks|months)$"))  # app.js has run
    expect(reason).to_have_text(
        re.compile(r"^Not available: the released prefix is in cooldown, which ends in \d+ \w+; allocate again after")
    )
    assert "until in" not in reason.inner_text()
    # The date itself stays on hover.
    expect(ends).to_have_attribute("title", re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$"))
    assert ends.get_attribute("title")[:10] == ends.get_attribute("datetime")[:10]
