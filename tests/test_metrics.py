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


def test_final_of_a_seasonal_activity_is_its_last_open_month():
    """A 60-month run ends in an evaluation month (cycle month 12), when nobody can deliberate
    or monitor; their ``_final`` is the last month they were open, not a structural zero."""
    m = CoGovModel(scenario(months=24, devolution=1.0, fund_per_community=200_000,
                            transparency=0.9, admin_items=69, service_focus=0.9))
    m.run()
    ts, summary = m.timeseries(), m.summary()
    assert ts["participation_deliberate"].iloc[-1] == 0.0  # the premise: month 24 is closed
    assert summary["participation_deliberate_final"] == ts["participation_deliberate"].iloc[14]
    assert summary["participation_deliberate_final"] > 0.0
    assert summary["participation_monitor_final"] == ts["participation_monitor"].iloc[22]
    assert summary["participation_monitor_final"] > 0.0
    assert summary["participation_volunteer_final"] == ts["participation_volunteer"].iloc[-1]
