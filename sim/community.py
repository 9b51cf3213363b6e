"""Community-level state: the residents' committee of each community (MODEL.md §2, last
paragraph; ODD §2.4).

The residents' committee is state, not an agent. ``CommunityState`` holds one entry per
community beside the per-resident arrays of ``population.Residents``: the fund ledger, the
foundation, this month's resolved problems and backlog, the quality of services delivered, this
month's contacts and the organising gate on deliberation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.fund import CommunityFund
from sim.scenario import CATEGORIES, Behavior

FUND_STREAMS = ("candidates", "override", "contract")
"""Each community's fund generator splits into these three (ODD §3, stream ``fund``)."""


@dataclass
class CommunityState:
    """One entry per community c (arrays of length C unless stated)."""

    funds: list[CommunityFund]  # the fund ledgers (§7.3–7.5)
    fund_streams: list[dict[str, np.random.Generator]]  # FUND_STREAMS of each community
    foundation: np.ndarray  # community foundation balance, yuan
    resolved: np.ndarray  # int, residents' problems resolved this month (§7.7)
    backlog: np.ndarray  # int, heard problems still open at month end
    quality: np.ndarray  # quality of services residents experience, [0, 1]
    category_met: np.ndarray  # (C, K) share of need in category k served by the last cycle
    gate: np.ndarray  # organising-capacity gate on deliberation, [0, 1] (§7.1)
    foundation_income: np.ndarray  # yuan paid into the foundation this month (§7.8)
    delivered: np.ndarray  # int, projects delivered in the last closed cycle
    delivered_quality: np.ndarray  # their mean quality (0 if none)

    @classmethod
    def start(cls, n_communities: int, behavior: Behavior,
              fund_rng: np.random.Generator) -> CommunityState:
        """Empty ledgers, no foundation money, no problems yet and services at
        ``quality_without_projects``; the fund stream split per community, then in three."""
        k = len(CATEGORIES)
        streams = [dict(zip(FUND_STREAMS, g.spawn(len(FUND_STREAMS)), strict=True))
                   for g in fund_rng.spawn(n_communities)]
        return cls(
            funds=[CommunityFund(c, votes=np.zeros(k)) for c in range(n_communities)],
            fund_streams=streams,
            foundation=np.zeros(n_communities),
            resolved=np.zeros(n_communities, dtype=np.int64),
            backlog=np.zeros(n_communities, dtype=np.int64),
            quality=np.full(n_communities, behavior.quality_without_projects),
            category_met=np.zeros((n_communities, k)),
            gate=np.ones(n_communities),
            foundation_income=np.zeros(n_communities),
            delivered=np.zeros(n_communities, dtype=np.int64),
            delivered_quality=np.zeros(n_communities),
        )

    def __len__(self) -> int:
        return len(self.funds)

    @property
    def running(self) -> np.ndarray:
        """(C,) bool: a funded project is being implemented."""
        return np.array([f.running for f in self.funds])

    @property
    def council_share(self) -> np.ndarray:
        """(C,) share of the cost of the projects being implemented that the residents' council
        chose (0 where nothing runs): how much of what there is to monitor is residents' own."""
        return np.array([f.council_share for f in self.funds])

    @property
    def unallocated(self) -> np.ndarray:
        """(C,) yuan held but not committed to a project."""
        return np.array([f.unallocated for f in self.funds])
