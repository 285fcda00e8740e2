"""Property-based tests: hostile input to every form and every audit parameter, random JSON to the client's parsers.

No unhandled exception and no 500: every failure is a clear error, and every export is complete.
"""

import csv
import io
import json
import re
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hostup_dash.audit.forms import AuditFilterForm
from hostup_dash.audit.models import AuditRecord
from hostup_dash.audit.selectors import CSV_COLUMNS, FORMULA_START
from hostup_dash.audit.services import audit_append
from hostup_dash.hostup import HostupError, RoutedIpv6Release, RoutedIpv6State, Vps, VpsPage
from hostup_dash.hostup.account_routes import AccountRoutes, PoolRelease
from hostup_dash.hostup.audit_log import AuditEvent, AuditEventPage

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=6),
    max_leaves=20,
)
# Shapes close to the real ones, with random values, reach deeper into the parsers.
near_state = st.fixed_dictionaries(
    {
        "available": json_values,
        "allocation": st.none()
        | st.dictionaries(
            st.sampled_from(["id", "prefix", "nextHop", "status", "allocatedAt", "cooldownUntil", "prefixLength"]),
            json_values,
        ),
    },
    optional={"reason": json_values, "suggestedNextHop": json_values, "maxPerVm": json_values},
)
hostile_text = st.text(max_size=80) | st.sampled_from(
    ["<script>alert(1)</script>", "' OR 1=1 --", "\x00", "%00", "../../etc/passwd", "a" * 5000, "2001:db8::/64\n"]
)
PARSERS = [Vps, VpsPage, RoutedIpv6State, RoutedIpv6Release, AccountRoutes, PoolRelease, AuditEvent, AuditEventPage]
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: p.__name__)
@given(value=json_values | near_state)
@settings(max_examples=300, deadline=None)
def test_parsers_return_a_result_or_a_hostup_error(parser, value):
    try:
        parser.from_json(value)
    except HostupError as error:
        assert error.code == "malformed_response" and error.detail


@pytest.mark.django_db
@given(params=st.dictionaries(st.sampled_from(["q", "power", "routed", "after", "before"]), hostile_text, max_size=4))
@SLOW
def test_list_filters_never_fail(viewer_client, params):
    assert viewer_client.get("/", params).status_code == 200


# Every parameter of the audit list and its exports, with text, any date (9999-12-31 included),
# any integer (past the id column's range too) and the values the choice fields accept.
audit_values = (
    hostile_text
    | st.dates().map(str)
    | st.integers().map(str)
    | st.sampled_from([*AuditRecord.Action.values, *AuditRecord.Outcome.values, "x,=2+5,y", "=cmd|' /C calc'!A0"])
)
audit_params = st.dictionaries(st.sampled_from(list(AuditFilterForm.base_fields)), audit_values, max_size=5)
# Values that once broke the audit pages, tried first every run: the calendar's last day, a day
# after every record (a filter Django knows matches nothing), a formula among filter values.
audit_breakers = [{"date_to": "9999-12-31"}, {"date_from": "9999-12-30"}, {"vps": "x,=2+5,y"}, {"after": str(2**63)}]


def _with_breakers(test):
    for params in audit_breakers:
        test = example(params=params)(test)
    return test


@pytest.fixture
def hostile_records() -> None:
    """Records whose text a spreadsheet or a JSON reader could choke on, for the filters to find."""
    for name in ["=1+1", 'a,"b"\nc', "\u2028", "-@+"]:
        audit_append(actor_name=name, vps_name=name, action="allocate", outcome="failed", problem_detail=name)


@pytest.mark.django_db
@given(params=audit_params)
@_with_breakers
@SLOW
def test_audit_filters_never_fail(auditor_client, hostile_records, params):
    assert auditor_client.get("/audit/", params).status_code == 200


@pytest.mark.django_db
@given(record_id=st.integers(min_value=0).map(str) | hostile_text)
@SLOW
def test_audit_detail_is_a_page_or_a_404(auditor_client, hostile_records, record_id):
    assert auditor_client.get(f"/audit/{quote(record_id, safe='')}/").status_code in (200, 404)


def _export_rows(export: str, body: str) -> list:
    """The records of an export read to its end; fails if the file is cut or malformed."""
    if export == "csv":
        description, columns, *rows = csv.reader(io.StringIO(body))
        assert description[0] == "# hostup-dash audit export" and columns == list(CSV_COLUMNS)
        assert not [cell for cell in description if re.match(FORMULA_START, cell)]
        assert all(len(row) == len(CSV_COLUMNS) for row in rows)
        return rows
    header, *rows = [json.loads(line) for line in body.splitlines()]
    assert header["export"] == "hostup-dash audit"
    return rows


@pytest.mark.django_db
@pytest.mark.parametrize("export", ["csv", "jsonl"])
@given(params=audit_params)
@_with_breakers
@SLOW
def test_audit_exports_always_complete(auditor_client, hostile_records, export, params):
    response = auditor_client.get(f"/audit/export.{export}", params)

    assert response.status_code == 200
    rows = _export_rows(export, b"".join(response.streaming_content).decode())
    outcome = AuditRecord.objects.filter(action=AuditRecord.Action.EXPORT_AUDIT).latest("id")
    assert (outcome.outcome, outcome.request_body["rows"]) == (AuditRecord.Outcome.SUCCEEDED, len(rows))


@pytest.mark.django_db
@given(rack_id=hostile_text)
@SLOW
def test_action_form_never_fails(hostup, operator_client, rack_id):
    vps_id = hostup.vps_ids()[0]

    response = operator_client.post(
        f"/vps/{vps_id}/routed-ipv6/refresh-next-hop", {"rack_id": rack_id}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code < 500 or response.status_code in (502, 504)
    assert "<script>alert(1)</script>" not in response.content.decode()


@pytest.mark.django_db
@given(vps_id=hostile_text)
@SLOW
def test_hostile_vps_ids_are_404(operator_client, vps_id):
    response = operator_client.post(f"/vps/{vps_id}/routed-ipv6/allocate")

    assert response.status_code in (404, 405)


@pytest.mark.django_db
@given(username=hostile_text, password=hostile_text)
@settings(max_examples=30, deadline=None)
def test_login_form_never_fails(username, password):
    assert Client().post("/accounts/login/", {"username": username, "password": password}).status_code in (200, 429)
