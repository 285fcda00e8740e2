"""Shared start-up for the bench scripts: a database of their own, production-like settings."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_for_bench(database: str) -> None:
    """Point Django at `database` (created and migrated if needed) with DEBUG off."""
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret")
    os.environ["DEBUG"] = "False"
    os.environ.setdefault("HOSTUP_API_URL", "http://127.0.0.1:9")
    os.environ.setdefault("HOSTUP_API_TOKEN", "bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hostup_dash.settings")
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("ensure_database", stdout=open(os.devnull, "w"))
    call_command("migrate", verbosity=0)


def median_ms(run, repeat: int) -> float:
    """Median wall time of `run()` in milliseconds, after one warm-up call."""
    import statistics
    import time

    run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)
