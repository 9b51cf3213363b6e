"""`cogov run`/`compare --posterior` (issue 10 §3): draws, the split interval, paired compare."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import cli, intervals, posterior
from sim.scenario import Scenario

VOLUNTEER = "behavior.alpha.volunteer"
PARTY = "behavior.beta_party"
FATIGUE = "behavior.public_spirit_fatigue"  # a share: the schema bounds it to [0, 1]
PRIORS = [{"key": VOLUNTEER, "low": -7.0, "high": -5.0, "shape": "uniform"},
          {"key": PARTY, "low": 0.0, "high": 1.5, "shape": "uniform"}]
SCENARIO = """\
name: {name}
seed: 5
months: 13
structure: {{street_offices: 1, communities_per_street: 1, residents_per_community: 300}}
{extra}
"""
METRIC = "participation_any_last12"


def write_posterior(directory: Path, particles: dict[str, list[float]], weights: list[float],
                    priors: list[dict] = PRIORS, kind: str = "calibration") -> Path:
    """A posterior directory as `cogov calibrate` writes it: two generations (the earlier one
    at other values, which must never be drawn), weights, and a manifest with the priors."""
    directory.mkdir(parents=True, exist_ok=True)
    last = pd.DataFrame(particles).assign(weight=weights, generation=1)
    earlier = last.assign(**{k: -6.5 if k == VOLUNTEER else 1.2 for k in particles},
                          generation=0, weight=1.0)
    pd.concat([earlier, last], ignore_index=True).to_parquet(directory / "posterior.parquet",
                                                              index=False)
    (directory / "manifest.json").write_text(json.dumps(
        {"kind": kind, "settings": {"seed": 1, "priors": priors, "targets_file": "t.yaml"}}))
    return directory


def scenario_file(tmp_path: Path, name: str, extra: str = "") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(SCENARIO.format(name=name, extra=extra), encoding="utf-8")
    return path


@pytest.fixture
def wide(tmp_path: Path) -> Path:
    """Eleven particles spread over the volunteering intercept's prior (it moves METRIC from
    about 0.03 to 0.14), equal weights."""
    values = np.linspace(-7.0, -5.0, 11)
    return write_posterior(tmp_path / "wide", {VOLUNTEER: list(values), PARTY: [0.3] * 11},
                           [1.0] * 11)


@pytest.fixture
def point(tmp_path: Path) -> Path:
    """Every particle of weight > 0 at one coefficient vector."""
    return write_posterior(tmp_path / "point", {VOLUNTEER: [-6.0, -6.0, -5.0],
                                                PARTY: [0.3, 0.3, 1.4]}, [0.5, 0.5, 0.0])


def test_draws_follow_the_weights_of_the_last_generation(tmp_path) -> None:
    loaded = posterior.load(write_posterior(
        tmp_path / "p", {VOLUNTEER: [-5.5, -6.0, -6.5], PARTY: [0.1, 0.2, 0.3]},
        [0.0, 1.0, 3.0]))
    chosen = posterior.draw_particles(loaded, seed=11, draws=400)
    counts = chosen["particle"].value_counts()
    assert 0 not in counts.index  # weight 0: never drawn
    # 400 draws at p = 0.75: binomial sd 0.022, the floor is 3.6 sd
    assert abs(counts[2] / 400 - 0.75) < 0.08
    assert set(chosen[VOLUNTEER]) <= {-6.0, -6.5}  # the earlier generation's -6.5/1.2 pair
    assert set(chosen[PARTY]) <= {0.2, 0.3}        # never appears: only the last is drawn
    # a draw depends only on (seed, k): the first 5 of 400 are the 5 of a 5-draw run
    pd.testing.assert_frame_equal(chosen.head(5), posterior.draw_particles(loaded, 11, 5))
    assert not chosen.equals(posterior.draw_particles(loaded, 12, 400))


def test_split_recovers_known_variance_parts() -> None:
    """y_kj = a_k + e_kj with sd(a) = 2 and sd(e) = 1: the coefficient share is 0.8; with
    sd(a) = 0 it is about 0. 300 draws × 4: the share's sampling sd is about 0.02."""
    rng = np.random.default_rng(0)
    draws = np.repeat(np.arange(300), 4)
    for sd_a, share, floor in ((2.0, 0.8, 0.06), (0.0, 0.0, 0.03)):
        values = 10 + rng.normal(0, sd_a, 300)[draws] + rng.normal(0, 1, len(draws))
        split = intervals.split_interval(values, draws)
        assert abs(split.share_coefficients - share) < floor
        assert abs(np.sqrt(split.var_noise) - 1) < 0.05
        # the predictive interval holds about 95% of new runs; the mean's interval is narrower
        new = 10 + rng.normal(0, sd_a, 2000) + rng.normal(0, 1, 2000)
        inside = np.mean((new >= split.predictive_low) & (new <= split.predictive_high))
        assert 0.92 < inside < 0.98
        assert split.interval.low > split.predictive_low


def test_split_stays_in_range_and_refuses_under_sampled_designs() -> None:
    split = intervals.split_interval([0.01, 0.0, 0.9, 0.02], [0, 0, 1, 1], (0.0, 1.0))
    assert 0 <= split.predictive_low and split.predictive_high <= 1
    assert 0 <= split.interval.low and split.interval.high <= 1
    one_each = intervals.split_interval([0.1, 0.2, 0.3], [0, 1, 2])
    assert np.isnan(one_each.share_coefficients) and "--replicates 2" in one_each.reason
    one_draw = intervals.split_interval([0.1, 0.2, 0.3], [0, 0, 0])
    assert np.isnan(one_draw.interval.low) and "--draws 2" in one_draw.reason


def run_cli(*args: str) -> int:
    return cli.main([str(a) for a in args])


def test_run_with_posterior_is_deterministic_and_splits_the_interval(
        tmp_path, wide, point, capsys) -> None:
    scenario = scenario_file(tmp_path, "base")
    base = ["run", scenario, "--draws", "6", "--replicates", "2"]
    assert run_cli(*base, "--posterior", wide, "--out", tmp_path / "w1") == 0
    printed = capsys.readouterr().out
    assert "c=" in printed and intervals.SPLIT_RULE in printed
    assert run_cli(*base, "--posterior", wide, "--out", tmp_path / "w2", "--workers", "2") == 0
    for name in ("summary.csv", "posterior_draws.csv", "posterior_intervals.csv",
                 "timeseries.csv"):
        assert (tmp_path / "w1" / name).read_bytes() == (tmp_path / "w2" / name).read_bytes()
    draws = pd.read_csv(tmp_path / "w1" / "posterior_draws.csv")
    summary = pd.read_csv(tmp_path / "w1" / "summary.csv")
    assert len(draws) == len(summary) == 12
    assert list(draws["replicate"]) == list(summary["replicate"]) == list(range(12))
    assert list(draws["draw"]) == list(summary["draw"]) == [k for k in range(6) for _ in (0, 1)]
    manifest = json.loads((tmp_path / "w1" / "manifest.json").read_text())
    assert manifest["posterior"]["generation"] == 1
    assert manifest["posterior"]["directory"] == str(wide.resolve())
    assert len(manifest["posterior"]["manifest_sha256"]) == 64
    table = pd.read_csv(tmp_path / "w1" / "posterior_intervals.csv").set_index("metric")
    # the wide posterior moves participation from ~0.03 to ~0.14 between draws, while noise
    # within a draw is ~0.01-0.03: the coefficient share is well above one half
    assert table.loc[METRIC, "share_coefficients"] > 0.6
    assert run_cli(*base, "--posterior", point, "--out", tmp_path / "p") == 0
    concentrated = pd.read_csv(tmp_path / "p" / "posterior_intervals.csv").set_index("metric")
    used = pd.read_csv(tmp_path / "p" / "posterior_draws.csv")
    assert (used["particle"] != 2).all()
    # one coefficient vector: the draws differ only by their seeds, the share estimates 0;
    # with 6 draws × 2 its sampling spread is wide, so the floor is 0.5, against > 0.6 above
    assert concentrated.loc[METRIC, "share_coefficients"] < 0.5
    width = table.loc[METRIC, "ci_high"] - table.loc[METRIC, "ci_low"]
    assert width > concentrated.loc[METRIC, "ci_high"] - concentrated.loc[METRIC, "ci_low"]


def test_compare_gives_the_probability_under_paired_draws(tmp_path, wide, capsys) -> None:
    better = scenario_file(tmp_path, "better")
    same = scenario_file(tmp_path, "same")
    worse = scenario_file(tmp_path, "worse", "behavior: {alpha: {deliberate: -12}}")
    assert run_cli("compare", better, same, worse, "--posterior", wide, "--draws", "5",
                   "--out", tmp_path / "c") == 0
    assert posterior.PROBABILITY_RULE in capsys.readouterr().out
    table = pd.read_csv(tmp_path / "c" / "posterior_compare.csv")
    twin = table[(table["scenario_b"] == "same") & (table["draws"] > 0)]
    assert len(twin) >= 5
    # identical scenarios on the same draws and seeds: every difference is 0, a tie
    assert (twin["p_a_greater"] == 0.5).all() and (twin["ties"] == twin["draws"]).all()
    row = table[(table["scenario_b"] == "worse") & (table["metric"] == METRIC)].iloc[0]
    assert row["p_a_greater"] == 1.0 and row["draws"] == 5
    direct = table[(table["scenario_b"] == "worse")
                   & (table["metric"] == "participation_deliberate_last12")].iloc[0]
    assert direct["p_a_greater"] == 1.0 and direct["ci_low"] > 0
    assert 0.5 < row["p_low"] < 1 and row["p_high"] == 1.0  # Wilson: 5 of 5 is not certainty


def test_wilson_interval_matches_the_formula() -> None:
    low, high = posterior.wilson(5, 5)
    assert (round(low, 4), high) == (0.5655, 1.0)  # Wilson 1927; e.g. Agresti & Coull 1998
    low, high = posterior.wilson(5, 10)
    assert round(low, 4) == 0.2366 and round(high, 4) == 0.7634


@pytest.mark.parametrize("make, expected", [
    (lambda d: d / "absent", "no such directory"),
    (lambda d: write_posterior(d / "run", {VOLUNTEER: [-6.0], PARTY: [0.3]}, [1.0],
                               kind="run"),
     "not 'calibration'"),
    (lambda d: write_posterior(d / "key", {"behavior.nonsense": [1.0]}, [1.0],
                               [{"key": "behavior.nonsense", "low": 0, "high": 2}]),
     "column 'behavior.nonsense': not a scenario key"),
    (lambda d: write_posterior(d / "range", {FATIGUE: [0.5]}, [1.0],
                               [{"key": FATIGUE, "low": 0.0, "high": 1.5}]),
     f"column '{FATIGUE}': bounds [0, 1.5] outside the key's range"),
    (lambda d: write_posterior(d / "outside", {VOLUNTEER: [-4.0], PARTY: [0.3]}, [1.0]),
     f"column '{VOLUNTEER}': 1 of 1 values of generation 1"),
    (lambda d: write_posterior(d / "zero", {VOLUNTEER: [-6.0], PARTY: [0.3]}, [0.0]),
     "column 'weight'"),
    (lambda d: write_posterior(d / "absent", {VOLUNTEER: [-6.0]}, [1.0]),
     f"no column for the calibrated coefficient {PARTY}"),
])
def test_bad_posterior_exits_2_located_before_anything_runs(tmp_path, make, expected,
                                                            capsys) -> None:
    directory = make(tmp_path)
    out = tmp_path / "out"
    assert run_cli("run", scenario_file(tmp_path, "s"), "--posterior", directory,
                   "--out", out) == 2
    err = capsys.readouterr().err
    assert expected in err and str(directory) in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("options, expected", [
    (["--draws", "1"], "--draws: at least 2"),
    (["--replicates", "1"], "--replicates: at least 2 replicates per posterior draw"),
    (["--set", f"{VOLUNTEER}=-6"], f"--set {VOLUNTEER}: is drawn from the posterior"),
    (["--cost-effectiveness"], "--cost-effectiveness: not yet with --posterior"),
])
def test_under_sampled_or_conflicting_designs_exit_2(tmp_path, wide, options, expected,
                                                     capsys) -> None:
    assert run_cli("run", scenario_file(tmp_path, "s"), "--posterior", wide, *options,
                   "--out", tmp_path / "out") == 2
    assert expected in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_draws_need_a_posterior(tmp_path, capsys) -> None:
    assert run_cli("run", scenario_file(tmp_path, "s"), "--draws", "3",
                   "--out", tmp_path / "out") == 2
    assert "--draws: needs --posterior" in capsys.readouterr().err


def test_run_without_posterior_writes_what_it_always_wrote(tmp_path) -> None:
    assert run_cli("run", scenario_file(tmp_path, "s"), "--replicates", "2",
                   "--out", tmp_path / "o") == 0
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert "posterior" not in manifest
    assert {f for f in manifest["files"] if not f.startswith("plots/")} == {
        "summary.csv", "timeseries.csv", "timeseries.parquet"}
    assert list(pd.read_csv(tmp_path / "o" / "summary.csv").columns[:3]) == [
        "scenario", "replicate", "seed"]
    assert "draw" not in pd.read_csv(tmp_path / "o" / "summary.csv").columns


def test_plot_bands_of_posterior_runs_are_over_draws_with_the_noise_part_inside() -> None:
    """12 draws × 3 runs per month whose draws differ by sd 2 and runs within a draw by sd
    0.1: the band over draws is wide (about ± 2·2/√12), the noise part narrow inside it; the
    rule over all 36 runs as if independent would be about √3 times narrower than the band."""
    from sim.plots import mean_band

    rng = np.random.default_rng(3)
    draws = np.repeat(np.arange(12), 3)
    ts = pd.DataFrame([{"scenario": "s", "replicate": i, "draw": d, "month": m,
                        "fund_spent": 100 + shift + rng.normal(0, 0.1)}
                       for m in (1, 2)
                       for i, (d, shift) in enumerate(zip(draws, rng.normal(0, 2, 12)[draws],
                                                          strict=True))])
    band = mean_band(ts, "fund_spent")
    assert ((band["low"] < band["noise_low"]) & (band["noise_high"] < band["high"])).all()
    assert ((band["noise_high"] - band["noise_low"]) < 0.2).all()
    iid = mean_band(ts.drop(columns="draw"), "fund_spent")
    assert ((band["high"] - band["low"]) > 1.5 * (iid["high"] - iid["low"])).all()


def _toy_statistics(theta, seed):
    """A stand-in for the model in a calibration: each coefficient observed with noise."""
    rng = np.random.default_rng(seed)
    return {"x": theta[VOLUNTEER] + rng.normal(0, 0.1), "y": theta[PARTY] + rng.normal(0, 0.1)}


def test_reads_what_cogov_calibrate_writes(tmp_path) -> None:
    """The format is the engine's own, not this file's imitation of it."""
    pytest.importorskip("pyabc")
    from sim import calibrate as engine
    from sim.targets import Prior

    priors = [Prior(VOLUNTEER, -7.0, -5.0), Prior(PARTY, 0.0, 1.5)]
    result = engine.calibrate(priors, {"x": -6.0, "y": 0.5}, {"x": 0.2, "y": 0.2},
                              _toy_statistics, out_dir=tmp_path / "cal", seed=3, population=10,
                              budget=40, max_generations=1, predictive_draws=2)
    loaded = posterior.load(tmp_path / "cal")
    assert loaded.keys == (VOLUNTEER, PARTY) and loaded.generation == 0
    assert np.allclose(loaded.particles[VOLUNTEER], result.posterior[VOLUNTEER])
    chosen = posterior.draw_particles(loaded, seed=5, draws=2)
    run = posterior.run(Scenario.load(scenario_file(tmp_path, "s")), loaded, chosen,
                        replicates=1)
    assert list(run.summary["draw"]) == [0, 1]
