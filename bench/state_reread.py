"""How often the worker re-reads each VPS's routed-IPv6 state, next to STATE_PASS_MIN_AGE.

    .venv/bin/python bench/state_reread.py [--vps 50] [--min-age 20] [--seconds 120]

One real worker (`manage.py procrastinate worker`, every queue) against a simulator in this
process, with the inventory pass off. Every 0.25 s it notes each VPS's `state_checked_at`; at the
end it prints the median time between two reads of one VPS and its ratio to the configured age
(1.0 is the best there is), how many state-pass slices the worker ran (from Procrastinate's job
table) and the worker's CPU. A slice that finds nothing to read is wasted work: a healthy pass
runs about one slice per due batch, not several a second.
"""

import argparse
import os
import signal
import statistics
import sys
import time
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

from _setup import django_for_bench, free_port, point_at_simulator
from freshness import start_worker

DATABASE = "hostup_dash_bench_reread"
TOKEN = "bench-reread-token"


def process_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vps", type=int, default=50)
    parser.add_argument("--min-age", type=int, default=20, help="STATE_PASS_MIN_AGE, seconds")
    parser.add_argument("--seconds", type=float, default=120.0, help="how long the worker runs")
    args = parser.parse_args()

    django_for_bench(DATABASE)
    from django.db import connection

    from hostup_dash.inventory import services
    from hostup_dash.inventory.models import VpsSnapshot
    from hostup_dash.simulator.server import Simulator, SimulatorConfig

    config = SimulatorConfig(vps_count=args.vps, seed=5, full_token=TOKEN, rate_limit=10_000, rate_window_s=10.0)
    simulator = Simulator(config).start(port=free_port())
    point_at_simulator(simulator.url, TOKEN)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE inventory_vpssnapshot, inventory_syncrun, inventory_ratebudget")
        cursor.execute("DELETE FROM procrastinate_jobs")
    services.inventory_sync(quick=True)  # the rows, with no state read yet

    env = os.environ | {
        "HOSTUP_API_URL": simulator.url,
        "HOSTUP_API_TOKEN": TOKEN,
        "INVENTORY_SYNC_EVERY": str(10**6),  # the state pass alone
        "STATE_PASS_MIN_AGE": str(args.min_age),
    }
    reads: dict[str, list] = defaultdict(list)
    worker = start_worker(env)
    started = time.monotonic()
    try:
        while time.monotonic() - started < args.seconds:
            for vps_id, checked_at in VpsSnapshot.objects.exclude(state_checked_at=None).values_list(
                "vps_id", "state_checked_at"
            ):
                if not reads[vps_id] or reads[vps_id][-1] != checked_at:
                    reads[vps_id].append(checked_at)
            time.sleep(0.25)
        cpu_s = process_cpu_s(worker.pid)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        simulator.stop()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'state_pass_slice'")
        slices = cursor.fetchone()[0]

    gaps = [(later - earlier).total_seconds() for seen in reads.values() for earlier, later in pairwise(seen)]
    print(f"{args.vps} VPSes, STATE_PASS_MIN_AGE {args.min_age} s, one worker for {args.seconds:g} s")
    if gaps:
        median = statistics.median(gaps)
        print(
            f"  re-reads {len(gaps)}: median interval {median:.1f} s (min {min(gaps):.1f}, max {max(gaps):.1f}); "
            f"ratio to the configured age {median / args.min_age:.2f}"
        )
    else:
        print("  no VPS was read twice")
    print(
        f"  state-pass slices run {slices} ({slices / args.seconds:.2f} a second); "
        f"worker CPU {cpu_s:.1f} s ({100 * cpu_s / args.seconds:.0f} %)"
    )


if __name__ == "__main__":
    sys.exit(main())
