"""The simulator's knobs; read on every request, so tests may change them on a running simulator."""

from dataclasses import dataclass


@dataclass
class SimulatorConfig:
    vps_count: int = 25
    seed: int = 1
    latency_ms: int = 0
    full_token: str = "sim-full-token"
    read_token: str = "sim-read-token"
    # Every scope but audit:read: the dashboard works, HostUp's audit log is refused (403).
    no_audit_token: str = "sim-no-audit-token"
    rate_limit: int = 600
    rate_window_s: float = 60.0
    mirror_allocations: bool = False
    audit_retention_s: float = 12 * 3600  # how far back GET /api/v2/audit-log still finds events
