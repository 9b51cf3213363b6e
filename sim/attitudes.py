"""Monthly attitude updates: training, efficacy, trust, public spirit, dependency, engagement,
attachment and satisfaction (MODEL.md §7.2, ODD §7.2 "Monthly").

The equations are the pure functions of ``sim.behavior``; this module applies them, in the
order of ODD §7.2, to the residents' arrays. The updates at the fund cycle's evaluation are in
``fund_cycle.evaluate``.
"""

from __future__ import annotations

import numpy as np

from sim import behavior
from sim.community import CommunityState
from sim.participation import Drivers
from sim.population import Residents
from sim.scenario import Incentive, Mobility


def update_monthly(residents: Residents, community: CommunityState, of_resident: np.ndarray,
                   drivers: Drivers, rng: np.random.Generator, mobility: Mobility) -> None:
    """One month of §7.2 for every resident; ``of_resident`` is each resident's community.
    Party example: the share of one's neighbours who were active party members last month.
    Attachment grows with length of residence (``mobility``'s tenure term, §7.9).
    Trust and satisfaction read this month's experience of one's own problems
    (``sim.demands``, run before)."""
    coef, policy = drivers.behavior, drivers.policy
    took_any = residents.took_any
    trained_now = rng.random(len(residents)) < policy.training_rate / 12
    residents.efficacy = behavior.efficacy_monthly(
        residents.efficacy, residents.baseline_efficacy, took_any, trained_now, coef)
    quality = community.quality[of_resident]
    target = behavior.trust_target(residents.baseline_trust, residents.experience, quality, coef)
    residents.trust = behavior.trust_monthly(residents.trust, target, coef)
    residents.public_spirit = behavior.public_spirit_monthly(
        residents.public_spirit, residents.baseline_public_spirit, took_any,
        drivers.neighbours[:, -1], paying_scheme(policy.incentive, coef), drivers.incentive_yuan,
        coef)
    residents.dependency = behavior.dependency_monthly(residents.dependency, took_any, coef)
    residents.engagement = behavior.engagement_monthly(residents.engagement, took_any, coef)
    residents.attachment = behavior.attachment_monthly(
        residents.attachment, residents.baseline_attachment, drivers.degree,
        residents.engagement, coef,
        tenure_share=np.minimum(1.0, residents.tenure / (12.0 * mobility.tenure_ref_years)),
        tenure_weight=mobility.attachment_tenure_weight)
    performance = behavior.service_performance(residents.experience, quality, coef)
    residents.satisfaction = behavior.satisfaction_monthly(
        residents.satisfaction, residents.needs_met, performance, residents.problem_open, coef)


def paying_scheme(incentive: Incentive, coef) -> str:
    """The scheme as public spirit feels it: points that promise no yuan pay nothing (none)."""
    if incentive.scheme == "points" and behavior.incentive_value(incentive, coef) <= 0:
        return "none"
    return incentive.scheme
