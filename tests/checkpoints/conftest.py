"""A signing key and a checkpoint directory per test, records made by the audit service, and the tampering
an attacker with superuser rights could do (the append-only triggers switched off)."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection

from hostup_dash.audit.models import AuditRecord
from hostup_dash.audit.services import audit_auth_record

ROOT = Path(__file__).resolve().parents[2]
# A database address where nothing listens: the offline check must never need one.
NO_DATABASE = "postgres://postgres@127.0.0.1:9/nothing"


@pytest.fixture
def signing(tmp_path, settings) -> SimpleNamespace:
    key = tmp_path / "signing.pem"
    call_command("audit_keygen", str(key), stdout=StringIO())
    directory = tmp_path / "checkpoints"
    directory.mkdir()
    settings.AUDIT_SIGNING_KEY_FILE = str(key)
    settings.AUDIT_CHECKPOINT_DIR = str(directory)
    return SimpleNamespace(key=key, public=tmp_path / "signing.pem.pub", directory=directory)


def records_add(count: int) -> None:
    for _ in range(count):
        audit_auth_record(action=AuditRecord.Action.LOGIN, username="alice", actor=None, client_ip="192.0.2.1")


@contextmanager
def triggers_off() -> Iterator[None]:
    """What a superuser can do: the session skips triggers, so the append-only ones let changes through."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")


def newest_delete(count: int) -> None:
    ids = list(AuditRecord.objects.order_by("-id").values_list("id", flat=True)[:count])
    with triggers_off():
        AuditRecord.objects.filter(id__in=ids).delete()


def rewrite_from(position: int) -> None:
    """Change the record at `position` (from 1) and recompute every later hash, as a careful attacker would."""
    records = list(AuditRecord.objects.order_by("id"))
    with triggers_off():
        records[position - 1].actor_name = "mallory"
        for before, record in zip(records[position - 2 :], records[position - 1 :], strict=False):
            record.prev_hash = before.hash
            record.hash = record.compute_hash()
            AuditRecord.objects.filter(id=record.id).update(
                actor_name=record.actor_name, prev_hash=record.prev_hash, hash=record.hash
            )


def verify_offline(*args: str) -> subprocess.CompletedProcess:
    """`manage.py audit_verify` in a process whose DATABASE_URL points where nothing listens."""
    env = os.environ | {"DATABASE_URL": NO_DATABASE, "AUDIT_SIGNING_KEY_FILE": "", "LOG_LEVEL": "WARNING"}
    command = [sys.executable, "manage.py", "audit_verify", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
