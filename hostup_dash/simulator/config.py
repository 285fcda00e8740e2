"""The simulator's knobs; read on every request, so tests may change them on a running simulator."""

from dataclasses import dataclass


@dataclass
class SimulatorConfig:
    vps_count: int = 25
    seed: int = 1
    latency_ms: int = 0
    full_token: str = "sim-full-token"
    read_token: str = "sim-read-token"
    rate_limit: int = 600
    rate_window_s: float = 60.0
    mirror_allocations: bool = False
