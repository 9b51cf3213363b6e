"""sim/demands.py and the grid targeting of sim/outreach.py (MODEL.md §7.7, ODD §7.7): problems
arise whether or not anyone listens, contact and participation surface them, the office resolves
its backlog up to capacity, and residents' own experience moves their trust. Each test is a
knockout on common seeds with a stated minimum effect."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from sim import demands, outreach
from sim.agents import StreetOffice
from sim.model import CoGovModel, replicate_rng
from sim.scenario import Scenario

REPLICATES = 4


def world(months: int = 36, behavior=None, population=None, structure=None,
          **policy) -> Scenario:
    """One community of 800 adults (400 households, two grids) and no fund."""
    return Scenario.from_dict({"seed": 5, "months": months,
                               "structure": {"residents_per_community": 800,
                                             **(structure or {})},
                               "population": population or {},
                               "behavior": behavior or {}, "policy": policy})


def outcomes(s: Scenario) -> dict[str, np.ndarray]:
    """Per replicate: mean trust and problems resolved a month over the last 12 months, mean
    experience and the share with an open problem at the end, trust SD at the end."""
    rows = []
    for r in range(REPLICATES):
        m = CoGovModel(s, rng=replicate_rng(s.seed, r)).run()
        ts = m.timeseries().tail(12)
        rows.append((ts.mean_trust.mean(), ts.problems_resolved.mean(),
                     m.residents.experience.mean(), ts.problems_open.mean(),
                     m.residents.trust.std()))
    return dict(zip(("trust", "resolved", "experience", "open", "sd_trust"),
                    np.array(rows).T, strict=True))


@pytest.fixture(scope="module")
def outreach_0_12():
    return (outcomes(world(party={"contacts_per_month": 0})),
            outcomes(world(party={"contacts_per_month": 12})))


def test_party_outreach_gets_problems_solved_and_does_not_lower_trust(outreach_0_12):
    # (a) the office has capacity here (24 a month for ~16 arising): 12 party contacts a month
    # against none resolve more problems in every replicate pair and at least 1.5 more a month
    # on average (measured +2.9: +5.1, +3.3, +1.0, +2.3 at public_spirit_fatigue 0.03), leave
    # at least 3 points fewer adults with an open problem (measured −5.3), and raise trust by
    # at least 0.003 (measured +0.009) in every replicate pair
    none, twelve = outreach_0_12
    assert np.all(twelve["resolved"] - none["resolved"] > 0)
    assert np.mean(twelve["resolved"] - none["resolved"]) > 1.5
    assert np.all(none["open"] - twelve["open"] > 0.03)
    assert np.all(twelve["trust"] - none["trust"] > 0.003)
    assert np.all(twelve["experience"] - none["experience"] > 0.02)


def test_an_office_that_hears_nobody_does_not_look_responsive(outreach_0_12):
    # (b) no party contacts, no grid workers, no hotline, nothing raised by participants: no
    # problem is ever resolved, a third of adults end with one open, and trust falls below
    # the outreach world's by at least 0.02 (measured 0.042), experience by at least 0.15
    # (measured 0.33)
    _, heard = outreach_0_12
    deaf = outcomes(world(behavior={"demands": {"hotline_rate": 0.0, "participant_surface": 0.0}},
                          party={"contacts_per_month": 0}, grid={"workers_per_grid": 0}))
    assert np.all(deaf["resolved"] == 0)
    assert np.all(deaf["open"] > 0.2)
    assert np.all(heard["trust"] - deaf["trust"] > 0.02)
    assert np.all(heard["experience"] - deaf["experience"] > 0.15)


def test_trust_keeps_its_spread_and_loses_it_without_personal_terms():
    # (e) after 60 months trust SD stays above 0.08 (measured 0.12; it was 0.009 when every
    # resident relaxed to one community value); knock out disposition and experience
    # (w_0 = w_x = 0) and it collapses below 0.03 — with nobody moving, since newcomers bring
    # their own trust (§7.9) and would keep some spread by themselves
    still = {"mobility": {"local_rate": 0.0, "migrant_rate": 0.0}}
    base = outcomes(world(months=60, population=still))
    flat = outcomes(world(months=60, population=still,
                          behavior={"trust_disposition_weight": 0.0,
                                    "trust_experience_weight": 0.0}))
    assert np.all(base["sd_trust"] > 0.08)
    assert np.all(flat["sd_trust"] < 0.03)


def test_problems_arise_more_often_for_elders_and_carers_even_unheard():
    # nobody listens, so open problems only accumulate; after 12 months at least 1.5 times as
    # many elders as working-age adults without care duties have one (rates ×2 by default;
    # coping evens it out a little)
    m = CoGovModel(world(months=12, behavior={"demands": {"hotline_rate": 0.0,
                                                          "participant_surface": 0.0}},
                         party={"contacts_per_month": 0}, grid={"workers_per_grid": 0})).run()
    r = m.residents
    elder = r.age_group == 2
    plain = (r.age_group < 2) & ~r.care_duty
    assert r.problem_open[elder].mean() > 1.5 * r.problem_open[plain].mean()
    assert r.problem_open[~elder & r.care_duty].mean() > 1.2 * r.problem_open[plain].mean()


def test_an_office_that_buys_services_keeps_hours_for_residents_problems():
    # 归位 + purchase of services: in a funded 2,000-adult community at σ 0.8 whose office is
    # stretched, buying every project (purchase share 1) rather than implementing it resolves
    # at least 3 more problems a month in the implementation months (measured about +8); with
    # no office hours per project (knockout) the difference is under 1
    def resolved(purchase, hours):
        s = Scenario.from_dict({
            "seed": 5, "months": 24, "structure": {"social_orgs_per_10k": 30},
            "behavior": {"demands": {"office_hours_per_project": hours}},
            "policy": {"fund_per_community": 300_000, "devolution": 1.0, "service_focus": 0.8,
                       "purchase_share": purchase}})
        out = []
        for r in range(2):
            ts = CoGovModel(s, rng=replicate_rng(s.seed, r)).run().timeseries()
            out.append(ts[(ts.month - 1) % 12 + 1 >= 4].problems_resolved.mean())
        return np.mean(out)

    assert resolved(1.0, 60.0) - resolved(0.0, 60.0) > 3.0
    assert abs(resolved(1.0, 0.0) - resolved(0.0, 0.0)) < 1.0


# ---------------------------------------------------------------------- grid targeting (seed 003)
def _visit_rates(**grid) -> tuple[float, float, float, float]:
    """Monthly grid-visit rate of vulnerable and other households, of migrant and local
    households, over 24 months (no party contacts)."""
    m = CoGovModel(world(months=24, party={"contacts_per_month": 0},
                         grid={"households_per_grid": 200, **grid}))
    first = m.layout.household_start
    vulnerable = outreach.vulnerable_households(m.layout, m.residents)
    migrant = m.residents.migrant[first]
    visits = np.zeros(len(first))
    for _ in range(24):
        m.step()
        visits += m.residents.grid_visited[first]
    rate = visits / 24
    return (rate[vulnerable].mean(), rate[~vulnerable].mean(),
            rate[migrant].mean(), rate[~migrant].mean())


def test_grid_workers_visit_the_vulnerable_first():
    # (d) weight 3 for empty-nest, caring and low-income households: they are visited at least
    # 1.5 times as often as others (measured about 2); knockout (priority 0): within 15%
    vul, other, _, _ = _visit_rates()
    assert vul > 1.5 * other
    vul0, other0, _, _ = _visit_rates(vulnerable_priority=0.0)
    assert vul0 == pytest.approx(other0, rel=0.15)


def test_migrant_priority_is_off_by_default_and_works_when_set():
    # seed 003 names no migrant priority: by default migrants are visited like locals (within
    # 15%); a user's weight of 2 still raises their visit rate by at least a third
    _, _, mig, loc = _visit_rates()
    assert mig == pytest.approx(loc, rel=0.15)
    _, _, mig2, loc2 = _visit_rates(migrant_priority=2.0)
    assert mig2 > 1.33 * loc2


DEAF = {"behavior": {"demands": {"hotline_rate": 0.0, "participant_surface": 0.0}},
        "party": {"contacts_per_month": 0}, "grid": {"workers_per_grid": 0}}


@pytest.mark.parametrize(("channel", "floor"), [
    ({"behavior": {"demands": {"hotline_rate": 0.05, "participant_surface": 0.0}}}, 4.0),
    ({"behavior": {"demands": {"hotline_rate": 0.0, "participant_surface": 0.5}}}, 0.5),
    ({"grid": {"workers_per_grid": 1}}, 6.0),
    ({"party": {"contacts_per_month": 6}}, 6.0),
])
def test_each_channel_alone_gets_problems_heard_and_solved(channel, floor):
    # from the office that hears nobody (which resolves none), opening one channel — the
    # hotline, residents raising problems when they take part, grid visits, party contacts —
    # resolves at least ``floor`` problems a month over months 13–24 (measured over 3 replicates:
    # hotline ≈ 7.5, participation ≈ 1.6, grid ≈ 13, party ≈ 15)
    s = world(months=24, **{**DEAF, **channel})
    m = CoGovModel(s, rng=replicate_rng(s.seed, 0)).run()
    assert m.timeseries().tail(12).problems_resolved.mean() > floor


# ------------------------------------------------------------- found by mutation testing (issue 9)
STILL = {"mobility": {"local_rate": 0.0, "migrant_rate": 0.0}}


def test_elders_and_carers_problems_arise_at_their_factors():
    # one month, a high base rate (0.2), nobody listening or coping: elders without care duties
    # get problems at (1 + elder factor 1) = 2 times the rate of plain working-age adults
    # (measured 2.0; at least 1.75), carers below elder age at (1 + care factor 0.5) = 1.5 times
    # (measured 1.47; between 1.35 and 1.65)
    s = world(months=1, behavior={"demands": {"arise_rate": 0.2, "hotline_rate": 0.0,
                                              "participant_surface": 0.0, "coping_rate": 0.0}},
              structure={"residents_per_community": 4000}, population=STILL,
              party={"contacts_per_month": 0}, grid={"workers_per_grid": 0})
    r = CoGovModel(s).run().residents
    elder = r.age_group == 2
    plain = r.problem_open[~elder & ~r.care_duty].mean()
    assert r.problem_open[elder & ~r.care_duty].mean() > 1.75 * plain
    assert 1.35 * plain < r.problem_open[~elder & r.care_duty].mean() < 1.65 * plain


def test_a_stretched_office_keeps_a_growing_backlog_and_serves_the_oldest_first():
    # an office with a tenth of the staff hours (capacity ≈ 2.4 a month for ~16 problems
    # arising): heard problems stay in its backlog until served, so the backlog grows past 60
    # in a year (measured 107); each month it resolves the longest-waiting heard problems,
    # none waiting less long than any it leaves (no grid workers, no coping, nobody moving)
    s = world(months=24, structure={"street_staff_hours_per_community": 24.0},
              behavior={"demands": {"coping_rate": 0.0}}, population=STILL,
              grid={"workers_per_grid": 0})
    m = CoGovModel(s)
    for _ in range(12):
        m.step()
    backlog = m.timeseries().backlog
    assert backlog.iloc[-1] > 60 and backlog.iloc[-1] > backlog.iloc[5] + 20
    r = m.residents
    for _ in range(3):
        wait, queued = r.problem_wait.copy(), r.problem_open & r.problem_heard
        m.step()
        served, left = queued & ~r.problem_open, queued & r.problem_open
        assert served.sum() >= 1 and left.sum() > 50
        assert wait[served].min() >= wait[left].max()


def test_a_problems_wait_counts_the_months_it_has_been_open():
    # nobody listens for 12 months: open problems have waited between 1 and 12 months, on
    # average more than 3 (measured 6.4); the deaf office has nothing in its backlog although
    # a tenth of adults (measured 16%) have an open problem
    m = CoGovModel(world(months=12, population=STILL, **DEAF)).run()
    r = m.residents
    wait = r.problem_wait[r.problem_open]
    assert wait.min() >= 1 and wait.max() <= 12 and wait.mean() > 3.0
    assert r.problem_open.mean() > 0.1
    assert m.timeseries().backlog.max() == 0


def test_being_heard_lifts_experience_and_nobody_without_a_problem_is_moved():
    # an office with no service focus resolves nothing: being heard alone lifts mean experience
    # by at least 0.01 over 12 months at experience_heard 0.3 (measured +0.025, waiting
    # knocked out); with no problems arising at all, nobody's experience moves
    def experience(**demands):
        s = world(months=12, population=STILL, service_focus=0.0, grid={"workers_per_grid": 0},
                  behavior={"demands": {"experience_waiting": 0.0, **demands}})
        m = CoGovModel(s)
        start = m.residents.experience.copy()
        m.run()
        assert m.timeseries().problems_resolved.sum() == 0
        return start, m.residents.experience
    start, heard = experience(experience_heard=0.3)
    assert heard.mean() - start.mean() > 0.01
    start, untouched = experience(experience_heard=0.3, arise_rate=0.0)
    np.testing.assert_array_equal(untouched, start)


def test_experience_stays_a_share_under_strong_effects():
    # x ∈ [0, 1] whatever the effect sizes: hearing and resolving move x a share of the way to 1
    m = CoGovModel(world(months=36, behavior={"demands": {"experience_heard": 0.5,
                                                          "experience_resolved": 0.9}})).run()
    assert m.residents.experience.max() <= 1.0 and m.residents.experience.min() >= 0.0


def test_the_office_counts_only_the_projects_it_is_still_implementing_itself():
    # office hours are tied up by the office's own running projects, not by delivered ones or by
    # projects a social organization implements
    office = StreetOffice.__new__(StreetOffice)
    org = object()
    def project(implementer, delivered):
        return SimpleNamespace(implementer=implementer, delivered=delivered)
    community = SimpleNamespace(funds=[
        SimpleNamespace(projects=[project(office, False), project(office, True),
                                  project(org, False), project(office, False)]),
        SimpleNamespace(projects=[project(office, True), project(org, False)])])
    np.testing.assert_array_equal(demands.office_projects(community), [2, 0])


def test_the_backlog_is_worked_oldest_first_up_to_capacity_in_each_community():
    # two communities of six problems: capacity 2 and 3 resolve exactly the 2 and 3
    # longest-waiting problems of each; a fractional capacity resolves one more with
    # probability equal to the fraction (1.5 → 1.5 on average, 0.25 → 0.25)
    wait = np.array([3, 9, 1, 7, 0, 5, 2, 8, 4, 6, 1, 0])
    of = np.repeat([0, 1], 6)
    backlog = np.ones(12, dtype=bool)
    rng = np.random.default_rng(1)
    out = demands._work_backlog(backlog, wait, of, np.array([2.0, 3.0]), rng.random(12),
                                rng.random(2))
    np.testing.assert_array_equal(np.flatnonzero(out), [1, 3, 7, 8, 9])
    served = np.array([np.bincount(of[demands._work_backlog(
        backlog, wait, of, np.array([1.5, 0.25]), rng.random(12), rng.random(2))],
        minlength=2) for _ in range(2000)])
    np.testing.assert_allclose(served.mean(axis=0), [1.5, 0.25], atol=0.05)
