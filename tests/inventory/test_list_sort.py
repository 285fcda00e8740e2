"""The list sorted by name, state age or prefix: the pager's cursors carry the sort key, ties and NULLs included."""

from datetime import timedelta

import pytest
from django.utils import timezone

from hostup_dash.inventory.models import VpsSnapshot
from tests.inventory.test_list_paging import link, names_on

ROWS = 120  # three pages
START = timezone.now() - timedelta(days=1)


def fleet() -> list[VpsSnapshot]:
    """Rows whose state ages and prefixes tie in threes and are missing for a sixth (never read, no prefix)."""
    return VpsSnapshot.objects.bulk_create(
        VpsSnapshot(
            vps_id=f"vps_{(i * 37) % ROWS:026d}",  # ids not in name order, so a tie-break shows
            name=f"box-{i:03d}",
            synced_at=START,
            state_checked_at=None if i % 6 == 0 else START + timedelta(minutes=i // 3),
            routed_prefix="" if i % 6 == 1 else f"2001:db8:{i // 3:04x}::/56",
        )
        for i in range(ROWS)
    )


def expected(rows: list[VpsSnapshot], sort: str) -> list[str]:
    """The order in Python: NULLs (never read) first ascending, vps_id breaking ties; descending is its reverse."""
    keys = {
        "name": lambda vps: (vps.name, vps.vps_id),
        "checked": lambda vps: (vps.state_checked_at is not None, vps.state_checked_at or START, vps.vps_id),
        "prefix": lambda vps: (vps.routed_prefix, vps.vps_id),
    }
    ordered = sorted(rows, key=keys[sort.lstrip("-")], reverse=sort.startswith("-"))
    return [vps.name for vps in ordered]


def walk(client, first_url: str, text: str) -> tuple[list[str], str]:
    """The names on every page from first_url on, following the link with this text; and the last page."""
    page = client.get(first_url).content.decode()
    names = names_on(page)
    while (url := link(page, text)) is not None:
        page = client.get(url).content.decode()
        names += names_on(page)
    return names, page


SORTS = ["name", "-name", "checked", "-checked", "prefix", "-prefix"]


@pytest.mark.django_db
@pytest.mark.parametrize("sort", SORTS)
def test_next_links_walk_the_whole_list_in_its_order(viewer_client, sort):
    rows = fleet()

    names, _ = walk(viewer_client, f"/?sort={sort}", "Next →")

    assert names == expected(rows, sort)


@pytest.mark.django_db
@pytest.mark.parametrize("sort", SORTS)
def test_previous_links_walk_back_through_the_same_pages(viewer_client, sort):
    rows = fleet()
    _, last = walk(viewer_client, f"/?sort={sort}", "Next →")

    pages = [names_on(last)]
    while (url := link(last, "← Previous")) is not None:
        last = viewer_client.get(url).content.decode()
        pages.insert(0, names_on(last))

    assert sum(pages, []) == expected(rows, sort)


@pytest.mark.django_db
def test_a_search_keeps_its_sort_through_the_pages(viewer_client):
    rows = fleet()

    names, _ = walk(viewer_client, "/?q=box&sort=-checked", "Next →")

    assert names == expected(rows, "-checked")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"sort": "bogus"},
        {"sort": "checked", "after": "yesterday|vps_x"},
        {"sort": "checked", "before": "2026-01-01T00:00:00|vps_x"},  # no zone: not a cursor the pager writes
        {"sort": "checked", "after": "box-049|vps_x"},  # a cursor from the name order
    ],
)
def test_a_bad_sort_or_cursor_gives_the_first_page(viewer_client, params):
    rows = fleet()

    response = viewer_client.get("/", params)

    assert response.status_code == 200
    assert names_on(response.content.decode()) == expected(rows, params["sort"].replace("bogus", "name"))[:50]


@pytest.mark.django_db
def test_headers_say_the_current_sort_and_link_to_the_other_way(viewer_client):
    fleet()

    page = viewer_client.get("/", {"q": "box", "sort": "checked"}).content.decode()

    assert '<th scope="col" aria-sort="ascending"><a href="/?q=box&amp;sort=-checked"' in page
    assert 'hx-get="/?q=box&amp;sort=-checked" hx-target="#vps-rows"' in page
    assert '<th scope="col"><a href="/?q=box&amp;sort=prefix"' in page
    assert '<th scope="col"><a href="/?q=box"' in page  # by name, the default order


@pytest.mark.django_db
def test_the_rows_carry_the_sort_into_the_next_search(viewer_client):
    fleet()

    page = viewer_client.get("/", {"sort": "-prefix"}).content.decode()

    assert '<input type="hidden" name="sort" value="-prefix" form="vps-filter">' in page
