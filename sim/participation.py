"""Participation: every resident decides, for each activity open this month, whether to take
part (MODEL.md §7.1, ODD §7.1).

Deliberation is open in the fund cycle's proposal and vote months (``fund.DELIBERATION_MONTHS``),
volunteering every month, monitoring in communities with a project running. The equations are
``behavior.participation_logit`` and ``behavior.participation_probability``; this module gathers
their inputs from the residents' arrays and the community state and draws the choices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import behavior
from sim.population import Residents
from sim.scenario import ACTIVITIES, Behavior, Policy, Structure

DELIBERATE, VOLUNTEER, MONITOR = range(len(ACTIVITIES))


@dataclass(frozen=True)
class Openings:
    """What each community offers this month: which activities are open and what is at stake
    (arrays of length C)."""

    deliberation_open: bool  # a proposal or vote month of the fund cycle
    running: np.ndarray  # bool, a project is being implemented (monitoring open)
    council_share: np.ndarray  # share of the running projects' cost the council chose
    effective_devolution: np.ndarray  # d_eff, share of the council's choices that stand
    fund_per_household: np.ndarray  # yuan the council can decide on per household
    gate: np.ndarray  # organising-capacity gate on deliberation

    def activities(self) -> tuple[int, ...]:
        """Activities open somewhere this month (closed ones are not computed: p = 0)."""
        opened = ((DELIBERATE, self.deliberation_open), (VOLUNTEER, True),
                  (MONITOR, bool(self.running.any())))
        return tuple(activity for activity, is_open in opened if is_open)


@dataclass(frozen=True)
class Drivers:
    """What moves residents this month beyond their own state: policy and coef, the
    time cost and incentive value the policy sets, and their ties as they stood last month
    (read before anyone acts; the network grows only at the end of the month)."""

    policy: Policy
    behavior: Behavior
    cost: np.ndarray  # (N,) time cost in logit units
    incentive: np.ndarray  # (N,) incentive logit shift (behavior.incentive_shift)
    neighbours: np.ndarray  # (N, 4) neighbours' last-month shares per activity, then active party
    degree: np.ndarray  # (N,) ties per resident
    incentive_yuan: np.ndarray  # (N,) perceived yuan(-equivalent) per activity


def participate(residents: Residents, community: np.ndarray, openings: Openings,
                drivers: Drivers, rng: np.random.Generator) -> None:
    """Draw this month's (N, 3) choices and record them in ``residents`` (``took``,
    ``took_any``; points and credits are earned in ``incentives.month``). ``community`` is each
    resident's community. One uniform per resident and activity is drawn every month, open or
    not."""
    acts = openings.activities()
    coef = drivers.behavior
    stake = np.column_stack([_stake(activity, residents, community, openings, drivers)
                             for activity in acts])
    logit = behavior.participation_logit(
        coef, public_spirit=residents.public_spirit, efficacy=residents.efficacy,
        trust=residents.trust, dependency=residents.dependency, party=residents.party,
        self_org_member=residents.self_org >= 0, engagement=residents.engagement,
        propensity=residents.propensity,
        recruited=residents.months_since_contact < coef.recruit_memory, cost=drivers.cost,
        stake=stake, neighbours=drivers.neighbours[:, acts], incentive=drivers.incentive,
        activities=acts,
    )
    is_open = np.column_stack([openings.running if activity == MONITOR
                               else np.ones(len(openings.running)) for activity in acts])
    prob = behavior.participation_probability(logit, is_open[community],
                                              openings.gate[community], acts)
    draws = rng.random((len(residents), len(ACTIVITIES)))
    took = np.zeros((len(residents), len(ACTIVITIES)), dtype=bool)
    took[:, acts] = draws[:, acts] < prob
    residents.record_participation(took)


def _stake(activity: int, residents: Residents, community: np.ndarray, openings: Openings,
           drivers: Drivers) -> np.ndarray:
    """stake_a of §7.1 for every resident."""
    if activity == DELIBERATE:
        per_community = behavior.deliberation_stake(
            openings.effective_devolution, 1.0, openings.fund_per_household,
            drivers.behavior.stake_fund_scale)
        return per_community[community] * residents.need_intensity
    if activity == VOLUNTEER:
        return residents.attachment
    return (drivers.policy.transparency * openings.council_share)[community]


def policy_costs(residents: Residents, policy: Policy, coef: Behavior) -> np.ndarray:
    """Time cost per resident under ``policy``: the §7.1 term that changes only when policy
    does."""
    return behavior.time_cost(residents.age_group, residents.employed, residents.migrant,
                              residents.care_duty, residents.party, coef.cost,
                              policy.party.dual_registration)


def organising_gates(community_size: np.ndarray, structure: Structure, policy: Policy,
                     coef: Behavior) -> np.ndarray:
    """(C,) organising-capacity gate on deliberation and monitoring: the residents' committee's
    hours (workers per 10,000 × hours per worker) less the admin burden (items × hours per item,
    in proportion to the community's adults against ``ADMIN_REFERENCE_ADULTS``), against the
    hours deliberation of the whole community would need. Every term grows with the adults, so
    the gate does not depend on the community's size."""
    staff_hours = (structure.community_workers_per_10k * community_size / 10_000
                   * structure.hours_per_worker)
    return np.array([
        behavior.organising_gate(hours, policy.admin_items,
                                 coef.hours_per_admin_item * residents / ADMIN_REFERENCE_ADULTS,
                                 coef.deliberation_hours_per_resident * residents)
        for hours, residents in zip(staff_hours, community_size, strict=True)
    ])


ADMIN_REFERENCE_ADULTS = 2000
"""Adults of the community ``behavior.hours_per_admin_item`` is stated for (the default
community): an admin item's work grows with the residents it concerns. Before issue 9 it did
not, so a community under about 1,300 adults with 537 items had a gate of exactly 0 — no
deliberation, no monitoring — a cliff of the arithmetic, not of the cases."""
