"""Street offices (街道): σ by community and the yearly review of σ — pushed up by residents'
dissatisfaction under evaluation, pulled back toward the policy setting always (MODEL.md §7.7,
ODD §7.7 "Service focus σ").

The office agent itself (σ, capacities, the review rule) is ``agents.StreetOffice``; the
problems it resolves are ``sim.demands``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.agents import StreetOffice
from sim.population import Layout, Residents


def service_focus_by_community(offices: Sequence[StreetOffice],
                               street_of_community: np.ndarray) -> np.ndarray:
    """σ of each community's street office."""
    return np.array([office.service_focus for office in offices])[street_of_community]


def review_offices(offices: Sequence[StreetOffice], residents: Residents, layout: Layout,
                   resident_evaluation: bool) -> None:
    """At the cycle's evaluation, every year: each office's σ is reviewed
    (``StreetOffice.review``); under ``policy.resident_evaluation`` it is rated by the mean
    satisfaction of its residents."""
    for office in offices:
        score = None
        if resident_evaluation:
            in_street = np.isin(layout.community, office.communities)
            score = float(residents.satisfaction[in_street].mean())
        office.review(score)
