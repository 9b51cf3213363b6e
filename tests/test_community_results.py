"""Results per community (issue 14): sim/metrics.py's per-community observation and summary,
CoGovModel.community_timeseries/community_summary, and the runner's community rows."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from worlds import scenario

from sim import labels, metrics, runner
from sim.model import CoGovModel

# two street offices × three communities of 300 adults, with money moving every way the
# metrics count it: the fund, points redeemed, a foundation, bought services
SPREAD_OUT = {"street_offices": 2, "communities_per_street": 3, "residents_per_community": 300,
              "social_orgs_per_10k": 40.0}
BUSY = {"purchase_share": 0.8, "foundation": True, "transparency": 0.7,
        "incentive": {"scheme": "points"}}


def busy_world(months: int = 14, **structure):
    return scenario(months=months, structure={**SPREAD_OUT, **structure}, **BUSY)


def district_from(rows: np.ndarray, m: CoGovModel) -> dict[str, float]:
    """The district's metrics from the communities' (C, M) row, by the rule each metric
    declares in ``metrics.COMMUNITY_AGGREGATION``; group sizes read from the residents now."""
    r, layout = m.residents, m.layout
    of, n = layout.community, layout.n_communities
    col = {name: rows[:, j] for j, name in enumerate(metrics.METRICS)}
    groups = {"local": ~r.migrant, "migrant": r.migrant, "party": r.party,
              "nonparty": ~r.party, "youth": r.age_group == 0, "adult": r.age_group == 1,
              "elder": r.age_group == 2}
    weights = {"adults": layout.community_size.astype(float),
               "delivered": m.communities.delivered.astype(float),
               **{g: np.bincount(of[mask], minlength=n).astype(float)
                  for g, mask in groups.items()}}
    out = {}
    for name, rule in metrics.COMMUNITY_AGGREGATION.items():
        if rule == "sum":
            out[name] = col[name].sum()
        elif rule == "pooled":
            size = weights["adults"]
            mean = np.average(col["mean_trust"], weights=size)
            out[name] = np.sqrt((size * (col[name] ** 2 + (col["mean_trust"] - mean) ** 2)).sum()
                                / size.sum())
        else:
            w = weights[rule]
            out[name] = np.average(col[name], weights=w) if w.sum() else 0.0
    return out


def test_every_metric_has_an_aggregation_rule():
    assert set(metrics.COMMUNITY_AGGREGATION) == set(metrics.METRICS)


def test_the_communities_add_up_to_the_district_every_month():
    # the per-community code against the district code: weighted means, sums and the pooled
    # spread of the six communities give the district's figure in each of 14 months
    m = CoGovModel(busy_world())
    seen = {name: 0.0 for name in metrics.METRICS}
    for _ in range(14):
        m.step()
        rows = m.observer.community_history[-1]
        assert rows.shape == (6, len(metrics.METRICS))
        for name, value in district_from(rows, m).items():
            assert value == pytest.approx(m.current[name], rel=1e-9, abs=1e-9), (m.month, name)
            seen[name] = max(seen[name], abs(value))
    # the premise: the run moved money, delivered projects and kept organizations, so the
    # identity was checked on numbers that are not all zero
    for name in ("fund_spent", "fund_leaked", "incentive_paid", "foundation_balance",
                 "projects_delivered", "social_orgs_active", "delivered_quality",
                 "participation_migrant", "mean_trust", "sd_trust"):
        assert seen[name] > 0, name
    # and the communities differ: the identity is not one community's value six times
    last = m.observer.community_history[-1]
    assert np.ptp(last[:, metrics.METRICS.index("participation_any")]) > 0


def test_professional_organizations_count_by_the_share_of_their_street_s_adults():
    # a street's three equal communities each count a third of its professional organizations
    m = CoGovModel(busy_world(months=2)).run()
    rows = m.observer.community_history[-1]
    active = rows[:, metrics.METRICS.index("social_orgs_active")]
    zombie = rows[:, metrics.METRICS.index("social_orgs_zombie")]
    for street in range(2):
        own = [org for org in m.orgs.professionals() if org.street == street]
        assert len(own) > 0
        mine = m.layout.street_of_community == street
        assert active[mine] + zombie[mine] == pytest.approx([len(own) / 3] * 3)


def test_community_timeseries_is_tidy_and_named_by_the_default_rule():
    m = CoGovModel(busy_world(months=3)).run()
    frame = m.community_timeseries()
    assert list(frame.columns) == ["month", "street_office", "community", *metrics.METRICS]
    assert len(frame) == 3 * 6
    first = frame[frame.month == 1]
    assert list(first.community) == ["1-1", "1-2", "1-3", "2-1", "2-2", "2-3"]
    assert list(first.street_office) == ["1", "1", "1", "2", "2", "2"]
    assert np.array_equal(frame[list(metrics.METRICS)].to_numpy()[-6:],
                          m.observer.community_history[-1])


def test_names_come_from_the_layout_when_it_has_them():
    layout = SimpleNamespace(street_of_community=np.array([0, 0, 1]),
                             street_names=("Xinyang", "Songyu"),
                             community_names=("Haicang-1", "Haicang-2", "Songyu-1"))
    assert metrics.community_names(layout) == (("Xinyang", "Xinyang", "Songyu"),
                                               ("Haicang-1", "Haicang-2", "Songyu-1"))
    uneven = SimpleNamespace(street_of_community=np.array([0, 1, 1, 1, 2]))
    assert metrics.community_names(uneven) == (("1", "2", "2", "2", "3"),
                                               ("1-1", "2-1", "2-2", "2-3", "3-1"))


def test_one_community_is_the_district_to_the_bit():
    m = CoGovModel(scenario(months=14, structure={"communities_per_street": 1}, **BUSY)).run()
    district = m.timeseries()
    community = m.community_timeseries()
    for name in metrics.METRICS:
        assert np.array_equal(community[name].to_numpy(dtype=float),
                              district[name].to_numpy(dtype=float)), name
    summary = m.summary()
    for name in metrics.COMMUNITY_SPREAD:
        assert summary[f"{name}_community_min"] == summary[name]
        assert summary[f"{name}_community_range"] == 0.0
    own = m.community_summary().iloc[0]
    for name in metrics.summary_names():
        if name not in metrics.spread_names():
            assert own[name] == summary[name] or (np.isnan(own[name]) and np.isnan(summary[name]))


def test_community_summary_rows_and_the_spread_across_them():
    m = CoGovModel(busy_world(months=24)).run()
    table = m.community_summary()
    assert list(table.columns) == ["street_office", "community", *metrics.summary_names()]
    assert len(table) == 6
    assert table[metrics.spread_names()].isna().all().all()  # a district's figure
    assert table["representation_gap"].notna().all()
    assert (table["yuan_paid_total"] > 0).all()
    summary = m.summary()
    for name in metrics.COMMUNITY_SPREAD:
        low, spread = summary[f"{name}_community_min"], summary[f"{name}_community_range"]
        assert spread > 0  # six communities of 300 adults never tie
        # equal communities: the district's adult-weighted mean lies between them
        if name != "participation_migrant_last12":
            assert low <= summary[name] <= low + spread
    # the money of the communities adds up to the district's over the whole run
    assert table["yuan_paid_total"].sum() == pytest.approx(summary["yuan_paid_total"], rel=1e-9)


def test_spread_names_are_summary_names_with_labels_and_ranges():
    names = metrics.summary_names()
    for name in metrics.spread_names():
        assert name in names
        assert labels.label(name, "zh") != labels.label(name, "en")
        assert labels.unit(name, "en")
    assert metrics.range_of("mean_trust_last12_community_min") == (0.0, 1.0)
    assert metrics.range_of("fund_spent_last12") == (0.0, float("inf"))
    assert metrics.range_of("participation_any_last12_community_range") == (0.0, 1.0)


# ------------------------------------------------------------------------------ runner rows
def test_without_a_table_the_outputs_are_unchanged(monkeypatch):
    s = busy_world(months=3)
    assert not runner.has_communities(s)
    ts, summary = runner.replicate_frames(s, 0)
    plain_ts, row = runner.run_replicate(s, 0)
    assert "level" not in ts and "level" not in summary
    pd.testing.assert_frame_equal(ts, plain_ts)
    assert len(summary) == 1 and summary.iloc[0]["participation_any_last12"] == row[
        "participation_any_last12"]


def test_has_communities_reads_structure_communities():
    assert runner.has_communities(SimpleNamespace(structure=SimpleNamespace(communities=("a",))))
    assert not runner.has_communities(SimpleNamespace(structure=SimpleNamespace(communities=None)))
    assert not runner.has_communities(SimpleNamespace(structure=SimpleNamespace()))


@pytest.fixture
def tabled(monkeypatch):
    """Runs of ``busy_world`` as if its communities came from a table."""
    monkeypatch.setattr(runner, "has_communities", lambda scenario: True)
    return busy_world(months=13)


def test_a_table_s_outputs_carry_one_row_per_community(tabled, tmp_path):
    result = runner.run(tabled, replicates=2)
    ts, summary = result.timeseries, result.summary
    assert list(ts.columns[:7]) == [*runner.ID_COLUMNS, *runner.LEVEL_COLUMNS, "month"]
    assert list(summary.columns[:6]) == [*runner.ID_COLUMNS, *runner.LEVEL_COLUMNS]
    assert (ts.level == "district").sum() == 2 * 13
    assert (ts.level == "community").sum() == 2 * 13 * 6
    assert (summary.level == "district").sum() == 2 and (summary.level == "community").sum() == 12
    district = summary[summary.level == "district"]
    assert (district.community == "").all() and (district.street_office == "").all()
    assert set(summary[summary.level == "community"].community) == {
        "1-1", "1-2", "1-3", "2-1", "2-2", "2-3"}
    # the district rows are the run's district numbers, whatever rows sit beside them
    plain_ts, row = runner.run_replicate(tabled, 1)
    pd.testing.assert_frame_equal(runner.district_rows(ts).query("replicate == 1")
                                  .reset_index(drop=True), plain_ts,
                                  check_dtype=False)  # counts become floats beside shares
    # tables of means read the district's rows only
    table = runner.summary_table(summary)
    assert (table.n == 2).all()
    spread = ["participation_any_last12_community_min",
              "participation_any_last12_community_range"]
    compared = runner.compare_table(summary, spread)
    assert list(compared.metric) == spread and compared["mean"].notna().all()
    assert compared["label_en"].str.contains("communit").all()
    out = runner.write_outputs(tmp_path / "out", result, ["test"], plots=False)
    written = pd.read_csv(out / "summary.csv", keep_default_na=False)
    assert list(written.level) == list(summary.level)
    assert len(pd.read_parquet(out / "timeseries.parquet")) == len(ts)


def test_cost_effectiveness_per_community_adds_up_to_the_district(tabled):
    # each community is paired with itself in the no-fund run: its extra yuan are its own, so
    # the communities' extra yuan add up to the district's, and the district's rows are what
    # the district's summaries alone give
    from sim import cost_effectiveness

    result = runner.run(tabled, replicates=2)
    table = cost_effectiveness.evaluate(result)
    assert list(table.columns[:4]) == ["scenario", *runner.LEVEL_COLUMNS]
    district = table[table.level == "district"]
    communities = table[table.level == "community"]
    assert len(district) == len(cost_effectiveness.METRICS)
    assert len(communities) == 6 * len(cost_effectiveness.METRICS)
    extra = communities.groupby("metric", sort=False)["yuan"].sum()
    assert extra.to_numpy() == pytest.approx(district["yuan"].to_numpy(), rel=1e-9)
    assert (district["yuan"] > 0).all()
    matched = runner.run(cost_effectiveness.no_fund_counterpart(tabled), replicates=2)
    alone = cost_effectiveness.effects(runner.district_rows(result.summary),
                                       runner.district_rows(matched.summary),
                                       scenario=tabled.name)
    pd.testing.assert_frame_equal(district.drop(columns=list(runner.LEVEL_COLUMNS))
                                  .reset_index(drop=True), alone)


def test_a_real_table_gives_named_uneven_communities_that_add_up(tmp_path):
    # uneven communities from a table: a migrant-heavy resettled village beside an old local
    # community and an estate; the outputs carry their names and the identity still holds
    from sim.scenario import Scenario

    (tmp_path / "communities.csv").write_text(
        "name,street_office,residents,population.migrant_share,policy.fund_per_community\n"
        "Old town,Haicang,200,0.1,200000\nVillage,Haicang,500,0.8,0\n"
        "Estate,Songyu,300,0.4,200000\n", encoding="utf-8")
    (tmp_path / "d.yaml").write_text(
        "name: d\nseed: 3\nmonths: 13\nstructure:\n  communities: communities.csv\n"
        "policy: {purchase_share: 0.8, foundation: true, incentive: {scheme: points}}\n",
        encoding="utf-8")
    s = Scenario.load(tmp_path / "d.yaml")
    assert runner.has_communities(s)
    m = CoGovModel(s)
    for _ in range(13):
        m.step()
        for name, value in district_from(m.observer.community_history[-1], m).items():
            assert value == pytest.approx(m.current[name], rel=1e-9, abs=1e-9), (m.month, name)
    table = m.community_summary()
    assert list(table.community) == ["Old town", "Village", "Estate"]
    assert list(table.street_office) == ["Haicang", "Haicang", "Songyu"]
    assert table.set_index("community").loc["Village", "yuan_paid_total"] < table.set_index(
        "community").loc["Old town", "yuan_paid_total"]  # the village has no fund
    result = runner.run(s, replicates=1)
    assert list(result.summary.level) == ["district", "community", "community", "community"]
    assert list(result.summary.community) == ["", "Old town", "Village", "Estate"]
