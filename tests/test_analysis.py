"""Sensitivity analysis against known answers (sim/analysis.py), SALib's own habit."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis import analyze, noise_share
from sim.experiment import load_experiment
from sim.scenario import ScenarioError
from sim.sweep import sweep

PI = math.pi
ISHIGAMI = f"""\
target: sim.testfunctions:ishigami
method: {{method}}
samples: {{samples}}
seed: 7
parameters:
  x1: [{-PI}, {PI}]
  x2: [{-PI}, {PI}]
  x3: [{-PI}, {PI}]
metrics: [y]
"""
# Ishigami & Homma (1990), a = 7, b = 0.1: analytic first-order and total indices
S1 = np.array([0.3139, 0.4424, 0.0])
ST = np.array([0.5576, 0.4424, 0.2437])


def run_sweep(tmp_path: Path, text: str, name: str = "out") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    sweep(load_experiment(path), tmp_path / name, workers=1)
    return tmp_path / name


def test_sobol_recovers_ishigami_indices_within_their_intervals(tmp_path):
    out = run_sweep(tmp_path, ISHIGAMI.format(method="sobol", samples=1024))
    table = analyze(out).tables["y"]
    assert list(table["parameter"]) == ["x1", "x2", "x3"]
    # the analytic value lies within the bootstrap 95% interval (widened by 1.5 for the
    # interval's own sampling error) and the interval is informative
    assert np.all(np.abs(table["S1"] - S1) <= 1.5 * table["S1_conf"] + 0.01)
    assert np.all(np.abs(table["ST"] - ST) <= 1.5 * table["ST_conf"] + 0.01)
    assert np.all(table["S1_conf"] < 0.1)
    assert (out / "analysis" / "sobol_y.csv").exists()
    assert (out / "analysis" / "sobol_S2_y.csv").exists()
    assert (out / "analysis" / "sobol_y.png").stat().st_size > 5_000


@pytest.mark.filterwarnings("ignore:FAST confidence intervals:UserWarning")
def test_fast_recovers_ishigami_first_order(tmp_path):
    out = run_sweep(tmp_path, ISHIGAMI.format(method="fast", samples=1000))
    table = analyze(out).tables["y"]
    assert np.all(np.abs(table["S1"] - S1) < 0.05)
    assert table.loc[table["parameter"] == "x3", "ST"].item() > 0.15  # interaction with x1


def test_morris_ranks_ishigami_inputs(tmp_path):
    out = run_sweep(tmp_path, ISHIGAMI.format(method="morris", samples=60))
    table = analyze(out).tables["y"].set_index("parameter")
    # x3 acts only through its interaction with x1: large sigma relative to mu*
    assert table.loc["x3", "sigma"] > table.loc["x3", "mu_star"] * 0.8
    assert table.loc["x1", "mu_star"] > 0 and table.loc["x2", "mu_star"] > 0
    assert (out / "analysis" / "morris_y.png").exists()


def test_noise_share_is_the_replicate_share_of_variance(tmp_path):
    """y = 2·x1 + x2 + N(0, 1) with x ~ U(0, 1): signal variance 4/12 + 1/12 = 5/12, noise 1,
    so about 1 / (1 + 5/12) ≈ 0.71 of the variation lies between replicates. (Replicate r has
    the same noise draw at every point — common random numbers — so many replicates are
    needed for the noise variance to settle.)"""
    text = """\
target: sim.testfunctions:noisy_linear
method: random
samples: 20
replicates: 100
seed: 9
parameters:
  x1: [0, 1]
  x2: [0, 1]
metrics: [y]
"""
    out = run_sweep(tmp_path, text)
    table = analyze(out).tables["y"]
    assert table["noise_share"].iloc[0] == pytest.approx(1 / (1 + 5 / 12), abs=0.08)


def test_noise_share_by_hand():
    frame = pd.DataFrame({"point": [0, 0, 1, 1], "y": [1.0, 3.0, 5.0, 7.0]})
    # point means 2 and 6, grand mean 4: within SS = 4·1 = 4, total SS = 9 + 1 + 1 + 9 = 20
    assert noise_share(frame, "y") == pytest.approx(0.2)


def test_grid_analysis_writes_heatmap_and_lines(tmp_path):
    two = """\
target: sim.testfunctions:noisy_linear
method: grid
replicates: 3
parameters:
  x1: [0, 0.5, 1]
  x2: [0, 1]
metrics: [y]
"""
    out = run_sweep(tmp_path, two, "two")
    table = analyze(out).tables["y"]
    assert len(table) == 6 and set(table["count"]) == {3}
    assert (out / "analysis" / "grid_y.png").exists()
    one = two.replace("  x2: [0, 1]\n", "").replace("noisy_linear", "ishigami").replace(
        "x1: [0, 0.5, 1]", "x1: [0, 0.5, 1]\n  x2: [0]\n  x3: [0]")
    out = run_sweep(tmp_path, one, "one")
    analyze(out)  # x2 and x3 fixed: one parameter varies, so a line plot
    assert (out / "analysis" / "grid_y.csv").exists()
    assert (out / "analysis" / "grid_y.png").exists()


@pytest.mark.filterwarnings("ignore:FAST confidence intervals:UserWarning")
def test_analysis_errors_are_bad_input(tmp_path):
    out = run_sweep(tmp_path, ISHIGAMI.format(method="fast", samples=70))
    with pytest.raises(ScenarioError, match="needs a sobol design"):
        analyze(out, method="sobol")
    with pytest.raises(ScenarioError, match="unknown metric"):
        analyze(out, metric_names=["z"])
    with pytest.raises(ScenarioError, match="no finished sweep"):
        analyze(tmp_path / "nothing")
