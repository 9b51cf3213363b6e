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


def test_party_activation_scales_the_vanguard():
    """Party members act with probability min(1, activation × public spirit): at activation 0
    no party member makes contact rounds, at 2 at least 1.3 times as many households a month
    are contacted as at 1 (party public spirit is about 0.67, so min(1, 2P) ≈ 1.5 P)."""
    def contacts(activation: float) -> float:
        m = run(scenario(months=6, behavior={"party_activation": activation},
                         grid={"workers_per_grid": 0}, party={"contacts_per_month": 6}))
        return float(np.mean([m.communities.contacts.sum()]))

    assert contacts(0.0) == 0
    assert contacts(2.0) > 1.3 * contacts(1.0)
