"""Observation: the monthly metrics and the per-run summary, for the district and for each
community (MODEL.md §8, ODD §8).

The names are the contract (INTERFACE.md): CSV columns, ``--metric`` arguments and experiment
``metrics:`` lists all use them. District values: shares in [0, 1] are shares of the district's
adult residents; money is in yuan per month summed over communities; counts are whole numbers.
Community values (``Observer.observe_communities``) are the same metrics within one community:
shares of its adults, its money, its counts; they add back up to the district's
(``COMMUNITY_AGGREGATION``).
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
    from sim.population import Layout, Residents

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
    """The monthly metrics of one run: ``observe`` returns every name of ``METRICS`` for the
    district, ``observe_communities`` the same within each community. The group masks are taken
    each month: households moving in change who is in which group (§7.9)."""

    def __init__(self, residents: Residents):
        self.residents = residents
        self.community_history: list[np.ndarray] = []
        """One (C, len(METRICS)) array a month observed (``observe_communities``)."""

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
        totals = flows.totals()
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
            projects_delivered=totals["delivered"],
            fund_spent=totals["spent"],
            fund_leaked=totals["leaked"],
            fund_carried=float(sum(community.unallocated)),
            foundation_balance=float(community.foundation.sum()),
            incentive_paid=totals["incentive_paid"],
            time_bank_hours=totals["time_bank_hours"],
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

    def observe_communities(self, flows: Flows, organizations: Organizations,
                            community: CommunityState, degree: np.ndarray, moved: np.ndarray,
                            layout: Layout) -> np.ndarray:
        """This month's metrics within each community: a (C, len(METRICS)) array, rows in the
        layout's community order, columns in ``METRICS`` order, appended to
        ``community_history`` and returned. ``moved``: (N,) bool, adults who moved in this
        month.

        Every metric is the district's definition applied to one community's adults (a
        contiguous range of residents, ``layout.community_start``/``community_size``): shares of
        its adults or of its group, means over its adults, its fund ledger, foundation and
        incentive payments (yuan), its projects, problems and movers (counts). Means are taken
        over each community's slice the way the district's are over all adults, so a district of
        one community gives the district's numbers to the bit. Organizations are counted in the
        community they belong to: a residents' self-organization in its own community; a
        professional organization is registered with a street office and serves every
        community of that street (ODD §7.8), so each of the street's communities counts the
        share of it that its adults are of the street's adults (a fraction; the street's
        communities together count it once). How the communities add up to the district:
        ``COMMUNITY_AGGREGATION``."""
        residents = self.residents
        starts, size = layout.community_start, layout.community_size
        slices = [slice(a, a + n) for a, n in zip(starts.tolist(), size.tolist(), strict=True)]

        def count(mask: np.ndarray) -> np.ndarray:
            return np.add.reduceat(mask, starts, dtype=np.int64)

        def mean(values: np.ndarray) -> np.ndarray:
            return np.array([values[part].mean() for part in slices])

        def share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
            return np.divide(part, whole, out=np.zeros(len(whole)), where=whole > 0)

        took_any = residents.took_any
        out = {"participation_any": count(took_any) / size}
        for activity, name in enumerate(BY_ACTIVITY):
            out[name] = count(residents.took[:, activity]) / size
        for name, mask in self.groups.items():
            out[f"participation_{name}"] = share(count(took_any & mask), count(mask))
        street = layout.street_of_community
        street_adults = np.bincount(street, weights=size)
        professional = {"active": np.zeros(len(street_adults)),
                        "zombie": np.zeros(len(street_adults))}
        for org in organizations.professionals():
            professional["zombie" if org.zombie else "active"][org.street] += 1
        own_street = size / street_adults[street]
        self_orgs = [org.community for org in organizations.self_organizations().values()]
        totals = {"delivered": flows.delivered, "spent": flows.spent, "leaked": flows.leaked}
        out.update(
            mean_efficacy=mean(residents.efficacy),
            mean_trust=mean(residents.trust),
            mean_public_spirit=mean(residents.public_spirit),
            mean_dependency=mean(residents.dependency),
            mean_attachment=mean(residents.attachment),
            mean_satisfaction=mean(residents.satisfaction),
            needs_met=mean(residents.needs_met),
            self_orgs_active=np.bincount(np.asarray(self_orgs, dtype=np.int64),
                                         minlength=len(size)),
            social_orgs_active=professional["active"][street] * own_street,
            social_orgs_zombie=professional["zombie"][street] * own_street,
            projects_delivered=totals["delivered"],
            fund_spent=totals["spent"],
            fund_leaked=totals["leaked"],
            fund_carried=community.unallocated,
            foundation_balance=community.foundation,
            incentive_paid=flows.incentive_paid,
            time_bank_hours=flows.time_bank_hours,
            foundation_income=community.foundation_income,
            delivered_quality=community.delivered_quality,  # 0 where nothing was delivered
            mean_degree=mean(degree),
            residents_moved=count(moved),
            problems_open=count(residents.problem_open) / size,
            problems_resolved=community.resolved,
            backlog=community.backlog,
            sd_trust=np.array([residents.trust[part].std() for part in slices]),
        )
        rows = np.column_stack([np.asarray(out[name], dtype=np.float64) for name in METRICS])
        self.community_history.append(rows)
        return rows


COMMUNITY_AGGREGATION: dict[str, str] = {
    **{name: "adults" for name in ("participation_any", *BY_ACTIVITY, *ATTITUDES, "needs_met",
                                   "mean_degree", "problems_open")},
    **{f"participation_{group}": group for group in GROUPS},
    **{name: "sum" for name in ("self_orgs_active", "social_orgs_active", "social_orgs_zombie",
                                "projects_delivered", "fund_spent", "fund_leaked",
                                "fund_carried", "foundation_balance", "incentive_paid",
                                "time_bank_hours", "foundation_income", "residents_moved",
                                "problems_resolved", "backlog")},
    "delivered_quality": "delivered",
    "sd_trust": "pooled",
}
"""How each metric's community values give the district's: ``adults``, their mean weighted by
each community's adults; a group name (``migrant``, …), weighted by the community's adults in
that group; ``sum``; ``delivered``, weighted by the projects each community delivered in the
last closed cycle; ``pooled``, the pooled standard deviation √(Σ n_c (sd_c² + (m_c − m)²) / N)
of the communities' means m_c (``mean_trust``) and spreads sd_c. Holds to floating-point
rounding (tests/test_community_results.py)."""


def community_names(layout: Layout) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(street office of each community, name of each community), both (C,) in layout order:
    ``layout.street_names``/``community_names`` where the layout has them (a table of
    communities), else the uniform structure's names: street offices "1" … "S" and
    communities "<street>-<k>", k = 1, 2, … within the street ("2-3")."""
    street = layout.street_of_community
    streets = getattr(layout, "street_names", None)
    if not streets:
        streets = tuple(str(s + 1) for s in range(int(street.max()) + 1))
    names = getattr(layout, "community_names", None)
    if not names:
        first = np.searchsorted(street, street)  # the layout numbers a street's communities
        names = tuple(f"{s + 1}-{c - f + 1}"      # one after another
                      for c, (s, f) in enumerate(zip(street.tolist(), first.tolist(),
                                                     strict=True)))
    return tuple(streets[s] for s in street.tolist()), tuple(names)


OPEN_IN: dict[str, tuple[int, ...]] = {
    "participation_deliberate": fund.DELIBERATION_MONTHS,
    "participation_monitor": fund.IMPLEMENTATION_MONTHS,
}
"""Cycle months in which an activity can be open (monitoring also needs a running project)."""

EXTRA_SUMMARY = ("representation_gap", "yuan_per_satisfaction", "yuan_paid_total")

LAST_WINDOW = 12
"""Months averaged in ``<metric>_last12``."""


COMMUNITY_SPREAD: tuple[str, ...] = (
    "participation_any_last12",
    "participation_migrant_last12",
    "mean_trust_last12",
    "needs_met_last12",
)
"""Summary names whose spread across communities every run reports: ``<name>_community_min``
(the lowest community's value) and ``<name>_community_range`` (highest − lowest). Which
communities the reform leaves behind is what district officials ask (issue 14)."""

SPREAD = ("community_min", "community_range")
"""The suffixes of the spread names, in ``summary_names`` order."""


def spread_names() -> list[str]:
    """``<name>_community_min`` and ``<name>_community_range`` for each of
    ``COMMUNITY_SPREAD``."""
    return [f"{name}_{suffix}" for name in COMMUNITY_SPREAD for suffix in SPREAD]


def summary_names() -> list[str]:
    """Every per-run summary name: ``<metric>_final``, ``<metric>_last12``, the extras, then the
    spread across communities (``spread_names``)."""
    names = [f"{m}_{suffix}" for m in METRICS for suffix in ("final", "last12")]
    return [*names, *EXTRA_SUMMARY, *spread_names()]


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
    values = np.stack([timeseries[name].to_numpy(dtype=np.float64) for name in METRICS])
    out = _summaries(timeseries["month"].to_numpy(), values[np.newaxis],
                     migrant_population_share=np.array([migrant_population_share]),
                     migrants=np.array([migrants]), locals_=np.array([locals_]),
                     initial_satisfaction=initial_satisfaction)
    return {name: float(value[0]) for name, value in out.items()}


def _summaries(month: np.ndarray, values: np.ndarray, *, migrant_population_share: np.ndarray,
               migrants: np.ndarray, locals_: np.ndarray, initial_satisfaction: float
               ) -> dict[str, np.ndarray]:
    """The rules of :func:`summarize` for U units at once (the district, or each community):
    ``month`` (T,), ``values`` (U, len(METRICS), T), the others (U,); returns each summary name
    but the spread names as a (U,) array. Every sum runs along a contiguous row of T (or 12)
    months, as a pandas column's sum does, so one unit's numbers do not depend on how many are
    summarised with it."""
    out: dict[str, np.ndarray] = {}
    column = {name: j for j, name in enumerate(METRICS)}
    tail = values[..., -LAST_WINDOW:]
    last12 = tail.sum(axis=-1) / tail.shape[-1]
    cycle_month = (month - 1) % fund.CYCLE_MONTHS + 1
    for j, name in enumerate(METRICS):
        opened = np.flatnonzero(np.isin(cycle_month, OPEN_IN.get(name, cycle_month)))
        out[f"{name}_final"] = values[:, j, opened[-1] if len(opened) else -1]
        out[f"{name}_last12"] = last12[:, j]
    migrant_part = (tail[:, column["participation_migrant"]] * migrants[:, None]).sum(axis=-1)
    local_part = (tail[:, column["participation_local"]] * locals_[:, None]).sum(axis=-1)
    total = migrant_part + local_part
    took_part = total > 0
    out["representation_gap"] = np.where(
        took_part, migrant_population_share - migrant_part / np.where(took_part, total, 1.0),
        np.nan)
    spending = (values[:, column["fund_spent"]].sum(axis=-1)
                + values[:, column["fund_leaked"]].sum(axis=-1))
    out["yuan_paid_total"] = spending + values[:, column["incentive_paid"]].sum(axis=-1)
    gain = values[:, column["mean_satisfaction"], -1] - initial_satisfaction
    out["yuan_per_satisfaction"] = np.where(
        spending <= 0, np.nan, np.where(gain <= 0, np.inf, spending / np.where(gain > 0, gain,
                                                                                 1.0)))
    return out


def summarize_communities(
    timeseries: pd.DataFrame,
    *,
    migrants: np.ndarray,
    locals_: np.ndarray,
    initial_satisfaction: float,
) -> pd.DataFrame:
    """Per-community summary: the rules of :func:`summarize` applied to each community's own
    monthly metrics.

    ``timeseries``: one row per (month, community), columns ``month``, ``community`` and every
    name of ``METRICS``, communities in layout order within each month; ``migrants`` and
    ``locals_``: (C,) adults of each community, in that order. Returns one row per community
    (that order), columns every name of :func:`summary_names` but the spread names, which are a
    district's figure (:func:`community_spread`): ``representation_gap`` compares the
    community's migrant share of adults with its migrant share of participant-months and
    ``yuan_per_satisfaction``/``yuan_paid_total`` count its own money."""
    import pandas as pd  # only here: labels and the demo import this module without pandas

    months = np.unique(timeseries["month"].to_numpy())
    n = len(migrants)
    values = timeseries[list(METRICS)].to_numpy(dtype=np.float64)
    values = np.ascontiguousarray(values.reshape(len(months), n, len(METRICS)).transpose(1, 2, 0))
    out = _summaries(months, values, migrant_population_share=migrants / (migrants + locals_),
                     migrants=migrants, locals_=locals_,
                     initial_satisfaction=initial_satisfaction)
    return pd.DataFrame(out, columns=[name for name in summary_names()
                                      if name not in spread_names()])


def community_spread(community_summary: pd.DataFrame) -> dict[str, float]:
    """``<name>_community_min`` (lowest community) and ``<name>_community_range`` (highest −
    lowest) of each name of ``COMMUNITY_SPREAD`` from one row per community
    (:func:`summarize_communities`); NaN values are left out, and a name NaN in every
    community gives NaN. With one community the minimum is its (the district's) value and the
    range 0."""
    out: dict[str, float] = {}
    for name in COMMUNITY_SPREAD:
        values = community_summary[name].to_numpy(dtype=float)
        values = values[~np.isnan(values)]
        low = float(values.min()) if len(values) else float("nan")
        out[f"{name}_community_min"] = low
        out[f"{name}_community_range"] = float(values.max()) - low if len(values) else low
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
    their metric's range, and so does ``<name>_community_min``; ``<name>_community_range``
    lies in [0, high − low] of it); ``(-inf, inf)`` for any other output (e.g. a test
    function's)."""
    if name in RANGES:
        return RANGES[name]
    for suffix in SPREAD:
        base = name.removesuffix(f"_{suffix}")
        if base != name and base in COMMUNITY_SPREAD:
            low, high = range_of(base)
            return (low, high) if suffix == "community_min" else (0.0, high - low)
    base = name.removesuffix("_final").removesuffix("_last12")
    return RANGES.get(base, UNBOUNDED) if base != name else UNBOUNDED
