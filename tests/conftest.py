"""Shared fixtures: a small scenario file and synthetic run results (no model needed)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import metrics
from sim.runner import RunResult
from sim.scenario import Scenario

SMALL_YAML = """\
name: small
seed: 7
months: 12
structure: {street_offices: 1, communities_per_street: 2, residents_per_community: 200}
policy: {devolution: 0.8, fund_per_community: 200000}
"""


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("MPLBACKEND", "Agg")  # before test modules import matplotlib


@pytest.fixture
def small_yaml(tmp_path: Path) -> Path:
    """A valid scenario file small enough to run in about a second."""
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_YAML, encoding="utf-8")
    return path


def synthetic_result(name: str = "small", replicates: int = 3, months: int = 12) -> RunResult:
    """A RunResult with made-up numbers in the contract's columns (for outputs and plots)."""
    rng = np.random.default_rng(len(name) * 1000 + replicates)
    ids = {"scenario": name, "seed": 7}
    frames = []
    for r in range(replicates):
        frame = pd.DataFrame({**ids, "replicate": r, "month": np.arange(1, months + 1)})
        for metric in metrics.METRICS:
            scale = 1e5 if metric.startswith(("fund", "foundation")) else 1.0
            frame[metric] = scale * rng.uniform(0, 1, months)
        frames.append(frame[["scenario", "replicate", "seed", "month", *metrics.METRICS]])
    summary = pd.DataFrame(
        [{**ids, "replicate": r, **dict.fromkeys(metrics.summary_names(), 0.5 + r)}
         for r in range(replicates)]
    )[["scenario", "replicate", "seed", *metrics.summary_names()]]
    scenario = Scenario(name=name, seed=7, months=months)
    return RunResult(scenario, 7, replicates, pd.concat(frames, ignore_index=True), summary,
                     "2024-01-01T00:00:00+00:00", "2024-01-01T00:00:01+00:00")


@pytest.fixture
def make_result() -> Callable[..., RunResult]:
    """``synthetic_result`` as a fixture: ``make_result(name, replicates, months)``."""
    return synthetic_result
