"""An allocate through the dashboard against the same call made straight to HostUp.

    .venv/bin/python bench/action_overhead.py [--latency-ms 50] [--repeat 20] [--profile]

Uses its own database (hostup_dash_bench_actions) and a simulator in this process whose
every answer takes `--latency-ms`. Each run allocates on a VPS that has never had a
prefix (2,000 VPSes, plenty), so every call is a real 201 allocate, never a no-op:

- raw: `requests.post` to the simulator, the same body and token, a new connection each
  time (the dashboard also opens one per action);
- service: `services.ipv6_allocate` (lock, audit intent, call, audit outcome, snapshot);
- view: the htmx POST a browser sends, through Django's test client and every
  middleware, rendering the routed-IPv6 panel with the VPS's history.

The three are interleaved, so a burst of load on the machine hits them alike.
`--profile` adds a run with timers around each step of the service.
"""

import argparse
import os
import statistics
import sys
import time
import warnings
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_for_bench, point_at_simulator, vacuum_analyze

DATABASE = "hostup_dash_bench_actions"
TOKEN = "bench-actions-token"
VPS_COUNT = 2000
BODY = {"action": "allocate"}
NESTED = "  of which: "  # steps timed inside another step; not added to the total again


def fresh_vps_ids(simulator, needed: int) -> list[str]:
    """VPSes that can take an allocation and never had one, read with the latency off."""
    import requests

    latency = simulator.config.latency_ms
    simulator.config.latency_ms = 0
    found = []
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {TOKEN}"
        for vps_id in simulator.vps_ids():
            state = session.get(f"{simulator.url}/api/v2/vps/{vps_id}/routed-ipv6", timeout=10).json()
            if state["available"] and state["allocation"] is None:
                found.append(vps_id)
                if len(found) == needed:
                    break
    simulator.config.latency_ms = latency
    if len(found) < needed:
        raise SystemExit(f"only {len(found)} fresh VPSes; lower --repeat")
    return found


def operator():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user, _ = get_user_model().objects.get_or_create(username="bench-operator")
    user.groups.set([Group.objects.get(name="operator")])
    return user


def runners(simulator, user):
    """name -> run(vps_id): one allocate each way, checked."""
    import requests
    from django.test import Client

    from hostup_dash.inventory import services

    browser = Client()
    browser.force_login(user)

    def raw(vps_id: str) -> None:
        response = requests.post(
            f"{simulator.url}/api/v2/vps/{vps_id}/routed-ipv6",
            json=BODY,
            timeout=10,
            headers={"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"},
        )
        assert response.status_code == 201, response.text

    def service(vps_id: str) -> None:
        result = services.ipv6_allocate(actor=user, vps_id=vps_id, client_ip="127.0.0.1")
        assert result.record.outcome == "succeeded" and result.record.http_status == 201, result.record

    def view(vps_id: str) -> None:
        response = browser.post(f"/vps/{vps_id}/routed-ipv6/allocate", HTTP_HX_REQUEST="true")
        assert response.status_code == 200 and b"Allocated" in response.content, response.status_code

    return {"raw upstream call": raw, "dashboard service": service, "dashboard view (htmx POST)": view}


@dataclass
class Measured:
    """Per path: wall times (ms), this process's CPU (ms: the dashboard, the client and the in-process
    simulator alike), SQL statements sent, and the CPU its PostgreSQL backend spent (ms, summed)."""

    wall: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    cpu: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statements: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    db_cpu: dict[str, float] = field(default_factory=lambda: defaultdict(float))


def backend_cpu_ms(pid: int) -> float:
    """CPU time so far of one PostgreSQL backend (in clock ticks: read it summed over many runs)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")  # utime + stime


def interleaved(runs: dict, vps_ids: list[str], repeat: int) -> Measured:
    """The order rotates each round, after one unrecorded warm-up round."""
    from django.db import connection

    names = list(runs)
    measured = Measured()
    sent = []
    ids = iter(vps_ids)
    with connection.cursor() as cursor:  # the one connection every path of this process uses
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    with connection.execute_wrapper(lambda execute, *args: sent.append(1) or execute(*args)):
        for round_number in range(repeat + 1):
            order = names[round_number % len(names) :] + names[: round_number % len(names)]
            for name in order:
                vps_id = next(ids)
                db_started = backend_cpu_ms(backend)
                sent.clear()
                cpu_started = time.process_time()
                started = time.perf_counter()
                runs[name](vps_id)
                wall = (time.perf_counter() - started) * 1000
                cpu = (time.process_time() - cpu_started) * 1000
                statements = len(sent)
                if round_number:
                    measured.wall[name].append(wall)
                    measured.cpu[name].append(cpu)
                    measured.statements[name].append(statements)
                    measured.db_cpu[name] += backend_cpu_ms(backend) - db_started
    return measured


# --- where the service's time goes -----------------------------------------------


class Timers:
    """Wraps the steps of `_run_action` in place (this process only) and sums their time per action."""

    def __init__(self) -> None:
        self.current: dict[str, float] = defaultdict(float)
        self.per_action: list[dict[str, float]] = []

    def add(self, step: str, started: float) -> None:
        self.current[step] += (time.perf_counter() - started) * 1000

    def wrap(self, owner, attribute: str, step: str) -> None:
        original = getattr(owner, attribute)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.add(step, started)

        setattr(owner, attribute, timed)

    def wrap_lock(self, owner) -> None:
        original = owner.advisory_lock

        @contextmanager
        def timed(name: str):
            manager = original(name)
            started = time.perf_counter()
            acquired = manager.__enter__()
            self.add("advisory lock: take", started)
            try:
                yield acquired
            finally:
                started = time.perf_counter()
                manager.__exit__(None, None, None)
                self.add("advisory lock: release", started)

        owner.advisory_lock = timed

    def install(self) -> None:
        from hostup_dash.audit import services as audit
        from hostup_dash.audit.models import AuditRecord
        from hostup_dash.hostup import HostupClient
        from hostup_dash.inventory.services import actions

        self.wrap(HostupClient, "allocate_routed_ipv6", "HostUp call (HTTP, the latency included)")
        self.wrap(actions, "hostup_client", "client: build (requests.Session)")
        self.wrap(HostupClient, "close", "client: close")
        self.wrap_lock(actions)
        self.wrap(audit, "user_role", NESTED + "actor's role (groups query), in the intent")
        self.wrap(audit, "audit_intent_record", "audit: intent append + commit")
        self.wrap(audit, "audit_outcome_record", "audit: outcome append + commit")
        self.wrap(AuditRecord, "compute_hash", NESTED + "sha256 of the record, in both appends")
        self.wrap(actions, "vps_state_store", "snapshot: state columns (UPDATE + commit)")
        self.wrap(actions, "_log_outcome", "log line: action outcome")

    def measure(self, run, vps_id: str) -> float:
        self.current = defaultdict(float)
        started = time.perf_counter()
        run(vps_id)
        total = (time.perf_counter() - started) * 1000
        self.current["total"] = total
        self.per_action.append(dict(self.current))
        return total

    def medians(self) -> dict[str, float]:
        steps = {step for action in self.per_action for step in action}
        return {step: statistics.median(action.get(step, 0.0) for action in self.per_action) for step in steps}


def db_round_trips(repeat: int) -> dict[str, float]:
    """What one Postgres round trip and one committed write cost here, for reading the profile."""
    from django.db import connection

    def run(statement: str) -> float:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(statement)  # autocommit: a write commits (and syncs the WAL) by itself
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_commit_cost (n int)")
    return {
        "SELECT 1 (one round trip)": run("SELECT 1"),
        "INSERT, autocommit (one durable write)": run("INSERT INTO bench_commit_cost VALUES (1)"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="also time each step of the service")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message="No directory at")  # static files are not served here
    django_for_bench(DATABASE)

    from hostup_dash.inventory import services
    from hostup_dash.simulator.server import Simulator, SimulatorConfig

    simulator = Simulator(
        SimulatorConfig(
            vps_count=VPS_COUNT, seed=1, full_token=TOKEN, latency_ms=0, rate_limit=1_000_000, rate_window_s=60.0
        )
    ).start()
    try:
        point_at_simulator(simulator.url, TOKEN)
        # Snapshot rows exist, as in real use: the service reads the VPS's name and updates its row.
        assert services.inventory_sync(quick=True).run.status == "succeeded"
        vacuum_analyze("inventory_vpssnapshot")  # the sync rewrote every row; autovacuum is off here
        user = operator()
        runs = runners(simulator, user)
        profile_runs = args.repeat if args.profile else 0
        vps_ids = fresh_vps_ids(simulator, (args.repeat + 1) * len(runs) + profile_runs + 1)
        simulator.config.latency_ms = args.latency_ms

        measured = interleaved(runs, vps_ids, args.repeat)
        medians = {name: statistics.median(values) for name, values in measured.wall.items()}
        raw = medians["raw upstream call"]
        raw_cpu = statistics.median(measured.cpu["raw upstream call"])
        print(
            f"\nallocate, simulator latency {args.latency_ms} ms, median of {args.repeat} "
            f"(interleaved, a fresh VPS each)"
        )
        print(
            f"{'path':30} {'median ms':>10} {'p90 ms':>8} {'min ms':>8} {'over raw ms':>12} {'ratio':>7} "
            f"{'CPU ms':>7} {'over raw':>9} {'DB CPU ms':>10} {'SQL':>4}"
        )
        for name in runs:
            values = measured.wall[name]
            p90 = sorted(values)[int(0.9 * (len(values) - 1))]
            cpu = statistics.median(measured.cpu[name])
            db_cpu = measured.db_cpu[name] / len(values)
            print(
                f"{name:30} {medians[name]:10.1f} {p90:8.1f} {min(values):8.1f} {medians[name] - raw:12.1f} "
                f"{medians[name] / raw:7.3f} {cpu:7.1f} {cpu - raw_cpu:9.1f} {db_cpu:10.1f} "
                f"{statistics.median(measured.statements[name]):4.0f}"
            )
        print(
            "  CPU: this process (the in-process simulator's share is in every path); DB CPU: its PostgreSQL "
            "backend, mean; SQL: statements sent (BEGIN/COMMIT not counted)"
        )
        ratio = medians["dashboard service"] / raw
        print(f"  goal: service / raw at most 1.10: {'met' if ratio <= 1.10 else 'NOT met'} ({ratio:.3f})")

        if args.profile:
            timers = Timers()
            timers.install()
            ids = iter(vps_ids[-(profile_runs + 1) :])
            timers.measure(runs["dashboard service"], next(ids))  # warm-up
            timers.per_action.clear()
            for _ in range(profile_runs):
                timers.measure(runs["dashboard service"], next(ids))
            steps = timers.medians()
            total = steps.pop("total")
            print(f"\nwhere the service's time goes, median per allocate over {profile_runs} (total {total:.1f} ms)")
            top = {step: ms for step, ms in steps.items() if not step.startswith(NESTED)}
            for step, ms in sorted(top.items(), key=lambda item: -item[1]):
                print(f"  {step:52} {ms:7.2f} ms")
                if step.startswith("audit: intent"):
                    for nested, nested_ms in steps.items():
                        if nested.startswith(NESTED):
                            print(f"  {nested:52} {nested_ms:7.2f} ms")
            print(f"  {'rest (snapshot read, service glue)':52} {total - sum(top.values()):7.2f} ms")
            for name, ms in db_round_trips(50).items():
                print(f"  for scale: {name:41} {ms:7.2f} ms")
    finally:
        simulator.stop()


if __name__ == "__main__":
    main()
