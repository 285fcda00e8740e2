"""Search as you type starts at the third character; the Search button, Enter and an emptied box still search."""

import re

import pytest
from playwright.sync_api import Page, expect

from hostup_dash.inventory.models import VpsSnapshot
from tests.factories import synced

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Well past the form's `delay:300ms`, so a live search that was going to be sent has been.
PAST_THE_DELAY_MS = 1000


@pytest.fixture
def list_page(page: Page, live_server, hostup, log_in_as) -> Page:
    synced(hostup)
    log_in_as("viewer")
    page.goto(live_server.url + "/")
    return page


def _first_name() -> str:
    return VpsSnapshot.objects.order_by("name").values_list("name", flat=True)[0]


def _searches(page: Page) -> list[str]:
    """Every search the page sends from now on (a list request with a `q`)."""
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if "q=" in request.url else None)
    return sent


def test_typing_sends_no_search_before_the_third_character(list_page: Page):
    name = _first_name()
    searches = _searches(list_page)
    box = list_page.get_by_label("Search")

    box.press_sequentially(name[:2])
    list_page.wait_for_timeout(PAST_THE_DELAY_MS)
    assert searches == []

    with list_page.expect_request(lambda request: f"q={name[:3]}" in request.url):
        box.press_sequentially(name[2])


def test_enter_searches_a_short_term(list_page: Page):
    term = _first_name()[:2]
    list_page.get_by_label("Search").fill(term)

    list_page.get_by_label("Search").press("Enter")

    expect(list_page).to_have_url(re.compile(rf"\?q={re.escape(term)}"))


def test_search_button_searches_a_short_term(list_page: Page):
    term = _first_name()[:2]
    list_page.get_by_label("Search").fill(term)

    list_page.get_by_role("button", name="Search").click()

    expect(list_page).to_have_url(re.compile(rf"\?q={re.escape(term)}"))


def test_emptying_the_box_clears_the_search(page: Page, live_server, hostup, log_in_as):
    synced(hostup)
    log_in_as("viewer")
    page.goto(f"{live_server.url}/?q={_first_name()}")
    rows = page.locator("#vps-rows tbody tr")
    expect(rows).to_have_count(1)

    page.get_by_label("Search").fill("")

    expect(rows).to_have_count(len(hostup.vps_ids()))
