"""Experiment files: validation with located errors, design sizes and seeds (sim/experiment.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_scenario import BASE  # the base.yaml

from sim.experiment import load_experiment
from sim.scenario import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
BASELINE = (ROOT / "scenarios" / "baseline.yaml").as_posix()
ISHIGAMI = """\
target: sim.testfunctions:ishigami
method: {method}
samples: {samples}
replicates: {replicates}
seed: 3
parameters:
  x1: [-3.14159, 3.14159]
  x2: [-3.14159, 3.14159]
  x3: [-3.14159, 3.14159]
metrics: [y]
"""


def write(tmp_path: Path, text: str, name: str = "exp.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("method", "samples", "extra", "runs_per_replicate"),
    [
        ("sobol", 8, "", 8 * (2 * 3 + 2)),  # Saltelli with second order: N(2D + 2)
        ("sobol", 8, "second_order: false\n", 8 * (3 + 2)),  # N(D + 2)
        ("morris", 5, "", 5 * (3 + 1)),  # N trajectories of D + 1 points
        ("fast", 65, "", 65 * 3),  # N·D
        ("random", 7, "", 7),
        ("lhs", 7, "", 7),
    ],
)
def test_design_sizes(tmp_path, method, samples, extra, runs_per_replicate):
    text = ISHIGAMI.format(method=method, samples=samples, replicates=2) + extra
    runs = load_experiment(write(tmp_path, text)).runs()
    assert len(runs) == 2 * runs_per_replicate
    assert {r.replicate for r in runs} == {0, 1}


def test_grid_is_the_product_of_values_and_levels(tmp_path):
    text = f"""\
scenario: {BASELINE}
method: grid
samples: 3
replicates: 2
set: {{policy.fund_per_community: 200000}}  # devolution acts only on money
parameters:
  policy.devolution: {{bounds: [0, 1]}}
  policy.incentive.scheme: [none, points, recognition, time_bank]
  policy.admin_items: [69, 537]
metrics: [participation_any_last12]
"""
    exp = load_experiment(write(tmp_path, text))
    runs = exp.runs()
    assert len(runs) == 3 * 4 * 2 * 2
    devolutions = sorted({r.params["policy.devolution"] for r in runs})
    assert devolutions == [0.0, 0.5, 1.0]
    assert {r.params["policy.incentive.scheme"] for r in runs} == {
        "none", "points", "recognition", "time_bank"}
    assert all(isinstance(r.params["policy.admin_items"], int) for r in runs)


def test_every_point_runs_replicate_r_of_the_experiment_seed(tmp_path):
    runs = load_experiment(write(tmp_path, ISHIGAMI.format(method="random", samples=4,
                                                           replicates=3))).runs()
    assert {run.seed for run in runs} == {3}  # the experiment's master seed, as `cogov run`
    assert sorted({run.replicate for run in runs}) == [0, 1, 2]
    assert len(runs) == 4 * 3


def test_integer_parameters_are_whole_in_salib_designs(tmp_path):
    text = f"""\
scenario: {BASELINE}
method: morris
samples: 4
parameters:
  policy.admin_items: [69, 537]
  policy.grid.workers_per_grid: [0, 3]
metrics: [participation_any_last12]
"""
    runs = load_experiment(write(tmp_path, text)).runs()
    for run in runs:
        assert isinstance(run.params["policy.admin_items"], int)
        assert 69 <= run.params["policy.admin_items"] <= 537
        assert run.params["policy.grid.workers_per_grid"] in {0, 1, 2, 3}


def test_bad_experiment_lists_every_problem_with_file_line_and_key(tmp_path):
    text = f"""\
scenario: {BASELINE}
method: sobol
samples: 100
parameters:
  policy.devolutoin: [0, 1]
  policy.transparency: [0, 2]
  policy.incentive.scheme: [none, points]
metrics: [participation_any_last12, mean_trsut_last12]
"""
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load_experiment(path)
    problems = "\n".join(err.value.problems)
    assert f"{path}:5 parameters.policy.devolutoin: not a scenario key (did you mean " \
           "'policy.devolution'?)" in problems
    assert f"{path}:6 parameters.policy.transparency: bounds [0, 2] outside" in problems
    assert f"{path}:7 parameters.policy.incentive.scheme: sobol needs numeric bounds" in problems
    assert f"{path}:8 metrics[1]: unknown metric 'mean_trsut_last12' (did you mean " \
           "'mean_trust_last12'?)" in problems
    assert f"{path}:3 samples: sobol needs a power of 2" in problems


def test_unknown_keys_and_bad_values_are_located(tmp_path):
    text = f"""\
scenario: {BASELINE}
method: grid
replicate: 3
parameters:
  policy.incentive.scheme: [none, cash]
metrics: [participation_any_last12]
"""
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load_experiment(path)
    assert any(p.startswith(f"{path}:3 replicate: unknown key 'replicate' (did you mean "
                            "'replicates'?)") for p in err.value.problems)
    text = text.replace("replicate: 3\n", "")
    with pytest.raises(ScenarioError) as err:
        load_experiment(write(tmp_path, text))
    assert "value 'cash'" in err.value.problems[0]
    assert ":4 parameters.policy.incentive.scheme" in err.value.problems[0]


def test_missing_scenario_file_is_bad_input(tmp_path):
    text = ISHIGAMI.format(method="grid", samples=2, replicates=1).replace(
        "target: sim.testfunctions:ishigami", "scenario: nowhere.yaml")
    with pytest.raises(ScenarioError, match="nowhere.yaml: file not found"):
        load_experiment(write(tmp_path, text))


def test_shipped_experiments_are_valid():
    files = sorted((ROOT / "experiments").glob("*.yaml"))
    assert len(files) >= 4
    for path in files:
        exp = load_experiment(path)
        assert exp.runs()


# ------------------------------------------------------------------- issue 7 §4: designs


def experiment(tmp_path: Path, body: str) -> Path:
    """An experiment file on the issue's base.yaml (written beside it)."""
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    return write(tmp_path, "scenario: base.yaml\nmetrics: [participation_any_last12]\n" + body)


def problems_of(path: Path) -> str:
    with pytest.raises(ScenarioError) as err:
        load_experiment(path)
    return "\n".join(err.value.problems)


def test_morris_refuses_a_whole_number_lever_whose_levels_miss_whole_numbers(tmp_path):
    # the example: 4 levels on [0, 2] workers are 0, 0.667, 1.333, 2
    path = experiment(tmp_path, """\
method: morris
samples: 4
parameters:
  policy.grid.workers_per_grid: [0, 2]
  policy.devolution: [0, 1]
""")
    problems = problems_of(path)
    assert problems.startswith(f"{path}:6 parameters.policy.grid.workers_per_grid: a "
                               "whole-number key, but morris_levels: 4 puts its levels at 0, "
                               "0.666667, 1.33333, 2")
    assert "(e.g. [0, 3])" in problems and "or morris_levels: 2" in problems
    for fix in ("  policy.grid.workers_per_grid: [0, 3]\n", "morris_levels: 2\n"):
        text = path.read_text().replace("  policy.grid.workers_per_grid: [0, 2]\n", fix) \
            if "[0, 3]" in fix else path.read_text() + fix
        runs = load_experiment(write(tmp_path, text, "fixed.yaml")).runs()
        assert {r.params["policy.grid.workers_per_grid"] for r in runs} <= {0, 1, 2, 3}
        assert all(type(r.params["policy.grid.workers_per_grid"]) is int for r in runs)


INTEGER_LEVER = """\
target: sim.testfunctions:integer_lever
method: {method}
samples: {samples}
seed: 5
parameters:
  n: {{bounds: [{low}, {high}], integer: true}}
  x: [0, 1]
metrics: [y]
"""


@pytest.mark.parametrize(("low", "high", "levels"), [(0, 3, 4), (0, 2, 2), (1, 7, 4)])
def test_morris_mu_star_of_a_whole_number_lever_is_exact(tmp_path, low, high, levels):
    """y = 3n + 2x: every elementary effect of n is 3·(high − low) per step of the design (SALib
    divides Δy by the step as a share of the range), of x 2·1. The old rounding of a 1.333-worker
    design to 1 made it 0.75 of that."""
    from sim.analysis import analyze
    from sim.sweep import sweep

    text = INTEGER_LEVER.format(method="morris", samples=6, low=low, high=high)
    exp = load_experiment(write(tmp_path, text + f"morris_levels: {levels}\n"))
    sweep(exp, tmp_path / "out", workers=1)
    design = np.load(tmp_path / "out" / "design.npy")
    assert np.array_equal(design[:, 0], np.round(design[:, 0]))  # the values that ran
    assert [r.params["n"] for r in exp.runs()] == [int(v) for v in design[:, 0]]
    table = analyze(tmp_path / "out").tables["y"].set_index("parameter")
    assert table.loc["n", "mu_star"] == pytest.approx(3 * (high - low), rel=1e-12)
    assert table.loc["x", "mu_star"] == pytest.approx(2.0, rel=1e-12)
    assert table.loc["n", "sigma"] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize(("method", "samples"), [("sobol", 256), ("fast", 401),
                                                 ("random", 3000), ("lhs", 600)])
def test_sobol_fast_random_sample_whole_number_levers_uniformly(tmp_path, method, samples):
    path = experiment(tmp_path, f"""\
method: {method}
samples: {samples}
parameters:
  policy.grid.workers_per_grid: [0, 2]
  policy.devolution: [0, 1]
""")
    exp = load_experiment(path)
    design = exp.design()
    runs = exp.runs(design)
    workers = np.array([r.params["policy.grid.workers_per_grid"] for r in runs])
    assert all(type(w) is int for w in workers.tolist())
    assert np.array_equal(np.asarray(design, dtype=float)[:, 0], workers)  # design = what ran
    shares = np.bincount(workers, minlength=3) / len(workers)
    assert np.allclose(shares, 1 / 3, atol=0.05), shares  # 0, 1, 2 equally often
    if method != "random":  # floor of U[0, 3): the sampler's bounds are [low, high + 1)
        assert exp.problem["bounds"][0] == [0.0, 3.0]


def test_latin_hypercube_puts_one_point_in_each_stratum_of_each_parameter(tmp_path):
    """N = 20 points: each parameter's range cut in 20 equal parts holds exactly one point
    (what makes it a Latin hypercube, not 20 uniform draws)."""
    path = experiment(tmp_path, """\
method: lhs
samples: 20
parameters:
  policy.devolution: [0, 1]
  policy.fund_per_community: [0, 400000]
""")
    design = np.asarray(load_experiment(path).design())
    strata = np.floor(design / [1.0, 400_000] * 20).astype(int)
    for column in strata.T:
        assert sorted(column) == list(range(20))


def test_grid_bounds_on_a_whole_number_key_give_distinct_whole_levels(tmp_path):
    path = experiment(tmp_path, """\
method: grid
samples: 5
parameters:
  policy.grid.workers_per_grid: {bounds: [0, 2]}
""")
    assert load_experiment(path).design() == [(0,), (1,), (2,)]


@pytest.mark.parametrize(("body", "line", "message"), [
    ("method: grid\nparameters: {seed: [1, 2, 3, 4]}\n", 4,
     "parameters.seed: cannot vary: every run uses the experiment's seed"),
    ("method: grid\nmonths: 24\nparameters: {months: [13, 25]}\n", 5,
     "parameters.months: cannot vary: the experiment fixes months: 24"),
    ("method: grid\nset: {months: 24}\nparameters: {months: [13, 25]}\n", 5,
     "parameters.months: cannot vary: also fixed under set: as 'months'"),
    ("method: grid\nset: {policy.devolution: 0.5}\nparameters: {policy.devolution: [0, 1]}\n",
     5, "parameters.policy.devolution: cannot vary: also fixed under set: as "
        "'policy.devolution'"),
    ("method: grid\nset: {policy.grid: {workers_per_grid: 2}}\n"
     "parameters: {policy.grid.workers_per_grid: [0, 1]}\n", 5,
     "parameters.policy.grid.workers_per_grid: cannot vary: also fixed under set: as "
     "'policy.grid'"),
    ("method: grid\nparameters: {name: [a, b]}\n", 4,
     "parameters.name: cannot vary: it changes nothing that runs"),
    ("method: grid\nparameters: {description: [a, b]}\n", 4,
     "parameters.description: cannot vary"),
])
def test_keys_that_cannot_vary_are_refused_located(tmp_path, capsys, body, line, message):
    from sim import cli

    path = experiment(tmp_path, body)
    assert f"{path}:{line} {message}" in problems_of(path)
    assert cli.main(["validate", str(path)]) == 2
    assert f"{path}:{line} {message}" in capsys.readouterr().err


def test_months_may_vary_when_nothing_else_fixes_it(tmp_path):
    path = experiment(tmp_path, "method: grid\nparameters: {months: [13, 25]}\n")
    runs = load_experiment(path).runs()
    assert [r.params["months"] for r in runs] == [13, 25]
    assert [load_experiment(path).scenario_for(r.params).months for r in runs] == [13, 25]


def test_design_values_take_their_keys_type(tmp_path):
    path = experiment(tmp_path, 'method: grid\nparameters: {policy.admin_items: [69, "537"]}\n')
    exp = load_experiment(path)
    values = [r.params["policy.admin_items"] for r in exp.runs()]
    assert values == [69, 537] and all(type(v) is int for v in values)
    import pandas as pd  # the results table is written as parquet: one type per column

    pd.DataFrame({"param:policy.admin_items": values}).to_parquet(tmp_path / "t.parquet")
    floats = experiment(tmp_path, "method: grid\nparameters: {policy.devolution: [0, 1, 0.5]}\n")
    assert all(type(r.params["policy.devolution"]) is float
               for r in load_experiment(floats).runs())
    same = experiment(tmp_path, 'method: grid\nparameters: {policy.admin_items: [69, "69"]}\n')
    assert (f"{same}:4 parameters.policy.admin_items: values 69 and '69' are the same value"
            in problems_of(same))
    bad = experiment(tmp_path, 'method: grid\nparameters: {policy.admin_items: [69, "many"]}\n')
    assert f"{bad}:4 parameters.policy.admin_items: value 'many'" in problems_of(bad)


@pytest.mark.parametrize(("body", "message"), [
    ("method: fast\nsamples: 16\n", ":4 samples: fast needs more than 4·M² = 64 samples (M = "
                                    "fast_m = 4); the minimum is 65, got 16"),
    ("method: fast\nsamples: 16\nfast_m: 1\n", None),  # 4·1² = 4 < 16
    ("method: morris\nsamples: 1\n", ":4 samples: morris needs at least 2 trajectories"),
    ("method: morris\nsamples: 4\nmorris_levels: 3\n",
     ":5 morris_levels: morris needs an even number of levels"),
    ("method: grid\nsamples: 1\n", ":4 samples: a grid needs at least 2 levels"),
    ("method: sobol\nsamples: 12\n", ":4 samples: sobol needs a power of 2 (Saltelli), got 12; "
                                     "try 16"),
])
def test_sample_sizes_below_a_methods_minimum_are_refused(tmp_path, body, message):
    path = experiment(tmp_path, body + "parameters:\n  policy.devolution: {bounds: [0, 1]}\n"
                                       "  policy.transparency: {bounds: [0, 1]}\n")
    if message is None:
        assert load_experiment(path).runs()
    else:
        assert f"{path}{message}" in problems_of(path)


def test_every_accepted_minimum_samples_without_error(tmp_path):
    for body in ("method: fast\nsamples: 65\n", "method: morris\nsamples: 2\n",
                 "method: sobol\nsamples: 8\n", "method: grid\nsamples: 2\n"):
        path = experiment(tmp_path, body + "parameters:\n  policy.devolution: [0, 1]\n")
        assert load_experiment(path).runs()


@pytest.mark.parametrize(("body", "inert"), [
    ("parameters: {policy.incentive.points_per_activity: [0, 100], policy.devolution: [0, 1]}\n",
     "policy.incentive.points_per_activity"),
    ("parameters: {behavior.crowding_out: [0, 0.08], policy.devolution: [0, 1]}\n",
     "behavior.crowding_out"),
    ("parameters: {policy.foundation_match: [0, 1]}\n", "policy.foundation_match"),
    ("set: {policy.incentive.scheme: points}\n"
     "parameters: {policy.incentive.points_per_activity: [0, 100]}\n", None),
    ("set: {policy.foundation: true}\nparameters: {policy.foundation_match: [0, 1]}\n", None),
    ("set: {policy.schedule: [{month: 6, set: {foundation: true}}]}\n"
     "parameters: {policy.foundation_match: [0, 1]}\n", None),
])
def test_a_varied_parameter_that_acts_nowhere_is_refused(tmp_path, body, inert):
    path = experiment(tmp_path, "method: sobol\nsamples: 8\n" + body)
    if inert is None:
        assert load_experiment(path).runs()
        return
    problems = problems_of(path)
    assert f"parameters.{inert}: has no effect anywhere in this design: it acts only when " \
           in problems
    assert "in the base scenario and the experiment does not vary it; fix it under set:" \
        in problems


def test_a_parameter_whose_switch_the_grid_varies_is_accepted(tmp_path):
    path = experiment(tmp_path, """\
method: grid
parameters:
  policy.incentive.scheme: [none, points]
  policy.incentive.points_per_activity: [10, 50]
  policy.foundation: [false, true]
  policy.foundation_match: [0, 1]
""")
    assert len(load_experiment(path).runs()) == 16


def test_non_finite_numbers_are_refused_in_experiments(tmp_path):
    text = ISHIGAMI.format(method="sobol", samples=8, replicates=1).replace(
        "x3: [-3.14159, 3.14159]", "x3: [0, .inf]")
    path = write(tmp_path, text)
    assert f"{path}:9 parameters.x3: bounds must be [low, high] finite numbers" \
        in problems_of(path)
    inf_set = experiment(tmp_path, "method: grid\nset: {policy.fund_per_community: .inf}\n"
                                   "parameters: {policy.devolution: [0, 1]}\n")
    assert "input should be a finite number, got inf" in problems_of(inf_set)
    nan_value = experiment(tmp_path, "method: grid\nparameters: {behavior.beta_stake: [1, .nan]}\n")
    assert f"{nan_value}:4 parameters.behavior.beta_stake: values must be finite" \
        in problems_of(nan_value)


def test_the_experiment_horizon_judges_the_base_schedule(tmp_path):
    base = BASE.replace("months: 13", "months: 24").replace(
        "policy: {fund_per_community: 200000}",
        "policy: {fund_per_community: 200000, schedule: [{month: 20, set: {devolution: 1}}]}")
    (tmp_path / "base.yaml").write_text(base, encoding="utf-8")
    text = "scenario: base.yaml\nmetrics: [participation_any_last12]\nmethod: grid\n" \
           "parameters: {policy.transparency: [0, 1]}\n"
    assert load_experiment(write(tmp_path, text + "months: 36\n")).base.months == 36
    path = write(tmp_path, text + "months: 12\n")
    assert "policy.schedule[0].month: month 20 is after the horizon (months: 12)" \
        in problems_of(path)
    varied = write(tmp_path, text.replace("policy.transparency: [0, 1]", "months: [13, 24]"))
    assert "parameters.months: value 13: month 20 is after the horizon" in problems_of(varied)


@pytest.mark.parametrize("method", ["sobol", "morris", "fast", "random", "lhs"])
def test_design_is_repeatable_and_leaves_numpy_global_state_alone(tmp_path, method):
    samples = {"sobol": 8, "morris": 4, "fast": 65, "random": 10, "lhs": 10}[method]
    exp = load_experiment(write(tmp_path, ISHIGAMI.format(
        method=method, samples=samples, replicates=1).replace("seed: 3", "seed: 0")))
    np.random.seed(12345)  # noqa: NPY002 - the global state the design must not touch
    before = np.random.get_state()  # noqa: NPY002
    first, second = np.asarray(exp.design()), np.asarray(exp.design())
    after = np.random.get_state()  # noqa: NPY002
    assert np.array_equal(first, second)  # seed 0 is a real, fixed seed
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    other = load_experiment(write(tmp_path, ISHIGAMI.format(
        method=method, samples=samples, replicates=1).replace("seed: 3", "seed: 1"), "b.yaml"))
    assert not np.array_equal(first, np.asarray(other.design()))


def test_levers_of_a_fund_that_does_not_exist_are_refused(tmp_path):
    """Issue 7 §4 (new-user check): Morris on the baseline (no fund, no foundation) varying
    devolution, purchase_share and base_leakage printed mu* 0; the design is refused, and
    accepted once money exists, from a fund, a foundation or a switch the design varies."""
    body = f"""\
scenario: {BASELINE}
method: morris
samples: 4
replicates: 2
months: 24
parameters:
  policy.devolution: [0, 1]
  policy.purchase_share: [0, 1]
  behavior.base_leakage: [0.1, 0.4]
  policy.service_focus: [0, 1]
metrics: [participation_any_last12]
"""
    path = write(tmp_path, body)
    condition = ("has no effect anywhere in this design: it acts only when "
                 "policy.fund_per_community > 0 or policy.foundation is true, but "
                 "policy.fund_per_community is 0.0 and policy.foundation is false in the base "
                 "scenario")
    problems = problems_of(path).split("\n")
    assert [p.split(" ", 2)[:2] for p in problems] == [
        [f"{path}:7", "parameters.policy.devolution:"],
        [f"{path}:8", "parameters.policy.purchase_share:"],
        [f"{path}:9", "parameters.behavior.base_leakage:"]]
    assert all(condition in p for p in problems)
    for fix in ("set: {policy.fund_per_community: 200000}\n", "set: {policy.foundation: true}\n",
                "set: {policy.schedule: [{month: 13, set: {fund_per_community: 200000}}]}\n"):
        assert load_experiment(write(tmp_path, body.replace("months: 24\n",
                                                             "months: 24\n" + fix))).runs()
    varied = body.replace("method: morris\nsamples: 4", "method: grid\nsamples: 2").replace(
        "  policy.service_focus: [0, 1]\n", "  policy.foundation: [false, true]\n")
    assert load_experiment(write(tmp_path, varied)).runs()


@pytest.mark.parametrize("samples", [1, 2, 4])
def test_sobol_below_eight_samples_is_refused_naming_the_minimum(tmp_path, samples):
    """Issue 7 §4 (new-user check): sobol with samples 1 or 2 passed validate and analyze
    printed S1 = 2.0."""
    path = experiment(tmp_path, f"method: sobol\nsamples: {samples}\nset: "
                                "{policy.fund_per_community: 200000}\nparameters: "
                                "{policy.devolution: [0, 1], policy.transparency: [0, 1]}\n")
    assert (f"{path}:4 samples: sobol needs at least 8 samples, got {samples}: with fewer base "
            "rows its indices are unstable") in problems_of(path)


@pytest.mark.parametrize("method", ["sobol", "morris", "fast", "random", "lhs"])
def test_a_switch_given_numeric_bounds_is_refused(tmp_path, method):
    """Issue 7 §4: policy.foundation: [0, 1] under a sampling method ran 0.37 for a switch."""
    samples = {"sobol": 8, "morris": 4, "fast": 65, "random": 4, "lhs": 4}[method]
    path = experiment(tmp_path, f"method: {method}\nsamples: {samples}\nparameters: "
                                "{policy.foundation: [0, 1], policy.devolution: [0, 1]}\n")
    assert (f"{path}:5 parameters.policy.foundation: a switch (true or false) cannot be "
            "sampled between bounds [0, 1]: give it as a list of values [false, true] in a "
            "grid or random design") in problems_of(path)
    listed = experiment(tmp_path, "method: random\nsamples: 4\nparameters: "
                                  "{policy.foundation: [false, true], policy.devolution: [0, 1]}\n")
    assert {r.params["policy.foundation"] for r in load_experiment(listed).runs()} <= {
        False, True}


@pytest.mark.parametrize(("method", "bounds", "bad", "why"), [
    ("sobol", "[2, 10]", 3, "the design can run every whole number from 2 to 10"),
    ("random", "[2, 10]", 3, "the design can run every whole number from 2 to 10"),
    ("morris", "[2, 5]", 3, "one of the design's levels"),
])
def test_an_integer_the_key_refuses_anywhere_in_the_bounds_is_refused(tmp_path, method, bounds,
                                                                      bad, why):
    """Issue 7 §4: structure.small_world_degree: [2, 10] (must be even) passed validate under
    sobol and random, whose designs run every whole number in the bounds."""
    samples = {"sobol": 8, "morris": 4, "random": 4}[method]
    path = experiment(tmp_path, f"method: {method}\nsamples: {samples}\nparameters: "
                                f"{{structure.small_world_degree: {bounds}, "
                                "policy.transparency: [0, 1]}\n")
    assert (f"{path}:5 parameters.structure.small_world_degree: value {bad} ({why}): must be "
            f"even (k/2 neighbours on each side), got {bad}") in problems_of(path)
    grid = experiment(tmp_path, "method: grid\nsamples: 3\nparameters: "
                                "{structure.small_world_degree: {bounds: [2, 10]}}\n")
    assert [r.params["structure.small_world_degree"] for r in load_experiment(grid).runs()] \
        == [2, 6, 10]  # levels all even: accepted


def test_a_failing_run_names_the_key_once(tmp_path):
    """A value refused when a design point is built names the key once, after its origin
    (it read ``exp.yaml policy.foundation policy.foundation: ...``)."""
    exp = load_experiment(experiment(tmp_path, "method: grid\nparameters: "
                                               "{policy.transparency: [0, 1]}\n"))
    with pytest.raises(ScenarioError) as err:
        exp.scenario_for({"policy.foundation": 0.37})
    assert err.value.problems == [f"{exp.path} policy.foundation: input should be a valid "
                                  "boolean, got 0.37"]
