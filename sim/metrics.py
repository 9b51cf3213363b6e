"""Observation: the monthly metrics and the per-run summary (MODEL.md §8, ODD §8).

The names are the contract (INTERFACE.md): CSV columns, ``--metric`` arguments and experiment
``metrics:`` lists all use them. Monthly values are district-wide: shares in [0, 1] are shares
of adult residents; money is in yuan per month summed over communities; counts are whole numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import fund

if TYPE_CHECKING:
    import pandas as pd

    from sim.community import CommunityState
    from sim.fund_cycle import Flows
    from sim.organizations import Organizations
    from sim.population import Residents

PARTICIPATION = (
    "participation_any",
    "participation_deliberate",
    "participation_volunteer",
    "participation_monitor",
    "participation_local",
    "participation_migrant",
    "participation_party",
    "participation_nonparty",
    "participation_youth",
    "participation_adult",
    "participation_elder",
)
ATTITUDES = (
    "mean_efficacy",
    "mean_trust",
    "mean_public_spirit",
    "mean_dependency",
    "mean_attachment",
    "mean_satisfaction",
)
METRICS: tuple[str, ...] = (
    *PARTICIPATION,
    *ATTITUDES,
    "needs_met",
    "self_orgs_active",
    "social_orgs_active",
    "social_orgs_zombie",
    "projects_delivered",
    "fund_spent",
    "fund_leaked",
    "fund_carried",
    "foundation_balance",
    "incentive_paid",
    "time_bank_hours",
    "foundation_income",
    "delivered_quality",
    "mean_degree",
    "residents_moved",
    "problems_open",
    "problems_resolved",
    "backlog",
    "sd_trust",
)
"""Monthly metrics, in MODEL.md §8 order, then the problems of §7.7 and trust's spread."""

UNITS: dict[str, str] = {
    **{name: "share of adults in [0,1]" for name in PARTICIPATION},
    **{name: "mean in [0,1]" for name in ATTITUDES},
    "needs_met": "need-weighted share served in [0,1]",
    "self_orgs_active": "count",
    "social_orgs_active": "count",
    "social_orgs_zombie": "count",
    "projects_delivered": "projects completed this month",
    "fund_spent": "yuan this month",
    "fund_leaked": "yuan this month",
    "fund_carried": "yuan held unallocated at month end",
    "foundation_balance": "yuan at month end",
    "incentive_paid": "yuan this month",
    "time_bank_hours": "hours this month",
    "foundation_income": "yuan this month",
    "delivered_quality": "mean quality in [0,1]",
    "mean_degree": "ties per resident",
    "residents_moved": "count of adults who moved in this month",
    "problems_open": "share of adults in [0,1]",
    "problems_resolved": "count this month",
    "backlog": "count at month end",
    "sd_trust": "standard deviation in [0,0.5]",
}

BY_ACTIVITY = ("participation_deliberate", "participation_volunteer", "participation_monitor")
"""Participation in each activity, in ``scenario.ACTIVITIES`` order."""
GROUPS = ("local", "migrant", "party", "nonparty", "youth", "adult", "elder")
"""The groups of ``participation_<group>``, in METRICS order."""


class Observer:
    """The monthly metrics of one run: ``observe`` returns every name of ``METRICS``. The group
    masks are taken each month: households moving in change who is in which group (§7.9)."""

    def __init__(self, residents: Residents):
        self.residents = residents

    @property
    def groups(self) -> dict[str, np.ndarray]:
        residents = self.residents
        age = residents.age_group
        return {
            "local": ~residents.migrant, "migrant": residents.migrant,
            "party": residents.party, "nonparty": ~residents.party,
            "youth": age == 0, "adult": age == 1, "elder": age == 2,
        }

    def observe(self, flows: Flows, organizations: Organizations, community: CommunityState,
                degree: np.ndarray, moved: int = 0) -> dict[str, float]:
        """This month's metrics (district-wide; units in ``UNITS``)."""
        residents = self.residents
        took_any = residents.took_any
        out = {"participation_any": float(took_any.mean())}
        for activity, name in enumerate(BY_ACTIVITY):
            out[name] = float(residents.took[:, activity].mean())
        for name, mask in self.groups.items():  # count_nonzero of a logical and: no copies
            size = np.count_nonzero(mask)
            out[f"participation_{name}"] = np.count_nonzero(took_any & mask) / size if size else 0.0
        professionals = organizations.professionals()
        out.update(
            mean_efficacy=float(residents.efficacy.mean()),
            mean_trust=float(residents.trust.mean()),
            mean_public_spirit=float(residents.public_spirit.mean()),
            mean_dependency=float(residents.dependency.mean()),
            mean_attachment=float(residents.attachment.mean()),
            mean_satisfaction=float(residents.satisfaction.mean()),
            needs_met=float(residents.needs_met.mean()),
            self_orgs_active=len(organizations.self_organizations()),
            social_orgs_active=sum(not org.zombie for org in professionals),
            social_orgs_zombie=sum(org.zombie for org in professionals),
            projects_delivered=flows.delivered,
            fund_spent=flows.spent,
            fund_leaked=flows.leaked,
            fund_carried=float(sum(community.unallocated)),
            foundation_balance=float(community.foundation.sum()),
            incentive_paid=flows.incentive_paid,
            time_bank_hours=flows.time_bank_hours,
            foundation_income=float(community.foundation_income.sum()),
            delivered_quality=(float(np.average(community.delivered_quality,
                                                weights=community.delivered))
                               if community.delivered.sum() else 0.0),
            mean_degree=float(degree.mean()),
            residents_moved=moved,
            problems_open=float(residents.problem_open.mean()),
            problems_resolved=int(community.resolved.sum()),
            backlog=int(community.backlog.sum()),
            sd_trust=float(residents.trust.std()),
        )
        return out


OPEN_IN: dict[str, tuple[int, ...]] = {
    "participation_deliberate": fund.DELIBERATION_MONTHS,
    "participation_monitor": fund.IMPLEMENTATION_MONTHS,
}
"""Cycle months in which an activity can be open (monitoring also needs a running project)."""

EXTRA_SUMMARY = ("representation_gap", "yuan_per_satisfaction", "yuan_paid_total")

LAST_WINDOW = 12
"""Months averaged in ``<metric>_last12``."""


def summary_names() -> list[str]:
    """Every per-run summary name: ``<metric>_final``, ``<metric>_last12``, then the extras."""
    names = [f"{m}_{suffix}" for m in METRICS for suffix in ("final", "last12")]
    return [*names, *EXTRA_SUMMARY]


def summarize(
    timeseries: pd.DataFrame,
    *,
    migrant_population_share: float,
    migrants: int,
    locals_: int,
    initial_satisfaction: float,
) -> dict[str, float]:
    """Per-run summary from one run's monthly ``timeseries`` (rows ordered by month).

    - ``<metric>_final``: value in the last month; for deliberation and monitoring, which are
      open only in some months of the fund cycle, the value in the last month they were open
      (``OPEN_IN``), so that a run ending in an evaluation month does not report 0;
      ``<metric>_last12``: mean of the last 12 months.
    - ``representation_gap``: migrant share of adults minus migrant share of participant-months
      over the last 12 months (positive: migrants under-represented). NaN if nobody took part.
    - ``yuan_per_satisfaction``: fund spending (spent + leaked, yuan, whole run) per unit gain in
      mean satisfaction over the run; +inf when money was spent for no gain, NaN when none spent.
      Kept for old scripts; it divides by a gain measured from the initial satisfaction, a free
      parameter, and is infinite whenever that gain is ≤ 0: use ``sim.cost_effectiveness``.
    - ``yuan_paid_total``: yuan paid out of the communities' money over the whole run: fund
      payments (spent + leaked) and points redeemed (``incentive_paid``).
    """
    out: dict[str, float] = {}
    tail = timeseries.tail(LAST_WINDOW)
    cycle_month = (timeseries["month"].to_numpy() - 1) % fund.CYCLE_MONTHS + 1
    for name in METRICS:
        series = timeseries[name].to_numpy()
        opened = np.flatnonzero(np.isin(cycle_month, OPEN_IN.get(name, cycle_month)))
        out[f"{name}_final"] = float(series[opened[-1]] if len(opened) else series[-1])
        out[f"{name}_last12"] = float(tail[name].mean())
    migrant_part = float((tail["participation_migrant"] * migrants).sum())
    local_part = float((tail["participation_local"] * locals_).sum())
    total = migrant_part + local_part
    out["representation_gap"] = (
        migrant_population_share - migrant_part / total if total > 0 else float("nan")
    )
    spending = float(timeseries["fund_spent"].sum() + timeseries["fund_leaked"].sum())
    out["yuan_paid_total"] = spending + float(timeseries["incentive_paid"].sum())
    gain = float(timeseries["mean_satisfaction"].iloc[-1]) - initial_satisfaction
    if spending <= 0:
        out["yuan_per_satisfaction"] = float("nan")
    elif gain <= 0:
        out["yuan_per_satisfaction"] = float("inf")
    else:
        out["yuan_per_satisfaction"] = spending / gain
    return out


UNBOUNDED = (-float("inf"), float("inf"))
RANGES: dict[str, tuple[float, float]] = {
    **{name: (0.0, 1.0) for name in (*PARTICIPATION, *ATTITUDES, "needs_met",
                                     "problems_open", "delivered_quality")},
    "sd_trust": (0.0, 0.5),
    **{name: (0.0, float("inf")) for name in METRICS if UNITS[name].startswith(("count",
                                                                                 "yuan", "hours",
                                                                                 "projects",
                                                                                 "ties"))},
    "representation_gap": (-1.0, 1.0),
    "yuan_per_satisfaction": (0.0, float("inf")),
    "yuan_paid_total": (0.0, float("inf")),
}
"""Range of every monthly metric and summary extra: the interval rule (``sim.intervals``) never
reaches outside it. Shares and attitudes are in [0, 1]; counts, yuan and ties are ≥ 0; the
representation gap is a difference of two shares."""


def range_of(name: str) -> tuple[float, float]:
    """The range of a monthly metric or a summary name (``<metric>_final``/``_last12`` share
    their metric's range); ``(-inf, inf)`` for any other output (e.g. a test function's)."""
    if name in RANGES:
        return RANGES[name]
    base = name.removesuffix("_final").removesuffix("_last12")
    return RANGES.get(base, UNBOUNDED) if base != name else UNBOUNDED
