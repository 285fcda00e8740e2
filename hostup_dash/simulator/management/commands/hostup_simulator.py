"""`manage.py hostup_simulator`: run the HostUp API simulator in the foreground until Ctrl-C."""

import threading
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hostup_dash.simulator.server import Simulator, SimulatorConfig


def _port(value: str) -> int:
    # Port 0 would pick a random port that the dashboard's HOSTUP_API_URL cannot know.
    port = int(value)
    if not 1 <= port <= 65535:
        raise ArgumentTypeError("must be from 1 to 65535")
    return port


class Command(BaseCommand):
    help = "Run a local HostUp API v2 simulator (in-memory, seeded) until Ctrl-C."

    def add_arguments(self, parser: ArgumentParser) -> None:
        defaults = SimulatorConfig()
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=_port, default=8765)
        parser.add_argument("--vps", type=int, default=defaults.vps_count, help="number of seeded VPSes")
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument("--latency-ms", type=int, default=defaults.latency_ms)
        parser.add_argument("--full-token", default=defaults.full_token)
        parser.add_argument("--read-token", default=defaults.read_token)
        parser.add_argument("--no-audit-token", default=defaults.no_audit_token, help="every scope but audit:read")
        parser.add_argument("--rate-limit", type=int, default=defaults.rate_limit, help="requests per window and token")
        parser.add_argument(
            "--rate-window", type=float, default=defaults.rate_window_s, help="window length in seconds"
        )
        parser.add_argument(
            "--mirror-allocations", action="store_true", help="also list per-VPS allocations among the account routes"
        )
        parser.add_argument(
            "--outside-change-after",
            type=float,
            default=0,
            metavar="SECONDS",
            help="then release a VPS's routed IPv6 as the customer in HostUp's panel (a change outside the dashboard)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        config = SimulatorConfig(
            vps_count=options["vps"],
            seed=options["seed"],
            latency_ms=options["latency_ms"],
            full_token=options["full_token"],
            read_token=options["read_token"],
            no_audit_token=options["no_audit_token"],
            rate_limit=options["rate_limit"],
            rate_window_s=options["rate_window"],
            mirror_allocations=options["mirror_allocations"],
        )
        simulator = Simulator(config)
        host, port = options["host"], options["port"]
        self.stdout.write(f"HostUp simulator starting on http://{host}:{port}")
        self.stdout.write(f"  full-scope token: {config.full_token}")
        self.stdout.write(f"  read-only token:  {config.read_token}")
        self.stdout.write(f"  no-audit token:   {config.no_audit_token}")
        self.stdout.write(f"  VPSes: {config.vps_count}")
        self.stdout.write("Quit with Ctrl-C.")
        self.stdout.flush()
        if options["outside_change_after"] > 0:
            timer = threading.Timer(options["outside_change_after"], self._outside_change, args=(simulator,))
            timer.daemon = True  # Ctrl-C must not wait for it
            timer.start()
        try:
            simulator.serve_forever(host, port)
        except KeyboardInterrupt:
            self.stdout.write("Simulator stopped.")
        except OSError as error:
            raise CommandError(f"Cannot listen on {host}:{port}: {error}") from error

    def _outside_change(self, simulator: Simulator) -> None:
        event = simulator.demo_outside_change()
        if event is None:
            self.stdout.write("Outside change: no VPS holds an active routed IPv6 allocation; nothing changed.")
        else:
            self.stdout.write(f"Outside change by the customer in HostUp's panel: {event['summary']} ({event['path']})")
        self.stdout.flush()
