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
    with open(os.devnull, "w") as devnull:
        call_command("ensure_database", stdout=devnull)
    call_command("migrate", verbosity=0)


def median_ms(run, repeat: int) -> float:
    """Median wall time of `run()` in milliseconds, after one warm-up call."""
    import statistics

    return statistics.median(timings_ms(run, repeat))


def timings_ms(run, repeat: int) -> list[float]:
    """Wall times of `repeat` calls of `run()` in milliseconds, after one warm-up call."""
    import time

    run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return times


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (never 8000 or 8765)."""
    import socket

    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port not in (8000, 8765):
            return port


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` (0..1) of `values` lie, nearest-rank; nan when empty."""
    import math

    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def point_at_simulator(url: str, token: str) -> None:
    """Make the dashboard's services call the simulator at `url` (after django_for_bench)."""
    from django.conf import settings

    settings.HOSTUP_API_URL = url
    settings.HOSTUP_API_TOKEN = token


def vacuum_analyze(table: str) -> None:
    """VACUUM ANALYZE one table: what autovacuum would do, were it not off on the project machine."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")
