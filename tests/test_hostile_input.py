"""Property-based tests: hostile input to every form, random JSON to the client's parsers.

No unhandled exception and no 500: every failure is a clear error.
"""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostup_dash.hostup import AccountRoutedIpv6, HostupError, RoutedIpv6Release, RoutedIpv6State, Vps, VpsPage

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
PARSERS = [Vps, VpsPage, RoutedIpv6State, RoutedIpv6Release, AccountRoutedIpv6]
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


@pytest.mark.django_db
@given(
    params=st.dictionaries(
        st.sampled_from(["vps", "actor", "action", "outcome", "prefix", "date_from", "date_to", "before", "after"]),
        hostile_text,
        max_size=5,
    )
)
@SLOW
def test_audit_filters_never_fail(auditor_client, params):
    assert auditor_client.get("/audit/", params).status_code == 200


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
