"""Street offices (街道): registered demands and their resolution, and accountability to
residents' evaluation (MODEL.md §7.7, ODD §7.7 "Demands and responsiveness" and §7.5).

The office agent itself (σ, capacities, the accountability rule) is ``agents.StreetOffice``;
this module runs the offices over their communities each month.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.agents import StreetOffice
from sim.community import CommunityState
from sim.participation import DELIBERATE
from sim.population import Layout, Residents
from sim.scenario import Behavior, Policy


def service_focus_by_community(offices: Sequence[StreetOffice],
                               street_of_community: np.ndarray) -> np.ndarray:
    """σ of each community's street office."""
    return np.array([office.service_focus for office in offices])[street_of_community]


def resolve_demands(offices: Sequence[StreetOffice], community: CommunityState,
                    deliberators: np.ndarray, policy: Policy, coef: Behavior,
                    rng: np.random.Generator) -> None:
    """Demands registered by contacts and deliberators; grid workers resolve
    ``grid.resolve_share`` of what their visits find on the spot, the street office resolves the
    rest up to its capacity; responsiveness = resolved / registered (unchanged in a month with
    no demands). ``deliberators`` counts this month's deliberators per community."""
    from_grid = rng.binomial(community.grid_visits, coef.demand_per_contact)
    demands = (from_grid
               + rng.binomial(community.contacts - community.grid_visits, coef.demand_per_contact)
               + rng.binomial(deliberators, coef.demand_per_participant))
    on_the_spot = rng.binomial(from_grid, policy.grid.resolve_share)
    for office in offices:
        capacity = office.demand_capacity()
        for c in office.communities:
            if demands[c] > 0:
                resolved = on_the_spot[c] + min(capacity, demands[c] - on_the_spot[c])
                community.responsiveness[c] = resolved / demands[c]


def deliberators_by_community(residents: Residents, layout: Layout) -> np.ndarray:
    """(C,) residents who deliberated this month in each community."""
    return np.bincount(layout.community[residents.took[:, DELIBERATE]],
                       minlength=layout.n_communities)


def evaluate_offices(offices: Sequence[StreetOffice], residents: Residents,
                     layout: Layout) -> None:
    """Under ``policy.resident_evaluation``, at the cycle's evaluation: each office is rated by
    the mean satisfaction of its streets' residents (``StreetOffice.evaluated``)."""
    for office in offices:
        in_street = np.isin(layout.community, office.communities)
        office.evaluated(float(residents.satisfaction[in_street].mean()))
