"""Sensitivity analysis against known answers (sim/analysis.py), SALib's own habit."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_scenario import BASE  # the issue's base.yaml

from sim import cli
from sim.analysis import analysis_seed, analyze, noise_share
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
    assert not table[["S1_wide", "ST_wide"]].to_numpy().any()  # 1024 samples: rankable
    # the bounds are the estimate -+ SALib's half-width, within [0, 1]
    assert np.allclose(table["S1_low"], np.clip(table["S1"] - table["S1_conf"], 0, 1))
    assert np.allclose(table["ST_high"], np.clip(table["ST"] + table["ST_conf"], 0, 1))
    assert (out / "analysis" / "sobol_y.csv").exists()
    assert (out / "analysis" / "sobol_S2_y.csv").exists()
    assert (out / "analysis" / "sobol_y.png").stat().st_size > 5_000


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
    assert len(table) == 6 and set(table["n"]) == {3}
    assert (out / "analysis" / "grid_y.png").exists()
    one = two.replace("  x2: [0, 1]\n", "").replace("noisy_linear", "ishigami").replace(
        "x1: [0, 0.5, 1]", "x1: [0, 0.5, 1]\n  x2: [0]\n  x3: [0]")
    out = run_sweep(tmp_path, one, "one")
    analyze(out)  # x2 and x3 fixed: one parameter varies, so a line plot
    assert (out / "analysis" / "grid_y.csv").exists()
    assert (out / "analysis" / "grid_y.png").exists()


def test_analysis_errors_are_bad_input(tmp_path):
    out = run_sweep(tmp_path, ISHIGAMI.format(method="fast", samples=70))
    with pytest.raises(ScenarioError, match="needs a sobol design"):
        analyze(out, method="sobol")
    with pytest.raises(ScenarioError, match="unknown metric"):
        analyze(out, metric_names=["z"])
    with pytest.raises(ScenarioError, match="no finished sweep"):
        analyze(tmp_path / "nothing")


# ------------------------------------------- issue 7 §3: no untrustworthy index printed as certain
ISSUE_SOBOL = """\
scenario: base.yaml
method: sobol
samples: 8
seed: 1
parameters: {population.satisfaction: [0.1, 0.9], policy.transparency: [0, 1]}
metrics: [yuan_per_satisfaction]
"""
SATISFACTION_GRID = """\
scenario: base.yaml
method: grid
replicates: 2
seed: 1
parameters: {population.satisfaction: [0.1, 0.2, 0.6]}
metrics: [yuan_per_satisfaction, participation_any_last12]
"""


@pytest.fixture(scope="module")
def issue_sobol(tmp_path_factory) -> Path:
    """The issue's Sobol example: 48 runs of the 13-month base scenario."""
    tmp = tmp_path_factory.mktemp("issue")
    (tmp / "base.yaml").write_text(BASE, encoding="utf-8")
    return run_sweep(tmp, ISSUE_SOBOL, "sobol")


@pytest.fixture(scope="module")
def satisfaction_grid(tmp_path_factory) -> Path:
    """yuan_per_satisfaction is +inf at satisfaction 0.6 (no gain to buy), finite below."""
    tmp = tmp_path_factory.mktemp("grid")
    (tmp / "base.yaml").write_text(BASE, encoding="utf-8")
    return run_sweep(tmp, SATISFACTION_GRID, "grid")


def spoil(out: Path, rows: list[int], value: object, metric: str = "y") -> None:
    """Overwrite ``metric`` in some rows of a sweep's results (a sweep that produced them)."""
    results = pd.read_parquet(out / "results.parquet")
    results.loc[rows, metric] = value
    results.to_parquet(out / "results.parquet")


def test_sobol_gives_no_indices_for_infinite_outputs(issue_sobol):
    """Issue example: inf in 39 of 48 runs (30 before issue 9 rebuilt satisfaction); every
    S1/ST once printed as 0.0 with exit 0."""
    stale = issue_sobol / "analysis" / "sobol_yuan_per_satisfaction.csv"
    stale.parent.mkdir(exist_ok=True)
    stale.write_text("parameter,S1\nx,0.0\n")  # an earlier analysis's zeros
    analysis = analyze(issue_sobol)
    status = analysis.status["yuan_per_satisfaction"]
    assert (status.status, status.inf, status.nan) == ("non-finite", 39, 0)
    assert (status.runs, status.points, status.points_affected) == (48, 48, 39)
    assert "non-finite outputs in 39 of 48 runs (39 infinite, 0 NaN), at 39 of 48 design " \
           "points" in status.detail
    # the first parameter alone decides whether the metric is finite: the statement says where
    assert "non-finite exactly where population.satisfaction ≥ 0.275" in status.detail
    assert "Analyse another metric, e.g. mean_satisfaction_final" in status.detail
    assert analysis.tables == {} and analysis.analysed == []
    assert not stale.exists()
    assert not (stale.parent / "sobol_S2_yuan_per_satisfaction.csv").exists()
    saved = pd.read_csv(issue_sobol / "analysis" / "status_sobol.csv")
    columns = ["metric", "status", "detail", "runs", "inf", "nan", "points", "points_affected"]
    assert saved[columns].to_dict("records") == [{
        "metric": "yuan_per_satisfaction", "status": "non-finite", "detail": status.detail,
        "runs": 48, "inf": 39, "nan": 0, "points": 48, "points_affected": 39}]


def test_cli_exits_1_when_no_metric_can_be_analysed(issue_sobol, capsys):
    assert cli.main(["analyze", str(issue_sobol)]) == 1
    captured = capsys.readouterr()
    assert "cogov: yuan_per_satisfaction: non-finite outputs in 39 of 48 runs" in captured.err
    assert "no metric could be analysed" in captured.err
    assert "S1" not in captured.out  # no index table at all


def test_cli_exits_0_when_some_metrics_can_be_analysed(issue_sobol, capsys):
    """A finite metric beside the infinite one and a constant one: its table on stdout,
    statements for the others on stderr, exit 0."""
    args = ["analyze", str(issue_sobol), "--metric", "yuan_per_satisfaction",
            "--metric", "mean_satisfaction_final", "--metric", "incentive_paid_last12"]
    assert cli.main(args) == 0
    captured = capsys.readouterr()
    assert "mean_satisfaction_final (sobol, noise share n/a: one replicate per point):" \
           in captured.out
    assert "yuan_per_satisfaction (sobol" not in captured.out
    assert "cogov: yuan_per_satisfaction: non-finite outputs" in captured.err
    assert "cogov: incentive_paid_last12: constant (value 0 in all 48 runs)" \
           in captured.err
    assert "*_wide: an index is marked wide when its 95% half-width" in captured.out
    statuses = pd.read_csv(issue_sobol / "analysis" / "status_sobol.csv")
    assert dict(zip(statuses["metric"], statuses["status"], strict=True)) == {
        "yuan_per_satisfaction": "non-finite", "mean_satisfaction_final": "ok",
        "incentive_paid_last12": "constant"}


def test_constant_metric_gets_a_statement_not_zero_indices(issue_sobol):
    """incentive_paid_last12 never varies with no incentive scheme: not 0.0 ± 0.0."""
    analysis = analyze(issue_sobol, metric_names=["incentive_paid_last12"])
    status = analysis.status["incentive_paid_last12"]
    assert status.status == "constant"
    assert status.detail.startswith("constant (value 0 in all 48 runs)")
    assert analysis.tables == {}


def test_under_sampled_indices_are_flagged_and_one_replicate_is_said(issue_sobol):
    """Sobol with samples 8: the S1 of population.satisfaction is 1.48 ± 0.66, a share of
    variance that cannot be ranked; one replicate per point: no noise share, and how to get it."""
    analysis = analyze(issue_sobol, metric_names=["mean_satisfaction_final"], lang="en")
    table = analysis.tables["mean_satisfaction_final"].set_index("parameter")
    assert table.loc["population.satisfaction", "S1_conf"] > 0.1
    assert table.loc["population.satisfaction", "S1_wide"]
    assert table.loc["population.satisfaction", "S1_high"] == 1.0  # within [0, 1]
    assert math.isnan(table["noise_share"].iloc[0])
    notes = " ".join(analysis.status["mean_satisfaction_final"].notes)
    assert "noise share (variation between replicates) cannot be estimated" in notes
    assert "replicates: 2 or more" in notes
    assert "2 of 4 indices are too wide to rank" in notes


def test_an_interval_wholly_below_zero_has_no_bounds(tmp_path):
    """Ishigami's x3 has S1 = 0; Sobol with 16 samples (seed 14) estimates it at −0.24 ± 0.23,
    an interval that misses the index entirely: no bounds and flagged, never shown as [0, 0]."""
    out = run_sweep(tmp_path, ISHIGAMI.format(method="sobol", samples=16)
                    .replace("seed: 7", "seed: 14"))
    x3 = analyze(out).tables["y"].set_index("parameter").loc["x3"]
    assert x3["S1"] + x3["S1_conf"] < 0
    assert np.isnan(x3["S1_low"]) and np.isnan(x3["S1_high"]) and x3["S1_wide"]


@pytest.mark.parametrize("method,samples", [("sobol", 64), ("morris", 20), ("fast", 70)])
@pytest.mark.parametrize("value,counts", [(math.inf, (2, 0)), (math.nan, (0, 2))])
def test_every_method_refuses_non_finite_outputs(tmp_path, method, samples, value, counts):
    out = run_sweep(tmp_path, ISHIGAMI.format(method=method, samples=samples))
    spoil(out, [3, 5], value)
    analysis = analyze(out)
    status = analysis.status["y"]
    assert (status.status, status.inf, status.nan) == ("non-finite", *counts)
    assert status.points_affected == 2
    assert f"({counts[0]} infinite, {counts[1]} NaN), at 2 of" in status.detail
    assert "y" not in analysis.tables
    assert not (out / "analysis" / f"{method}_y.csv").exists()


def test_grid_shows_non_finite_points_honestly(satisfaction_grid):
    """At satisfaction 0.6 both replicates are +inf: the point's mean is inf with no interval
    and its count is shown; the finite points keep their means and intervals."""
    analysis = analyze(satisfaction_grid)
    status = analysis.status["yuan_per_satisfaction"]
    assert status.status == "partly-non-finite" and status.analysed
    assert (status.inf, status.points_affected) == (2, 1)
    assert "non-finite exactly where population.satisfaction ≥ 0.6" in status.detail
    table = analysis.tables["yuan_per_satisfaction"].set_index("param:population.satisfaction")
    assert table.loc[0.6, "mean"] == math.inf and table.loc[0.6, "inf"] == 2
    assert np.isnan(table.loc[0.6, ["low", "high"]].to_numpy(dtype=float)).all()
    assert np.isfinite(table.loc[[0.1, 0.2], ["mean", "low", "high"]].to_numpy()).all()
    assert (table["nan"] == 0).all()
    assert (satisfaction_grid / "analysis" / "grid_yuan_per_satisfaction.png").exists()


def test_grid_nan_replicates_are_left_out_and_counted(tmp_path):
    text = """\
target: sim.testfunctions:noisy_linear
method: grid
replicates: 3
seed: 2
parameters: {x1: [0, 1], x2: [0]}
metrics: [y]
"""
    out = run_sweep(tmp_path, text)
    results = pd.read_parquet(out / "results.parquet")
    spoil(out, [0], math.nan)
    analysis = analyze(out)
    table = analysis.tables["y"]
    assert analysis.status["y"].status == "partly-non-finite"
    assert list(table["nan"]) == [1, 0] and list(table["n"]) == [2, 3]
    assert table["mean"][0] == pytest.approx(results["y"][1:3].mean())


def test_grid_intervals_follow_the_one_rule_within_the_metric_range(satisfaction_grid):
    """participation_any_last12 at satisfaction 0.2: two replicates, mean 0.078, sd 0.024; the
    95% t interval (t = 12.706 with 1 degree of freedom) reaches below 0, a share is not."""
    table = analyze(satisfaction_grid).tables["participation_any_last12"]
    row = table.iloc[0]
    assert row["n"] == 2 and "ci95" not in table.columns
    assert row["low"] == 0.0
    assert row["high"] == pytest.approx(row["mean"] + 12.7062 * row["sd"] / math.sqrt(2),
                                        rel=1e-4)


def test_single_point_grid_draws_a_marker_and_says_no_interval(tmp_path):
    text = """\
target: sim.testfunctions:noisy_linear
method: grid
parameters: {x1: [0.5], x2: [0]}
metrics: [y]
"""
    out = run_sweep(tmp_path, text)
    analysis = analyze(out)
    table = analysis.tables["y"]
    assert analysis.status["y"].status == "ok" and len(table) == 1
    assert np.isnan(table[["low", "high"]].to_numpy(dtype=float)).all()
    assert "no interval" in analysis.status["y"].notes[0]
    assert (out / "analysis" / "grid_y.png").exists()


def test_salib_warnings_are_collected_per_metric_and_shown(tmp_path, capsys):
    out = run_sweep(tmp_path, ISHIGAMI.format(method="fast", samples=70))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing escapes as a Python warning ...
        analysis = analyze(out)
    assert len(analysis.status["y"].warnings) == 1  # ... and each distinct one is kept once
    assert "FAST confidence intervals" in analysis.status["y"].warnings[0]
    assert cli.main(["analyze", str(out)]) == 0
    err = capsys.readouterr().err
    assert err.count("cogov: SALib warning (y): UserWarning: FAST confidence intervals") == 1
    assert "FAST confidence intervals" in pd.read_csv(out / "analysis" / "status_fast.csv")[
        "warnings"][0]


@pytest.mark.parametrize("method,samples", [("sobol", 64), ("fast", 70)])
def test_analysis_is_seeded_from_the_experiment_and_leaves_global_state(tmp_path, method,
                                                                       samples):
    """With the default seed 0 (sobol.analyze's 'no seed'; fast.analyze reseeds numpy's
    global state) two analyses of one sweep give the same intervals."""
    text = ISHIGAMI.format(method=method, samples=samples).replace("seed: 7\n", "")
    out = run_sweep(tmp_path, text)
    state = np.random.get_state()  # noqa: NPY002 - the state analyze must leave alone
    first = analyze(out).tables["y"]
    after = np.random.get_state()  # noqa: NPY002
    assert after[0] == state[0] and np.array_equal(after[1], state[1]) and after[2:] == state[2:]
    second = analyze(out).tables["y"]
    pd.testing.assert_frame_equal(first, second)
    assert analysis_seed(0) != 0 and analysis_seed(0) == analysis_seed(0) != analysis_seed(1)


def test_grid_without_a_finite_mean_or_a_successful_run_gets_no_table(tmp_path):
    text = """\
target: sim.testfunctions:fails_above
method: grid
parameters: {x1: [0.2, 0.4, 0.7]}
metrics: [y]
"""
    out = run_sweep(tmp_path, text)
    spoil(out, [0, 1], math.inf)
    status = analyze(out).status["y"]
    assert (status.status, status.inf, status.points_affected) == ("non-finite", 2, 2)
    assert "no design point has a finite mean, so no table" in status.detail
    spoil(out, [0, 1], "error", metric="status")  # as if these runs had failed too
    analysis = analyze(out)
    assert analysis.status["y"].status == "no-runs" and analysis.analysed == []
    assert not (out / "analysis" / "grid_y.csv").exists()


# ------------------------------------------ issue 7 (new-user review): what the analysis hides
@pytest.fixture
def figures(monkeypatch) -> list:
    """Every figure the analysis saves, kept open for inspection."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    saved, real = [], Figure.savefig

    def keep(self, *args, **kwargs):
        saved.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    return saved


FAILING_GRID = """\
target: sim.testfunctions:fails_above
method: grid
samples: 5
replicates: 3
seed: 1
parameters: {x1: {bounds: [0, 1]}}
metrics: [y]
"""


def test_failed_runs_and_points_of_a_grid_are_stated(tmp_path, capsys):
    """tf/gf.yaml: x1 = 0.75 and 1 fail in all 3 replicates. The table covers 0, 0.25, 0.5 and
    says so: in the status (partly-failed, counts), its detail and CSV, and the printed
    output (was: 3 rows, no word, exit 0)."""
    out = run_sweep(tmp_path, FAILING_GRID)
    analysis = analyze(out)
    status = analysis.status["y"]
    assert (status.status, status.failed, status.points_failed) == ("partly-failed", 6, 2)
    assert status.analysed and list(analysis.tables["y"]["param:x1"]) == [0, 0.25, 0.5]
    assert status.detail.startswith(
        "6 of 15 runs failed, at 2 of 5 design points: x1=0.75 (3 of 3 runs), x1=1 (3 of 3 "
        "runs); failed exactly where x1 ≥ 0.75 (succeeded where ≤ 0.5); 2 of these points "
        "have no successful run and are missing from the table")
    assert analysis.failures == status.detail
    csv = pd.read_csv(out / "analysis" / "status_grid.csv").iloc[0]
    assert (csv["status"], csv["failed"], csv["points_failed"]) == ("partly-failed", 6, 2)
    assert csv["detail"] == status.detail
    assert cli.main(["analyze", str(out)]) == 0
    printed = capsys.readouterr()
    assert "note: 6 runs failed at 2 design points" in printed.out
    assert f"cogov: y: {status.detail}" in printed.err


def test_a_constant_metric_of_a_mostly_failed_grid_names_the_failures(tmp_path):
    """18 of 24 runs failed: "constant (value … in all 6 runs)" alone hid them."""
    text = FAILING_GRID.replace("samples: 5", "samples: 8").replace(
        "bounds: [0, 1]", "bounds: [0.25, 2]")
    out = run_sweep(tmp_path, text)
    spoil(out, list(range(6)), 0.5)  # the six runs at x1 = 0.25 and 0.5 that succeeded
    status = analyze(out).status["y"]
    assert (status.status, status.runs, status.failed) == ("constant", 6, 18)
    assert status.detail.startswith("constant (value 0.5 in all 6 runs)")
    assert ("; 18 of 24 runs failed, at 6 of 8 design points: x1=0.75 (3 of 3 runs), x1=1 "
            "(3 of 3 runs)") in status.detail


def test_a_random_design_is_summarised_per_point_never_as_a_grid(tmp_path, capsys, figures):
    """tf/rnd2.yaml: six random points in two parameters. Not a "grid" table, not a heatmap of
    36 cells of which 30 are blank and labelled "not finite": a scatter per parameter."""
    text = """\
target: sim.testfunctions:noisy_linear
method: random
samples: 6
replicates: 3
seed: 1
parameters: {x1: {bounds: [0, 1]}, x2: {bounds: [0, 1]}}
metrics: [y]
"""
    out = run_sweep(tmp_path, text)
    analysis = analyze(out)
    assert analysis.label == "random design: per-point summary"
    (fig,) = figures
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_xlabel() for ax in axes] == ["x1", "x2"]
    assert not any(ax.images for ax in axes)  # no heatmap
    table = analysis.tables["y"]
    for ax, column in zip(axes, ["param:x1", "param:x2"], strict=True):
        (dots,) = [line for line in ax.lines if line.get_marker() == "o"]
        assert sorted(dots.get_xdata()) == sorted(table[column])
    assert cli.main(["analyze", str(out)]) == 0
    assert "y (random design: per-point summary, noise share" in capsys.readouterr().out


def test_heatmap_blanks_say_why_never_not_finite_for_a_point_that_did_not_run(tmp_path,
                                                                            figures):
    """A crossed grid where x1 = 0.75 fails: its cells are "no run"; an infinite mean "inf"."""
    text = """\
target: sim.testfunctions:fails_above
method: grid
replicates: 2
seed: 1
parameters: {x1: [0, 0.25, 0.75], x2: [0, 1]}
metrics: [y]
"""
    out = run_sweep(tmp_path, text)
    spoil(out, [0, 1], math.inf)  # point 0: x1 = 0, x2 = 0
    analyze(out)
    (fig,) = figures
    ax = fig.axes[0]
    labels = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
              for t in ax.texts}
    assert labels == {(0, 0): "inf", (2, 0): "no run", (2, 1): "no run"}
    assert "not finite" not in fig.axes[1].get_ylabel()


@pytest.mark.parametrize("scale", [1e-300, 1e300])
@pytest.mark.parametrize("method,samples", [("sobol", 64), ("morris", 20), ("fast", 70)])
def test_outputs_near_the_float_limits_give_the_indices_of_ordinary_ones(tmp_path, method,
                                                                        samples, scale):
    """A metric around 1e-300 was "constant" (absolute tolerance 1e-12); around 1e300 the
    variance overflowed and Sobol printed S1 0.0 ± 0.0. Same indices as the unscaled metric
    (Morris's mu* in the metric's units)."""
    out = run_sweep(tmp_path, ISHIGAMI.format(method=method, samples=samples))
    plain = analyze(out).tables["y"]
    results = pd.read_parquet(out / "results.parquet")
    spoil(out, list(results.index), results["y"] * scale)
    analysis = analyze(out)
    assert analysis.status["y"].status == "ok"
    table = analysis.tables["y"]
    factor = scale if method == "morris" else 1.0
    for column in (["mu_star", "mu_star_conf", "sigma"] if method == "morris"
                   else ["S1", "ST", "S1_conf", "ST_conf"]):
        largest = float(np.abs(plain[column]).max())  # x3's S1 is 0 up to rounding noise
        np.testing.assert_allclose(table[column] / factor, plain[column], rtol=1e-9,
                                   atol=1e-12 * largest)


def test_constancy_is_judged_relative_to_the_values_magnitude(tmp_path):
    out = run_sweep(tmp_path, ISHIGAMI.format(method="sobol", samples=64))
    n = len(pd.read_parquet(out / "results.parquet"))
    spoil(out, list(range(n)), 1e-300)
    assert analyze(out).status["y"].status == "constant"  # exactly equal, however small
    spoil(out, list(range(n)), 1e-300 * (1 + np.arange(n) * 1e-16))
    assert analyze(out).status["y"].status == "constant"  # within a relative 1e-12
    spoil(out, list(range(n)), 1e-300 * (1 + np.arange(n) * 1e-3))
    assert analyze(out).status["y"].status == "ok"


def test_a_sobol_estimate_outside_0_1_is_never_shown_as_a_share(issue_sobol, capsys,
                                                                figures):
    """Sobol with samples 8: S1 of population.satisfaction is 1.483. The CSV keeps SALib's
    raw estimate and flags it; the printed table marks it; the plot draws no bar above 1."""
    analysis = analyze(issue_sobol, metric_names=["mean_satisfaction_final"], lang="en")
    table = analysis.tables["mean_satisfaction_final"].set_index("parameter")
    row = table.loc["population.satisfaction"]
    assert row["S1"] == pytest.approx(1.483, abs=1e-3) and row["S1_out_of_range"]
    # transparency does nothing to satisfaction without a fund: S1 = ST = 0, in range
    assert not table.loc["policy.transparency", ["S1_out_of_range", "ST_out_of_range"]].any()
    notes = analysis.status["mean_satisfaction_final"].notes
    assert ("S1 of population.satisfaction is 1.48, outside [0, 1]: a raw estimate, not a "
            "share of variance") in " ".join(notes)
    (fig,) = figures
    ax = fig.axes[0]
    assert max(bar.get_height() for bar in ax.patches) <= 1.0
    assert {t.get_text() for t in ax.texts} >= {"S1 = 1.5\noutside [0, 1]"}
    assert cli.main(["analyze", str(issue_sobol), "--metric", "mean_satisfaction_final"]) == 0
    assert "1.483 (out of range)" in capsys.readouterr().out


def test_a_long_plot_title_stays_inside_the_figure(satisfaction_grid, figures):
    """'yuan_per_satisfaction — grid (noise share 0.01; 1 of 3 means not finite, not drawn)'
    ran off the right edge of the grid plot."""
    analyze(satisfaction_grid, metric_names=["yuan_per_satisfaction"], lang="en")
    (fig,) = figures
    fig.draw_without_rendering()
    title = fig._suptitle
    box = title.get_window_extent()
    assert "not drawn" in title.get_text()
    assert box.x0 >= 0 and box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height + 1


# ------------------------------------------------------ issue 11: figures a journal accepts
MORRIS_LEVERS = ["policy.devolution", "policy.transparency", "policy.fund_per_community",
                 "policy.fund_growth", "policy.training_rate", "policy.purchase_share",
                 "policy.service_focus", "policy.admin_items", "policy.foundation_match",
                 "policy.incubation_rate", "policy.grid.workers_per_grid",
                 "policy.grid.visits_per_worker", "policy.party.contacts_per_month",
                 "behavior.beta_public_spirit", "behavior.beta_stake", "behavior.beta_network",
                 "behavior.beta_recruit", "behavior.beta_habit", "behavior.base_leakage",
                 "behavior.crowding_out"]


def _morris_table() -> pd.DataFrame:
    """Two levers that matter, a crowd of six close together, the rest near the origin."""
    mu = np.r_[0.15, 0.13, np.full(6, 0.05) + np.arange(6) * 0.001, np.linspace(0, 0.004, 12)]
    sigma = np.r_[0.04, 0.016, np.full(6, 0.014) + np.arange(6) * 0.0004,
                  np.linspace(0, 0.003, 12)]
    return pd.DataFrame({"parameter": MORRIS_LEVERS, "mu": mu, "mu_star": mu,
                         "mu_star_conf": mu / 3, "mu_star_low": mu * 2 / 3,
                         "mu_star_high": mu * 4 / 3, "mu_star_wide": False, "sigma": sigma,
                         "noise_share": 0.02})


@pytest.mark.parametrize("lang", ["en", "both"])
def test_morris_labels_never_overlap_and_every_lever_is_named(lang):
    from sim import labels
    from sim.analysis import MetricStatus, metric_figure

    status = MetricStatus("participation_any_last12", "ok", replicates=(2, 2))
    fig = metric_figure("morris", _morris_table(), [], "participation_any_last12", status,
                        lang=lang)
    fig.draw_without_rendering()
    ax, key = fig.axes[:2]
    boxes = [t.get_window_extent() for t in ax.texts]
    assert all(not a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    inside = ax.get_window_extent()
    assert all(inside.x0 <= b.x0 and b.x1 <= inside.x1 for b in boxes)
    shown = " ".join(t.get_text() for t in [*ax.texts, *key.texts])
    for path in MORRIS_LEVERS:
        assert labels.label(path, lang) in shown
    assert labels.label(MORRIS_LEVERS[0], lang) in {t.get_text() for t in ax.texts}
    assert "2 replicates per point" in fig.get_suptitle()


def _grid_table(column: str, values: list, means: list[float]) -> pd.DataFrame:
    means = np.asarray(means, dtype=float)
    return pd.DataFrame({f"param:{column}": values, "n": 3, "mean": means, "sd": 0.01,
                         "low": means - 0.02, "high": means + 0.02,
                         "nan": 0, "inf": np.isinf(means).astype(int), "noise_share": 0.1})


def test_categorical_grid_levels_are_points_with_whiskers_not_a_line():
    from sim.analysis import MetricStatus, metric_figure

    key = "policy.incentive.scheme"
    table = _grid_table(key, ["none", "points", "recognition"], [0.1, 0.3, 0.2])
    fig = metric_figure("grid", table, [{"name": key}], "participation_any_last12",
                        MetricStatus("participation_any_last12", "ok", replicates=(3, 3)),
                        lang="en")
    ax = fig.axes[0]
    joined = [line for line in ax.lines if len(line.get_xdata()) > 1
              and line.get_linestyle() not in ("None", "none", "")]
    assert joined == []
    assert [t.get_text() for t in ax.get_xticklabels()] == ["none", "points", "recognition"]
    assert ax.collections  # the whiskers
    numeric = _grid_table("policy.devolution", [0.0, 0.5, 1.0], [0.1, 0.3, 0.2])
    fig = metric_figure("grid", numeric, [{"name": "policy.devolution"}],
                        "participation_any_last12",
                        MetricStatus("participation_any_last12", "ok", replicates=(3, 3)))
    assert any(len(line.get_xdata()) == 3 for line in fig.axes[0].lines)  # a response curve



@pytest.mark.parametrize("two", [False, True])
def test_categorical_levels_are_named_in_the_figures_language(two):
    """An incentive scheme's levels, on a line of points or on a heatmap's axis: in Chinese
    under zh (the names the demo's menu gives them), as the scenario file spells them under
    en, both under both; a number stays a number."""
    from sim.analysis import MetricStatus, metric_figure

    key = "policy.incentive.scheme"
    table = _grid_table(key, ["none", "points", "recognition"], [0.1, 0.3, 0.2])
    parameters = [{"name": key}]
    if two:
        table = pd.concat([table, table.assign(mean=table["mean"] + 0.1)], ignore_index=True)
        table["param:policy.devolution"] = [0.2] * 3 + [0.8] * 3
        parameters.append({"name": "policy.devolution"})
    status = MetricStatus("participation_any_last12", "ok", replicates=(3, 3))
    shown = {}
    for lang in ("zh", "en", "both"):
        ax = metric_figure("grid", table, parameters, "participation_any_last12", status,
                           lang=lang).axes[0]
        levels, other = ((ax.get_yticklabels(), ax.get_xticklabels()) if two else
                         (ax.get_xticklabels(), []))
        shown[lang] = [t.get_text() for t in levels]
        assert [t.get_text() for t in other] == (["0.2", "0.8"] if two else [])
    assert shown["zh"] == ["无", "积分", "表彰"]
    assert shown["en"] == ["none", "points", "recognition"]
    assert shown["both"] == ["无 none", "积分 points", "表彰 recognition"]

def test_heatmap_marks_an_infinite_cell_and_says_why():
    from sim.analysis import MetricStatus, metric_figure

    table = _grid_table("policy.devolution", [0.0, 0.0, 1.0, 1.0], [1e5, np.inf, 2e5, 3e5])
    table["param:policy.fund_per_community"] = [0, 4e5, 0, 4e5]
    parameters = [{"name": "policy.devolution"}, {"name": "policy.fund_per_community"}]
    fig = metric_figure("grid", table, parameters, "yuan_per_satisfaction",
                        MetricStatus("yuan_per_satisfaction", "partly-non-finite",
                                     replicates=(3, 3)), lang="en")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["inf"]
    assert "infinite" in fig._supxlabel.get_text()  # the mark explained under the plot
    assert "1 of 4 means not finite" in " ".join(fig.get_suptitle().split())


@pytest.mark.parametrize("method", ["morris", "grid"])
def test_analysis_titles_are_chinese_in_zh_and_english_in_en(method):
    import re

    from sim.analysis import MetricStatus, metric_figure

    cjk = re.compile(r"[\u3400-\u9fff]")
    table = _morris_table() if method == "morris" else _grid_table(
        "policy.devolution", [0.0, 0.5, 1.0], [0.1, 0.3, 0.2])
    parameters = [{"name": "policy.devolution"}]
    status = MetricStatus("participation_any_last12", "ok", replicates=(2, 2))
    zh = metric_figure(method, table, parameters, "participation_any_last12", status,
                       lang="zh")
    en = metric_figure(method, table, parameters, "participation_any_last12", status,
                       lang="en")
    assert cjk.search(zh.get_suptitle()) and not cjk.search(en.get_suptitle())
    assert not any(cjk.search(t.get_text()) for t in en.findobj(lambda a: hasattr(a, "get_text")))


def test_a_title_counts_replicates_even_when_the_noise_share_is_undefined():
    """The noise share is NaN when no point has replicates that all are finite; the title
    said "one replicate per point" then, whatever the replicates were."""
    from sim.analysis import MetricStatus, metric_figure

    table = _grid_table("policy.devolution", [0.0, 0.5, 1.0], [0.1, 0.3, 0.2])
    table["noise_share"] = np.nan
    for replicates, said in (((3, 3), "3 replicates per point"),
                             ((2, 4), "2–4 replicates per point"),
                             ((1, 1), "one replicate per point")):
        fig = metric_figure("grid", table, [{"name": "policy.devolution"}], "y",
                            MetricStatus("y", "ok", replicates=replicates), lang="en")
        title = " ".join(fig.get_suptitle().split())
        assert said in title and ("one replicate" in title) == (replicates == (1, 1))


@pytest.mark.parametrize("scale", [1.0, 37.0])
def test_morris_indices_are_salibs_on_the_same_design_in_the_metrics_units(tmp_path, scale):
    """mu, mu*, sigma and mu*'s bounds are exactly what SALib's ``morris.analyze`` gives for the
    sweep's design and per-point mean outputs (sigma and mu were once multiplied by the largest
    mu* instead of the metric's scale: off by a factor of hundreds)."""
    import json

    from SALib.analyze import morris

    out = run_sweep(tmp_path, ISHIGAMI.format(method="morris", samples=8))
    results = pd.read_parquet(out / "results.parquet")
    if scale != 1.0:
        spoil(out, list(results.index), results["y"] * scale)
        results = pd.read_parquet(out / "results.parquet")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    y = results.groupby("point")["y"].mean().sort_index().to_numpy()
    expected = morris.analyze(manifest["problem"], np.load(out / "design.npy"), y,
                              num_levels=manifest["experiment"]["morris_levels"],
                              seed=analysis_seed(manifest["experiment"]["seed"]))
    table = analyze(out).tables["y"]
    for column in ("mu", "mu_star", "sigma", "mu_star_conf"):
        largest = float(np.abs(expected[column]).max())  # x2's sigma is 0 up to rounding
        np.testing.assert_allclose(table[column], expected[column], rtol=1e-9,
                                   atol=1e-12 * largest, err_msg=column)
    np.testing.assert_allclose(table["mu_star_low"],
                               np.maximum(expected["mu_star"] - expected["mu_star_conf"], 0))
    np.testing.assert_allclose(table["mu_star_high"],
                               expected["mu_star"] + expected["mu_star_conf"])


@pytest.mark.parametrize("scale", [1.0, 1e-3, 1.234567e6])
def test_morris_x_tick_labels_keep_apart_at_paper_width(scale):
    """Ten labels such as 0.000025 ran into each other on the 7-inch figure's μ* axis."""
    from sim.analysis import MetricStatus, metric_figure

    table = _morris_table()
    for column in ("mu", "mu_star", "mu_star_conf", "mu_star_low", "mu_star_high", "sigma"):
        table[column] *= scale
    status = MetricStatus("fund_spent_last12", "ok", replicates=(2, 2))
    fig = metric_figure("morris", table, [], "fund_spent_last12", status, lang="both")
    fig.draw_without_rendering()
    ax, renderer = fig.axes[0], fig.canvas.get_renderer()
    low, high = ax.get_xlim()
    boxes = sorted((t.get_window_extent(renderer) for t in ax.get_xticklabels()
                    if t.get_text() and low <= t.get_position()[0] <= high),
                   key=lambda box: box.x0)
    assert 3 <= len(boxes) <= 6
    gaps_pt = [(b.x0 - a.x1) * 72 / fig.dpi for a, b in zip(boxes, boxes[1:], strict=False)]
    assert min(gaps_pt) >= 20  # two ems of the tick labels' 10 pt at least


@pytest.mark.parametrize("method", ["morris", "grid"])
def test_analyze_in_chinese_prints_its_notes_and_legend_in_chinese(tmp_path, capsys, method):
    """`cogov analyze --lang zh`: what limits the indices (one replicate per point, intervals
    too wide) and the legend of the columns are printed in Chinese, as the run and compare
    tables' notes are; `both` prints the Chinese and then the English."""
    import re

    cjk = re.compile(r"[\u3400-\u9fff]")
    text = ISHIGAMI.format(method=method, samples=3 if method == "grid" else 4)
    out = run_sweep(tmp_path, text)
    assert cli.main(["analyze", str(out), "--lang", "zh"]) == 0
    printed = capsys.readouterr().out.splitlines()
    notes = [line.strip() for line in printed if line.startswith("  ") and
             not line.startswith("   ") and ":" in line and "y" not in line.split(":")[0]]
    assert notes and all(cjk.search(n) and not re.search(r"[A-Za-z]{4,} [a-z]{3,}", n)
                         for n in notes), notes
    legend = printed[-2]
    assert cjk.search(legend) and "SALib's" not in legend and "replicates with" not in legend
    heading = printed[0]
    assert "noise share" not in heading and "噪声占比" in heading
    assert cli.main(["analyze", str(out), "--lang", "both"]) == 0
    both = capsys.readouterr().out
    assert "注：" in both and "note: " in both
