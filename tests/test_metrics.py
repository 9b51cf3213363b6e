"""sim/metrics.py (MODEL.md §8): metrics.Observer's monthly metrics are what their names say."""

from __future__ import annotations

import pytest
from worlds import scenario

from sim.model import CoGovModel


def test_group_metrics_are_shares_of_their_groups():
    m = CoGovModel(scenario(months=3))
    r = m.residents
    for _ in range(2):
        m.step()
        took = r.took_any
        groups = {"local": ~r.migrant, "migrant": r.migrant, "party": r.party,
                  "nonparty": ~r.party, "youth": r.age_group == 0, "adult": r.age_group == 1,
                  "elder": r.age_group == 2}
        for name, mask in groups.items():
            assert m.current[f"participation_{name}"] == pytest.approx(took[mask].mean())
        assert m.current["participation_any"] == pytest.approx(took.mean())
        for a, name in enumerate(("deliberate", "volunteer", "monitor")):
            assert m.current[f"participation_{name}"] == pytest.approx(r.took[:, a].mean())
        assert m.current["mean_trust"] == pytest.approx(r.trust.mean())
        assert m.current["mean_degree"] == pytest.approx(m.network.degree.mean())
