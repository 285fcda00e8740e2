"""/audit/: filters in the URL, keyset paging, record detail."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from hostup_dash.audit.forms import DATE_OUT_OF_RANGE
from hostup_dash.audit.models import AuditRecord
from hostup_dash.audit.services import audit_append

Outcome = AuditRecord.Outcome
HTMX = {"HTTP_HX_REQUEST": "true"}


def record(**fields) -> AuditRecord:
    defaults = {
        "actor_name": "operator",
        "actor_role": "operator",
        "action": "allocate",
        "vps_id": "vps_" + "a" * 26,
        "vps_name": "web-001",
        "outcome": Outcome.SUCCEEDED,
        "problem_code": "test",
    }
    return audit_append(**(defaults | fields))


def _ids(page: str) -> list[int]:
    import re

    return [int(found) for found in re.findall(r'href="/audit/(\d+)/"', page)]


@pytest.mark.django_db
def test_newest_first(auditor_client):
    older, newer = record(), record()

    page = auditor_client.get(reverse("audit:audit-list")).content.decode()

    assert _ids(page)[:2] == [newer.id, older.id]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"vps": "vps_" + "b" * 26}, "by-id"),
        ({"vps": "DB-002"}, "by-name"),
        ({"actor": "admin"}, "by-actor"),
        ({"action": "release"}, "by-action"),
        ({"outcome": "unknown"}, "by-outcome"),
        ({"prefix": "2001:db8:42:1::/64"}, "by-prefix"),
    ],
)
def test_filters(auditor_client, params, expected):
    record(problem_detail="noise")
    record(vps_id="vps_" + "b" * 26, problem_detail="by-id")
    record(vps_name="db-002", problem_detail="by-name")
    record(actor_name="admin", problem_detail="by-actor")
    record(action="release", problem_detail="by-action")
    record(outcome=Outcome.UNKNOWN, problem_detail="by-outcome")
    record(result_prefix="2001:db8:42:1::/64", problem_detail="by-prefix")

    page = auditor_client.get(reverse("audit:audit-list"), params, **HTMX).content.decode()

    assert expected in page
    assert "noise" not in page


@pytest.mark.django_db
def test_date_range_filter(auditor_client):
    record(problem_detail="today")
    today = timezone.now().date()
    url = reverse("audit:audit-list")

    def shown(**dates) -> bool:
        return "today" in auditor_client.get(url, {k: d.isoformat() for k, d in dates.items()}).content.decode()

    assert shown(date_from=today, date_to=today)
    assert not shown(date_from=today + timedelta(days=1))
    assert not shown(date_to=today - timedelta(days=1))
    assert shown(date_from=today - timedelta(days=3), date_to=today + timedelta(days=3))


@pytest.mark.django_db
def test_an_intent_with_its_outcome_shows_once(auditor_client):
    intent = record(outcome=Outcome.PENDING, problem_detail="the-intent")
    record(intent=intent, outcome=Outcome.SUCCEEDED, problem_detail="the-outcome")
    orphan = record(outcome=Outcome.PENDING, problem_detail="orphan-intent")

    page = auditor_client.get(reverse("audit:audit-list")).content.decode()
    unknown = auditor_client.get(reverse("audit:audit-list"), {"outcome": "unknown"}).content.decode()

    assert "the-outcome" in page and "the-intent" not in page
    assert _ids(unknown) == [orphan.id]


@pytest.mark.django_db
def test_keyset_pages_cross_boundaries_without_gaps(auditor_client):
    created = [record().id for _ in range(120)]
    newest_first = created[::-1]
    url = reverse("audit:audit-list")
    only = {"action": "allocate"}  # leaves out the auditor's own login record

    first = auditor_client.get(url, only).content.decode()
    second = auditor_client.get(url, only | {"before": _ids(first)[-1]}).content.decode()
    third = auditor_client.get(url, only | {"before": _ids(second)[-1]}).content.decode()
    back = auditor_client.get(url, only | {"after": _ids(third)[0]}).content.decode()

    assert _ids(first) + _ids(second) + _ids(third) == newest_first
    assert "Older" in second and "Older" not in third
    assert _ids(back) == _ids(second)
    assert "Newer" not in first and "Newer" in second


@pytest.mark.django_db
def test_filters_stay_in_the_pager_links(auditor_client):
    for _ in range(60):
        record(actor_name="admin")

    page = auditor_client.get(reverse("audit:audit-list"), {"actor": "admin"}).content.decode()

    assert "?actor=admin&amp;before=" in page


@pytest.mark.django_db
def test_page_query_count_is_pinned(auditor_client, django_assert_max_num_queries):
    for _ in range(60):
        record()

    with django_assert_max_num_queries(8):
        auditor_client.get(reverse("audit:audit-list"), {"before": 50})


@pytest.mark.django_db
def test_unknown_filter_value_is_said_not_crashed(auditor_client):
    response = auditor_client.get(reverse("audit:audit-list"), {"outcome": "exploded", "before": "x"})

    assert response.status_code == 200
    assert "not understood" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["date_from", "date_to"])
def test_a_date_out_of_range_is_a_field_error(auditor_client, field):
    response = auditor_client.get(reverse("audit:audit-list"), {field: "9999-12-31"})

    assert response.status_code == 200
    assert DATE_OUT_OF_RANGE in response.content.decode()


@pytest.mark.django_db
def test_detail_shows_everything_recorded(auditor_client):
    body = {"action": "allocate", "rackId": "stockholm-a"}
    intent = record(outcome=Outcome.PENDING, request_body=body)
    outcome = record(
        intent=intent,
        outcome=Outcome.FAILED,
        http_status=409,
        hostup_request_id="req_" + "c" * 26,
        request_body=body,
        problem={"code": "routed_ipv6_cooldown", "detail": "In cooldown."},
    )

    page = auditor_client.get(reverse("audit:audit-detail", args=[outcome.id])).content.decode()

    assert "stockholm-a" in page
    assert "req_" + "c" * 26 in page
    assert "routed_ipv6_cooldown" in page
    assert outcome.hash in page and outcome.prev_hash in page
    assert "intact" in page
    assert f"#{intent.id}" in page


@pytest.mark.django_db
def test_detail_is_for_auditors(viewer_client):
    assert viewer_client.get(reverse("audit:audit-detail", args=[record().id])).status_code == 403
