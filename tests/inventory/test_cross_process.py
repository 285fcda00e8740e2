"""The per-VPS lock and the single-flight sync hold across processes, not just threads."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from hostup_dash.audit.models import AuditRecord
from tests.factories import action_trail, pick_vps, synced

ROOT = Path(__file__).resolve().parents[2]
ALLOCATE = """
import django, sys
django.setup()
from django.contrib.auth.models import User
from hostup_dash.core.errors import Refusal
from hostup_dash.inventory.services import ipv6_allocate
try:
    ipv6_allocate(actor=User.objects.get(username="operator"), vps_id=sys.argv[1])
    print("allocated")
except Refusal as error:
    print(error.code)
"""
SYNC = """
import django
django.setup()
from hostup_dash.inventory.services import inventory_sync
print("skipped" if inventory_sync().skipped else "synced")
"""


def _start(script: str, *args: str, hostup) -> subprocess.Popen:
    env = os.environ | {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        "HOSTUP_API_URL": hostup.url,
        "HOSTUP_API_TOKEN": "test-full-token",
        "HOSTUP_TIMEOUT": "5",
        "DJANGO_SETTINGS_MODULE": "hostup_dash.settings",
        "LOG_LEVEL": "ERROR",
    }
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _results(processes: list[subprocess.Popen]) -> list[str]:
    outputs = [process.communicate(timeout=60) for process in processes]
    assert all(process.returncode == 0 for process in processes), [err for _, err in outputs]
    return sorted(out.strip().splitlines()[-1] for out, _ in outputs)


@pytest.mark.django_db(transaction=True)
def test_two_processes_allocating_one_vps_send_one_request(hostup, make_user):
    make_user("operator")
    vps_id = pick_vps(hostup, allocated=False)
    synced(hostup)
    hostup.config.latency_ms = 1500  # the first call is still out when the second process tries

    results = _results([_start(ALLOCATE, vps_id, hostup=hostup) for _ in range(2)])

    assert results == ["allocated", "vps_busy"]
    assert len(hostup.calls_to("POST", f"/api/v2/vps/{vps_id}/routed-ipv6")) == 1
    assert sorted(outcome for _, outcome in action_trail()) == sorted(
        [AuditRecord.Outcome.PENDING, AuditRecord.Outcome.SUCCEEDED, AuditRecord.Outcome.REFUSED]
    )


@pytest.mark.django_db(transaction=True)
def test_two_processes_syncing_run_one_sync(hostup):
    hostup.config.latency_ms = 300

    results = _results([_start(SYNC, hostup=hostup) for _ in range(2)])

    assert results == ["skipped", "synced"]
    assert len(hostup.calls_to("GET", "/api/v2/routed-ipv6")) == 1
