"""Small worlds the model tests share: scenarios of a few hundred residents, and the ledger
check every fund test and the invariants use."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.model import CoGovModel
from sim.scenario import Scenario

FUND = 200_000.0
SMALL = {"residents_per_community": 300, "communities_per_street": 2}


def scenario(months: int = 15, seed: int = 3, structure=None, behavior=None,
             **policy) -> Scenario:
    return Scenario.from_dict({
        "seed": seed, "months": months, "structure": {**SMALL, **(structure or {})},
        "behavior": behavior or {},
        "policy": {"fund_per_community": FUND, "devolution": 0.8, "service_focus": 0.4,
                   **policy},
    })


def run(s: Scenario, rng=None) -> CoGovModel:
    return CoGovModel(s, rng=rng).run()


# --------------------------------------------------------------------- ledger reconciliation
def check_ledger(m: CoGovModel, ts: pd.DataFrame) -> None:
    """Every closed cycle balances; cycles chain; the monthly flows add up to the ledgers."""
    for f in m.funds:
        for k, account in enumerate(f.history):
            assert account.year == k
            assert abs(account.budget - (account.spent + account.leaked + account.incentives
                                         + account.carried_out)) <= 1.0
            assert account.budget == pytest.approx(account.fund + account.foundation_grant
                                                   + account.carried_in, abs=1e-6)
            assert account.carried_out >= -1e-6  # never more paid out than held
            assert min(account.spent, account.leaked, account.fund,
                       account.foundation_grant, account.incentives) >= 0
        for before, after in zip(f.history, f.history[1:], strict=False):
            assert after.carried_in == pytest.approx(before.carried_out, abs=1e-6)
    for year in range(max((len(f.history) for f in m.funds), default=0)):
        months = ts.month.between(12 * year + 1, 12 * year + 12)
        for kind, metric in (("spent", "fund_spent"), ("leaked", "fund_leaked"),
                             ("incentives", "incentive_paid")):
            flow = ts.loc[months, metric].sum()
            ledger = sum(getattr(f.history[year], kind) for f in m.funds)
            assert flow == pytest.approx(ledger, rel=1e-9, abs=1e-6), (year, kind)


# The coefficients the hand computations below use, stated rather than taken from the schema
# defaults, so that recalibrating a default does not break a hand-checked rule.
RULES = {"capacity_learning": 0.05, "capacity_decay": 0.01, "capacity_training_gain": 0.1,
         "reputation_learning": 0.3, "initial_reputation": 0.5, "sigma_accountability": 0.3,
         "sigma_pull": 0.3, "hours_per_demand": 4.0,
         "demands": {"office_hours_per_project": 60.0}}


def small_model(months: int = 12, structure=None, behavior=None, **policy) -> CoGovModel:
    return CoGovModel(Scenario.from_dict({
        "seed": 11, "months": months,
        "structure": {"residents_per_community": 300, "communities_per_street": 2,
                      "street_staff_hours_per_community": 240.0, **(structure or {})},
        "behavior": {**RULES, **(behavior or {})},
        "policy": {"service_focus": 0.4, **policy},
    }))


# ------------------------------------------------------------------- community time series
def community_frame(streets: int = 2, per_street: int = 4, residents: int = 300,
                    months: int = 24, replicates: int = 3, seed: int = 5) -> pd.DataFrame:
    """Columns ``replicate, month, street_office, community, participation_any`` of a real
    uniform multi-community run, each community's share of adults who took part measured
    from the model's residents every month (``sim.demo.district_view``): the community time
    series of the issue-14 contract, until the model writes its own."""
    from sim.demo.district_view import community_names, community_participation
    from sim.model import replicate_rng

    s = scenario(months=months, seed=seed,
                 structure={"street_offices": streets, "communities_per_street": per_street,
                            "residents_per_community": residents})
    frames = []
    for r in range(replicates):
        m = CoGovModel(s, rng=replicate_rng(seed, r))
        names, street_names = community_names(m.layout)
        street = [street_names[k] for k in m.layout.street_of_community]
        for month in range(1, months + 1):
            m.step()
            frames.append(pd.DataFrame({"replicate": r, "month": month, "street_office": street,
                                        "community": names,
                                        "participation_any": community_participation(m)}))
    return pd.concat(frames, ignore_index=True)
