"""How long the worker's state pass takes to read every VPS, next to the rate-limit bound.

    .venv/bin/python bench/freshness.py [--vps 10000] [--limit 1000] [--window 10] [--workers 1] [--kill-after S]

The bound: with STATE_PASS_SHARE = 0.8 of a window of `limit` requests, N states need at least
N / (0.8 × limit) windows. Real worker processes (`manage.py procrastinate worker`, sync queue)
against a simulator in this process; the snapshot is filled by one inventory pass first. It
counts every state read per VPS (at most one per cycle) and every 429, and stops by itself
(at twice the bound, or when every state has been read). With --kill-after S it SIGKILLs the
first worker S seconds in and starts a new one, and reports the gap in reads.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from collections import Counter

from _setup import ROOT, django_for_bench, free_port, point_at_simulator

DATABASE = "hostup_dash_bench_freshness"
TOKEN = "bench-token"


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "procrastinate", "worker", "--concurrency", "4"],  # every queue, as make worker
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vps", type=int, default=10_000)
    parser.add_argument("--limit", type=int, default=1000, help="requests per rate-limit window")
    parser.add_argument("--window", type=float, default=10.0, help="window length in seconds")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--kill-after", type=float, help="SIGKILL the first worker after this many seconds")
    args = parser.parse_args()

    django_for_bench(DATABASE)
    from django.conf import settings
    from django.db import connection

    from hostup_dash.inventory import services
    from hostup_dash.inventory.models import RateBudget, SyncRun, VpsSnapshot
    from hostup_dash.inventory.selectors import CLAIM_LEASE
    from hostup_dash.simulator.server import Simulator, SimulatorConfig

    config = SimulatorConfig(
        vps_count=args.vps, seed=11, full_token=TOKEN, rate_limit=args.limit, rate_window_s=args.window
    )
    simulator = Simulator(config).start(port=free_port())
    point_at_simulator(simulator.url, TOKEN)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE inventory_vpssnapshot, inventory_syncrun, inventory_ratebudget")
        cursor.execute("DELETE FROM procrastinate_jobs")
    # The inventory pass first (ceil(N/100)+1 calls), in a fresh window, so the pass starts on an equal footing.
    services.inventory_sync(quick=True)
    assert SyncRun.objects.get().status == SyncRun.Status.SUCCEEDED
    time.sleep(args.window)
    RateBudget.objects.all().delete()
    simulator.reset_calls()

    env = os.environ | {
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "HOSTUP_API_URL": simulator.url,
        "HOSTUP_API_TOKEN": TOKEN,
        "INVENTORY_SYNC_EVERY": str(10**6),  # the bench measures the state pass alone
        "STATE_PASS_MIN_AGE": str(10**6),  # one cycle: no VPS becomes due twice during the run
        "LOG_LEVEL": "ERROR",
    }
    bound_windows = args.vps / (settings.STATE_PASS_SHARE * args.limit)
    bound_s = bound_windows * args.window
    started = time.monotonic()
    workers = [start_worker(env) for _ in range(args.workers)]
    killed_at = restarted_reads = first_read = None
    last_read_before_kill = None
    try:
        # Rows a killed worker had claimed are read again once their lease ends.
        lease_s = CLAIM_LEASE.total_seconds() + 30 if args.kill_after else 0.0
        while time.monotonic() - started < max(2 * bound_s, (args.kill_after or 0) + lease_s) + 60:
            time.sleep(1.0)
            never_read = VpsSnapshot.objects.filter(state_checked_at=None).count()
            if first_read is None and never_read < args.vps:
                first_read = time.monotonic() - started  # worker start-up and its first tick end here
            if args.kill_after and killed_at is None and time.monotonic() - started >= args.kill_after:
                last_read_before_kill = len(simulator.calls)
                workers[0].send_signal(signal.SIGKILL)
                killed_at = time.monotonic()
                workers[0] = start_worker(env)
            if killed_at and restarted_reads is None and len(simulator.calls) > last_read_before_kill + 5:
                restarted_reads = time.monotonic() - killed_at
            if never_read == 0:
                break
        elapsed = time.monotonic() - started
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=30)
        simulator.stop()

    reads = Counter(
        call.path for call in simulator.calls if call.path.startswith("/api/v2/vps/") and call.status == 200
    )
    rate_limited = sum(1 for call in simulator.calls if call.status == 429)
    never_read = VpsSnapshot.objects.filter(state_checked_at=None).count()
    print(
        f"{args.vps} VPSes, {args.limit} requests / {args.window:g} s, share {settings.STATE_PASS_SHARE}, "
        f"{args.workers} worker(s)"
    )
    print(
        f"  every state read in {elapsed:.1f} s = {elapsed / args.window:.1f} windows; "
        f"bound {bound_windows:.1f} windows ({bound_s:.0f} s); ratio {elapsed / bound_s:.2f}"
    )
    print(
        f"  states read {len(reads)}, never read {never_read}, most reads of one VPS {max(reads.values(), default=0)}, "
        f"429s {rate_limited}"
    )
    reading = elapsed - (first_read or 0.0)
    print(
        f"  from the first read: {reading:.1f} s = {reading / args.window:.1f} windows; ratio {reading / bound_s:.2f}"
    )
    if killed_at:
        print(
            f"  worker SIGKILLed at {args.kill_after:g} s; reads resumed {restarted_reads or float('nan'):.1f} s later"
        )


if __name__ == "__main__":
    main()
