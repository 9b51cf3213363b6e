"""The patterns of MODEL.md §9, each over replicates with a two-standard-error margin.

Pattern-oriented modelling (Grimm et al. 2005): with default behaviour coefficients one
parameter set must reproduce all four at once. Each test runs two scenarios that differ only in
the levers the pattern names, on the same replicate seeds (common random numbers: the same
residents and network), and requires the mean paired difference to exceed two standard errors.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from sim.runner import run
from sim.scenario import Scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
REPLICATES = 20
SEED = 2024


@cache
def summaries(name: str, **overrides) -> list[dict[str, float]]:
    scenario = Scenario.load(SCENARIOS / f"{name}.yaml")
    if overrides:
        scenario = scenario.with_overrides({k.replace("__", "."): v for k, v in overrides.items()})
    return run(scenario, seed=SEED, replicates=REPLICATES, workers=2).summary.to_dict("records")


def paired(a: list[dict], b: list[dict], metric: str) -> tuple[float, float]:
    """Mean of a − b over paired replicates and its standard error."""
    diff = np.array([x[metric] - y[metric] for x, y in zip(a, b, strict=True)])
    return float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(len(diff)))


def assert_above(a: list[dict], b: list[dict], metric: str) -> None:
    mean, se = paired(a, b, metric)
    assert mean > 2 * se, f"{metric}: difference {mean:.4g} not above 2·SE = {2 * se:.4g}"


FUND = {"policy__fund_per_community": 200_000, "policy__devolution": 1.0}


def test_pattern1_fund_and_devolution_raise_participation():
    """§9.1: the fund as a lever (撬板): fund + devolution lift participation above baseline."""
    reformed, baseline = summaries("baseline", **FUND), summaries("baseline")
    assert_above(reformed, baseline, "participation_any_last12")
    assert_above(reformed, baseline, "participation_deliberate_last12")


def test_pattern2_top_down_breeds_dependency_and_costs_more():
    """§9.2: the same money spent top-down (devolution 0) raises dependency (靠等要) and costs
    more yuan per unit of satisfaction than devolved allocation."""
    # four communities: a cycle funds only 2–3 projects per community, so one community's
    # satisfaction gain is noisy; the pattern concerns the allocation rule, not the draw
    top_down = summaries("chengdu_reform", policy__devolution=0.0,
                         structure__communities_per_street=4)
    devolved = summaries("chengdu_reform", structure__communities_per_street=4)
    assert_above(top_down, devolved, "mean_dependency_final")
    assert_above(top_down, devolved, "yuan_per_satisfaction")


def test_pattern3_migrants_take_part_less_and_grids_narrow_the_gap():
    """§9.3: migrants take part less than locals at baseline; grid outreach narrows the
    representation gap (migrant share of adults − migrant share of participants)."""
    base = summaries("baseline")
    migrant = [{"x": s["participation_local_last12"] - s["participation_migrant_last12"]}
               for s in base]
    mean, se = paired(migrant, [{"x": 0.0}] * len(migrant), "x")
    assert mean > 2 * se
    no_grid = summaries("baseline", policy__grid__workers_per_grid=0)
    grid = summaries("baseline", policy__grid__workers_per_grid=2)
    assert_above(no_grid, grid, "representation_gap")


def test_pattern4_party_outreach_raises_non_party_participation():
    """§9.4: party members' outreach (党员联系户) raises non-party residents' participation."""
    outreach = summaries("baseline", policy__party__contacts_per_month=6)
    none = summaries("baseline", policy__party__contacts_per_month=0)
    assert_above(outreach, none, "participation_nonparty_last12")
    assert_above(outreach, none, "participation_party_last12")


@pytest.mark.parametrize("metric", ["participation_any_last12", "mean_trust_last12"])
def test_patterns_use_independent_replicates(metric):
    """The margin is meaningful only if replicates differ: guard against a seeding bug."""
    values = [s[metric] for s in summaries("baseline")]
    # participation shares are counts / adults, so two replicates may tie by chance; a seeding
    # bug would make (nearly) all of them equal
    assert len(set(values)) >= 0.8 * REPLICATES
