"""sim/cost_effectiveness.py and intervals.ratio_interval: what the fund buys per 10,000 yuan,
against the same replicates with no fund (issue 9 §9)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from worlds import scenario

from sim import cli, cost_effectiveness, intervals
from sim.runner import run


def test_ratio_interval_covers_the_ratio_of_means_at_its_level():
    """Delta-method t interval of mean(a)/mean(b) over paired replicates: in 4,000 simulated
    experiments of 8 replicates with a true ratio of 0.5, it covers 0.5 in 93–97% of them."""
    rng = np.random.default_rng(5)
    spending = rng.normal(600_000, 60_000, size=(4000, 8))
    gain = 0.5 * spending + rng.normal(0, 40_000, size=(4000, 8))
    found = [intervals.ratio_interval(g, s) for g, s in zip(gain, spending, strict=True)]
    covered = [iv.low <= 0.5 <= iv.high for iv in found]
    assert 0.93 <= np.mean(covered) <= 0.97


def test_ratio_interval_has_no_ratio_when_nothing_was_spent():
    iv = intervals.ratio_interval([0.1, 0.2], [0.0, 0.0])
    assert np.isnan(iv.mean) and np.isnan(iv.low)


def test_counterpart_has_no_fund_at_any_month_and_keeps_other_changes():
    s = scenario(months=24, schedule=[{"month": 13, "set": {"fund_per_community": 400_000,
                                                             "transparency": 0.9}}])
    c = cost_effectiveness.no_fund_counterpart(s)
    assert c.policy.fund_per_community == 0
    assert c.policy.schedule[0].set == {"fund_per_community": 0, "transparency": 0.9}
    assert c.policy.devolution == s.policy.devolution and c.seed == s.seed


@pytest.fixture(scope="module")
def funded():
    s = scenario(months=24, fund_per_community=200_000, devolution=1.0, admin_items=69,
                 service_focus=0.8, transparency=0.7)
    return run(s, replicates=4, workers=2)


def test_the_fund_buys_needs_met(funded):
    """Money buys projects that meet needs: at least 0.001 of the need-weighted share per 10,000
    yuan (a community of 300 adults spends ~200,000 a year), with an interval above 0."""
    table = cost_effectiveness.evaluate(funded, workers=2).set_index("metric")
    row = table.loc["needs_met_last12"]
    assert row.per_10k_yuan > 0.001 and row.ci_low > 0
    assert row.yuan > 100_000  # the extra spending it divides by is the fund's


def test_no_fund_means_no_ratio_and_no_second_run():
    result = run(scenario(months=12, fund_per_community=0), replicates=2)
    table = cost_effectiveness.evaluate(result)
    assert table["per_10k_yuan"].isna().all() and (table["yuan"] == 0).all()


def test_unlike_yuan_per_satisfaction_it_does_not_depend_on_the_starting_satisfaction():
    """yuan_per_satisfaction divides by the gain from population.satisfaction, a free
    parameter: +inf when the start is high. The matched measure stays finite."""
    s = scenario(months=24, fund_per_community=200_000, devolution=1.0, admin_items=69,
                 service_focus=0.8).with_overrides({"population.satisfaction": 0.95})
    result = run(s, replicates=2, workers=2)
    assert np.isinf(result.summary["yuan_per_satisfaction"]).all()
    table = cost_effectiveness.evaluate(result, workers=2)
    assert np.isfinite(table["per_10k_yuan"]).all()


def test_cli_writes_the_table(small_yaml, tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["run", str(small_yaml), "--replicates", "2", "--months", "12",
                     "--set", "policy.fund_per_community=200000", "--cost-effectiveness",
                     "--out", str(out)]) == 0
    table = pd.read_csv(out / "cost_effectiveness.csv")
    assert list(table.columns) == cost_effectiveness.COLUMNS
    assert "per 10,000 yuan" in capsys.readouterr().out
