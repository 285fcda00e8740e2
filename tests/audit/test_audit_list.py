import pytest
from django.urls import reverse

from hostup_dash.audit.models import AuditRecord

Outcome = AuditRecord.Outcome


def _record(**fields) -> AuditRecord:
    defaults = {"actor_name": "operator", "actor_role": "operator", "action": "allocate", "vps_id": "vps_" + "a" * 26,
                "vps_name": "web-001", "outcome": Outcome.SUCCEEDED, "problem_code": "test"}
    return AuditRecord.objects.create(**(defaults | fields))


@pytest.mark.django_db
def test_newest_first(auditor_client):
    _record(vps_name="older")
    _record(vps_name="newer")

    page = auditor_client.get(reverse("audit:audit-list")).content.decode()

    assert page.index("newer") < page.index("older")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"vps": "vps_" + "b" * 26}, "by-id"),
        ({"vps": "DB-002"}, "by-name"),
        ({"actor": "admin"}, "by-actor"),
        ({"action": "release"}, "by-action"),
        ({"outcome": "unknown"}, "by-outcome"),
    ],
)
def test_filters(auditor_client, params, expected):
    _record(problem_detail="noise")
    _record(vps_id="vps_" + "b" * 26, problem_detail="by-id")
    _record(vps_name="db-002", problem_detail="by-name")
    _record(actor_name="admin", problem_detail="by-actor")
    _record(action="release", problem_detail="by-action")
    _record(outcome=Outcome.UNKNOWN, problem_detail="by-outcome")

    page = auditor_client.get(reverse("audit:audit-list"), params, HTTP_HX_REQUEST="true").content.decode()

    assert expected in page
    assert "noise" not in page


@pytest.mark.django_db
def test_unknown_filter_value_is_said_not_crashed(auditor_client):
    response = auditor_client.get(reverse("audit:audit-list"), {"outcome": "exploded"})

    assert response.status_code == 200
    assert "not understood" in response.content.decode()
