"""Logged-in users clicking the VPS list and VPS pages, against gunicorn as `make serve` runs it.

    .venv/bin/python bench/load.py [--users 20] [--duration 30] [--workers 2] [--threads 4]
                                   [--vps 10000] [--latency-ms 50] [--rate-limit 100000]

Starts everything it needs on free ports of 127.0.0.1 and stops it at the end: the HostUp
simulator (`manage.py hostup_simulator`, its own process), its own database
(hostup_dash_bench_load) synced from that simulator, and gunicorn with `--workers` (and, when
`--threads` > 1, gthread workers), DEBUG off. Each user is a thread with its own
requests.Session that logs in through the login form (CSRF cookie + token), then, with no
pause, asks for the list (first page, sorted by state age, a search) or a VPS page and then its
panel, as the browser does (the page renders from the snapshot; the panel reads the routed-IPv6
state live from HostUp, unless it was read in the last LIVE_STATE_MAX_AGE seconds or the user's
LIVE_READS_PER_USER_MINUTE are spent) until `--duration` seconds have passed.

An error is any answer other than 200 (redirects are not followed) or any exception.
The process logs go to a temporary directory, named at the end.

Against `make serve` instead (the script then starts and syncs nothing): give `make serve` a
database and a simulator of its own on ports nobody else uses, sync once, and point this script
at both; it creates the users bench-load-00.. in that database. GUNICORN_CMD_ARGS keeps this
gunicorn off the control socket another one may be using.

    .venv/bin/python manage.py hostup_simulator --port 8766 --vps 10000 --latency-ms 50 \
        --rate-limit 100000 &
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/hostup_dash_load SECRET_KEY=bench-only \
        HOSTUP_API_URL=http://127.0.0.1:8766 HOSTUP_API_TOKEN=sim-full-token ALLOWED_HOSTS=127.0.0.1 \
        GUNICORN_CMD_ARGS=--no-control-socket
    BIND=127.0.0.1:8001 WEB_WORKERS=2 make serve &      # migrates, then serves
    DEBUG=False .venv/bin/python manage.py sync_inventory --limit 200
    .venv/bin/python bench/load.py --url http://127.0.0.1:8001 --database hostup_dash_load
"""

import argparse
import json
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, django_for_bench, free_port, percentile, point_at_simulator, vacuum_analyze

DATABASE = "hostup_dash_bench_load"
TOKEN = "bench-load-token"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
REQUEST_TIMEOUT_S = 30
START_TIMEOUT_S = 60
SEARCHES = ["web-1", "db-2", "api-33", "10.0.1", "cache", "2001:db8:42:1", "worker-9"]


# --- the processes under test ------------------------------------------------------


def wait_until_up(url: str, process: subprocess.Popen, headers: dict | None = None) -> None:
    """Poll `url` until anything answers; bounded by START_TIMEOUT_S."""
    import requests

    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args[0]} exited with {process.returncode} while starting")
        try:
            requests.get(url, headers=headers, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {START_TIMEOUT_S} s")


def start_simulator(args, logs: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [
        PYTHON,
        "manage.py",
        "hostup_simulator",
        "--port",
        str(port),
        "--vps",
        str(args.vps),
        "--latency-ms",
        str(args.latency_ms),
        "--rate-limit",
        str(args.rate_limit),
        "--rate-window",
        "60",
        "--full-token",
        TOKEN,
    ]
    with open(logs / "simulator.log", "wb") as log:  # the child keeps its own copy of the file
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
    url = f"http://127.0.0.1:{port}"
    wait_until_up(f"{url}/api/v2/vps?limit=1", process, {"Authorization": f"Bearer {TOKEN}"})
    return process, url


def start_gunicorn(args, simulator_url: str, logs: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    database_url = os.environ["DATABASE_URL"] + (f"?conn_max_age={args.conn_max_age}" if args.conn_max_age else "")
    env = os.environ | {
        "DEBUG": "False",
        "HOSTUP_API_URL": simulator_url,
        "HOSTUP_API_TOKEN": TOKEN,
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "INFO",
    }
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT,
        check=True,
        env=env | {"LOG_LEVEL": "WARNING"},
    )
    command = [
        GUNICORN,
        "hostup_dash.wsgi",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--bind",
        f"127.0.0.1:{port}",
        # Not the shared default socket (~/.gunicorn/gunicorn.ctl) another gunicorn may be using.
        "--no-control-socket",
    ]
    with open(logs / "gunicorn.log", "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    wait_until_up(f"{url}/healthz", process)
    return process, url


def stop(process: subprocess.Popen | None, how: int) -> None:
    """Stop one process this script started: `how` first, then SIGKILL after 10 s."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(how)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


class CpuMeter:
    """CPU time (user + system, from /proc) the server side spends between two samples: the gunicorn
    workers, the PostgreSQL backends of the dashboard's database, the simulator; and this process."""

    TICKS_PER_S = os.sysconf("SC_CLK_TCK")

    def __init__(self, gunicorn: subprocess.Popen | None, simulator: subprocess.Popen | None) -> None:
        self.gunicorn = gunicorn
        self.simulator = simulator
        self.started: dict[str, dict[int, float]] = {}

    @classmethod
    def cpu_s(cls, pid: int) -> float | None:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:  # exited meanwhile
            return None
        fields = stat.rsplit(")", 1)[1].split()  # the name in parentheses may hold spaces
        return (int(fields[11]) + int(fields[12])) / cls.TICKS_PER_S  # utime, stime

    def pids(self) -> dict[str, list[int]]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            backends = [pid for (pid,) in cursor.fetchall()]
        groups = {"PostgreSQL": backends, "load generator": [os.getpid()]}
        if self.gunicorn:
            master = self.gunicorn.pid
            groups["gunicorn workers"] = [
                int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()
            ]
        if self.simulator:
            groups["simulator"] = [self.simulator.pid]
        return groups

    def sample(self) -> dict[str, dict[int, float]]:
        return {
            group: {pid: cpu for pid in pids if (cpu := self.cpu_s(pid)) is not None}
            for group, pids in self.pids().items()
        }

    def start(self) -> None:
        self.started = self.sample()

    def stop(self) -> dict[str, float]:
        """Seconds of CPU per group since start(); a process that started meanwhile counts from 0."""
        ended = self.sample()
        return {
            group: sum(cpu - self.started.get(group, {}).get(pid, 0.0) for pid, cpu in cpus.items())
            for group, cpus in ended.items()
        }


def ensure_users(count: int, password: str) -> list[str]:
    """bench-load-00.. alternately viewer and operator, all with `password` (hashed once)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    User = get_user_model()
    hashed = make_password(password)
    names = []
    for number in range(count):
        role = "viewer" if number % 2 == 0 else "operator"
        user, _ = User.objects.get_or_create(username=f"bench-load-{number:02d}")
        user.password = hashed
        user.save(update_fields=["password"])
        user.groups.set([Group.objects.get(name=role)])
        names.append(user.username)
    return names


# --- the users ------------------------------------------------------------------------


@dataclass
class Tally:
    """What one user saw; merged at the end."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    problems_shown: int = 0


def log_in(session, base_url: str, username: str, password: str) -> None:
    """Through the form, as a browser does; stops the run on any failure (axes counts failures)."""
    page = session.get(f"{base_url}/accounts/login/", timeout=REQUEST_TIMEOUT_S)
    token = CSRF_FIELD.search(page.content)
    if page.status_code != 200 or token is None:
        raise RuntimeError(f"login page answered {page.status_code} without a CSRF token")
    response = session.post(
        f"{base_url}/accounts/login/",
        allow_redirects=False,
        timeout=REQUEST_TIMEOUT_S,
        data={"username": username, "password": password, "csrfmiddlewaretoken": token.group(1).decode()},
        headers={"Referer": f"{base_url}/accounts/login/"},
    )
    if response.status_code != 302 or "sessionid" not in session.cookies:
        raise RuntimeError(f"logging in as {username} answered {response.status_code}, not a redirect")


def user_loop(session, base_url: str, vps_ids: list[str], seed: int, deadline: float, tally: Tally) -> None:
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        pick = rng.random()
        if pick < 0.25:
            requests_ = [("list: first page", "/", {})]
        elif pick < 0.40:
            requests_ = [("list: sorted by state age", "/?sort=-checked", {})]
        elif pick < 0.50:
            requests_ = [("list: search", f"/?q={rng.choice(SEARCHES)}", {})]
        else:
            # The page renders from the snapshot; its panel then reads HostUp (htmx), as a browser does.
            vps = f"/vps/{rng.choice(vps_ids)}/"
            requests_ = [("VPS page", vps, {}), ("VPS panel (live state)", vps, {"HX-Request": "true"})]
        for kind, path, headers in requests_:
            started = time.perf_counter()
            try:
                response = session.get(
                    base_url + path, headers=headers, allow_redirects=False, timeout=REQUEST_TIMEOUT_S
                )
            except Exception as error:  # noqa: BLE001 - every failure is counted, none may stop the user
                tally.errors[f"{kind}: {type(error).__name__}"] += 1
                break
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                tally.errors[f"{kind}: HTTP {response.status_code}"] += 1
                break
            tally.times[kind].append(elapsed)
            if kind.startswith("VPS panel") and b'class="problem"' in response.content:
                tally.problems_shown += 1


def run_users(
    base_url: str, usernames: list[str], password: str, vps_ids: list[str], duration: float, cpu: CpuMeter
) -> tuple[list[Tally], float, dict[str, float]]:
    import requests

    sessions = []
    for username in usernames:  # one at a time: a login hashes the password, the slowest request there is
        session = requests.Session()
        log_in(session, base_url, username, password)
        sessions.append(session)
    tallies = [Tally() for _ in sessions]
    cpu.start()
    started = time.monotonic()
    deadline = started + duration
    threads = [
        threading.Thread(
            target=user_loop,
            args=(session, base_url, vps_ids, number, deadline, tally),
            name=f"user-{number}",
            daemon=True,
        )
        for number, (session, tally) in enumerate(zip(sessions, tallies, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + REQUEST_TIMEOUT_S + 5)
    elapsed = time.monotonic() - started
    cpu_s = cpu.stop()
    for session in sessions:
        session.close()
    return tallies, elapsed, cpu_s


def upstream_statuses(log: Path) -> Counter:
    """HTTP statuses of the dashboard's HostUp calls, from its JSON log lines (one per call)."""
    statuses: Counter = Counter()
    if not log.exists():
        return statuses
    for line in log.read_text(errors="replace").splitlines():
        if '"hostup_call"' not in line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        statuses[entry.get("status") or entry.get("error_code") or "?"] += 1
    return statuses


def report(
    tallies: list[Tally], elapsed: float, cpu_s: dict[str, float], args, upstream: Counter, vps_count: int
) -> None:
    times: dict[str, list[float]] = defaultdict(list)
    errors: Counter = Counter()
    for tally in tallies:
        for kind, values in tally.times.items():
            times[kind].extend(values)
        errors.update(tally.errors)
    everything = [value for values in times.values() for value in values]
    answered = len(everything)
    error_count = sum(errors.values())
    print(
        f"\n{args.users} users, {args.duration:g} s, gunicorn {args.workers} workers x {args.threads} thread(s), "
        f"simulator latency {args.latency_ms} ms, {vps_count:,} VPSes"
        f"{f', conn_max_age {args.conn_max_age}' if args.conn_max_age else ''}"
    )
    print(f"{'request':24} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for kind in sorted(times):
        values = times[kind]
        print(
            f"{kind:24} {len(values):7} {percentile(values, 0.5):8.1f} {percentile(values, 0.95):8.1f} "
            f"{max(values):8.1f}"
        )
    print(
        f"{'all':24} {answered:7} {percentile(everything, 0.5):8.1f} {percentile(everything, 0.95):8.1f} "
        f"{max(everything, default=float('nan')):8.1f}"
    )
    print(
        f"throughput {answered / elapsed:.1f} requests/s over {elapsed:.1f} s; errors {error_count}"
        f"{' (' + ', '.join(f'{name} x{n}' for name, n in errors.most_common()) + ')' if errors else ''}; "
        f"VPS pages showing a HostUp problem {sum(t.problems_shown for t in tallies)}"
    )
    if answered:
        print(
            "CPU ms per request: "
            + ", ".join(f"{group} {seconds * 1000 / answered:.1f}" for group, seconds in cpu_s.items())
            + f" (cores busy over the run: {sum(cpu_s.values()) / elapsed:.2f} of {os.cpu_count()})"
        )
    if upstream:
        print(
            f"dashboard's HostUp calls during the load: {sum(upstream.values())} "
            f"({', '.join(f'{status}: {n}' for status, n in upstream.most_common())})"
        )
    print(f"  goal: zero errors: {'met' if error_count == 0 else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (make serve: 4)")
    parser.add_argument("--vps", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=int, default=50, help="the simulator's delay on every answer")
    parser.add_argument("--rate-limit", type=int, default=100_000, help="simulator requests per 60 s")
    parser.add_argument("--sync-limit", type=int, default=200, help="states the sync reads before the load")
    parser.add_argument("--conn-max-age", type=int, default=0, help="gunicorn's DATABASE_URL conn_max_age")
    parser.add_argument("--url", help="an already running dashboard (see the docstring); starts nothing")
    parser.add_argument("--database", default=DATABASE, help="with --url: the database that dashboard uses")
    args = parser.parse_args()
    django_for_bench(args.database)

    from django.db import connection

    from hostup_dash.inventory import services
    from hostup_dash.inventory.models import VpsSnapshot

    logs = Path(tempfile.mkdtemp(prefix="hostup-bench-load-"))
    simulator = gunicorn = None
    try:
        if args.url:
            base_url = args.url.rstrip("/")
        else:
            simulator, simulator_url = start_simulator(args, logs)
            point_at_simulator(simulator_url, TOKEN)
            with connection.cursor() as cursor:  # an empty snapshot, as on a first deployment
                cursor.execute("TRUNCATE inventory_vpssnapshot, inventory_syncrun")
            started = time.perf_counter()
            run = services.inventory_sync(limit=args.sync_limit).run
            print(
                f"sync before the load: {run.status}, {run.vps_count:,} VPSes, {run.states_checked} states, "
                f"{run.upstream_calls} calls, {time.perf_counter() - started:.1f} s"
            )
            vacuum_analyze("inventory_vpssnapshot")  # autovacuum is off on the project machine's Postgres
            gunicorn, base_url = start_gunicorn(args, simulator_url, logs)
        password = secrets.token_urlsafe(16)
        usernames = ensure_users(args.users, password)
        vps_ids = list(VpsSnapshot.objects.values_list("vps_id", flat=True))
        if not vps_ids:
            raise SystemExit("the snapshot is empty: sync the inventory first")
        cpu = CpuMeter(gunicorn, simulator)
        tallies, elapsed, cpu_s = run_users(base_url, usernames, password, vps_ids, args.duration, cpu)
        report(tallies, elapsed, cpu_s, args, upstream_statuses(logs / "gunicorn.log"), len(vps_ids))
    finally:
        stop(gunicorn, signal.SIGTERM)
        # SIGTERM, not SIGINT: a shell running this in the background leaves SIGINT ignored in children.
        stop(simulator, signal.SIGTERM)
        print(f"process logs: {logs}")


if __name__ == "__main__":
    main()
