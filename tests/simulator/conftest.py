"""The simulator's own tests talk to it with its default tokens (helpers.FULL, helpers.READ)."""

from collections.abc import Iterator

import pytest

from hostup_dash.simulator.server import Simulator, SimulatorConfig


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    """A fresh 25-VPS simulator per test with the default tokens (the root conftest's has the dashboard's)."""
    sim = Simulator(SimulatorConfig(vps_count=25, seed=1)).start()
    yield sim
    sim.stop()
