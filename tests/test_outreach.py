"""sim/outreach.py (MODEL.md §7.7): grids, grid workers, visits and party contacts."""

from __future__ import annotations

import numpy as np
from worlds import run, scenario

from sim import outreach
from sim.population import build_layout, draw_residents
from sim.scenario import Grid, Population, Structure


def test_no_outreach_means_nobody_is_contacted():
    m = run(scenario(months=4, grid={"workers_per_grid": 0},
                     party={"contacts_per_month": 0}))
    assert np.all(m.residents.months_since_contact > m.scenario.behavior.recruit_memory)
    m = run(scenario(months=1, structure={"adults_per_household": 2.0},
                     grid={"workers_per_grid": 2, "visits_per_worker": 60,
                           "households_per_grid": 350}))
    # 150 households per community, one grid each: 2 · 60 = 120 households visited (240 adults)
    assert (m.residents.months_since_contact == 1).sum() >= 240


def test_grids_and_grid_workers_by_hand():
    # one community of 50 adults, 2 per household: 25 households, grids of 10 → 10, 10, 5
    layout = build_layout(Structure(street_offices=1, communities_per_street=1,
                                    residents_per_community=50, adults_per_household=2.0))
    residents = draw_residents(layout, Population(), np.random.default_rng(0))
    residents.party[:] = False
    residents.party[[5, 47]] = True
    grids = outreach.assign_grids(layout, residents, Grid(households_per_grid=10,
                                                          workers_per_grid=1),
                                  np.random.default_rng(1))
    np.testing.assert_array_equal(grids.of_household, np.repeat([0, 1, 2], [10, 10, 5]))
    np.testing.assert_array_equal(grids.size, [10, 10, 5])
    assert grids.count == 3
    np.testing.assert_array_equal(grids.of_resident, np.repeat([0, 1, 2], [20, 20, 10]))
    workers = np.flatnonzero(residents.grid_worker)
    assert len(workers) == 3 and set(grids.of_resident[workers]) == {0, 1, 2}
    assert {5, 47} <= set(workers)  # party members first


def test_grids_are_numbered_through_the_district():
    # three communities of 50 adults in 25 households: grids of 10 households give 3 grids
    # each, numbered 0–2, 3–5, 6–8; each grid has its worker
    layout = build_layout(Structure(street_offices=1, communities_per_street=3,
                                    residents_per_community=50, adults_per_household=2.0))
    residents = draw_residents(layout, Population(), np.random.default_rng(0))
    grids = outreach.assign_grids(layout, residents, Grid(households_per_grid=10,
                                                          workers_per_grid=1),
                                  np.random.default_rng(1))
    np.testing.assert_array_equal(grids.of_household,
                                  np.repeat(np.arange(9), [10, 10, 5] * 3))
    assert residents.grid_worker.sum() == 9
    assert set(grids.of_resident[residents.grid_worker]) == set(range(9))


def test_grid_workers_who_are_not_party_members_are_drawn_at_random():
    # with no party member, the worker of a grid of 20 adults is drawn among all of them:
    # over 40 draws at least 10 different residents serve (a fixed choice would give 1)
    layout = build_layout(Structure(street_offices=1, communities_per_street=1,
                                    residents_per_community=20, adults_per_household=2.0))
    residents = draw_residents(layout, Population(), np.random.default_rng(0))
    residents.party[:] = False
    chosen = set()
    for seed in range(40):
        outreach.assign_grids(layout, residents, Grid(households_per_grid=10,
                                                      workers_per_grid=1),
                              np.random.default_rng(seed))
        chosen.add(int(np.flatnonzero(residents.grid_worker)[0]))
    assert len(chosen) >= 10


def test_party_activation_scales_the_vanguard():
    """Party members act with probability min(1, activation × public spirit): at activation 0
    no party member makes contact rounds, at 2 at least 1.3 times as many households a month
    are contacted as at 1 (party public spirit is about 0.67, so min(1, 2P) ≈ 1.5 P)."""
    def contacts(activation: float) -> float:
        m = run(scenario(months=6, behavior={"party_activation": activation},
                         grid={"workers_per_grid": 0}, party={"contacts_per_month": 6}))
        return float(m.residents.contacted[m.layout.household_start].sum())

    assert contacts(0.0) == 0
    assert contacts(2.0) > 1.3 * contacts(1.0)


# ------------------------------------------------------- who grid workers visit (seed 003)
def _one_grid(n_households: int = 2000, adults_per_household: float = 2.0):
    """One community of ``n_households`` households, all in one grid, nobody vulnerable, new
    or recently contacted: a blank slate on which one group at a time is marked."""
    layout = build_layout(Structure(street_offices=1, communities_per_street=1,
                                    residents_per_community=int(n_households
                                                                * adults_per_household),
                                    adults_per_household=adults_per_household))
    residents = draw_residents(layout, Population(), np.random.default_rng(0))
    residents.age_group[:] = 1  # working-age adults
    residents.care_duty[:] = False
    residents.low_income[:] = False
    residents.migrant[:] = False
    residents.tenure[:] = 10 * outreach.NEWCOMER_MONTHS
    grid = Grid(households_per_grid=n_households, workers_per_grid=1, visits_per_worker=100,
                vulnerable_priority=0.0, newcomer_priority=0.0, migrant_priority=0.0,
                recent_contact_weight=1.0)
    grids = outreach.assign_grids(layout, residents, grid, np.random.default_rng(1))
    return layout, residents, grids, grid


def _visit_ratio(layout, residents, grids, grid, marked: np.ndarray, months: int = 200,
                 recruit_memory: int = 3) -> float:
    """Visit rate of the marked households over that of the others, over ``months`` draws."""
    rng = np.random.default_rng(7)
    visits = np.zeros(layout.n_households)
    for _ in range(months):
        visited = outreach._grid_visits(layout, residents, grids, grid, recruit_memory, rng)
        assert visited.sum() == grid.workers_per_grid * grid.visits_per_worker  # exactly
        visits += visited
    return visits[marked].mean() / visits[~marked].mean()


def _mark_households(layout, residents, field: str, value, share: float = 0.2) -> np.ndarray:
    """Set ``field`` to ``value`` for every adult of the first ``share`` of households."""
    marked = np.arange(layout.n_households) < share * layout.n_households
    getattr(residents, field)[marked[layout.household]] = value
    return marked


# Visits are 5% of households a month, so a household's chance of a visit is close to
# proportional to its weight (weighted sampling without replacement at a small sampling
# fraction): a weight of w makes the marked visited w times as often, give or take 15%.
def test_each_visit_weight_raises_or_lowers_visits_in_proportion():
    layout, residents, grids, grid = _one_grid()
    cases = [
        ("low_income", True, grid.model_copy(update={"vulnerable_priority": 2.0}), 3.0),
        ("care_duty", True, grid.model_copy(update={"vulnerable_priority": 1.0}), 2.0),
        ("migrant", True, grid.model_copy(update={"migrant_priority": 2.0}), 3.0),
        ("tenure", 0, grid.model_copy(update={"newcomer_priority": 1.0}), 2.0),
        ("months_since_contact", 0, grid.model_copy(update={"recent_contact_weight": 0.2}), 0.2),
    ]
    for field, value, weighted, expected in cases:
        layout, residents, grids, _ = _one_grid()
        marked = _mark_households(layout, residents, field, value)
        neutral = _visit_ratio(layout, residents, grids, grid, marked)
        ratio = _visit_ratio(layout, residents, grids, weighted, marked)
        assert abs(neutral - 1.0) < 0.1, field  # at weight 1 the marked are like the rest
        assert 0.85 * expected < ratio < 1.15 * expected, (field, ratio)


def test_newcomers_and_recent_contacts_are_counted_strictly_within_their_window():
    # a household here exactly NEWCOMER_MONTHS is no longer new; one contacted exactly
    # recruit_memory months ago no longer counts as recruited: neither is weighted
    layout, residents, grids, grid = _one_grid()
    marked = _mark_households(layout, residents, "tenure", outreach.NEWCOMER_MONTHS)
    weighted = grid.model_copy(update={"newcomer_priority": 2.0})
    assert abs(_visit_ratio(layout, residents, grids, weighted, marked) - 1.0) < 0.1
    marked = _mark_households(layout, residents, "months_since_contact", 3)
    weighted = grid.model_copy(update={"recent_contact_weight": 0.2})
    assert abs(_visit_ratio(layout, residents, grids, weighted, marked, recruit_memory=3)
               - 1.0) < 0.1


def test_vulnerable_households_are_those_seed_003_names():
    # households of 2 adults: (elder, elder) empty nest; (elder, adult) not; a care duty in
    # either adult; low income of the household; none of these (and four more of none)
    layout, residents, _, _ = _one_grid(n_households=10)
    residents.age_group[[0, 1, 2]] = 2
    residents.care_duty[7] = True
    residents.low_income[[8, 9]] = True
    np.testing.assert_array_equal(outreach.vulnerable_households(layout, residents),
                                  [True, False, False, True, True] + [False] * 5)
