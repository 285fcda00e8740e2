"""`manage.py hostup_simulator`: parses options, prints how to connect, serves until Ctrl-C."""

import os
import signal
import socket
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
import requests
from django.core.management import CommandError, call_command

from hostup_dash.simulator.server import Simulator, SimulatorConfig

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_options_reach_the_simulator_and_ctrl_c_exits_cleanly() -> None:
    stdout = StringIO()
    with mock.patch.object(Simulator, "serve_forever", autospec=True, side_effect=KeyboardInterrupt) as serve:
        call_command(
            "hostup_simulator",
            "--port",
            "9123",
            "--host",
            "0.0.0.0",
            "--vps",
            "40",
            "--seed",
            "9",
            "--latency-ms",
            "15",
            "--full-token",
            "f-tok",
            "--read-token",
            "r-tok",
            "--rate-limit",
            "50",
            "--rate-window",
            "2.5",
            "--mirror-allocations",
            stdout=stdout,
        )
    simulator, host, port = serve.call_args.args
    assert (host, port) == ("0.0.0.0", 9123)
    assert simulator.config == SimulatorConfig(
        vps_count=40,
        seed=9,
        latency_ms=15,
        full_token="f-tok",
        read_token="r-tok",
        rate_limit=50,
        rate_window_s=2.5,
        mirror_allocations=True,
    )
    output = stdout.getvalue()
    for expected in ("http://0.0.0.0:9123", "f-tok", "r-tok", "VPSes: 40", "Simulator stopped."):
        assert expected in output


def test_port_zero_is_refused() -> None:
    with pytest.raises(CommandError):
        call_command("hostup_simulator", "--port", "0", stdout=StringIO())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get_once_listening(url: str, *, token: str) -> requests.Response:
    """The banner is printed just before the socket binds, so retry for a moment."""
    deadline = time.monotonic() + 5
    while True:
        try:
            return requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=2)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_command_serves_until_interrupted() -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "hostup_simulator", "--port", str(port), "--vps", "3", "--full-token", "cmd-tok"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DEBUG": "true"},  # the child needs no production settings to run the simulator
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(5)]
        assert f"http://127.0.0.1:{port}" in banner[0]
        response = _get_once_listening(f"http://127.0.0.1:{port}/api/v2/vps", token="cmd-tok")
        assert len(response.json()["data"]) == 3
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0
    assert "Simulator stopped." in rest
