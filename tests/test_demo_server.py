"""The demo's server (sim/demo/server.py): a bad scenario or a busy port is refused before
anything starts. The server running in a real browser: tests/test_app.py."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from sim.demo.server import serve
from sim.scenario import ScenarioError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_refuses_a_bad_scenario_before_starting(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\npolicy: {devolution: 1.5}\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="policy.devolution"):
        serve(bad, free_port())
    with pytest.raises(ScenarioError, match="file not found"):
        serve(tmp_path / "missing.yaml", free_port())


def test_serve_refuses_a_busy_port() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(OSError):
            serve(None, busy.getsockname()[1])
