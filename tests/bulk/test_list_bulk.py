"""Bulk runs started from the VPS list: its checkboxes and buttons post what a browser would, with or without htmx."""

from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hostup_dash.bulk.models import BulkRun
from hostup_dash.inventory import selectors
from hostup_dash.inventory.models import SyncRun, VpsSnapshot
from tests.inventory.test_list_paging import LIST_QUERIES, boxes

HTMX = {"HTTP_HX_REQUEST": "true"}
HOP, OTHER_HOP = "fe80::1", "fe80::2"


class BulkForm(HTMLParser):
    """The list's bulk form as a browser reads it: its fields, its row boxes and its buttons."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.inside = False
        self.fields: list[tuple[str, str]] = []  # hidden inputs
        self.boxes: list[str] = []  # the rows' vps values
        self.buttons: dict[str, dict] = {}  # text -> attributes
        self._button: dict | None = None
        self.feed(page)

    def handle_starttag(self, tag, attrs) -> None:
        attributes = dict(attrs)
        if tag == "form" and attributes.get("id") == "vps-bulk":
            self.inside = True
        elif self.inside and tag == "input" and attributes.get("type") == "hidden":
            self.fields.append((attributes["name"], attributes["value"]))
        elif self.inside and tag == "input" and attributes.get("name") == "vps":
            self.boxes.append(attributes["value"])
        elif self.inside and tag == "button":
            self._button = {**attributes, "text": ""}

    def handle_data(self, data) -> None:
        if self._button is not None:
            self._button["text"] += data

    def handle_endtag(self, tag) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "button" and self._button is not None:
            self.buttons[self._button.pop("text").strip()] = self._button
            self._button = None

    def submit(self, client: Client, button: str, *, ticked: list[str] = (), **headers):
        """Post the form as a click on `button` would, with these row boxes ticked."""
        pressed = self.buttons[button]
        data: dict[str, list[str]] = {}
        for name, value in self.fields:
            data.setdefault(name, []).append(value)
        if ticked:
            data["vps"] = list(ticked)
        if "name" in pressed:
            data[pressed["name"]] = [pressed["value"]]
        return client.post(pressed["formaction"], data, **headers)


def drifted_rows(count: int) -> list[str]:
    rows = boxes(count, prefix="drift")
    VpsSnapshot.objects.filter(vps_id__in=[vps.vps_id for vps in rows]).update(
        state_checked_at=timezone.now(), allocation_status="active", next_hop=HOP, suggested_next_hop=OTHER_HOP
    )
    return [vps.vps_id for vps in rows]


def run_items(run: BulkRun) -> list[str]:
    return list(run.items.order_by("id").values_list("vps_id", flat=True))


@pytest.mark.django_db
def test_viewers_see_no_checkboxes_and_no_bulk_buttons(viewer_client):
    boxes(3)

    page = viewer_client.get("/", {"q": "box"}).content.decode()

    assert 'name="vps"' not in page and 'id="vps-bulk"' not in page and "data-select-all" not in page


@pytest.mark.django_db
def test_operators_get_a_box_per_row_and_both_actions(operator_client):
    rows = boxes(3)

    form = BulkForm(operator_client.get("/").content.decode())

    assert form.boxes == [vps.vps_id for vps in rows]
    assert set(form.buttons) == {"Refresh next hop of selected", "Allocate selected"}  # no filter: no "all matching"


@pytest.mark.django_db
def test_ticked_rows_become_the_runs_items(operator_client):
    rows = boxes(5)
    form = BulkForm(operator_client.get("/").content.decode())
    ticked = [rows[1].vps_id, rows[3].vps_id]

    response = form.submit(operator_client, "Allocate selected", ticked=ticked, **HTMX)

    run = BulkRun.objects.get()
    assert (run.action, run_items(run)) == (BulkRun.Action.ALLOCATE, ticked)
    assert response["HX-Redirect"] == reverse("bulk:run-detail", args=[run.id])


@pytest.mark.django_db
def test_all_matching_covers_every_drifted_vps_beyond_the_page(operator_client):
    vps_ids = drifted_rows(60)  # more than a page
    boxes(10)
    form = BulkForm(operator_client.get("/", {"state": "drifted"}).content.decode())
    assert len(form.boxes) == selectors.PAGE_SIZE

    form.submit(operator_client, "Refresh next hop of all 60 matching", **HTMX)

    run = BulkRun.objects.get()
    assert (run.action, run_items(run)) == (BulkRun.Action.REFRESH_NEXT_HOP, vps_ids)


@pytest.mark.django_db
def test_all_matching_keeps_the_search_as_well_as_the_state(operator_client):
    vps_ids = drifted_rows(3)
    form = BulkForm(operator_client.get("/", {"state": "drifted", "q": "drift-001"}).content.decode())

    form.submit(operator_client, "Refresh next hop of all 1 matching", ticked=vps_ids, **HTMX)

    assert run_items(BulkRun.objects.get()) == [vps_ids[1]]


@pytest.mark.django_db
def test_the_plain_form_carries_its_csrf_token(make_user):
    rows = boxes(2)
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("operator", "olga"))
    form = BulkForm(client.get("/").content.decode())

    response = form.submit(client, "Refresh next hop of selected", ticked=[rows[0].vps_id])

    assert response.status_code == 302
    assert response["Location"] == reverse("bulk:run-detail", args=[BulkRun.objects.get().id])


@pytest.mark.django_db
def test_nothing_ticked_says_so_in_the_list(operator_client):
    boxes(2)
    form = BulkForm(operator_client.get("/").content.decode())

    response = form.submit(operator_client, "Refresh next hop of selected", **HTMX)

    assert response.status_code == 400 and '<div id="bulk-problem">' in response.content.decode()
    assert not BulkRun.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [10, 60])
def test_an_operators_list_queries_do_not_grow_with_the_rows(operator_client, django_assert_num_queries, rows):
    boxes(rows)
    SyncRun.objects.create(status=SyncRun.Status.SUCCEEDED, finished_at=timezone.now(), vps_count=rows)
    selectors.state_counts()

    with django_assert_num_queries(LIST_QUERIES):
        operator_client.get("/", {"sort": "-checked"})
