"""Residential mobility: households move out, new households move into the same dwellings
(MODEL.md §2, §9; ODD §7.9).

Seed 003 describes Haicang's communities as having many migrants and high mobility
(社区里面外来人口比较多,流动性也大). Each month each household moves out with a monthly hazard
from its annual rate (``population.mobility.local_rate`` / ``migrant_rate``); a new household
moves into the same dwelling, so the layout and the population size stay fixed. Its adults are
drawn afresh from the scenario's population distributions (``population.draw_households``) and
every per-resident field of ``Residents`` is reset from that draw: no ties, points, contact
memory, engagement or self-organization; tenure 0. Newcomers are migrants with the share that
keeps the community's migrant share at ``population.migrant_share`` (its own in a table of
communities; migrants leave more often,
so more of the households arriving are migrant households). Each newcomer gets would-be ties
drawn like the starting network's (building neighbours with ``building_tie_prob``,
``small_world_degree`` acquaintances in the community), which become real at
``acquaintance_rate`` a month (``Network.acquaint``), so the degree distribution is stationary
under mobility.
"""

from __future__ import annotations

import numpy as np

from sim.network import Network
from sim.population import CommunityShares, Layout, Residents, draw_households, group_offsets
from sim.scenario import Mobility, Population, Structure

ALWAYS_LIVED_HERE = 1200
"""Tenure (months) of a starting resident when nobody ever moves: 100 years, past any
reference length of residence."""


def monthly_hazard(annual: float) -> float:
    """The monthly probability equivalent to an annual one: 1 − (1 − annual)^(1/12)."""
    return 1.0 - (1.0 - annual) ** (1.0 / 12.0)


def household_hazards(residents: Residents, layout: Layout, mobility: Mobility) -> np.ndarray:
    """(H,) monthly chance that each household moves out, by its migrant status."""
    migrant = residents.migrant[layout.household_start]
    return np.where(migrant, monthly_hazard(mobility.migrant_rate),
                    monthly_hazard(mobility.local_rate))


def incoming_migrant_share(pop: Population, share: float | np.ndarray | None = None
                           ) -> float | np.ndarray:
    """Share of arriving households that are migrant households such that arrivals replace
    departures of each kind and the migrant share s stays at its value — ``share`` (one per
    community, (C,)) or ``pop.migrant_share``: s·h_m / (s·h_m + (1 − s)·h_l); s itself when
    nobody moves."""
    s = pop.migrant_share if share is None else share
    h_m = monthly_hazard(pop.mobility.migrant_rate)
    h_l = monthly_hazard(pop.mobility.local_rate)
    out = s * h_m + (1.0 - s) * h_l
    if np.ndim(s) == 0:
        return s if out <= 0 else s * h_m / out
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(out <= 0, s, s * h_m / out)


def start(residents: Residents, layout: Layout, network: Network, mobility: Mobility,
          rng: np.random.Generator) -> None:
    """Starting tenure: each household's months lived here drawn from the stationary
    distribution of its move-out hazard (geometric with that hazard, mean 1/h), so the run
    starts with the length-of-residence mix that mobility keeps. Likewise a starting tie whose
    later-arrived end came t months ago is still a would-be tie with (1 − acquaintance_rate)^t."""
    hazard = household_hazards(residents, layout, mobility)
    months = np.full(layout.n_households, ALWAYS_LIVED_HERE, dtype=np.int64)
    moves = hazard > 0
    months[moves] = rng.geometric(hazard[moves]) - 1
    residents.tenure[:] = np.minimum(months, ALWAYS_LIVED_HERE)[layout.household]
    i, j = network.fixed_pairs()
    known_for = np.minimum(residents.tenure[i], residents.tenure[j])
    pending = rng.random(len(i)) < (1.0 - mobility.acquaintance_rate) ** known_for
    network.unknow(pending & (known_for < ALWAYS_LIVED_HERE))


def move(residents: Residents, layout: Layout, network: Network, structure: Structure,
         pop: Population, rng: np.random.Generator,
         shares: CommunityShares | None = None) -> np.ndarray:
    """One month of §7.9; returns the (N,) bool mask of residents who moved in this month.

    Everyone has lived here a month longer; newcomers' would-be ties may become real; then
    households move out and new households, drawn afresh with their community's ``shares``
    (default: ``pop``'s everywhere), move in without ties: migrant households with the share
    that keeps each community's migrant share (:func:`incoming_migrant_share`)."""
    mobility = pop.mobility
    residents.tenure += 1
    network.acquaint(mobility.acquaintance_rate, rng)
    moving = rng.random(layout.n_households) < household_hazards(residents, layout, mobility)
    movers = moving[layout.household]
    if not moving.any():
        return movers
    rows = np.flatnonzero(movers)
    households, household = np.unique(layout.household[rows], return_inverse=True)
    if shares is None:
        shares = CommunityShares.of(pop, n_communities=layout.n_communities)
    incoming = shares.with_migrant(incoming_migrant_share(pop, shares.migrant))
    fresh = draw_households(household.astype(np.int64), int(moving.sum()), pop, rng,
                            incoming, layout.household_community[households])
    residents.replace_rows(rows, fresh)
    network.move_out(movers)
    network.introduce(*would_be_ties(rows, movers, layout, structure, rng))
    return movers


def would_be_ties(rows: np.ndarray, movers: np.ndarray, layout: Layout, structure: Structure,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (newcomer, other) the newcomers ``rows`` will get to know, drawn as the starting
    network is: each other adult of the building with ``building_tie_prob``, and
    ``small_world_degree`` adults of the community at random. A pair of two newcomers is kept
    from the lower index's draw only, so it is as likely as any other pair."""
    building_start, building_size = group_offsets(layout.building, int(layout.building.max()) + 1)
    b = layout.building[rows]
    others = building_size[b] - 1
    count = rng.binomial(others, structure.building_tie_prob)
    src = np.repeat(rows, count)
    pick = (rng.random(len(src)) * np.repeat(others, count)).astype(np.int64)
    dst = np.repeat(building_start[b], count) + pick
    dst += dst >= src  # skip oneself
    c = layout.community[rows]
    k = structure.small_world_degree
    far_src = np.repeat(rows, k)
    size = np.repeat(layout.community_size[c] - 1, k)
    far_dst = np.repeat(layout.community_start[c], k) + (rng.random(len(far_src))
                                                         * size).astype(np.int64)
    far_dst += far_dst >= far_src
    i, j = np.concatenate([src, far_src]), np.concatenate([dst, far_dst])
    keep = ~movers[j] | (j > i)
    return i[keep], j[keep]
