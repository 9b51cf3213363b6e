"""sim/incentives.py (ODD §7.1 "Incentives", §7.2 crowding): points paid in yuan from the
community's budget, credibility, crowding out under small pay, large pay, recognition and the
time bank's reciprocity, each shown by a knockout on shared seeds with a stated minimum effect.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from worlds import check_ledger

from sim import fund, incentives
from sim.model import CoGovModel, replicate_rng
from sim.participation import VOLUNTEER
from sim.scenario import Scenario

SEEDS = (0, 1, 2)
WORLD = {"residents_per_community": 800, "communities_per_street": 1, "street_offices": 1}
AMPLE = 3_000_000.0  # a fund no reserve exhausts, so pay does not displace projects


def world(months: int = 36, behavior=None, population=None, **policy) -> Scenario:
    """One community of 800 adults, devolved fund (the reform's levers that matter here)."""
    return Scenario.from_dict({
        "seed": 5, "months": months, "structure": WORLD, "behavior": behavior or {},
        "population": population or {},
        "policy": {"fund_per_community": 200_000.0, "devolution": 1.0, "service_focus": 0.8,
                   **policy},
    })


def points(yuan_per_activity: float) -> dict:
    """Points worth ``yuan_per_activity`` yuan an activity at the Chenghua 100 points = 1 yuan."""
    return {"scheme": "points", "points_per_activity": 100 * yuan_per_activity,
            "yuan_per_100_points": 1.0}


_RUNS: dict[str, list[CoGovModel]] = {}


def runs(s: Scenario) -> list[CoGovModel]:
    """The replicates of ``SEEDS`` (shared seeds), run once per scenario within this module."""
    key = s.model_dump_json()
    if key not in _RUNS:
        _RUNS[key] = [CoGovModel(s, rng=replicate_rng(s.seed, r)).run() for r in SEEDS]
    return _RUNS[key]


def last12(models: list[CoGovModel], metric: str) -> float:
    return float(np.mean([m.timeseries()[metric].tail(12).mean() for m in models]))


# ---------------------------------------------------------------------------------- money
def test_redeemed_points_are_paid_in_yuan_that_leave_the_fund():
    # 5 yuan an activity for 24 months: every yuan the points mall paid is in incentive_paid,
    # in the ledger's incentives of its year, and off the points balances at 100 points = 1 yuan
    # (nobody moves: a household that moves out takes its unredeemed points with it, §7.9)
    still = {"mobility": {"local_rate": 0.0, "migrant_rate": 0.0}}
    m = CoGovModel(world(months=24, population=still, incentive=points(5.0)))
    earned = 0.0
    for _ in range(24):
        m.step()
        earned += 500.0 * m.residents.took.sum()
    ts = m.timeseries()
    check_ledger(m, ts)
    paid = ts.incentive_paid.sum()
    assert paid > 1_000.0  # yuan: the scheme is paid for
    assert paid == pytest.approx(sum(a.incentives for f in m.funds for a in f.history)
                                 + sum(f.incentives for f in m.funds if f.open_cycle), rel=1e-9)
    assert (earned - m.residents.points.sum()) / 100.0 == pytest.approx(paid, rel=1e-9)
    # redemptions settle only while the year's budget is open (cycle months 3–11)
    closed = ~ts.month.map(fund.cycle_month).between(fund.VOTE_MONTH, fund.EVALUATION_MONTH - 1)
    assert (ts.incentive_paid[closed] == 0).all()


def test_points_spending_comes_out_of_projects():
    # the same run without redemptions (the mall never asked) carries more money forward: the
    # reserve is taken from the budget before projects and paid out
    paid = CoGovModel(world(months=24, incentive=points(5.0))).run()
    kept = CoGovModel(world(months=24, incentive=points(5.0),
                            behavior={"incentives": {"redemption_rate": 0.0}})).run()
    assert kept.timeseries().incentive_paid.sum() == 0.0
    year0 = [f.history[0] for f in paid.funds]
    assert sum(a.incentives for a in year0) > 0
    for a in year0:  # budget == spent + leaked + incentives + carried, to the yuan
        assert a.budget == pytest.approx(a.spent + a.leaked + a.incentives + a.carried_out,
                                         abs=1e-6)


def test_an_unfunded_scheme_loses_its_effect():
    # 20 yuan an activity with no fund and no foundation: nothing can be redeemed, credibility
    # falls, and with it the pull of the points. Knockout: credibility that never learns (both
    # start fully believed).
    unfunded = {"fund_per_community": 0.0, "foundation": False, "incentive": points(20.0)}
    believed = {"initial_credibility": 1.0}
    learns = runs(world(behavior={"incentives": believed}, **unfunded))
    frozen = runs(world(behavior={"incentives": {**believed, "credibility_learning": 0.0}},
                        **unfunded))
    assert max(m.incentive_state.credibility.max() for m in learns) < 0.1
    assert all(m.timeseries().incentive_paid.sum() == 0 for m in learns)
    gap = last12(frozen, "participation_any") - last12(learns, "participation_any")
    assert gap > 0.004  # ≥ 0.4 points of monthly participation (measured ≈ 0.8)


# ------------------------------------------------------------------------------- crowding
def test_small_pay_crowds_out_public_spirit_and_buys_nothing():
    # Chenghua's 0.1 yuan an activity against no scheme, 36 months (Gneezy & Rustichini: pay
    # a little and effort falls): public spirit lower, participation not higher
    none, small = runs(world()), runs(world(incentive=points(0.1)))
    drop = last12(none, "mean_public_spirit") - last12(small, "mean_public_spirit")
    assert drop > 0.004  # measured ≈ 0.009
    assert last12(small, "participation_any") <= last12(none, "participation_any")


def test_crowding_knockout_removes_the_loss_of_small_pay():
    off = {"crowding_out": 0.0}
    none, small = runs(world(behavior=off)), runs(world(behavior=off, incentive=points(0.1)))
    drop = last12(none, "mean_public_spirit") - last12(small, "mean_public_spirit")
    assert abs(drop) < 0.002


def test_large_pay_raises_participation_with_diminishing_returns():
    # an ample fund, so the reserve displaces no project: 30 and 100 yuan an activity
    none = runs(world(fund_per_community=AMPLE))
    pay30 = runs(world(fund_per_community=AMPLE, incentive=points(30.0)))
    pay100 = runs(world(fund_per_community=AMPLE, incentive=points(100.0)))
    base = last12(none, "participation_any")
    gain30 = last12(pay30, "participation_any") - base
    gain100 = last12(pay100, "participation_any") - base
    assert gain100 > 0.008  # ≥ 0.8 points (measured ≈ 1.8)
    assert gain100 > gain30
    # diminishing returns: points of participation per yuan paid fall with the payment
    cost30 = last12(pay30, "incentive_paid")
    cost100 = last12(pay100, "incentive_paid")
    assert gain100 / cost100 < gain30 / cost30


def test_recognition_raises_participation_without_lowering_public_spirit():
    none, honoured = runs(world()), runs(world(incentive={"scheme": "recognition"}))
    gain = last12(honoured, "participation_any") - last12(none, "participation_any")
    assert gain > 0.01  # ≥ 1 point (measured ≈ 2.2)
    assert last12(honoured, "mean_public_spirit") >= last12(none, "mean_public_spirit")
    assert all(m.timeseries().incentive_paid.sum() == 0 for m in honoured)  # no money
    # knockout: without its effect on the odds recognition adds less
    plain = runs(world(incentive={"scheme": "recognition"},
                       behavior={"incentives": {"recognition_effect": 0.0}}))
    # measured ≈ 1.4 points
    assert last12(honoured, "participation_any") - last12(plain, "participation_any") > 0.005


# ------------------------------------------------------------------------------ time bank
def test_time_bank_hours_are_given_by_volunteers_and_crowd_in():
    tb = runs(world(incentive={"scheme": "time_bank"}))
    none = runs(world())
    for m in tb:
        ts = m.timeseries()
        volunteer_hours = 2.0 * ts.participation_volunteer * 800  # hours given this month
        assert ts.time_bank_hours.sum() > 500.0
        assert (ts.time_bank_hours <= volunteer_hours + 1e-6).all()  # reciprocity
        assert ts.incentive_paid.sum() == 0.0  # no yuan change hands
    assert last12(tb, "mean_public_spirit") > last12(none, "mean_public_spirit")
    # measured ≈ 1.2 points
    assert last12(tb, "participation_any") - last12(none, "participation_any") > 0.005


def test_time_bank_without_volunteers_loses_credibility():
    # credits can only be spent on hours other members give; with volunteering closed by a
    # prohibitive time cost nobody gives an hour, requests go unserved and credibility falls
    s = world(months=24, incentive={"scheme": "time_bank"},
              behavior={"alpha": {"deliberate": -5.9, "volunteer": -30.0, "monitor": -7.4}})
    m = CoGovModel(s).run()
    assert m.timeseries().time_bank_hours.sum() == 0.0
    assert m.residents.credits.sum() > 0.0  # deliberators and monitors earned credits
    assert m.incentive_state.credibility.max() < 0.2



def test_points_worth_nothing_are_no_payment():
    # 10 points an activity exchanged at 0 yuan: nothing is paid, so nothing is crowded out —
    # the run is the no-scheme run, bit for bit, in public spirit and participation
    none = runs(world(months=24))
    worthless = runs(world(months=24, incentive={"scheme": "points", "yuan_per_100_points": 0.0}))
    for a, b in zip(none, worthless, strict=True):
        pd_a, pd_b = a.timeseries(), b.timeseries()
        assert (pd_a.mean_public_spirit == pd_b.mean_public_spirit).all()
        assert (pd_a.participation_any == pd_b.participation_any).all()


# ------------------------------------------------------------- found by mutation testing (issue 9)
@pytest.mark.parametrize("months", [1, 12])
def test_the_reserve_is_the_points_held_plus_a_year_of_issue(months):
    # two communities; residents hold 300 and 100 + 200 points at 2 yuan per 100 points, and
    # since the last vote 240 and 0 yuan of points were issued over ``months`` months: the
    # committee sets aside what it owes now plus the coming year's issue at the same pace, and
    # starts counting the issue afresh; no reserve under another scheme
    state = incentives.IncentiveState(np.ones(2), np.array([240.0, 0.0]), months)
    residents = SimpleNamespace(points=np.array([300.0, 100.0, 200.0]))
    of = np.array([0, 1, 1])
    policy = SimpleNamespace(incentive=SimpleNamespace(scheme="points", yuan_per_100_points=2.0))
    owed = incentives.reserves(state, residents, of, policy)
    np.testing.assert_allclose(owed, [6.0 + 240.0 * 12 / months, 6.0])
    assert state.months == 0 and (state.issued == 0).all()
    policy.incentive.scheme = "time_bank"
    np.testing.assert_array_equal(incentives.reserves(state, residents, of, policy), [0, 0])


def test_the_issue_since_the_vote_counts_every_yuan_of_points_earned():
    # 5 yuan an activity: between two votes the scheme's issue is the yuan value of every point
    # earned since the last vote, over the months counted since then (what ``reserves`` scales
    # to a year)
    still = {"mobility": {"local_rate": 0.0, "migrant_rate": 0.0}}
    m = CoGovModel(world(months=24, population=still, incentive=points(5.0)))
    issued, months, longest = 0.0, 0, 0
    for _ in range(24):
        m.step()
        earned = 5.0 * m.residents.took.sum()
        state = m.incentive_state
        issued, months = (earned, 1) if state.months <= months else (issued + earned, months + 1)
        longest = max(longest, months)
        assert state.months == months
        assert state.issued.sum() == pytest.approx(issued, rel=1e-9)
    assert longest >= 11


def test_time_bank_hours_are_served_only_by_volunteers_hours():
    # one community of four: two members ask to redeem their credits. With nobody
    # volunteering this month no hour is served, the credits stay and credibility falls; one
    # volunteer's activity serves at most the hours it gives. Points and no scheme redeem no
    # hours.
    s = world(incentive={"scheme": "time_bank"})
    hours = s.policy.incentive.hours_per_activity
    def month(volunteers):
        state = incentives.IncentiveState.start(1, s.behavior)
        took = np.zeros((4, 3), dtype=bool)
        took[volunteers, VOLUNTEER] = True
        residents = SimpleNamespace(took=took, credits=np.array([0.0, 40.0, 40.0, 0.0]),
                                    points=np.zeros(4))
        start = state.credibility.copy()
        paid, served = incentives.month(state, residents, np.zeros(4, dtype=int), [None],
                                        s.policy, s.behavior)
        return paid, served, state.credibility - start
    paid, served, change = month([])
    assert paid == 0.0 and served == 0.0 and change[0] < 0.0
    _, served, _ = month([3])
    assert 0.0 < served <= hours
    for other in (world(incentive=points(5.0)), world()):
        m = CoGovModel(other.model_copy(update={"months": 6})).run()
        assert (m.timeseries().time_bank_hours == 0).all()
