"""A real Procrastinate worker in a subprocess, bound to the test database and the simulator.

Tests that use it must be `django_db(transaction=True)`: the worker is another process and
sees only committed rows.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 20.0


class WorkerProcess:
    """`python manage.py procrastinate worker` as operators run it."""

    def __init__(self, *, hostup_url: str, token: str, queues: list[str] | None, env: dict[str, str]) -> None:
        database = connection.settings_dict
        self.env = os.environ | {
            "DATABASE_URL": f"postgres://{database['USER'] or 'postgres'}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}",
            "HOSTUP_API_URL": hostup_url,
            "HOSTUP_API_TOKEN": token,
            "HOSTUP_TIMEOUT": "2",
            "LOG_LEVEL": "WARNING",
            **env,
        }
        command = [sys.executable, "manage.py", "procrastinate", "worker", "--name", "test-worker"]
        if queues:
            command += ["--queues", ",".join(queues)]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self._wait_registered()

    def _wait_registered(self) -> None:
        """Until the worker has written its first heartbeat: it is then polling for jobs."""
        deadline = time.monotonic() + START_TIMEOUT_S
        with connection.cursor() as cursor:
            cursor.execute("SELECT now()")
            started_at = cursor.fetchone()[0]
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited at start:\n{self.output()}")
            # This worker's row: rows of workers from earlier tests may still be there.
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat >= %s", [started_at])
                if cursor.fetchone()[0]:
                    return
            time.sleep(0.1)
        raise AssertionError("the worker did not start in time")

    def kill(self) -> None:
        """SIGKILL: no clean-up, no goodbye, as when a host dies."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        if self.process.poll() is None:
            return "(still running)"
        return self.process.stdout.read() if self.process.stdout else ""


def wait_for(condition: Callable[[], object], *, timeout: float = 20.0, every: float = 0.1) -> object:
    """Poll until `condition()` is truthy; return its value or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout} s")


def worker_seen_now() -> None:
    """A worker heartbeat row, as a running worker on another host writes it, for tests that need no real one."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now())")


def state_reads(simulator) -> Counter:
    """Successful routed-IPv6 state reads, per VPS path."""
    return Counter(
        call.path
        for call in simulator.calls
        if call.method == "GET"
        and call.path.startswith("/api/v2/vps/")
        and call.path.endswith("/routed-ipv6")
        and call.status == 200
    )
