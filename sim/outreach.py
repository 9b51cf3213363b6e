"""Grids, grid workers and outreach: who is contacted this month (MODEL.md §7.7, ODD §7.7
"Grid visits" and "Party outreach").

Grids are runs of ``households_per_grid`` consecutive households in each community; their grid
workers are residents, party members first (Haicang 网格员, seed 003). Each month grid workers
visit households (the vulnerable — empty-nest elders, care duties, low income — and the
unreached weighted up, seed 003) and party members moved by public spirit contact households of
their grid (党员联系户). Contacted adults count as recruited for ``recruit_memory`` months and
may tell the visitor of an open problem (``sim.demands``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.population import ELDER, Layout, Residents, group_offsets
from sim.scenario import Grid, Policy

NEWCOMER_MONTHS = 12
"""A household that moved in less than this many months ago counts as a newcomer for grid visits
(``policy.grid.newcomer_priority``): a year, one round of a grid worker's yearly registration."""


@dataclass(frozen=True)
class Grids:
    """Households grouped in grids (网格), numbered through the district."""

    of_household: np.ndarray  # (H,) int, grid of each household
    of_resident: np.ndarray  # (N,) int, grid of each resident
    start: np.ndarray  # (G,) first household of each grid
    size: np.ndarray  # (G,) households per grid

    @property
    def count(self) -> int:
        return len(self.start)


def assign_grids(layout: Layout, residents: Residents, grid: Grid,
                 rng: np.random.Generator) -> Grids:
    """Grids of ``grid.households_per_grid`` households in each community; sets
    ``residents.grid_worker`` to ``grid.workers_per_grid`` residents per grid, party members
    first, the rest at random."""
    per_community = -(-layout.households_per_community // grid.households_per_grid)
    offset = np.concatenate([[0], np.cumsum(per_community)[:-1]])
    of_household = (offset[layout.household_community]
                    + layout.household_local // grid.households_per_grid)
    n_grids = int(per_community.sum())
    start, size = group_offsets(of_household, n_grids)
    of_resident = of_household[layout.household]
    key = rng.random(len(residents)) - residents.party  # party members first
    order = np.lexsort((key, of_resident))
    resident_start, _ = group_offsets(of_resident, n_grids)
    rank = np.arange(len(residents)) - resident_start[of_resident[order]]
    residents.grid_worker[:] = False
    residents.grid_worker[order[rank < grid.workers_per_grid]] = True
    return Grids(of_household, of_resident, start, size)


def reach_out(layout: Layout, residents: Residents, grids: Grids, policy: Policy,
              *, recruit_memory: int, party_activation: float,
              rng: np.random.Generator) -> None:
    """One month of grid visits and party contacts: sets the adults' ``contacted`` and
    ``grid_visited`` flags for this month and resets the contacted adults'
    ``months_since_contact``."""
    grid_visited = _grid_visits(layout, residents, grids, policy.grid, recruit_memory, rng)
    visited = grid_visited.copy()
    visited[_party_contacts(residents, grids, policy.party.contacts_per_month, party_activation,
                            rng)] = True
    residents.contacted = visited[layout.household]
    residents.grid_visited = grid_visited[layout.household]
    residents.months_since_contact[residents.contacted] = 0


def vulnerable_households(layout: Layout, residents: Residents) -> np.ndarray:
    """(H,) bool: households seed 003 names first for visits — empty-nest elders (every adult
    of the household 60+, the proxy for 空巢老人), a care duty (重点需要帮助的对象) or low
    income (低保户)."""
    start = layout.household_start
    empty_nest = np.logical_and.reduceat(residents.age_group == ELDER, start)
    care = np.logical_or.reduceat(residents.care_duty, start)
    return empty_nest | care | residents.low_income[start]


def _grid_visits(layout: Layout, residents: Residents, grids: Grids, grid: Grid,
                 recruit_memory: int, rng: np.random.Generator) -> np.ndarray:
    """(H,) bool: households visited by their grid's workers, at most
    workers · visits_per_worker a grid, drawn with weights (1 + vulnerable priority) for the
    vulnerable, (1 + newcomer priority) for households here under ``NEWCOMER_MONTHS``,
    (1 + migrant priority) for migrants (0 by default) and
    ``recent_contact_weight`` for those contacted within ``recruit_memory`` months."""
    visited = np.zeros(layout.n_households, dtype=bool)
    n_visits = np.minimum(grids.size, grid.workers_per_grid * grid.visits_per_worker)
    if not n_visits.any():
        return visited
    first = layout.household_start
    recent = residents.months_since_contact[first] < recruit_memory
    newcomer = residents.tenure[first] < NEWCOMER_MONTHS
    weight = ((1.0 + grid.vulnerable_priority * vulnerable_households(layout, residents))
              * (1.0 + grid.newcomer_priority * newcomer)
              * (1.0 + grid.migrant_priority * residents.migrant[first])
              * np.where(recent, grid.recent_contact_weight, 1.0))
    # weighted sampling without replacement (Efraimidis–Spirakis): the smallest Exp(1)/weight
    # in each grid; mapped into [0, 1) so one sort orders grid, then key
    key = np.minimum(-np.expm1(-rng.exponential(size=layout.n_households) / weight), 1 - 1e-6)
    order = np.argsort(grids.of_household + key, kind="stable")
    rank = np.arange(layout.n_households) - grids.start[grids.of_household[order]]
    visited[order[rank < n_visits[grids.of_household[order]]]] = True
    return visited


def _party_contacts(residents: Residents, grids: Grids, contacts_per_month: int,
                    activation: float, rng: np.random.Generator) -> np.ndarray:
    """Households contacted by the vanguard this month: each party member acts with
    probability min(1, ``activation`` × public spirit) and contacts ``contacts_per_month``
    households of their grid, drawn uniformly (the same household may be drawn twice)."""
    party = residents.party_members
    acting = party[rng.random(len(party)) < activation * residents.public_spirit[party]]
    if not (contacts_per_month and len(acting)):
        return np.empty(0, np.int64)
    grid = np.repeat(grids.of_resident[acting], contacts_per_month)
    return grids.start[grid] + (rng.random(len(grid)) * grids.size[grid]).astype(np.int64)
