"""A bulk "Refresh next hop" of many drifted VPSes through a real worker, next to the rate-limit bound.

    .venv/bin/python bench/bulk_refresh.py [--items 1000] [--limit 200] [--window 10] [--kill-after S]

Each item costs two HostUp calls (a live read, then the refresh), and background work may
spend STATE_PASS_SHARE of each window, so the bound is 2 × items / (share × limit) windows.
Counts the refresh POSTs per VPS (each at most once), the 429s and the audit records that
carry the run's id. With --kill-after S the worker is SIGKILLed S seconds in and a new one
started: production's retry_stalled_jobs puts the run back once the dead worker's heartbeat
is 30 s old, and the item in flight ends as unknown, never sent again.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from collections import Counter

from _setup import ROOT, django_for_bench, free_port, point_at_simulator

DATABASE = "hostup_dash_bench_bulk"
TOKEN = "bench-token"


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    command = [sys.executable, "manage.py", "procrastinate", "worker", "--queues", "actions,default,builtin"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--limit", type=int, default=200, help="requests per rate-limit window during the run")
    parser.add_argument("--window", type=float, default=10.0, help="window length in seconds")
    parser.add_argument("--kill-after", type=float, help="SIGKILL the worker after this many seconds")
    args = parser.parse_args()

    django_for_bench(DATABASE)
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.db import connection

    from hostup_dash.accounts.roles import Role
    from hostup_dash.audit.models import AuditRecord
    from hostup_dash.bulk.models import BulkItem, BulkRun
    from hostup_dash.bulk.services import bulk_run_create
    from hostup_dash.inventory import services
    from hostup_dash.inventory.models import RateBudget, VpsSnapshot
    from hostup_dash.simulator.server import Simulator, SimulatorConfig

    # About a fifth of a seeded fleet has an active allocation.
    simulator = Simulator(SimulatorConfig(vps_count=args.items * 5 + 50, seed=5, full_token=TOKEN, rate_limit=10**6))
    simulator.start(port=free_port())
    point_at_simulator(simulator.url, TOKEN)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE inventory_vpssnapshot, inventory_syncrun, inventory_ratebudget")
        cursor.execute("TRUNCATE bulk_bulkitem, bulk_bulkrun CASCADE")
        cursor.execute("DELETE FROM procrastinate_jobs")
    services.inventory_sync()  # names and every state
    drifted = list(
        VpsSnapshot.objects.filter(allocation_status="active").order_by("vps_id").values_list("vps_id", flat=True)
    )[: args.items]
    assert len(drifted) == args.items, f"only {len(drifted)} allocated VPSes in the seeded fleet"
    for vps_id in drifted:
        simulator.renumber_net0(vps_id)
    operator, _ = User.objects.get_or_create(username="bench-operator")
    operator.groups.add(Group.objects.get(name=Role.OPERATOR))

    simulator.config.rate_limit, simulator.config.rate_window_s = args.limit, args.window
    time.sleep(args.window)  # a fresh window at the new limit
    RateBudget.objects.all().delete()
    simulator.reset_calls()
    env = os.environ | {"HOSTUP_API_URL": simulator.url, "HOSTUP_API_TOKEN": TOKEN, "LOG_LEVEL": "ERROR"}
    bound_s = 2 * args.items / (settings.STATE_PASS_SHARE * args.limit) * args.window

    started = time.monotonic()
    worker = start_worker(env)
    run = bulk_run_create(actor=operator, action=BulkRun.Action.REFRESH_NEXT_HOP, vps_ids=drifted)
    killed_at = resumed_after = done_at_kill = None
    try:
        while time.monotonic() - started < 3 * bound_s + 180:
            time.sleep(1.0)
            done = BulkItem.objects.filter(run=run).exclude(state__in=("pending", "running")).count()
            if args.kill_after and killed_at is None and time.monotonic() - started >= args.kill_after:
                worker.send_signal(signal.SIGKILL)
                worker.wait()
                killed_at, done_at_kill = time.monotonic(), done
                worker = start_worker(env)
            if killed_at and resumed_after is None and done > done_at_kill + 1:
                resumed_after = time.monotonic() - killed_at
            run.refresh_from_db()
            if run.finished_at:
                break
        elapsed = time.monotonic() - started
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        simulator.stop()

    posts = Counter(call.path for call in simulator.calls if call.method == "POST")
    states = Counter(BulkItem.objects.filter(run=run).values_list("state", flat=True))
    records = AuditRecord.objects.filter(bulk_run_id=run.id).count()
    print(f"{args.items} drifted VPSes, {args.limit} requests / {args.window:g} s, share {settings.STATE_PASS_SHARE}")
    print(f"  run finished in {elapsed:.1f} s; bound {bound_s:.0f} s (2 calls an item); ratio {elapsed / bound_s:.2f}")
    print(
        f"  items {dict(states)}; refresh POSTs {sum(posts.values())}, most to one VPS {max(posts.values(), default=0)}"
    )
    print(f"  429s {sum(1 for call in simulator.calls if call.status == 429)}; audit records with the run id {records}")
    if killed_at:
        print(
            f"  worker SIGKILLed at {args.kill_after:g} s with {done_at_kill} items done; "
            f"another worker carried on {resumed_after or float('nan'):.1f} s later"
        )


if __name__ == "__main__":
    main()
