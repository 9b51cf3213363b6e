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
AT_THE_FILES = pd.DataFrame({"context": [0]})
"""One context that overrides nothing: each pattern's scenario file as shipped."""

EVERYWHERE = [p.id for p in patterns.CATALOGUE if not p.optional and p.id != "migrant_gap"]
"""Patterns that must hold at the shipped scenarios. ``migrant_gap``'s grid half does not (ODD
§9.4: visits go to the vulnerable and to newcomers, as seed 003 says, not to migrants as such,
and narrow the gap by about 0.2 points, under its 0.5-point floor); its first half is checked
below."""


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
