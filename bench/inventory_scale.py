"""The VPS list at 10,000 VPSes: what the sync costs upstream, and list pages beside the naive way.

    .venv/bin/python bench/inventory_scale.py [--vps 10000] [--repeat 7] [--naive-latency-ms 20]
                                              [--paced-limit 500] [--seed] [--lists-only] [--no-naive]
    .venv/bin/python bench/inventory_scale.py --vps 100000 --seed --no-naive   # the list at 100,000

Uses its own database (hostup_dash_bench_inventory; its snapshot is emptied at the start)
and simulators started in this process on free ports. Page times are server time:
requests go through Django's test client in this process, no network. Autovacuum is off
on the project machine's Postgres, so the script vacuums the snapshot after each sync, as
autovacuum would.

1. The sync against 10,000 VPSes, rate limit high (100,000 / 60 s), no latency: the
   inventory pass alone, then a full sync; upstream calls counted by the simulator.
2. Bounded state passes against a fresh simulator with realistic rate limits: how many
   states they read, whether they waited, and how many 429s HostUp sent (must be 0).
3. List pages (first page, searches, each prefix of a search as it is typed, the last
   page, filters) beside "the naive way": the same page, but each of its 50 rows'
   routed-IPv6 state read live from HostUp (one call per row, the simulator answering
   after a fixed latency).

`--seed` skips 1 and 2: it fills the snapshot as a finished sync would leave it, from the
simulator's fleet in memory and by bulk_create, which takes well under a minute at 100,000
VPSes where the state pass would make 100,000 HTTP calls.
"""

import argparse
import gc
import math
import statistics
import sys
import time
import types
import warnings
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_for_bench, median_ms, point_at_simulator, timings_ms, vacuum_analyze

DATABASE = "hostup_dash_bench_inventory"
TOKEN = "bench-inventory-token"
LIST_PATH = "/api/v2/vps"
ACCOUNT_PATH = "/api/v2/routed-ipv6"
SIMULATOR_SEED = 1
# Issue 9's goal for every list page, median server time: (up to 10,000 VPSes, at 100,000).
LIST_GOAL_MS = (10, 15)
# What an operator types into the search box, one htmx request per keystroke.
TYPED = ("w", "we", "web", "web-", "web-1")
# (requests per window, window seconds, state pass limit or None for --paced-limit)
PACED_RUNS = [(600, 60.0, None), (200, 5.0, 300)]


def start_simulator(*, vps: int, rate_limit: int, rate_window_s: float, latency_ms: int = 0):
    from hostup_dash.simulator.server import Simulator, SimulatorConfig

    simulator = Simulator(
        SimulatorConfig(
            vps_count=vps,
            seed=SIMULATOR_SEED,
            full_token=TOKEN,
            latency_ms=latency_ms,
            rate_limit=rate_limit,
            rate_window_s=rate_window_s,
        )
    ).start()
    point_at_simulator(simulator.url, TOKEN)
    return simulator


def count_calls(simulator) -> dict[str, int]:
    """The simulator's recorded calls by kind, and the most times any one VPS's state was read."""
    kinds: Counter[str] = Counter()
    per_vps: Counter[str] = Counter()
    for call in simulator.calls:
        if call.status == 429:
            kinds["429"] += 1
        if call.method == "GET" and call.path == LIST_PATH:
            kinds["list pages"] += 1
        elif call.method == "GET" and call.path == ACCOUNT_PATH:
            kinds["account routes"] += 1
        elif call.method == "GET" and call.path.endswith("/routed-ipv6"):
            kinds["per-VPS states"] += 1
            per_vps[call.path] += 1
        else:
            kinds["other"] += 1
    kinds["total"] = len(simulator.calls)
    kinds["most reads of one VPS"] = max(per_vps.values(), default=0)
    return dict(kinds)


def vacuum_snapshot() -> None:
    """Each sync rewrites every row twice (the upsert, then the state); autovacuum would clean up after it."""
    vacuum_analyze("inventory_vpssnapshot")


def timed_sync(simulator, **kwargs):
    from hostup_dash.inventory import services

    simulator.reset_calls()
    started = time.perf_counter()
    result = services.inventory_sync(**kwargs)
    seconds = time.perf_counter() - started
    assert result.run is not None, "another sync held the lock"
    vacuum_snapshot()
    return result.run, seconds, count_calls(simulator)


def sync_at_scale(vps: int, latency_ms: int) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:  # an empty table, as on a first deployment
        cursor.execute("TRUNCATE inventory_vpssnapshot, inventory_syncrun")
    simulator = start_simulator(vps=vps, rate_limit=100_000, rate_window_s=60.0, latency_ms=latency_ms)
    try:
        quick = timed_sync(simulator, quick=True)
        full = timed_sync(simulator)
    finally:
        simulator.stop()
    return {"quick": quick, "full": full}


def seed_snapshot(vps: int) -> float:
    """The snapshot a full sync leaves, written by bulk_create; returns the seconds it took.

    Each row is built by the sync's own mappings from the simulator's fleet (same seed: the
    same VPSes and states), without the N HTTP state reads. The few account-level routes are
    left out; a succeeded SyncRun says how many VPSes the sync saw, as after a real one.
    """
    from django.db import connection
    from django.utils import timezone

    from hostup_dash.hostup import RoutedIpv6State, Vps
    from hostup_dash.inventory.models import SyncRun, VpsSnapshot
    from hostup_dash.inventory.services.snapshot import snapshot_from_vps, state_apply
    from hostup_dash.simulator.state import SimState

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE inventory_vpssnapshot, inventory_syncrun")
    fleet = SimState(vps_count=vps, seed=SIMULATOR_SEED)
    now = timezone.now()
    rows = []
    for vps_id in fleet.vps_ids():
        row = snapshot_from_vps(Vps.from_json(fleet.vps_json(vps_id)), now)
        state_apply(row, RoutedIpv6State.from_json(fleet.routed_state(vps_id)), now)
        rows.append(row)
    VpsSnapshot.objects.bulk_create(rows, batch_size=2000)
    SyncRun.objects.create(status=SyncRun.Status.SUCCEEDED, finished_at=timezone.now(), vps_count=len(rows))
    vacuum_snapshot()
    return time.perf_counter() - started


def paced_pass(vps: int, rate_limit: int, window_s: float, limit: int):
    """A bounded sync against a simulator whose rate limit is HostUp-like; counts the 429s."""
    simulator = start_simulator(vps=vps, rate_limit=rate_limit, rate_window_s=window_s)
    try:
        return timed_sync(simulator, limit=limit)
    finally:
        simulator.stop()


# --- the naive list ---------------------------------------------------------


def naive_vps_list(request):
    """The list page as it would be without a state snapshot: each row's routed IPv6 read live.

    Same form, same rows, same template as the real view (its own context builder and the
    service's state mapping); only the 50 live calls differ.
    """
    from django.shortcuts import render
    from django.utils import timezone

    from hostup_dash.core.clients import hostup_client
    from hostup_dash.inventory.services.snapshot import state_apply
    from hostup_dash.inventory.views import _list_context

    context = _list_context(request.GET)
    client = hostup_client(actor=request.user.get_username())
    try:
        for vps in context["page"].rows:
            state_apply(vps, client.get_routed_ipv6(vps.vps_id), timezone.now())  # in memory, never saved
    finally:
        client.close()
    template = "inventory/vps_list.html#vps-rows" if request.htmx else "inventory/vps_list.html"
    return render(request, template, context)


def naive_urlconf() -> str:
    """The project's URLs plus /naive/, as a module Django can import by name."""
    from django.contrib.auth.decorators import login_required
    from django.urls import include, path

    module = types.ModuleType("bench_inventory_urls")
    module.urlpatterns = [path("naive/", login_required(naive_vps_list)), path("", include("hostup_dash.urls"))]
    sys.modules[module.__name__] = module
    return module.__name__


def list_cases() -> list[tuple[str, dict, dict]]:
    """(name, GET parameters, extra headers) of the pages timed."""
    from hostup_dash.inventory.models import VpsSnapshot

    htmx = {"HTTP_HX_REQUEST": "true"}
    # The last page, reached as the Next links reach it: after the row 51st from the end.
    last = VpsSnapshot.objects.order_by("-name", "-vps_id")[50]
    return [
        ("first page", {}, {}),
        ("search by name (q=web-1)", {"q": "web-1"}, {}),
        ("search by IP (q=10.0.20.)", {"q": "10.0.20."}, {}),
        *((f"typing, htmx rows (q={typed})", {"q": typed}, htmx) for typed in TYPED),
        ("last page (after=…)", {"after": f"{last.name}|{last.vps_id}"}, {}),
        ("filter: power=stopped", {"power": "stopped"}, {}),
        ("filter: routed IPv6=yes", {"routed": "yes"}, {}),
    ]


def time_lists(
    vps: int, repeat: int, naive_latency_ms: int | None
) -> list[tuple[str, int, float, float, float | None, float | None]]:
    """(case, rows shown, ours median ms, ours fastest ms, naive ms at 0 ms latency, naive ms at the given latency).

    The naive columns are None when naive_latency_ms is None.

    Our pages are timed before the simulator starts: its 10,000 VPSes would otherwise sit
    in this process's heap and lengthen every garbage collection, which a gunicorn worker
    does not have to pay.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client, override_settings

    from hostup_dash.inventory.views import _list_context

    user, _ = get_user_model().objects.get_or_create(username="bench-viewer")
    user.groups.set([Group.objects.get(name="viewer")])
    client = Client()
    client.force_login(user)

    def get(url: str, params: dict, headers: dict):
        def run():
            response = client.get(url, params, **headers)
            assert response.status_code == 200, (url, params, response.status_code)

        return run

    cases = list_cases()
    gc.collect()
    ours = {name: timings_ms(get("/", params, headers), repeat) for name, params, headers in cases}
    shown = {name: len(_list_context(params)["page"].rows) for name, params, _ in cases}
    if naive_latency_ms is None:
        return [(name, shown[name], statistics.median(ours[name]), min(ours[name]), None, None) for name, _, _ in cases]
    results = []
    simulator = start_simulator(vps=vps, rate_limit=1_000_000, rate_window_s=60.0)
    try:
        with override_settings(ROOT_URLCONF=naive_urlconf()):
            for name, params, headers in cases:
                simulator.config.latency_ms = 0
                naive_floor = median_ms(get("/naive/", params, headers), repeat)
                simulator.config.latency_ms = naive_latency_ms
                naive = median_ms(get("/naive/", params, headers), repeat)
                results.append((name, shown[name], statistics.median(ours[name]), min(ours[name]), naive_floor, naive))
    finally:
        simulator.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vps", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--sync-latency-ms", type=int, default=0, help="simulator latency during the full sync")
    parser.add_argument("--naive-latency-ms", type=int, default=20, help="simulator latency for the naive list")
    parser.add_argument("--paced-limit", type=int, default=500, help="state pass limit for the 600 / 60 s run")
    parser.add_argument(
        "--lists-only",
        action="store_true",
        help="time the list pages on the snapshot an earlier run left, without syncing",
    )
    parser.add_argument(
        "--seed", action="store_true", help="fill the snapshot directly instead of the timed syncs (large --vps)"
    )
    parser.add_argument("--no-naive", action="store_true", help="time our pages only")
    args = parser.parse_args()
    # Static files are not served here; whitenoise's warning about a missing STATIC_ROOT is noise.
    warnings.filterwarnings("ignore", message="No directory at")
    django_for_bench(DATABASE)
    if args.seed:
        print(f"\nseeded the snapshot with {args.vps:,} VPSes in {seed_snapshot(args.vps):.1f} s")
    elif not args.lists_only:
        time_syncs(args)
    time_list_pages(args)


def time_syncs(args) -> None:
    inventory_calls = math.ceil(args.vps / 100) + 1
    print(f"\nsync against {args.vps:,} VPSes (rate limit 100,000 / 60 s, latency {args.sync_latency_ms} ms)")
    print(
        f"{'run':28} {'wall s':>8} {'VPSes':>7} {'states':>7} {'calls':>7} {'list':>6} {'acct':>5} "
        f"{'per-VPS':>8} {'max/VPS':>8} {'429s':>5}"
    )
    scale = sync_at_scale(args.vps, args.sync_latency_ms)
    for label, (run, seconds, calls) in (
        ("inventory pass (--quick)", scale["quick"]),
        ("full sync (both passes)", scale["full"]),
    ):
        print(
            f"{label:28} {seconds:8.1f} {run.vps_count:7,} {run.states_checked:7,} {run.upstream_calls:7,} "
            f"{calls.get('list pages', 0):6} {calls.get('account routes', 0):5} {calls.get('per-VPS states', 0):8,} "
            f"{calls['most reads of one VPS']:8} {calls.get('429', 0):5}"
        )
    quick_run, quick_calls = scale["quick"][0], scale["quick"][2]
    full_run, full_calls = scale["full"][0], scale["full"][2]
    state_calls = full_calls.get("per-VPS states", 0)
    print(
        f"  inventory pass: {quick_calls['total']} calls (goal ceil(N/100)+1 = {inventory_calls}): "
        f"{'met' if quick_calls['total'] == inventory_calls else 'NOT met'}"
    )
    most = full_calls["most reads of one VPS"]
    print(
        f"  state pass: {state_calls:,} calls for {full_run.states_checked:,} VPSes, at most {most} per VPS: "
        f"{'met' if most <= 1 else 'NOT met'}; {full_run.status} {full_run.message}".rstrip()
    )
    assert quick_run.status == "succeeded", quick_run.message

    print("\nbounded state passes at HostUp-like rate limits (fresh simulator each)")
    print(f"{'limit':>12} {'--limit':>8} {'wall s':>7} {'states':>7} {'calls':>6} {'per-VPS':>8} {'429s':>5}  message")
    for rate_limit, window_s, limit in PACED_RUNS:
        run, seconds, calls = paced_pass(args.vps, rate_limit, window_s, limit or args.paced_limit)
        print(
            f"{f'{rate_limit} / {window_s:g} s':>12} {limit or args.paced_limit:8} {seconds:7.1f} "
            f"{run.states_checked:7} {calls['total']:6} {calls.get('per-VPS states', 0):8} {calls.get('429', 0):5}  "
            f"{run.status}: {run.message or '—'}"
        )


def time_list_pages(args) -> None:
    from hostup_dash.inventory.models import VpsSnapshot

    if VpsSnapshot.objects.count() != args.vps:
        raise SystemExit(f"the snapshot does not hold {args.vps:,} VPSes; run without --lists-only first")
    vacuum_snapshot()
    naive_latency_ms = None if args.no_naive else args.naive_latency_ms
    beside = "" if naive_latency_ms is None else " vs naive (one live routed-IPv6 call per row shown)"
    print(f"\nlist page, snapshot{beside}, median of {args.repeat}, server time")
    header = f"{'case':38} {'rows':>5} {'ours ms':>8} {'fastest':>8}"
    if naive_latency_ms is not None:
        header += f" {'naive 0 ms':>11} {f'naive {naive_latency_ms} ms':>12} {'naive / ours':>13}"
    print(header)
    slowest = 0.0
    for name, shown, ours, fastest, floor, naive in time_lists(args.vps, args.repeat, naive_latency_ms):
        slowest = max(slowest, ours)
        line = f"{name:38} {shown:5} {ours:8.1f} {fastest:8.1f}"
        if naive is not None:
            line += f" {floor:11.1f} {naive:12.1f} {naive / ours:12.1f}x"
        print(line)
    goal_ms = LIST_GOAL_MS[0] if args.vps <= 10_000 else LIST_GOAL_MS[1]
    print(
        f"  goal: every list page within {goal_ms} ms median at {args.vps:,} VPSes: "
        f"{'met' if slowest <= goal_ms else 'NOT met'} (slowest {slowest:.1f} ms)"
    )


if __name__ == "__main__":
    main()
