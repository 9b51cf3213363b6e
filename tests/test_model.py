"""sim/model.py (MODEL.md §3 schedule, §5 initialization, §8 observation).

Hand-checkable wiring first (the fund calendar, policy timing, the organising gate), then
reproducibility and common random numbers, then invariants over random small scenarios
(hypothesis): shares and attitudes stay in [0, 1], nobody appears or disappears, and every yuan
of every cycle is accounted for, month by month and cycle by cycle.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sim import metrics
from sim.model import CoGovModel, replicate_rng
from sim.scenario import Scenario

FUND = 200_000.0
SMALL = {"residents_per_community": 300, "communities_per_street": 2}


def scenario(months: int = 15, seed: int = 3, structure=None, behavior=None,
             **policy) -> Scenario:
    return Scenario.from_dict({
        "seed": seed, "months": months, "structure": {**SMALL, **(structure or {})},
        "behavior": behavior or {},
        "policy": {"fund_per_community": FUND, "devolution": 0.8, "service_focus": 0.4,
                   **policy},
    })


def run(s: Scenario, rng=None) -> CoGovModel:
    return CoGovModel(s, rng=rng).run()


ATTITUDES = ("public_spirit", "efficacy", "trust", "dependency", "attachment", "satisfaction",
             "engagement", "needs_met")
SHARES = (*metrics.PARTICIPATION, *metrics.ATTITUDES, "needs_met")
COUNTS = ("self_orgs_active", "social_orgs_active", "social_orgs_zombie", "projects_delivered")
MONEY = ("fund_spent", "fund_leaked", "fund_carried", "foundation_balance")


# ------------------------------------------------------------------------------- calendar
def test_fund_calendar_in_the_timeseries():
    # vote in month 3 (money held from then), payments in months 4–11 and 16–23, projects
    # delivered in months 11 and 23, deliberation only in months 1–3 and 13–15
    s = scenario(months=24, admin_items=0)  # no admin burden: meetings can be held
    ts = run(s).timeseries()
    paid = set(ts.loc[ts.fund_spent > 0, "month"])
    assert paid == set(range(4, 12)) | set(range(16, 24))
    assert set(ts.loc[ts.projects_delivered > 0, "month"]) == {11, 23}
    assert (ts.loc[ts.month <= 2, "fund_carried"] == 0).all()
    assert (ts.loc[ts.month >= 3, "fund_carried"] > 0).all()  # devolved money left over
    deliberating = set(ts.loc[ts.participation_deliberate > 0, "month"])
    assert deliberating and deliberating <= {1, 2, 3, 13, 14, 15}
    monitoring = set(ts.loc[ts.participation_monitor > 0, "month"])
    assert monitoring and monitoring <= set(range(4, 12)) | set(range(16, 24))


def test_no_fund_no_money_and_no_projects():
    ts = run(scenario(months=14, fund_per_community=0)).timeseries()
    for name in ("fund_spent", "fund_leaked", "fund_carried", "projects_delivered"):
        assert (ts[name] == 0).all(), name
    assert (ts.participation_monitor == 0).all()  # nothing runs, nothing to monitor


def test_no_fund_means_no_projects_at_any_allowed_cost_spread():
    s = scenario(months=60, seed=1, structure={"communities_per_street": 5},
                 behavior={"project_cost_cv": 2.0}, fund_per_community=0)
    ts = run(s).timeseries()
    assert ts.projects_delivered.sum() == 0
    assert (ts.fund_carried >= 0).all()


def test_admin_burden_closes_deliberation_in_small_communities():
    # 300 residents: 18/10k · 300 · 160 h = 86.4 committee hours < 537 · 0.9 = 483.3 → gate 0
    hours = {"structure": {"community_workers_per_10k": 18, "hours_per_worker": 160},
             "behavior": {"hours_per_admin_item": 0.9, "deliberation_hours_per_resident": 0.2}}
    m = CoGovModel(scenario(months=3, **hours))
    assert np.all(m.gate == 0.0)
    assert (m.run().timeseries().participation_deliberate == 0).all()
    # 69 items: 86.4 − 62.1 = 24.3 h free of 0.2 · 300 = 60 needed → 0.405
    np.testing.assert_allclose(CoGovModel(scenario(months=3, admin_items=69, **hours)).gate,
                               0.405)
    # the gate follows a scheduled 归位 of admin items
    m = CoGovModel(scenario(months=3, schedule=[{"month": 2, "set": {"admin_items": 0}}],
                            **hours))
    m.step()
    assert np.all(m.gate == 0.0)
    m.step()
    np.testing.assert_allclose(m.gate, 1.0)  # 86.4 h free ≥ 60 needed


def test_devolution_zero_means_every_project_is_the_office_choice():
    m = run(scenario(months=15, devolution=0.0, admin_items=0))
    projects = [p for f in m.funds for p in f.projects]
    assert projects and all(p.chosen_by == "office" for p in projects)
    m = run(scenario(months=15, devolution=1.0, admin_items=0, service_focus=1.0))
    # σ = 1: no override, so what the council chose stands
    assert any(p.chosen_by == "council" for f in m.funds for p in f.projects)


def test_budget_grows_by_fund_growth_each_year():
    m = run(scenario(months=27, fund_growth=0.1))
    funds = [a.fund for a in m.funds[0].history]
    assert funds == pytest.approx([FUND, FUND * 1.1])
    assert m.funds[0].fund == pytest.approx(FUND * 1.21)  # year 3's budget, open


# ------------------------------------------------------------------------- policy timing
def test_scheduled_withdrawal_takes_effect_in_its_month():
    s = scenario(months=27, schedule=[{"month": 6, "set": {"fund_per_community": 0}}])
    m = CoGovModel(s)
    m.run(5)
    assert m.policy.fund_per_community == FUND
    m.step()
    assert m.policy.fund_per_community == 0
    m.run()
    for f in m.funds:
        assert [a.fund for a in f.history] == [FUND, 0.0]
        assert f.fund == 0.0  # the third cycle, opened in month 27, got no new money
        # what was left over is the only money after the withdrawal
        assert f.history[1].budget == pytest.approx(f.history[0].carried_out
                                                    + f.history[1].foundation_grant)


@pytest.mark.parametrize(("month", "first_year_fund"), [(3, 0.0), (4, FUND)])
def test_a_change_in_the_vote_month_counts_for_that_vote(month, first_year_fund):
    s = scenario(months=12, schedule=[{"month": month, "set": {"fund_per_community": 0}}])
    assert [a.fund for a in run(s).funds[0].history] == [first_year_fund]


def test_set_policy_applies_from_the_next_month():
    m = CoGovModel(scenario(months=12))
    m.run(2)
    m.set_policy({"fund_per_community": 0})
    assert m.policy.fund_per_community == FUND  # queued, not applied yet
    m.step()  # month 3: applied before the vote
    assert m.policy.fund_per_community == 0
    m.run()
    assert m.funds[0].history[0].fund == 0.0
    # after the vote it is too late for this year
    m = CoGovModel(scenario(months=12))
    m.run(3)
    m.set_policy({"fund_per_community": 0})
    m.run()
    assert m.funds[0].history[0].fund == FUND


def test_set_policy_rejects_bad_values_at_once_and_queues_nothing():
    m = CoGovModel(scenario(months=2))
    with pytest.raises(ValidationError):
        m.set_policy({"devolution": 1.5})
    m.step()
    assert m.policy.devolution == 0.8


def test_set_policy_equals_the_same_change_scheduled():
    scheduled = scenario(months=16, schedule=[{"month": 7, "set": {"transparency": 0.9,
                                                                   "incentive.scheme": "points"}}])
    a = run(scheduled).timeseries()
    m = CoGovModel(scenario(months=16), rng=replicate_rng(scheduled.seed, 0))
    m.run(6)
    m.set_policy({"transparency": 0.9, "incentive.scheme": "points"})
    pd.testing.assert_frame_equal(a, m.run().timeseries(), check_exact=True)


def test_service_focus_reset_only_when_service_focus_itself_changes():
    # resident evaluation raises σ in month 12; a month-13 change of another lever, or a
    # "change" of service_focus to the value it already had, leaves the raised σ alone
    base = dict(months=14, resident_evaluation=True, fund_per_community=0)
    other = run(scenario(**base, schedule=[{"month": 13, "set": {"devolution": 0.5}}]))
    raised = other.offices[0].service_focus
    assert raised > 0.4
    same = run(scenario(**base, schedule=[{"month": 13, "set": {"service_focus": 0.4}}]))
    assert same.offices[0].service_focus == raised
    reset = run(scenario(**base, schedule=[{"month": 13, "set": {"service_focus": 0.7}}]))
    assert reset.offices[0].service_focus == 0.7


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


def test_points_accumulate_per_activity():
    m = CoGovModel(scenario(months=6, incentive={"scheme": "points", "points_per_activity": 7}))
    assert m.incentive == pytest.approx(np.log1p(7 * 1 / 100 / 0.2))  # log(1 + yuan / yuan0)
    activities = np.zeros(len(m.residents))
    for _ in range(6):
        m.step()
        activities += m.residents.took.sum(axis=1)
    assert activities.sum() > 0
    np.testing.assert_allclose(m.residents.points, 7 * activities)


def test_without_transparency_leakage_is_the_base_rate():
    # oversight = transparency · monitoring share / full share = 0 → the base rate every month
    ts = run(scenario(months=11, transparency=0.0, behavior={"base_leakage": 0.25})).timeseries()
    paying = ts[ts.fund_spent > 0]
    assert len(paying) == 8
    share = paying.fund_leaked / (paying.fund_spent + paying.fund_leaked)
    np.testing.assert_allclose(share, 0.25)
    # with full transparency, monitoring cuts leakage below the base rate
    ts = run(scenario(months=11, transparency=1.0, behavior={"base_leakage": 0.25})).timeseries()
    paying = ts[ts.fund_spent > 0]
    assert (paying.fund_leaked / (paying.fund_spent + paying.fund_leaked) < 0.25).any()


def test_no_outreach_means_nobody_is_contacted():
    m = run(scenario(months=4, grid={"workers_per_grid": 0},
                     party={"contacts_per_month": 0}))
    assert np.all(m.residents.months_since_contact > m.scenario.behavior.recruit_memory)
    m = run(scenario(months=1, structure={"adults_per_household": 2.0},
                     grid={"workers_per_grid": 2, "visits_per_worker": 60,
                           "households_per_grid": 350}))
    # 150 households per community, one grid each: 2 · 60 = 120 households visited (240 adults)
    assert (m.residents.months_since_contact == 1).sum() >= 240


def test_dual_registration_lowers_the_cost_of_employed_party_members():
    a = CoGovModel(scenario(months=1))
    b = CoGovModel(scenario(months=1, party={"dual_registration": True}))
    r = a.residents
    relieved = r.party & r.employed
    assert relieved.any()
    relief = a.scenario.behavior.cost.dual_registration_relief
    assert relief > 0
    np.testing.assert_allclose(a.cost[relieved] - b.cost[relieved],
                               np.minimum(relief, a.cost[relieved]))
    np.testing.assert_array_equal(a.cost[~relieved], b.cost[~relieved])


# ----------------------------------------------------------------------- reproducibility
def test_same_scenario_and_rng_give_bit_identical_runs():
    s = scenario(months=18, purchase_share=0.5, foundation=True, foundation_match=1.0,
                 incentive={"scheme": "points"}, training_rate=0.2)
    a = run(s, replicate_rng(s.seed, 2)).timeseries()
    b = run(s, replicate_rng(s.seed, 2)).timeseries()
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_default_rng_is_replicate_zero_of_the_scenario_seed():
    s = scenario(months=6)
    pd.testing.assert_frame_equal(run(s).timeseries(), run(s, replicate_rng(s.seed, 0))
                                  .timeseries(), check_exact=True)


def test_different_seeds_and_replicates_differ():
    s = scenario(months=6)
    base = run(s).timeseries()
    for other in (run(s, replicate_rng(s.seed, 1)), run(scenario(months=6, seed=4))):
        assert not base.equals(other.timeseries())


def test_replicate_rng_is_the_spawned_child():
    for seed, r in ((0, 0), (7, 3), (2**40, 1)):
        child = np.random.SeedSequence(seed).spawn(r + 2)[r]
        expected = np.random.Generator(np.random.PCG64(child)).random(5)
        np.testing.assert_array_equal(replicate_rng(seed, r).random(5), expected)


POPULATION_ARRAYS = ("migrant", "age_group", "employed", "care_duty", "party", "needs",
                     "public_spirit", "efficacy", "trust", "attachment")


@pytest.mark.parametrize("lever", [
    {"devolution": 0.0},
    {"fund_per_community": 0},
    {"incentive": {"scheme": "time_bank"}},
    {"grid": {"workers_per_grid": 3, "households_per_grid": 100}},
    {"party": {"contacts_per_month": 0, "dual_registration": True}},
    {"foundation": True, "foundation_match": 1.0, "purchase_share": 1.0},
])
def test_common_random_numbers_same_residents_and_network(lever):
    a = CoGovModel(scenario(months=6))
    b = CoGovModel(scenario(months=6, **lever))
    for name in POPULATION_ARRAYS:
        np.testing.assert_array_equal(getattr(a.residents, name), getattr(b.residents, name))
    assert (a.network.matrix != b.network.matrix).nnz == 0
    assert len(a.organizations) == len(b.organizations)


def test_a_lever_that_changes_fund_draws_leaves_participation_draws_alone():
    # purchase_share changes how many draws the fund stream makes (contractor choice) but
    # cannot reach residents before the first evaluation (month 12): months 1–11 must match
    structure = {"social_orgs_per_10k": 100}
    a = run(scenario(months=11, structure=structure, purchase_share=0.0)).timeseries()
    b_model = run(scenario(months=11, structure=structure, purchase_share=1.0))
    assert any(not isinstance(p.implementer, type(b_model.offices[0]))
               for f in b_model.funds for p in f.projects)  # organizations did get contracts
    b = b_model.timeseries()
    cols = [*metrics.PARTICIPATION, *metrics.ATTITUDES]
    pd.testing.assert_frame_equal(a[cols], b[cols], check_exact=True)


def test_candidate_projects_do_not_depend_on_purchase_share():
    def menus(purchase_share):
        m = run(scenario(months=3, seed=1, structure={"residents_per_community": 2000,
                                                      "communities_per_street": 3},
                         devolution=0.0, admin_items=0, fund_per_community=300_000,
                         purchase_share=purchase_share))
        return [sorted(p.cost for p in f.projects) for f in m.funds]

    assert menus(0.0) == menus(1.0)


# -------------------------------------------------------------------- resident evaluation
def test_without_resident_evaluation_sigma_stays_at_the_policy_value():
    # regression: the office once went through SocialOrganization-style evaluation for each
    # project it delivered (StreetOffice.evaluated(quality)), so σ jumped 0.4 → 0.92 in every
    # funded scenario, resident evaluation or not
    m = run(scenario(months=12))
    assert any(p.implementer is m.offices[0] and p.delivered for f in m.funds
               for p in f.projects)
    assert m.offices[0].service_focus == 0.4
    assert np.isnan(m.offices[0].performance_score)


def test_resident_evaluation_raises_sigma_once_by_the_accountability_rule():
    # σ += η (1 − S̄)(1 − σ) once, in month 12, with S̄ the street's mean satisfaction then
    # (evaluation comes before this month's attitude update, so S̄ is last month's)
    m = CoGovModel(scenario(months=12, resident_evaluation=True))
    m.run(11)
    s_bar = m.residents.satisfaction.mean()
    m.step()
    office = m.offices[0]
    eta = m.scenario.behavior.sigma_accountability
    assert office.performance_score == pytest.approx(s_bar)
    assert office.service_focus == pytest.approx(0.4 + eta * (1 - s_bar) * 0.6)


def test_resident_evaluation_raises_sigma_when_satisfaction_is_low():
    # with no fund the street office implements nothing, so only §7.7 moves σ
    m = CoGovModel(scenario(months=12, resident_evaluation=True, fund_per_community=0))
    m.run(11)
    s_bar = m.residents.satisfaction.mean()
    assert m.offices[0].service_focus == 0.4
    m.step()
    office = m.offices[0]
    assert 0 < s_bar < 0.8
    assert office.performance_score == pytest.approx(s_bar)
    eta = m.scenario.behavior.sigma_accountability
    assert eta > 0
    assert office.service_focus == pytest.approx(0.4 + eta * (1 - s_bar) * 0.6)
    assert run(scenario(months=12, fund_per_community=0)).offices[0].service_focus == 0.4


# --------------------------------------------------------------------- ledger reconciliation
def check_ledger(m: CoGovModel, ts: pd.DataFrame) -> None:
    """Every closed cycle balances; cycles chain; the monthly flows add up to the ledgers."""
    for f in m.funds:
        for k, account in enumerate(f.history):
            assert account.year == k
            assert abs(account.budget - (account.spent + account.leaked
                                         + account.carried_out)) <= 1.0
            assert account.budget == pytest.approx(account.fund + account.foundation_grant
                                                   + account.carried_in, abs=1e-6)
            assert account.carried_out >= -1e-6  # never more paid out than held
            assert min(account.spent, account.leaked, account.fund,
                       account.foundation_grant) >= 0
        for before, after in zip(f.history, f.history[1:], strict=False):
            assert after.carried_in == pytest.approx(before.carried_out, abs=1e-6)
    for year in range(max((len(f.history) for f in m.funds), default=0)):
        months = ts.month.between(12 * year + 1, 12 * year + 12)
        for kind in ("spent", "leaked"):
            flow = ts.loc[months, f"fund_{kind}"].sum()
            ledger = sum(getattr(f.history[year], kind) for f in m.funds)
            assert flow == pytest.approx(ledger, rel=1e-9, abs=1e-6), (year, kind)


def test_ledger_reconciles_over_three_cycles_with_foundation():
    s = scenario(months=36, foundation=True, foundation_match=0.5, fund_growth=0.05,
                 purchase_share=0.5, admin_items=0)
    m = run(s)
    ts = m.timeseries()
    check_ledger(m, ts)
    assert all(len(f.history) == 3 for f in m.funds)
    assert any(a.foundation_grant > 0 for f in m.funds for a in f.history)
    # money in = money out + money still held
    for f in m.funds:
        money_in = sum(a.fund + a.foundation_grant for a in f.history)
        money_out = sum(a.spent + a.leaked for a in f.history)
        assert money_in == pytest.approx(money_out + f.history[-1].carried_out)


# ------------------------------------------------------------------------ random scenarios
@st.composite
def small_scenarios(draw):
    streets = draw(st.integers(1, 2))
    per_street = draw(st.integers(1, 2))
    size = draw(st.integers(100, 600 // (streets * per_street)))
    policy = {
        "devolution": draw(st.floats(0, 1)),
        "transparency": draw(st.floats(0, 1)),
        "fund_per_community": draw(st.sampled_from([0.0, 50_000.0, 200_000.0, 1_000_000.0])),
        "fund_growth": draw(st.floats(0, 0.3)),
        "service_focus": draw(st.floats(0, 1)),
        "admin_items": draw(st.integers(0, 600)),
        "purchase_share": draw(st.floats(0, 1)),
        "training_rate": draw(st.floats(0, 1)),
        "resident_evaluation": draw(st.booleans()),
        "incentive": {
            "scheme": draw(st.sampled_from(["none", "points", "time_bank", "recognition"])),
            "points_per_activity": draw(st.floats(0, 100)),
            "yuan_per_100_points": draw(st.floats(0, 10)),
        },
        "grid": {"workers_per_grid": draw(st.integers(0, 3)),
                 "households_per_grid": draw(st.integers(10, 400)),
                 "visits_per_worker": draw(st.integers(0, 120))},
        "party": {"contacts_per_month": draw(st.integers(0, 20)),
                  "dual_registration": draw(st.booleans())},
        "foundation": draw(st.booleans()),
        "foundation_match": draw(st.floats(0, 1)),
        "supervision": draw(st.booleans()),
        "incubation_rate": draw(st.floats(0, 50)),
    }
    months = draw(st.integers(6, 30))
    if draw(st.booleans()):
        policy["schedule"] = [{"month": draw(st.integers(1, months)),
                               "set": {"fund_per_community": 0, "devolution": draw(
                                   st.floats(0, 1))}}]
    return Scenario.from_dict({
        "seed": draw(st.integers(0, 2**32)),
        "months": months,
        "structure": {"street_offices": streets, "communities_per_street": per_street,
                      "residents_per_community": size,
                      "social_orgs_per_10k": draw(st.floats(0, 100))},
        "population": {"migrant_share": draw(st.floats(0, 1)),
                       "party_share": draw(st.floats(0, 0.5))},
        "behavior": {"zombie_after": draw(st.integers(1, 24)),
                     "tie_formation": draw(st.floats(0, 0.01))},
        "policy": policy,
    })


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=small_scenarios())
def test_invariants_over_random_scenarios(s):
    m = CoGovModel(s)
    r = m.residents
    n = len(r)
    assert n == m.layout.n_residents
    while m.month < s.months:
        m.step()
        for name in ATTITUDES:
            x = getattr(r, name)
            assert x.shape == (n,), name
            assert np.all((x >= 0) & (x <= 1)), name
        assert r.took.shape == (n, 3) and r.needs.shape[0] == n
        assert np.all(r.points >= 0)
        assert np.all(m.foundation >= 0)
        for o in m.offices:
            assert 0 <= o.service_focus <= 1
        for o in m.organizations:
            assert 0 <= o.capacity <= 1 and 0 <= o.reputation <= 1
        # self-organizations: one building, one shared top need, members point back to them
        assert set(np.unique(r.self_org[r.self_org >= 0])) == set(m.self_orgs)
        for slot, org in m.self_orgs.items():
            assert len(org.members) >= s.behavior.self_org_min
            assert np.all(r.self_org[org.members] == slot)
            assert len(np.unique(m.layout.building[org.members])) == 1
            assert np.all(r.top_need[org.members] == org.specialties[0])
    assert len(m.resident_agents) == n
    assert sum(len(m.agents_by_type.get(t, [])) for t in m.agents_by_type
               if t.__name__ in ("Resident", "PartyMember")) == n
    ts = m.timeseries()
    assert len(ts) == s.months
    assert not ts.isna().any().any()
    for name in SHARES:
        assert ts[name].between(0, 1).all(), name
    for name in (*COUNTS, *MONEY, "mean_degree"):
        assert (ts[name] >= 0).all(), name
    for name in COUNTS:
        assert (ts[name] == ts[name].round()).all(), name
    check_ledger(m, ts)
