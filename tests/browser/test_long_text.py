"""A long unbroken word someone typed (a pasted URL as a reason) wraps: no page grows wider than the window."""

import pytest
from playwright.sync_api import Page, expect

from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.errors import Refusal
from hostup_dash.core.reasons import REASON_MAX_LENGTH, TICKET_MAX_LENGTH
from hostup_dash.inventory import services
from hostup_dash.pools import services as pools
from tests.factories import pick_vps, synced
from tests.pools.helpers import account_state, eligible_vps

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

URL = "https://tickets.example.com/browse/"
LONG_REASON = (URL + "x" * REASON_MAX_LENGTH)[:REASON_MAX_LENGTH]
LONG_TICKET = "T" * TICKET_MAX_LENGTH
SLACK_PX = 4  # rounding of sub-pixel borders


def _page_width(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _lines_of(page: Page, selector: str, text: str) -> set[int]:
    """The line boxes the first `selector` element holding exactly `text` is laid out on (one word: one line)."""
    return set(
        page.evaluate(
            """([selector, text]) => {
                const found = [...document.querySelectorAll(selector)].find(e => e.textContent.trim() === text);
                const range = document.createRange();
                range.selectNodeContents(found);
                return [...range.getClientRects()].map(rect => Math.round(rect.top));
            }""",
            [selector, text],
        )
    )


def _assert_fits(page: Page) -> None:
    viewport = page.viewport_size["width"]
    assert _page_width(page) <= viewport + SLACK_PX, f"{page.url} is {_page_width(page)} px wide in {viewport} px"


def test_a_long_reason_ticket_and_problem_wrap_on_the_audit_and_vps_pages(
    page: Page, live_server, hostup, make_user, log_in_as
):
    vps_id = pick_vps(hostup, allocated=False)
    synced(hostup)
    someone = make_user("admin", "olga")
    services.ipv6_allocate(actor=someone, vps_id=vps_id, reason=LONG_REASON, ticket=LONG_TICKET)
    # A refused create: its problem detail repeats the long prefix as typed, and the request body holds it.
    with pytest.raises(Refusal):
        pools.route_create(
            actor=someone,
            pool_id=account_state().pools[0].id,
            vps_id=eligible_vps(),
            prefix_length=64,
            prefix="2001" + "d" * 300 + "/64",
            reason=LONG_REASON,
            ticket=LONG_TICKET,
        )
    refused = AuditRecord.objects.get(outcome=AuditRecord.Outcome.REFUSED, action=AuditRecord.Action.ROUTE_CREATE)
    allocated = AuditRecord.objects.filter(vps_id=vps_id, reason=LONG_REASON).latest("id")
    log_in_as("admin")

    page.goto(f"{live_server.url}/vps/{vps_id}/")
    expect(page.locator("#history")).to_contain_text(LONG_REASON)
    _assert_fits(page)
    page.goto(f"{live_server.url}/audit/")
    expect(page.locator("#audit-rows tbody tr").filter(has_text=LONG_REASON[:40])).not_to_have_count(0)
    _assert_fits(page)
    # The long reason's column takes the room: short words and ids are not split mid-word.
    assert len(_lines_of(page, "#audit-rows td", "Allocate")) == 1
    assert len(_lines_of(page, "#audit-rows .mono", vps_id)) == 1
    for record in (allocated, refused):
        page.goto(f"{live_server.url}/audit/{record.id}/")
        expect(page.get_by_text(LONG_REASON)).to_be_visible()
        _assert_fits(page)
