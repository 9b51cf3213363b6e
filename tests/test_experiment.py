"""Experiment files: validation with located errors, design sizes and seeds (sim/experiment.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

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


def test_integer_parameters_are_rounded_in_salib_designs(tmp_path):
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
