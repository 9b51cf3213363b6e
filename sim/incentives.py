"""Incentive schemes in yuan: points redeemed at the points mall, time-bank credits redeemed as
other members' service hours, and public recognition (ODD §7.1 "Incentives", §7.2 crowding).

Seed 004 (Chenghua): five kinds of points, 每100积分兑换1元商品 at an online and offline points
mall, 计时 rewards by duration, 通报表扬 of grids and volunteers; seed 001: 时间银行 points.

- **Value.** An activity is worth v yuan(-equivalent): points ``points_per_activity ×
  yuan_per_100_points / 100``; time bank ``hours_per_activity × yuan_per_hour × spent share``
  (the services one expects to receive back). Residents act on the *perceived* value c·v, c the
  community's credibility of the scheme: the share of redemption requests it has honoured,
  learnt month by month. The logit gains β_I·ln(1 + c·v / yuan0) (``behavior.incentive_shift``).
- **Points cost money.** Each month residents ask to redeem a share of their balance. The points
  mall pays in yuan from the incentive reserve the residents' committee set aside from the
  year's budget at the vote, before any project (``reserve``): a published exchange rate is a
  debt, and a debt not paid ruins the scheme. Redemptions settle while the year's budget is open
  (cycle months 3–11); requests beyond the reserve go unpaid, the points stay on the balance and
  credibility falls.
- **Time-bank credits cost hours.** A redeemed hour is an hour another member gives: requests
  are served only up to this month's volunteer hours in the community (reciprocity); unserved
  requests lower credibility. No yuan change hands (no coordination cost is sourced).
- **Recognition** costs nothing and shifts the odds of taking part by a relative effect
  (``behavior.incentives.recognition_effect``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import behavior
from sim.fund import CommunityFund
from sim.participation import VOLUNTEER
from sim.population import Residents
from sim.scenario import Behavior, Incentive, Policy


@dataclass
class IncentiveState:
    """One entry per community: the scheme's credibility and the yuan of points issued since the
    last vote (what the committee expects to owe next year)."""

    credibility: np.ndarray  # (C,) share of redemption requests the residents expect honoured
    issued: np.ndarray  # (C,) yuan of points issued since the last vote
    months: int = 0  # months counted in ``issued``

    @classmethod
    def start(cls, n_communities: int, coef: Behavior) -> IncentiveState:
        """A scheme starts at ``initial_credibility`` and has issued nothing."""
        return cls(np.full(n_communities, coef.incentives.initial_credibility),
                   np.zeros(n_communities))


def perceived_value(state: IncentiveState, incentive: Incentive, coef: Behavior) -> np.ndarray:
    """(C,) yuan(-equivalent) an activity is believed to be worth: credibility × nominal."""
    return state.credibility * behavior.incentive_value(incentive, coef)


def terms(state: IncentiveState, policy: Policy, coef: Behavior,
          of_resident: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(logit shift, perceived yuan per activity), one entry per resident."""
    value = perceived_value(state, policy.incentive, coef)
    shift = behavior.incentive_shift(policy.incentive.scheme, value, coef)
    return np.broadcast_to(shift, value.shape)[of_resident], value[of_resident]


def reserves(state: IncentiveState, residents: Residents, of_resident: np.ndarray,
             policy: Policy) -> np.ndarray:
    """(C,) yuan to set aside at the vote under points: the yuan value of the points residents
    hold plus the coming year's expected issue (the issue since the last vote, per month, × 12);
    the issue count restarts. Zeros under any other scheme."""
    n = len(state.credibility)
    if policy.incentive.scheme != "points":
        return np.zeros(n)
    held = np.bincount(of_resident, weights=residents.points, minlength=n)
    expected = state.issued * 12 / max(state.months, 1)
    owed = held * policy.incentive.yuan_per_100_points / 100.0 + expected
    state.issued, state.months = np.zeros(n), 0
    return owed


def month(state: IncentiveState, residents: Residents, of_resident: np.ndarray,
          funds: list[CommunityFund], policy: Policy, coef: Behavior
          ) -> tuple[np.ndarray, np.ndarray]:
    """This month's earning and redemption; returns (yuan paid, time-bank hours redeemed), each
    (C,) with one entry per community (zeros for what the scheme does not redeem)."""
    incentive = policy.incentive
    n = len(funds)
    activities = residents.took.sum(axis=1)
    if incentive.scheme == "points":
        earned = incentive.points_per_activity * activities
        residents.points += earned
        rate = incentive.yuan_per_100_points / 100.0
        state.issued += np.bincount(of_resident, weights=earned, minlength=n) * rate
        state.months += 1
        open_ = np.array([ledger.open_cycle for ledger in funds])
        asked = coef.incentives.redemption_rate * residents.points * open_[of_resident]
        wanted = np.bincount(of_resident, weights=asked, minlength=n) * rate
        paid = np.array([ledger.pay_incentives(w) if w > 0 else 0.0
                         for ledger, w in zip(funds, wanted, strict=True)])
        _settle(state, residents, "points", asked, wanted, paid, of_resident, coef)
        return paid, np.zeros(n)
    if incentive.scheme == "time_bank":
        residents.credits += (incentive.hours_per_activity
                              * coef.incentives.time_bank_spent_share * activities)
        asked = coef.incentives.redemption_rate * residents.credits
        wanted = np.bincount(of_resident, weights=asked, minlength=n)
        given = incentive.hours_per_activity * np.bincount(
            of_resident, weights=residents.took[:, VOLUNTEER], minlength=n)
        served = np.minimum(wanted, given)
        _settle(state, residents, "credits", asked, wanted, served, of_resident, coef)
        return np.zeros(n), served
    return np.zeros(n), np.zeros(n)


def _settle(state: IncentiveState, residents: Residents, balance: str, asked: np.ndarray,
            wanted: np.ndarray, honoured: np.ndarray, of_resident: np.ndarray,
            coef: Behavior) -> None:
    """Take the honoured share of each request off its balance (pro rata within a community)
    and move credibility toward that share where anything was asked."""
    asking = wanted > 0
    fill = np.where(asking, honoured / np.where(asking, wanted, 1.0), 1.0)
    setattr(residents, balance, getattr(residents, balance) - fill[of_resident] * asked)
    learnt = behavior.relax(state.credibility, fill, coef.incentives.credibility_learning)
    state.credibility = np.where(asking, learnt, state.credibility)
