"""The patterns of ODD §9 at the shipped scenarios, judged by the catalogue's own floors.

Pattern-oriented modelling (Grimm et al. 2005): one parameter set must reproduce every pattern
at once. Each pattern of ``sim.patterns.CATALOGUE`` is evaluated in one context — its scenario
file's own values — over 10 paired replicates (common random numbers), and must pass its
effect-size floor (or ceiling) and two standard errors: a 0.004 difference at 23 standard errors
does not count. Whether the patterns hold *across* contexts is ``cogov patterns`` (§9.4; the hold
rates are in the ODD), too slow for the suite.
"""

from __future__ import annotations

from functools import cache

import pandas as pd
import pytest

from sim import patterns

REPLICATES = 10
SEED = 2024
AT_THE_FILES = pd.DataFrame({"context": [0], "policy.fund_per_community": [200_000]})
"""One context: each pattern's scenario file as shipped, with the Chengdu floor of 200,000 yuan a
year where a pattern's arms leave the fund to the context (the baseline file has none)."""

EVERYWHERE = [p.id for p in patterns.CATALOGUE
              if not p.optional
              and p.id not in ("migrant_gap", "purchase_capable", "fund_lever")]
"""Patterns that must hold at the shipped scenarios. Not these two (ODD §9.4): ``migrant_gap``'s
grid half fails by mechanism (visits go to the vulnerable and to newcomers, as seed 003 says, not
to migrants as such; about 0.1–0.3 points of narrowing, under the 0.5-point floor) — its first
half is checked below; ``purchase_capable`` holds in under half of the contexts and, in one
community of 2,000 adults, is inside its noise (±0.03 of needs met at 10 replicates) — its
mechanism is checked by the knockouts of tests/test_organizations.py (capable organizations raise
delivered quality, weak ones lower it). ``fund_lever`` starts from the baseline, whose government
is unreformed: there the fund and a council are exactly the nominal devolution of pattern 5 and
gain little (+0.17 points); the fund is a lever where the committee can use it, checked below with
the reform's 归位 and disclosure."""


@cache
def evaluation() -> pd.DataFrame:
    chosen = [p for p in patterns.CATALOGUE if not p.optional]
    return patterns.evaluate(chosen, AT_THE_FILES, replicates=REPLICATES, seed=SEED,
                             workers=2).rows


@pytest.mark.slow
@pytest.mark.parametrize("pattern", EVERYWHERE)
def test_pattern_holds_at_the_shipped_scenarios(pattern):
    rows = evaluation()
    rows = rows[rows["pattern"] == pattern]
    failing = rows[~rows["holds"]]
    assert failing.empty, "\n".join(
        f"{r.measure} ({r.compared}): {r.effect:.4g} [{r.ci_low:.4g}, {r.ci_high:.4g}], "
        f"rule {r.rule}"
        for r in failing.itertuples())


@pytest.mark.slow
def test_the_fund_is_a_lever_once_the_government_reforms():
    """Pattern 1 with the reform's 归位 and disclosure (service focus 0.8, 69 admin items,
    transparency 0.66) around the baseline's other settings."""
    reformed = pd.DataFrame({"context": [0], "policy.fund_per_community": [200_000],
                             "policy.service_focus": [0.8], "policy.admin_items": [69],
                             "policy.transparency": [0.66]})
    rows = patterns.evaluate([patterns.BY_ID["fund_lever"]], reformed, replicates=REPLICATES,
                             seed=SEED, workers=2).rows
    assert rows["holds"].all(), rows[["effect", "ci_low", "ci_high"]].to_string()


@pytest.mark.slow
def test_migrants_take_part_less_than_locals():
    rows = evaluation()
    first = rows[(rows["pattern"] == "migrant_gap") & (rows["check"] == 1)]
    assert first["holds"].all()


@pytest.mark.slow
def test_the_replicates_differ():
    """The margins mean something only if replicates differ: guard against a seeding bug
    (identical replicates would give SE 0 and every nonzero difference would 'hold')."""
    rows = evaluation()
    assert (rows["se"] > 0).all()


def test_the_central_context_is_the_middle_of_every_range():
    centre = patterns.central_context()
    assert len(centre) == 1 and centre["context"].iloc[0] == 0
    for v in patterns.CONTEXT:
        value = centre[v.key].iloc[0]
        assert v.low <= value <= v.high
        assert abs(value - (v.low + v.high) / 2) <= (0.5 if v.integer else 1e-9)
