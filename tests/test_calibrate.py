"""ABC-SMC calibration (sim/calibrate.py, ``cogov calibrate``): a known posterior, determinism
across workers and executors, resume and SIGKILL, stops, bad options.

The model is ``sim.testfunctions.gaussian_pair``: y1 = a + N(0, 0.5²), y2 = 100·b + N(0, 50²),
observed (1, −150), flat priors on [−5, 5]: the exact posterior is a ~ N(1, 0.5²),
b ~ N(−1.5, 0.5²)."""

from __future__ import annotations

import functools
import json
import math
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyabc")

from sim import calibrate as engine  # noqa: E402
from sim.cli import main  # noqa: E402
from sim.errors import OutputExistsError, RunError, ScenarioError  # noqa: E402
from sim.testfunctions import GAUSSIAN_NOISE, UniformPrior, gaussian_pair  # noqa: E402

PRIORS = [UniformPrior("a", -5.0, 5.0), UniformPrior("b", -5.0, 5.0)]
OBSERVED = {"y1": 1.0, "y2": -150.0}
SMALL = {"seed": 5, "population": 40}


def run(out: Path, simulate=gaussian_pair, **options):
    settings = {**SMALL, "max_generations": 3, "predictive_draws": 20, **options}
    return engine.calibrate(PRIORS, OBSERVED, GAUSSIAN_NOISE, simulate, out_dir=out,
                            **settings)


def comparable(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Posterior samples and the generations table, without wall-clock times."""
    return (pd.read_parquet(out / engine.POSTERIOR),
            pd.read_csv(out / engine.GENERATIONS).drop(columns="wall_time_s"))


def assert_same(a: Path, b: Path) -> None:
    for left, right in zip(comparable(a), comparable(b), strict=True):
        pd.testing.assert_frame_equal(left, right, check_exact=True)


def test_posterior_of_a_known_model_lands_on_the_truth(tmp_path):
    """The exact posterior is N(1, 0.5²) for a and N(−1.5, 0.5²) for b. Tolerances: the
    weighted median within 0.3 of the exact mean (0.6 exact posterior sds; the ABC posterior
    at a finite epsilon is wider than the exact one but centred alike, and its Monte Carlo
    error at an ESS near 100 is about 0.06); the 90% credible interval contains the exact
    mean, is at most twice the exact interval's width (1.64; a tenth of the prior's 9), and is
    not narrower than 0.8 of it (ABC cannot know more than the data say)."""
    result = run(tmp_path / "out", population=150, max_generations=5, predictive_draws=60,
                 pattern_check=_a_positive, pattern_draws=6)
    intervals = engine.credible_intervals(result.posterior).set_index("key")
    exact_width = 2 * 1.6449 * 0.5
    for key, truth in (("a", 1.0), ("b", -1.5)):
        row = intervals.loc[key]
        assert abs(row["median"] - truth) < 0.3, (key, row)
        assert row["low"] < truth < row["high"], (key, row)
        assert 0.8 * exact_width < row["high"] - row["low"] < 2 * exact_width, (key, row)
    assert result.stop_reason == "max_generations"
    assert list(result.generations["generation"]) == [0, 1, 2, 3, 4]
    # (epsilon need not fall: the adaptive distance is rescaled every generation)
    # y1 is NaN for a > 4.5 (5% of the prior): such simulations were rejected and counted
    assert result.nonfinite > 0
    assert np.isfinite(result.posterior[["a", "b"]].to_numpy()).all()
    assert result.posterior["a"].max() <= 4.5
    assert result.predictive["hit"].all()
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["stop_reason"] == "max_generations"
    assert manifest["nonfinite"] == result.nonfinite
    assert manifest["simulations"] == result.simulations
    # simulations used: every generation's plus the calibration sample from the prior (one
    # population of finite simulations, and the non-finite ones it rejected)
    prior_sample = result.simulations - result.generations["simulations"].sum()
    assert 150 <= prior_sample <= 150 + result.nonfinite - result.generations["nonfinite"].sum()
    # the pattern step checks the first posterior draws, each with its coefficients
    checked = pd.read_csv(tmp_path / "out" / engine.PATTERNS)
    assert len(checked) == 6
    assert (checked["holds:a_positive"] == (checked["a"] > 0)).all()
    assert (checked["all_hold"] == checked["holds:a_positive"]).all()
    for name in ("marginals.png", "pairs.png"):
        assert (tmp_path / "out" / engine.PLOTS / name).stat().st_size > 0


def _a_positive(theta, seed):
    return {"a_positive": theta["a"] > 0}


def test_same_seed_same_posterior_with_one_or_two_workers(tmp_path):
    before = np.random.get_state()  # noqa: NPY002 - checking that it is left alone
    run(tmp_path / "one", workers=1)
    run(tmp_path / "two", workers=2)
    assert_same(tmp_path / "one", tmp_path / "two")
    after = np.random.get_state()  # noqa: NPY002
    assert all(np.array_equal(x, y) for x, y in zip(before, after, strict=True))
    other = run(tmp_path / "seed6", seed=6, max_generations=1)  # the check can fail
    first = comparable(tmp_path / "one")[0].query("generation == 0").reset_index(drop=True)
    assert not other.posterior.equals(first)


def test_dask_executor_gives_the_local_posterior(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  protocol="tcp", host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        run(tmp_path / "dask", executor="dask", scheduler=cluster.scheduler_address, workers=2)
    run(tmp_path / "local")
    assert_same(tmp_path / "dask", tmp_path / "local")


def test_resume_equals_an_uninterrupted_run(tmp_path):
    run(tmp_path / "whole", max_generations=3)
    first = run(tmp_path / "parts", max_generations=2,
                command=["cogov", "calibrate", "t.yaml", "--out", "parts"])
    assert first.stop_reason == "max_generations" and len(first.generations) == 2
    resumed = run(tmp_path / "parts", max_generations=3, resume=True,
                  command=["cogov", "calibrate", "t.yaml", "--resume"])
    assert resumed.ran_now == 1
    assert_same(tmp_path / "whole", tmp_path / "parts")
    manifest = json.loads((tmp_path / "parts" / "manifest.json").read_text())
    assert manifest["command"] == ["cogov", "calibrate", "t.yaml", "--out", "parts"]
    assert [r["command"] for r in manifest["resumed"]] == [
        ["cogov", "calibrate", "t.yaml", "--resume"]]
    assert manifest["resumed"][0]["generations_run_now"] == 1


def test_sigkill_then_resume_loses_no_finished_generation(tmp_path):
    """Kill a calibration with SIGKILL after its second generation finished; the checkpoint
    and the history keep every finished generation, and --resume ends identical to an
    uninterrupted run."""
    killed = tmp_path / "killed"
    script = (
        "import time\n"
        "from sim.calibrate import calibrate\n"
        "from sim.testfunctions import GAUSSIAN_NOISE, UniformPrior, gaussian_pair\n"
        "def slow(theta, seed):\n"
        "    time.sleep(0.004)\n"
        "    return gaussian_pair(theta, seed)\n"
        "calibrate([UniformPrior('a', -5.0, 5.0), UniformPrior('b', -5.0, 5.0)], "
        "{'y1': 1.0, 'y2': -150.0}, GAUSSIAN_NOISE, slow, "
        f"out_dir={str(killed)!r}, seed=5, population=40, max_generations=50)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script],
                            env={**os.environ, "PYTHONPATH": str(Path(engine.__file__).parents[1])})
    checkpoint = killed / engine.CHECKPOINT
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if checkpoint.exists() and pickle.loads(checkpoint.read_bytes()).t >= 1:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = pickle.loads(checkpoint.read_bytes()).t + 1
    assert 2 <= finished < 50
    assert not (killed / engine.POSTERIOR).exists()
    resumed = run(killed, max_generations=finished + 1, resume=True)
    assert resumed.ran_now == 1
    assert list(resumed.generations["generation"]) == list(range(finished + 1))
    run(tmp_path / "whole", max_generations=finished + 1)
    assert_same(killed, tmp_path / "whole")


def test_budget_stop_is_honoured_and_recorded(tmp_path):
    result = run(tmp_path / "out", budget=200, max_generations=10)
    assert result.stop_reason == "budget"
    assert result.simulations <= 200
    assert len(result.generations) >= 1
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["stop_reason"] == "budget"
    assert manifest["simulations"] + manifest["abandoned_simulations"] <= 200


def test_min_acceptance_stop_is_honoured_and_recorded(tmp_path):
    result = run(tmp_path / "out", min_acceptance=0.45, max_generations=20)
    assert result.stop_reason == "min_acceptance"
    assert len(result.generations) < 20
    accepted = result.generations["acceptance_rate"]
    # every generation but the last kept at or above the floor; the last fell below it, or
    # the next was abandoned after population / min_acceptance simulations
    assert (accepted.iloc[:-1] >= 0.45).all()
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["stop_reason"] == "min_acceptance"


def test_bad_settings_are_refused_before_anything_runs(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ScenarioError) as caught:
        run(out, population=5, min_acceptance=0.0, budget=6)
    text = str(caught.value)
    assert "--population" in text and "--min-acceptance" in text and "--budget" in text
    with pytest.raises(ScenarioError, match="sd must be a positive"):
        engine.calibrate(PRIORS, OBSERVED, {"y1": 0.5, "y2": 0.0}, gaussian_pair,
                         out_dir=out, seed=1)
    assert not out.exists()
    with pytest.raises(OutputExistsError, match="holds no calibration"):
        run(out, resume=True)
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="no calibration"):
        run(out)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_resume_refuses_other_settings_and_a_run_refuses_a_calibration(tmp_path):
    run(tmp_path / "out", max_generations=1)
    with pytest.raises(OutputExistsError, match="seed"):
        run(tmp_path / "out", seed=6, resume=True)
    with pytest.raises(OutputExistsError, match="--resume"):
        run(tmp_path / "out")


def test_one_calibration_at_a_time_writes_into_a_directory(tmp_path):
    from sim.errors import SweepBusyError
    from sim.sweep import _locked

    run(tmp_path / "out", max_generations=1)
    with _locked(tmp_path / "out", "calibration"), pytest.raises(
            SweepBusyError, match="another calibration is writing here"):
        run(tmp_path / "out", max_generations=2, resume=True)
    assert len(pd.read_csv(tmp_path / "out" / engine.GENERATIONS)) == 1


def test_a_failing_simulator_leaves_nothing_behind(tmp_path):
    with pytest.raises(RunError, match=r"simulate failed at \{'a': .*ValueError: a is too"):
        run(tmp_path / "out", simulate=functools.partial(_fails, 0))
    assert not (tmp_path / "out").exists()


def _fails(limit: float, theta, seed):
    if theta["a"] > limit:
        raise ValueError("a is too large")
    return gaussian_pair(theta, seed)


@pytest.mark.parametrize("argv, message", [
    (["--population", "5"], "--population"),
    (["--resume"], "--resume needs --out"),
    (["--scheduler", "nowhere"], "--scheduler"),
    (["--budget", "30", "--population", "20"], "--budget"),
])
def test_cli_bad_options_exit_2(tmp_path, capsys, argv, message):
    code = main(["calibrate", str(tmp_path / "targets.yaml"), *argv])
    assert code == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_cli_calibrates_through_the_targets_contract(tmp_path, capsys, monkeypatch):
    """``cogov calibrate`` glue: sim.targets.load → priors and targets; sim.targets.simulate
    bound to them (here both stand in for a targets file with the known model)."""
    targets = pytest.importorskip("sim.targets")
    from types import SimpleNamespace

    path = tmp_path / "targets.yaml"
    path.write_text("# stands in for a targets file\n")
    loaded = SimpleNamespace(
        path=path, priors=tuple(PRIORS), patterns=(), replicates=1, seed=5, content_digest="0" * 64,
        targets=tuple(SimpleNamespace(name=n, observed=v, sd=GAUSSIAN_NOISE[n], statistic=n,
                                      label=SimpleNamespace(zh=f"统计{n}", en=f"statistic {n}"),
                                      source="synthetic")
                      for n, v in OBSERVED.items()))
    monkeypatch.setattr(targets, "load", lambda p: loaded)
    monkeypatch.setattr(targets, "simulate", _targets_simulate)
    out = tmp_path / "out"
    argv = ["calibrate", str(path), "--out", str(out), "--population", "40",
            "--max-generations", "2", "--predictive-draws", "10", "--quiet"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "posterior predictive" in printed and "90% credible interval" in printed
    assert "statistic y1" in printed and "统计y1" in printed  # the targets' labels, both
    assert "patterns: not checked" in printed
    table = pd.read_csv(out / engine.PREDICTIVE)
    assert list(table.columns[:6]) == ["target", "statistic", "label_zh", "label_en", "source",
                                       "observed"]
    assert main([*argv[:-5], "--max-generations", "3", "--resume", "--quiet"]) == 0
    assert len(pd.read_csv(out / engine.GENERATIONS)) == 3
    assert main([*argv, "--seed", "9", "--resume"]) == 2


def _targets_simulate(targets, theta, seed):
    return gaussian_pair(theta, seed)


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("COGOV_COVERAGE"),
                    reason="3.5 min: run with COGOV_COVERAGE=1 (kept out of CI, which must "
                    "stay under 15 minutes on 2 cores)")
def test_credible_intervals_cover_the_truth_of_synthetic_data(tmp_path):
    """Issue 10 §4 on the tiny model (about 4 minutes): 20 trials, each drawing true (a, b)
    from inside the prior, simulating the observations from the model at them, and calibrating
    within 5,000 simulations. The 40 credible intervals at 90% should contain the truth about
    36 times; the binomial (40, 0.9) lies in 32–39 with 95% probability, so that is the range
    accepted (measured: 35 of 40, median width 0.97 of the exact posterior's)."""
    priors = [UniformPrior("a", -4.0, 4.0), UniformPrior("b", -4.0, 4.0)]
    rng = np.random.default_rng(2026)
    hits = 0
    for trial in range(20):
        truth = {"a": float(rng.uniform(-3.5, 3.5)), "b": float(rng.uniform(-3.5, 3.5))}
        observed = gaussian_pair(truth, int(rng.integers(2**62)))
        result = engine.calibrate(priors, observed, GAUSSIAN_NOISE, gaussian_pair,
                                  out_dir=tmp_path / str(trial), seed=trial, population=100,
                                  budget=5000, max_generations=20, predictive_draws=10)
        assert result.simulations + result.abandoned <= 5000
        intervals = engine.credible_intervals(result.posterior).set_index("key")
        hits += sum(intervals.loc[k, "low"] <= truth[k] <= intervals.loc[k, "high"]
                    for k in ("a", "b"))
    assert 32 <= hits <= 39, hits


def _never_defined(theta, seed):
    return {"y1": math.nan, "y2": 100.0 * theta["b"]}


def test_a_statistic_that_is_never_finite_stops_the_calibration_at_once(tmp_path):
    # before, the sample from the prior drew for ever (the budget was not applied to it)
    with pytest.raises(RunError, match="non-finite statistic"):
        run(tmp_path / "out", simulate=_never_defined, budget=10_000)


def test_pyabc_says_nothing_below_a_warning_while_calibrating(tmp_path, caplog):
    """pyABC logs each step at INFO through "ABC.*" loggers whose levels it sets itself; a
    calibration (which has its own progress bar) holds them all at WARNING, then gives them
    back."""
    import logging

    history = logging.getLogger("ABC.History")
    history.setLevel(logging.INFO)
    with caplog.at_level(logging.INFO):
        run(tmp_path / "quiet", max_generations=1)
    chatter = [r.getMessage() for r in caplog.records
               if r.name.startswith("ABC") and r.levelno < logging.WARNING]
    assert chatter == []
    assert history.level == logging.INFO


def test_the_pattern_check_of_a_calibration_runs_each_pattern_in_a_context():
    """At the shipped baseline the fund is 0, so fund_lever's two arms (devolution 1 with the
    context's fund; no fund) were the same run and the pattern "failed" at every posterior
    draw. In the centre of the context design the fund lever works at the defaults."""
    verdicts = engine.pattern_verdicts(("fund_lever",), 2, 1, {}, 1)
    assert verdicts == {"fund_lever": True}


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("COGOV_COVERAGE_MODEL"),
                    reason="about 50 CPU-minutes: run with COGOV_COVERAGE_MODEL=1 (kept out of "
                    "CI); figures in docs/calibration.md")
def test_credible_intervals_of_cogovs_own_model_cover_the_truth(tmp_path, monkeypatch):
    """Issue 10 §4 on cogov's model (benchmarks/calibration_coverage.py): 20 trials of four
    coefficients and six statistics, truth drawn from the whole prior, at most 3,000
    simulations each. The issue asks that 85–95% of the 80 nominal 90% intervals hold the
    truth: 68–76 of 80."""
    import importlib

    # on sys.path (not loaded from its file) so that the trials' worker processes import it
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "benchmarks"))
    bench = importlib.import_module("calibration_coverage")
    table, records = bench.coverage(20, 3000, 2, tmp_path)
    assert all(r["simulations"] + r["abandoned"] <= 3000 for r in records)
    assert len(table) == 80
    assert 68 <= int(table["hit"].sum()) <= 76


def test_the_shipped_calibrations_marginals_have_no_word_on_another_or_off_the_figure():
    """The marginals figure of calibration/anchors.yaml's six coefficients, as calibrate
    writes it: no tick label, axis label or title overlaps another, and each lies inside the
    figure (long labels with their key and unit ran into the next panel's and off the edge;
    the project cost's ticks ran together)."""
    import itertools

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from sim import targets

    root = Path(__file__).resolve().parents[1]
    priors = targets.load(root / "calibration" / "anchors.yaml").priors
    rng = np.random.default_rng(1)
    posterior = pd.DataFrame({p.key: rng.uniform(p.low, p.high, 200) for p in priors})
    posterior["weight"] = 1 / 200
    fig = engine.marginals_figure(posterior, priors)
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    words = [fig._suptitle]
    for ax in fig.axes:
        if ax.axison:
            (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
            words += [t for t in ax.get_xticklabels() if x0 <= t.get_position()[0] <= x1]
            words += [t for t in ax.get_yticklabels() if y0 <= t.get_position()[1] <= y1]
            words += [ax.xaxis.label, ax.yaxis.label]
    boxes = [(w.get_text(), w.get_window_extent(renderer)) for w in words
             if w.get_visible() and w.get_text()]
    page = fig.bbox
    off = [text for text, box in boxes if box.x0 < page.x0 - 0.5 or box.x1 > page.x1 + 0.5]
    assert off == []
    on_another = [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2)
                  if box_a.overlaps(box_b)]
    assert on_another == []


def test_the_pairs_figure_as_svg_does_not_grow_with_the_particles():
    """In the report the pairs figure is SVG: a vector mark per particle and panel made the
    anchors calibration's report 4.5 MB (6 coefficients, 200 particles). The points are an
    image inside each panel and the words stay text: ten times the particles add hardly an
    element to the SVG (the diagonal's histograms may fill a few more bins)."""
    from sim.report import svg_of

    priors = [UniformPrior(key, 0.0, 1.0) for key in "abcd"]

    def svg(particles: int, salt: str) -> str:
        rng = np.random.default_rng(2)
        posterior = pd.DataFrame({p.key: rng.uniform(0, 1, particles) for p in priors})
        posterior["weight"] = rng.uniform(0.5, 1.0, particles)
        return str(svg_of(engine.pairs_figure(posterior, priors), salt))

    small, large = svg(200, "s"), svg(2000, "l")
    assert large.count("<") < 1.1 * small.count("<"), (small.count("<"), large.count("<"))
    assert "<text" in large
