"""The VPS list's keyset pager, its counts and its filter choices, on snapshot rows made here."""

import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from hostup_dash.inventory import selectors
from hostup_dash.inventory.models import SyncRun, VpsSnapshot

HTMX = {"HTTP_HX_REQUEST": "true"}
LINK = re.compile(r'<a href="([^"]*)">{}</a>')
# Session, user, its permissions and role (one query), the last sync, the power states, the state
# counts' row (fresh: no recount), the page: as many for 10 rows as for 60. A search adds its count.
LIST_QUERIES = 7


def boxes(count: int, *, prefix: str = "box", power_state: str = "running") -> list[VpsSnapshot]:
    """Rows named prefix-000, prefix-001, …; the prefix also sets the ids apart."""
    first_id = sum(map(ord, prefix)) * 10_000
    return VpsSnapshot.objects.bulk_create(
        VpsSnapshot(
            vps_id=f"vps_{first_id + i:026d}",
            name=f"{prefix}-{i:03d}",
            power_state=power_state,
            synced_at="2026-01-01T00:00:00Z",
        )
        for i in range(count)
    )


def cursor(i: int) -> str:
    """The cursor of box-<i>, as the pager writes it."""
    return f"box-{i:03d}|vps_{sum(map(ord, 'box')) * 10_000 + i:026d}"


def link(page: str, text: str) -> str | None:
    """The href of the pager link with this text, unescaped as a browser reads it."""
    found = re.search(LINK.pattern.format(re.escape(text)), page)
    return html.unescape(found.group(1)) if found else None


def names_on(page: str) -> list[str]:
    return re.findall(r'<td class="name"><a [^>]*>([^<]*)</a>', page)


@pytest.mark.django_db
def test_next_link_walks_the_list_to_its_end(viewer_client):
    boxes(120)

    first = viewer_client.get("/").content.decode()
    second = viewer_client.get(link(first, "Next →")).content.decode()
    third = viewer_client.get(link(second, "Next →")).content.decode()

    assert names_on(first) == [f"box-{i:03d}" for i in range(50)]
    assert names_on(second) == [f"box-{i:03d}" for i in range(50, 100)]
    assert names_on(third) == [f"box-{i:03d}" for i in range(100, 120)]
    assert link(third, "Next →") is None


@pytest.mark.django_db
def test_previous_link_leads_back_one_page(viewer_client):
    boxes(160)
    third = viewer_client.get("/", {"after": cursor(99)}).content.decode()

    second = viewer_client.get(link(third, "← Previous")).content.decode()

    assert names_on(second) == [f"box-{i:03d}" for i in range(50, 100)]


@pytest.mark.django_db
def test_previous_from_a_short_way_in_gives_the_full_first_page(viewer_client):
    boxes(120)

    page = viewer_client.get("/", {"before": cursor(10)}).content.decode()

    assert names_on(page) == [f"box-{i:03d}" for i in range(50)]
    assert link(page, "← Previous") is None and link(page, "« First page") is None


@pytest.mark.django_db
@pytest.mark.parametrize("matches", [80, selectors.COUNT_CAP + 1], ids=["counted, sorted", "past the cap, walked"])
def test_search_pages_in_name_order_however_many_match(viewer_client, matches):
    boxes(matches, prefix="zed")  # sorts after the rest, as "web-…" does in a real fleet
    boxes(60)
    first = viewer_client.get("/", {"q": "zed"}).content.decode()

    back = viewer_client.get(link(viewer_client.get(link(first, "Next →")).content.decode(), "← Previous"))

    assert names_on(first) == [f"zed-{i:03d}" for i in range(50)]
    assert names_on(back.content.decode()) == names_on(first)


@pytest.mark.django_db
def test_row_links_lead_to_each_vps_page(viewer_client):
    rows = boxes(3)

    page = viewer_client.get("/").content.decode()

    assert re.findall(r'<td class="name"><a href="([^"]*)">', page) == [
        reverse("inventory:vps-detail", args=[vps.vps_id]) for vps in rows
    ]


@pytest.mark.django_db
def test_first_page_link_keeps_the_search(viewer_client):
    boxes(120)
    second = viewer_client.get("/", {"q": "box", "after": cursor(49)}).content.decode()

    assert link(second, "« First page") == "/?q=box"


@pytest.mark.django_db
def test_pager_keeps_the_search(viewer_client):
    boxes(120)
    boxes(30, prefix="other")
    first = viewer_client.get("/", {"q": "box"}).content.decode()

    second = viewer_client.get(link(first, "Next →")).content.decode()

    assert names_on(second) == [f"box-{i:03d}" for i in range(50, 100)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [{"after": "no separator"}, {"after": "|"}, {"before": "box-000|"}, {"after": "zzz|vps_past_the_end"}],
)
def test_a_cursor_that_leads_nowhere_gives_the_first_page(viewer_client, params):
    boxes(60)

    response = viewer_client.get("/", params)

    assert response.status_code == 200
    assert names_on(response.content.decode())[0] == "box-000"


@pytest.mark.django_db
def test_a_vps_name_with_the_separator_pages_on(viewer_client):
    rows = boxes(60)
    VpsSnapshot.objects.filter(vps_id=rows[49].vps_id).update(name="box-049|odd")

    first = viewer_client.get("/").content.decode()
    second = viewer_client.get(link(first, "Next →")).content.decode()

    assert names_on(second)[0] == "box-050"


@pytest.mark.django_db
def test_background_refresh_re_renders_the_page_it_was_on(hostup, viewer_client):
    boxes(120)
    hostup.fail_next("internal", path_prefix="/api/v2/vps")  # the sync fails; the page must stay where it was

    page = viewer_client.post(reverse("inventory:refresh"), {"after": cursor(49)}, **HTMX).content.decode()

    assert names_on(page)[0] == "box-050"
    assert f'name="after" value="{cursor(49)}"' in page


@pytest.mark.django_db
def test_unfiltered_list_says_about_how_many_the_last_sync_saw(viewer_client):
    boxes(3)
    SyncRun.objects.create(status=SyncRun.Status.SUCCEEDED, finished_at=timezone.now(), vps_count=10_000)

    page = viewer_client.get("/").content.decode()

    assert "About 10,000 VPSes" in page


@pytest.mark.django_db
def test_search_counts_its_matches(viewer_client):
    boxes(120)
    boxes(30, prefix="other")

    page = viewer_client.get("/", {"q": "other"}).content.decode()

    assert "30 VPSes match" in page


@pytest.mark.django_db
def test_search_count_stops_at_the_cap(viewer_client):
    boxes(selectors.COUNT_CAP + 1)

    page = viewer_client.get("/", {"q": "box"}).content.decode()

    assert f"More than {selectors.COUNT_CAP:,} VPSes match" in page


@pytest.mark.django_db
def test_power_filter_offers_every_state_the_snapshot_holds(viewer_client):
    boxes(2)
    boxes(2, prefix="off", power_state="stopped")
    boxes(1, prefix="new", power_state="hibernating")  # not in HostUp's documented list

    page = viewer_client.get("/").content.decode()

    assert selectors.power_states() == ["hibernating", "running", "stopped"]
    assert '<option value="hibernating">hibernating</option>' in page


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [10, 60])
@pytest.mark.parametrize(
    ("params", "queries"),
    [({}, LIST_QUERIES), ({"after": cursor(4)}, LIST_QUERIES), ({"q": "box"}, LIST_QUERIES + 1)],
    ids=["first", "after", "search (+ its count)"],
)
def test_list_queries_do_not_grow_with_the_rows(viewer_client, django_assert_num_queries, rows, params, queries):
    boxes(rows)
    SyncRun.objects.create(status=SyncRun.Status.SUCCEEDED, finished_at=timezone.now(), vps_count=rows)
    selectors.state_counts()  # counted now, so the page reads them

    with django_assert_num_queries(queries):
        viewer_client.get("/", params)
