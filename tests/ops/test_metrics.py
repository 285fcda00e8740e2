"""/metrics: Prometheus' text format behind METRICS_TOKEN, HostUp calls by endpoint, facts from Postgres."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from hostup_dash.core.clients import hostup_client
from hostup_dash.core.jobs import job_defer
from hostup_dash.hostup import HostupError
from hostup_dash.inventory.models import VpsSnapshot
from hostup_dash.inventory.tasks import INVENTORY_PASS, SYNC_QUEUE
from hostup_dash.ops.metrics import exposition
from tests.factories import pick_vps, synced

TOKEN = "test-metrics-token-5f1c"
ROUTED_IPV6 = "/api/v2/vps/{id}/routed-ipv6"
ROOT = Path(__file__).resolve().parents[2]
RAW_VPS_ID = re.compile(r"vps_[0-9a-z]{26}")


@pytest.fixture
def metrics_token(settings) -> str:
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


@pytest.fixture
def free_vps(hostup) -> str:
    vps_id = pick_vps(hostup, allocated=False)
    synced(hostup)
    return vps_id


def _scrape(token: str = TOKEN):
    return Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")


def _samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of the text format, by (name, labels)."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(name: str, **labels: str) -> float:
    """One sample of a scrape (0 when it is absent, as for a counter not yet touched)."""
    return _samples(_scrape().content.decode()).get((name, frozenset(labels.items())), 0.0)


@pytest.mark.django_db
def test_metrics_is_404_while_no_token_is_configured(settings):
    settings.METRICS_TOKEN = ""

    assert _scrape("").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "authorization",
    ["", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, "Bearer ", "Bearer jeton-été"],
    ids=["none", "wrong", "other-scheme", "no-scheme", "empty", "non-ascii"],
)
def test_metrics_is_404_without_the_right_token(metrics_token, authorization):
    response = Client().get("/metrics", HTTP_AUTHORIZATION=authorization)

    assert response.status_code == 404
    assert TOKEN not in response.content.decode()


@pytest.mark.django_db
def test_metrics_needs_no_session_and_answers_prometheus_text_format(metrics_token):
    response = _scrape()

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    names = {family.name for family in text_string_to_metric_families(response.content.decode())}
    assert {
        "hostup_dash_audit_records",
        "hostup_dash_vps_states",
        "hostup_dash_queue_depth",
        "hostup_dash_queue_oldest_job_age_seconds",
    } <= names


@pytest.mark.django_db
def test_an_action_counts_its_call_under_the_endpoint_template_and_status(metrics_token, operator_client, free_vps):
    before = _value("hostup_dash_hostup_calls_total", method="POST", endpoint=ROUTED_IPV6, status="201")

    operator_client.post(reverse("inventory:ipv6-allocate", args=[free_vps]))

    assert _value("hostup_dash_hostup_calls_total", method="POST", endpoint=ROUTED_IPV6, status="201") == before + 1
    assert _value("hostup_dash_hostup_call_duration_seconds_count", method="POST", endpoint=ROUTED_IPV6) >= 1


@pytest.mark.django_db
def test_no_label_carries_a_vps_id_or_a_token(metrics_token, operator_client, free_vps, settings):
    operator_client.get(reverse("inventory:vps-detail", args=[free_vps]))
    operator_client.post(reverse("inventory:ipv6-allocate", args=[free_vps]))

    text = _scrape().content.decode()

    label_values = {value for _, labels in _samples(text) for _, value in labels}
    assert not any(RAW_VPS_ID.search(value) for value in label_values)
    assert free_vps not in text
    assert TOKEN not in text and settings.HOSTUP_API_TOKEN not in text


@pytest.mark.django_db
def test_a_429_is_counted_and_leaves_the_remaining_it_stated(hostup, metrics_token):
    hostup.fail_next("rate_limit", path_prefix="/api/v2/vps")
    before = _value("hostup_dash_hostup_rate_limited_total")
    client = hostup_client(max_retry_wait=0)
    with pytest.raises(HostupError):
        client.list_vps_page()
    client.close()

    assert _value("hostup_dash_hostup_rate_limited_total") == before + 1
    assert _value("hostup_dash_hostup_rate_limit_remaining") == 0
    assert _value("hostup_dash_hostup_calls_total", method="GET", endpoint="/api/v2/vps", status="429") >= 1


@pytest.mark.django_db
def test_audit_records_are_counted_by_action_and_outcome(metrics_token, operator_client, free_vps):
    pending = _value("hostup_dash_audit_records_total", action="allocate", outcome="pending")
    succeeded = _value("hostup_dash_audit_records_total", action="allocate", outcome="succeeded")

    operator_client.post(reverse("inventory:ipv6-allocate", args=[free_vps]))

    assert _value("hostup_dash_audit_records_total", action="allocate", outcome="pending") == pending + 1
    assert _value("hostup_dash_audit_records_total", action="allocate", outcome="succeeded") == succeeded + 1


@pytest.mark.django_db
def test_states_are_counted_by_the_age_of_their_last_read(hostup, metrics_token):
    synced(hostup)
    VpsSnapshot.objects.update(state_checked_at=None)
    first, second = VpsSnapshot.objects.values_list("pk", flat=True)[:2]
    VpsSnapshot.objects.filter(pk=first).update(state_checked_at=timezone.now() - timedelta(minutes=3))
    VpsSnapshot.objects.filter(pk=second).update(state_checked_at=timezone.now() - timedelta(days=2))

    assert _value("hostup_dash_vps_states", age="5m") == 1
    assert _value("hostup_dash_vps_states", age="older") == 1
    assert _value("hostup_dash_vps_states", age="never") == VpsSnapshot.objects.count() - 2
    assert _value("hostup_dash_vps_states", age="1m") == 0


@pytest.mark.django_db
def test_a_deferred_job_shows_in_the_queue_depth_and_age(metrics_token):
    before = _value("hostup_dash_queue_depth", queue=SYNC_QUEUE)

    assert job_defer(INVENTORY_PASS)

    assert _value("hostup_dash_queue_depth", queue=SYNC_QUEUE) == before + 1
    assert 0 <= _value("hostup_dash_queue_oldest_job_age_seconds", queue=SYNC_QUEUE) < 60


@pytest.mark.django_db
def test_a_job_scheduled_for_later_is_not_waiting_yet(metrics_token):
    before = _value("hostup_dash_queue_depth", queue=SYNC_QUEUE)

    assert job_defer(INVENTORY_PASS, schedule_in_s=3600)

    assert _value("hostup_dash_queue_depth", queue=SYNC_QUEUE) == before


@pytest.mark.django_db
def test_the_worker_heartbeat_is_its_unix_time(metrics_token):
    heartbeat = timezone.now() - timedelta(seconds=30)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO procrastinate_workers (last_heartbeat) VALUES (%s)", [heartbeat])

    assert _value("hostup_dash_worker_last_heartbeat_timestamp_seconds") == pytest.approx(heartbeat.timestamp())


@pytest.mark.django_db
def test_multiprocess_mode_adds_up_every_run_on_the_host(tmp_path, monkeypatch):
    for run in ("web", "worker"):
        (tmp_path / run).mkdir()
        _observe_in_a_process(tmp_path / run)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "web"))

    samples = _samples(exposition().decode())

    labels = frozenset({"method": "GET", "endpoint": ROUTED_IPV6, "status": "200"}.items())
    assert samples[("hostup_dash_hostup_calls_total", labels)] == 2
    assert samples[("hostup_dash_hostup_rate_limit_remaining", frozenset())] == 41


def _observe_in_a_process(directory: Path) -> None:
    """One GET observed by another Python process writing its metrics in `directory`."""
    code = (
        "from hostup_dash.core.metrics import hostup_call_observe\n"
        "from hostup_dash.hostup.client import HostupCall\n"
        f"hostup_call_observe(HostupCall('GET', '{ROUTED_IPV6}', 200, '', 0.01, 41))\n"
    )
    env = os.environ | {"PROMETHEUS_MULTIPROC_DIR": str(directory)}
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
