"""Checkpoint time and full verification of the audit chain at 1,000,000 records.

    .venv/bin/python bench/audit_checkpoints.py [--records 1000000] [--repeat 5] [--offline]

Reuses bench/audit_scale.py's database (hostup_dash_bench_audit, filled by COPY when short), and
keeps its signing key and checkpoint files in .run/bench-checkpoints, so the sequence grows run
after run as it would in production. Goals (issue 15): a checkpoint under 1 s, full verification
under 60 s. --offline also times `audit_verify --export` over a full JSON Lines export.
"""

import argparse
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, django_for_bench  # noqa: E402
from audit_scale import DATABASE, admin_client, fill  # noqa: E402

STATE = ROOT / ".run" / "bench-checkpoints"


def signing_configured() -> None:
    from django.conf import settings
    from django.core.management import call_command

    STATE.mkdir(parents=True, exist_ok=True)
    key = STATE / "signing.pem"
    if not key.exists():
        call_command("audit_keygen", str(key), stdout=StringIO())
    settings.AUDIT_SIGNING_KEY_FILE = str(key)
    settings.AUDIT_CHECKPOINT_DIR = str(STATE)


def checkpoint_after_one_record() -> float:
    from hostup_dash.audit.services import audit_auth_record
    from hostup_dash.checkpoints.services import checkpoint_create

    audit_auth_record(action="login", username="bench", actor=None, client_ip="192.0.2.1")
    started = time.perf_counter()
    checkpoint_create()
    return time.perf_counter() - started


def offline_seconds() -> tuple[int, float]:
    """Write a full export through the page, then check it in a process whose database is unreachable."""
    export = STATE / "export.jsonl"
    response = admin_client().get("/audit/export.jsonl")
    with export.open("wb") as file:
        for chunk in response.streaming_content:
            file.write(chunk)
    command = [sys.executable, "manage.py", "audit_verify", "--export", str(export), "--checkpoints", str(STATE)]
    command += ["--public-key", str(STATE / "signing.pem.pub")]
    env = {"DATABASE_URL": "postgres://postgres@127.0.0.1:9/nothing", "SECRET_KEY": "bench", "DEBUG": "False"}
    env |= {"HOSTUP_API_URL": "http://127.0.0.1:9", "HOSTUP_API_TOKEN": "bench", "PATH": "/usr/bin:/bin"}
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return export.stat().st_size, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--offline", action="store_true")
    args = parser.parse_args()
    django_for_bench(DATABASE)
    fill(args.records)
    signing_configured()
    from django.core.management import call_command

    from hostup_dash.audit.models import AuditRecord

    print(f"{AuditRecord.objects.count():,} records")
    # Each checkpoint needs a new record, so each run appends one and times only the checkpoint.
    timings = sorted(checkpoint_after_one_record() * 1000 for _ in range(args.repeat + 1))
    checkpoint_ms = timings[len(timings) // 2]
    print(f"checkpoint (head, position, sign, file, row): median {checkpoint_ms:.1f} ms of {len(timings)}")
    started = time.perf_counter()
    summary = call_command("audit_verify", checkpoints=str(STATE), stdout=StringIO())
    print(f"audit_verify --checkpoints: {time.perf_counter() - started:.1f} s ({summary})")
    if args.offline:
        size, seconds = offline_seconds()
        print(f"audit_verify --export (offline, {size / 1e6:.0f} MB export): {seconds:.1f} s")


if __name__ == "__main__":
    main()
