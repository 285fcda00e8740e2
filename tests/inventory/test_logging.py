"""One structured log line per upstream call and per action outcome — never the token."""

import json
import logging

import pytest
from django.urls import reverse

from hostup_dash.core.logging import JsonFormatter
from tests.factories import pick_vps, synced


@pytest.mark.django_db
def test_upstream_calls_and_outcomes_are_logged_as_json(hostup, operator_client, caplog, settings):
    vps_id = pick_vps(hostup, allocated=False)
    synced(hostup)
    caplog.set_level(logging.INFO)
    caplog.clear()

    operator_client.post(reverse("inventory:ipv6-allocate", args=[vps_id]), HTTP_HX_REQUEST="true")

    lines = [json.loads(JsonFormatter().format(record)) for record in caplog.records]
    (call,) = [line for line in lines if line.get("event") == "hostup_call"]
    assert call["method"] == "POST" and call["path"] == f"/api/v2/vps/{vps_id}/routed-ipv6"
    assert call["status"] == 201 and call["vps_id"] == vps_id and call["actor"] == "operator"
    assert call["duration_ms"] >= 0
    (outcome,) = [line for line in lines if line.get("event") == "action_outcome"]
    assert (outcome["outcome"], outcome["action"], outcome["actor"]) == ("succeeded", "allocate", "operator")
    assert all(settings.HOSTUP_API_TOKEN not in json.dumps(line) for line in lines)


@pytest.mark.django_db
def test_failed_calls_log_the_problem_and_request_id(hostup, operator_client, caplog):
    vps_id = pick_vps(hostup, allocated=True)
    synced(hostup)
    hostup.fail_next("rate_limit", path_prefix=f"/api/v2/vps/{vps_id}")
    caplog.set_level(logging.INFO)
    caplog.clear()

    operator_client.post(reverse("inventory:ipv6-refresh-next-hop", args=[vps_id]), HTTP_HX_REQUEST="true")

    (call,) = [r for r in caplog.records if getattr(r, "event", "") == "hostup_call"]
    assert call.status == 429 and call.error_code == "rate_limit_exceeded"
    assert call.hostup_request_id.startswith("req_")
