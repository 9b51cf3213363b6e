"""`cogov patterns`: the catalogue, the context design, the hold rule and the command end to end
(small runs: a few seconds in all). The patterns' verdicts on the model are the command's
output, not asserted here (tests/test_patterns.py checks the default point)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import cli, patterns
from sim.patterns import CATALOGUE, CONTEXT, Check, Pattern, design, evaluate, summary
from sim.scenario import Scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
TINY = ["--contexts", "2", "--replicates", "2", "--months", "12",
        "--set", "structure.residents_per_community=200"]


# ---------------------------------------------------------------------------------- catalogue
def test_catalogue_has_the_eight_patterns_of_issue_9_each_complete() -> None:
    assert len(CATALOGUE) == 8 and len({p.id for p in CATALOGUE}) == 8
    for p in CATALOGUE:
        assert p.zh and p.en and p.zh != p.en, p.id
        assert p.source and (SCENARIOS / p.scenario).is_file(), p.id
        assert p.checks, p.id
        for check in p.checks:
            assert check.threshold > 0 and len(check.reason) > 20, p.id
            assert check.a in p.arms and (check.b is None or check.b in p.arms), p.id
            assert check.measure.unit, p.id
    assert [p.id for p in CATALOGUE if p.optional] == ["steady_state"]


def test_every_arm_is_a_valid_scenario_and_arms_differ() -> None:
    """Arms name real keys (a typo would be refused here, not after an hour of runs), and
    every two-arm check compares arms that set something differently."""
    context = design(1, 0).to_dict("records")[0]
    for p in CATALOGUE:
        built = {arm: patterns.scenario_for(p, arm, context, 1, 12, {}) for arm in p.arms}
        for check in p.checks:
            if check.b is not None:
                assert built[check.a].policy != built[check.b].policy, (p.id, check.label)


def test_context_variables_stay_inside_the_schema_bounds() -> None:
    from sim.schema import Scenario as Schema
    from sim.schema import bounds

    for variable in CONTEXT:
        low, high = bounds(Schema, tuple(variable.key.split(".")))
        assert (low is None or variable.low >= low) and (high is None or variable.high <= high)


# ------------------------------------------------------------------------------------- design
def test_design_is_a_latin_hypercube_within_the_issue_bounds() -> None:
    n = 32
    contexts = design(n, seed=11)
    assert list(contexts["context"]) == list(range(n))
    issue = {"structure.residents_per_community": (1000, 5000),
             "population.migrant_share": (0.1, 0.6), "population.party_share": (0.04, 0.12),
             "policy.fund_per_community": (100_000, 400_000)}
    for key, (low, high) in issue.items():
        assert contexts[key].between(low, high).all(), key
    for variable in CONTEXT:
        values = contexts[variable.key].to_numpy(dtype=float)
        assert values.min() >= variable.low and values.max() <= variable.high
        if variable.integer:
            assert (values == np.round(values)).all()
            continue
        # one value in each of the n equal strata of the range
        strata = np.floor((values - variable.low) / (variable.high - variable.low) * n)
        assert sorted(strata.astype(int)) == list(range(n)), variable.key


def test_design_is_reproducible_and_leaves_global_state_alone() -> None:
    np.random.seed(3)  # noqa: NPY002 - the global state the design must not touch
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    first = design(8, seed=5)
    assert (np.random.get_state()[1] == before).all()  # noqa: NPY002
    pd.testing.assert_frame_equal(first, design(8, seed=5))
    assert not first.equals(design(8, seed=6))


# ----------------------------------------------------------------------------------- the rule
def test_a_floor_refuses_a_tiny_effect_however_many_standard_errors() -> None:
    """Issue 9 §10: a 0.004 difference "held" at 23 standard errors. With a floor it does not."""
    check = Check(summary("participation_any_last12"), "a", "b", "more", 0.005, "test")
    assert not check.holds(0.004, 0.004 / 46)
    assert check.holds(0.006, 0.001)
    assert not check.holds(0.006, 0.004)  # above the floor but inside 2 SE of zero
    ceiling = Check(summary("participation_any_last12"), "a", "b", "at_most", 0.003, "test")
    assert ceiling.holds(0.0, 0.001) and not ceiling.holds(0.002, 0.001)


def test_identical_arms_never_hold() -> None:
    same = {"policy.devolution": 1.0, "policy.fund_per_community": 200_000}
    pattern = Pattern("identical", "相同", "identical arms", "test", "baseline.yaml",
                      {"a": same, "b": dict(same)},
                      (Check(summary("participation_any_last12"), "a", "b", "more", 1e-9,
                             "any positive floor"),
                       Check(summary("mean_trust_last12"), "a", "b", "more", 1e-9,
                             "any positive floor")))
    evaluation = evaluate([pattern], design(2, 0), replicates=3, seed=4, months=12,
                          fixed={"structure.residents_per_community": 200})
    assert (evaluation.rows["effect"] == 0).all()
    assert not evaluation.rows["holds"].any()


# ----------------------------------------------------------------------------------- the CLI
def test_tiny_run_writes_the_files_and_is_the_same_with_one_or_two_workers(tmp_path,
                                                                           capsys) -> None:
    chosen = ["--pattern", "fund_lever", "--pattern", "migrant_gap"]
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        assert cli.main(["patterns", *TINY, *chosen, "--workers", str(workers),
                         "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "fund_lever" in printed and "holds in" in printed and "wrote" in printed
    for name in ("patterns.csv", "summary.csv"):
        assert (tmp_path / "w1" / name).read_bytes() == (tmp_path / "w2" / name).read_bytes()
    rows = pd.read_csv(tmp_path / "w1" / "patterns.csv")
    # fund_lever has one check, migrant_gap two: one row per pattern × check × context
    assert len(rows) == 2 * (1 + 2)
    assert {"effect", "ci_low", "ci_high", "holds", "pattern_holds"} <= set(rows.columns)
    assert (rows["structure.residents_per_community"] == 200).all()
    assert rows.loc[rows["pattern"] == "fund_lever", "policy.devolution"].isna().all()  # held
    manifest = json.loads((tmp_path / "w1" / "manifest.json").read_text())
    assert manifest["kind"] == "patterns" and manifest["replicates"] == 2
    assert [p["id"] for p in manifest["patterns"]] == ["fund_lever", "migrant_gap"]
    assert set(manifest["files"]) == {"patterns.csv", "summary.csv"}
    assert len(pd.read_csv(tmp_path / "w1" / "summary.csv")) == 3


def test_the_reported_difference_is_the_paired_difference_of_cogov_run(tmp_path) -> None:
    """A row of patterns.csv is reproducible with the runner: same seed, same replicates."""
    from sim.runner import run

    out = tmp_path / "out"
    assert cli.main(["patterns", *TINY, "--pattern", "party_outreach", "--out", str(out)]) == 0
    row = pd.read_csv(out / "patterns.csv").iloc[0]
    context = design(2, 1).to_dict("records")[0]
    fixed = {"structure.residents_per_community": 200}
    context.update(fixed)
    pattern = patterns.BY_ID["party_outreach"]
    values = {arm: run(patterns.scenario_for(pattern, arm, context, 1, 12, fixed),
                       replicates=2).summary["participation_nonparty_last12"].to_numpy()
              for arm in pattern.arms}
    assert row["effect"] == pytest.approx((values["contacts"] - values["no_contacts"]).mean())


@pytest.mark.parametrize("bad", [
    ["--contexts", "0"], ["--replicates", "1"], ["--workers", "0"], ["--months", "0"],
])
def test_bad_numbers_exit_2(bad, tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["patterns", *bad, "--out", str(tmp_path / "out")])
    assert exit_.value.code == 2 and "usage:" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("bad, says", [
    (["--pattern", "no_such_pattern"], "no_such_pattern"),
    (["--set", "policy.no_such_lever=1"], "no_such_lever"),
    (["--set", "policy.devolution=2"], "devolution"),
    (["--set", "seed=3"], "--seed"),
])
def test_bad_input_exits_2_with_a_message_and_no_traceback(bad, says, tmp_path, capsys) -> None:
    code = cli.main(["patterns", *TINY, *bad, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and says in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_non_empty_out_dir_exits_2(tmp_path, capsys) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    assert cli.main(["patterns", *TINY, "--out", str(tmp_path)]) == 2
    assert "choose another --out" in capsys.readouterr().err
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_strict_exits_1_when_a_pattern_holds_rarely(tmp_path) -> None:
    """With no fund there is nothing for devolution to decide: top_down_dependency cannot
    hold, so --strict fails while the report itself succeeds."""
    args = ["patterns", *TINY, "--pattern", "top_down_dependency",
            "--set", "policy.fund_per_community=0"]
    assert cli.main([*args, "--out", str(tmp_path / "a")]) == 0
    assert cli.main([*args, "--strict", "--out", str(tmp_path / "b")]) == 1


def test_base_scenarios_load() -> None:
    for p in CATALOGUE:
        assert isinstance(patterns.base_scenario(p.scenario), Scenario)


def test_odd_pattern_table_is_the_catalogue() -> None:
    from sim import odd_table

    text = (Path(__file__).resolve().parents[1] / "docs" / "ODD.md").read_text(encoding="utf-8")
    block = odd_table.current_block(text, odd_table.PATTERNS_START, odd_table.PATTERNS_END)
    assert block == patterns.render_table(), "ODD §9.4 is stale: run python -m sim.odd_table"
    assert all(f"`{p.id}`" in block for p in CATALOGUE)
