"""Residents' decisions and attitudes as pure, vectorized functions (MODEL.md §7.1–7.2).

Every function takes arrays (one entry per resident, or per resident × activity) and plain
numbers, returns new arrays, and touches no model state: easy to check by hand on five residents,
fast on a million. Attitudes are shares in [0, 1] and every update keeps them there.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from sim.scenario import Behavior, Cost, Incentive

# --------------------------------------------------------------------------- 7.1 participation


def time_cost(
    age_group: np.ndarray,
    employed: np.ndarray,
    migrant: np.ndarray,
    care_duty: np.ndarray,
    party: np.ndarray,
    cost: Cost,
    dual_registration: bool,
) -> np.ndarray:
    """cost_i (logit units, ≥ 0): base cost by age + employed + migrant + care duties, less the
    双报到 relief for employed party members."""
    base = np.array([cost.youth, cost.adult, cost.elder])[age_group]
    total = base + cost.employed * employed + cost.migrant * migrant + cost.care_duty * care_duty
    if dual_registration:
        total = total - cost.dual_registration_relief * (party & employed)
    return np.maximum(total, 0.0)


def incentive_value(incentive: Incentive, coef: Behavior) -> float:
    """Nominal yuan(-equivalent) value of one activity: points → points_per_activity ×
    yuan_per_100_points / 100 (goods at the points mall); time bank → hours_per_activity ×
    yuan_per_hour × the share of credits ever spent (services received back); recognition and
    none → 0 (no money)."""
    if incentive.scheme == "points":
        return incentive.points_per_activity * incentive.yuan_per_100_points / 100.0
    if incentive.scheme == "time_bank":
        return (incentive.hours_per_activity * incentive.yuan_per_hour
                * coef.incentives.time_bank_spent_share)
    return 0.0


def incentive_shift(scheme: str, value, coef: Behavior):
    """Logit shift of the incentive: points and time bank β_I·ln(1 + v/yuan0), v the perceived
    yuan per activity (money saturates); recognition ln(1 + ρ), odds × (1 + ρ); none 0."""
    if scheme in ("points", "time_bank"):
        return coef.beta_incentive * np.log1p(np.asarray(value) / coef.incentive_yuan_scale)
    if scheme == "recognition":
        return np.log1p(coef.incentives.recognition_effect) + 0.0 * np.asarray(value)
    return 0.0 * np.asarray(value)


def effective_devolution(devolution: float, override_propensity: float, service_focus):
    """d_eff = devolution · (1 − override), override = ω · (1 − σ): 归位 makes 还权 real."""
    override = override_propensity * (1.0 - np.asarray(service_focus))
    return devolution * (1.0 - override), override


def deliberation_stake(
    d_eff: np.ndarray, need_intensity: np.ndarray, fund_per_household: np.ndarray, f0: float
) -> np.ndarray:
    """stake_deliberate = d_eff · need_intensity · log(1 + fund per household / f0)."""
    return d_eff * need_intensity * np.log1p(fund_per_household / f0)


def organising_gate(staff_hours: float, admin_items: int, hours_per_item: float,
                    hours_needed: float) -> float:
    """min(1, hours_free / hours_needed), hours_free = max(0, staff − items · hours_per_item)."""
    free = max(0.0, staff_hours - admin_items * hours_per_item)
    return 1.0 if hours_needed <= 0 else min(1.0, free / hours_needed)


def participation_logit(
    b: Behavior,
    *,
    public_spirit: np.ndarray,
    efficacy: np.ndarray,
    trust: np.ndarray,
    dependency: np.ndarray,
    party: np.ndarray,
    self_org_member: np.ndarray,
    engagement: np.ndarray,
    recruited: np.ndarray,
    propensity: np.ndarray | float = 0.0,
    cost: np.ndarray,
    stake: np.ndarray,
    neighbours: np.ndarray,
    incentive: np.ndarray | float,
    activities: tuple[int, ...] = (0, 1, 2),
) -> np.ndarray:
    """(N, len(activities)) logits of MODEL.md §7.1 for the given activity indices (default
    all three, in ACTIVITIES order); ``stake`` and ``neighbours`` hold those columns only:

    α_a + β_P·P + β_E·E + β_T·T + β_stake·stake_a + β_N·N_a + β_R·R + I − β_C·cost − β_D·D
    + β_party·party (+ β_self·member of a self-organization, §7.8; + β_habit·engagement, the
    memory of one's own recent participation; + u, the resident's persistent inclination), with
    I the incentive's logit shift (``incentive_shift``, per resident or one number)
    """
    person = (
        b.beta_public_spirit * public_spirit
        + b.beta_efficacy * efficacy
        + b.beta_trust * trust
        + b.beta_recruit * recruited
        + incentive
        - b.beta_cost * cost
        - b.beta_dependency * dependency
        + b.beta_party * party
        + b.beta_self_org * self_org_member
        + b.beta_habit * engagement
        + propensity
    )
    alpha = np.asarray(b.alpha.as_tuple())[list(activities)]
    return alpha + person[:, None] + b.beta_stake * stake + b.beta_network * neighbours


def participation_probability(
    logit: np.ndarray, open_: np.ndarray, gate: np.ndarray, activities: tuple[int, ...] = (0, 1, 2)
) -> np.ndarray:
    """p_a = sigmoid(logit) where the activity is open (``open_`` 0/1, broadcast to the logit);
    the activities the residents' committee organises — deliberation (0, 议事会) and monitoring
    (2, 监事会) — are further scaled by the organising ``gate``."""
    p = expit(logit) * open_
    for organised in ORGANISED:
        if organised in activities:
            p[:, list(activities).index(organised)] *= gate
    return p


ORGANISED = (0, 2)
"""Activities the committee must organise (deliberation, monitoring): the organising gate
scales them (seed 000: 减负 lets the committee 回归居民自治 — the councils and supervisory
committees of 民主议定/监督/评议); volunteering is not gated."""


# ------------------------------------------------------------------------------ 7.2 attitudes


def relax(value: np.ndarray, target: np.ndarray, rate: float) -> np.ndarray:
    """value + rate · (target − value): the one learning rule all attitudes share."""
    return value + rate * (target - value)


def efficacy_monthly(
    efficacy: np.ndarray,
    baseline: np.ndarray,
    took_any: np.ndarray,
    trained_now: np.ndarray,
    b: Behavior,
) -> np.ndarray:
    """Non-participants relax toward their baseline; training adds Δ_train · (1 − E)."""
    e = np.where(took_any, efficacy, relax(efficacy, baseline, b.efficacy_relax))
    return e + b.training_efficacy_gain * trained_now * (1.0 - e)


def efficacy_at_evaluation(
    efficacy: np.ndarray,
    voted: np.ndarray,
    heard: np.ndarray,
    top_need_quality: np.ndarray,
    b: Behavior,
) -> np.ndarray:
    """Voters who hear the outcome learn: top need delivered at quality q → E += η_E (q − E);
    top need ignored (q = 0) → E −= η_E · loss · E."""
    learn = voted & heard
    served = top_need_quality > 0
    up = relax(efficacy, top_need_quality, b.efficacy_learning)
    down = efficacy * (1.0 - b.efficacy_learning * b.efficacy_ignored_loss)
    return np.where(learn, np.where(served, up, down), efficacy)


def trust_monthly(
    trust: np.ndarray, target: np.ndarray, b: Behavior
) -> np.ndarray:
    """T += η_T · (target − T); the target is each resident's own (``trust_target``)."""
    return relax(trust, target, b.trust_learning)


def trust_target(baseline: np.ndarray, experience: np.ndarray, quality: np.ndarray,
                 b: Behavior) -> np.ndarray:
    """T* = w_0·T0 + w_x·x + (1 − w_0 − w_x)·q: one's disposition (baseline trust), one's own
    experience of problems solved or left waiting, and the community's service quality."""
    w0, wx = b.trust_disposition_weight, b.trust_experience_weight
    return w0 * baseline + wx * experience + max(0.0, 1.0 - w0 - wx) * quality


def service_performance(experience: np.ndarray, quality: np.ndarray, b: Behavior) -> np.ndarray:
    """How services work for this resident: experience and quality in the proportions they
    carry in the trust target, w_x·x + w_q·q over w_x + w_q (q alone if both weights are 0)."""
    wx = b.trust_experience_weight
    wq = max(0.0, 1.0 - b.trust_disposition_weight - wx)
    if wx + wq <= 0:
        return np.broadcast_to(quality, np.shape(experience)).astype(float)
    return (wx * experience + wq * quality) / (wx + wq)


def public_spirit_monthly(
    spirit: np.ndarray,
    baseline: np.ndarray,
    took_any: np.ndarray,
    party_example: np.ndarray,
    scheme: str,
    value: np.ndarray | float,
    b: Behavior,
) -> np.ndarray:
    """Reinforced by taking part, pulled up by active party neighbours, relaxing to baseline;
    unrecognised repetition tires (fatigue, lifted by recognition). Incentives: pay crowds the
    civic motive out, κ_out·P/(1 + v/y_m) per paid month (v perceived yuan per activity: the
    smaller the pay, the larger the loss; Frey & Oberholzer-Gee 1997, Gneezy & Rustichini
    2000); the time bank crowds in slightly (reciprocity); recognition neither. ``scheme`` is
    the paying scheme (``points`` only when an activity has a nominal yuan value)."""
    gain = (b.public_spirit_reinforcement * took_any + b.public_spirit_party_example
            * party_example) * (1.0 - spirit)
    fatigue = 0.0 if scheme == "recognition" else b.public_spirit_fatigue * took_any * spirit
    p = relax(spirit + gain - fatigue, baseline, b.public_spirit_relax)
    if scheme == "points":
        p = p - b.crowding_out * took_any * p / (1.0 + value / b.incentives.crowding_motive_yuan)
    elif scheme == "time_bank":
        p = p + b.crowding_in * took_any * (1.0 - p)
    return np.clip(p, 0.0, 1.0)


def dependency_monthly(dependency: np.ndarray, took_any: np.ndarray, b: Behavior) -> np.ndarray:
    """Own participation erodes 靠等要: D −= η · D per month of taking part."""
    return dependency * (1.0 - b.dependency_participation * took_any)


def dependency_at_evaluation(
    dependency: np.ndarray, topdown_intensity: np.ndarray, b: Behavior
) -> np.ndarray:
    """Top-down provision breeds dependency: D += η · topdown · (1 − D), where
    topdown = (1 − resident-chosen share of spending) · log(1 + spending per household / f0)."""
    rise = np.minimum(1.0, b.dependency_topdown * topdown_intensity)
    return dependency + rise * (1.0 - dependency)


def attachment_monthly(
    attachment: np.ndarray,
    baseline: np.ndarray,
    degree: np.ndarray,
    engagement: np.ndarray,
    b: Behavior,
    tenure_share: np.ndarray | float = 0.0,
    tenure_weight: float = 0.0,
) -> np.ndarray:
    """A moves toward w_t · min(1, degree/ref) + w_p · engagement + w_n · tenure_share
    + (1 − w_t − w_p − w_n) · A0, where tenure_share = min(1, months lived here / reference)
    (length of residence: Kasarda & Janowitz 1974, Sampson 1988)."""
    w_t, w_p = b.attachment_tie_weight, b.attachment_participation_weight
    ties = np.minimum(1.0, degree / b.attachment_degree_ref)
    rest = max(0.0, 1.0 - w_t - w_p - tenure_weight)
    target = w_t * ties + w_p * engagement + tenure_weight * tenure_share + rest * baseline
    return np.clip(relax(attachment, target, b.attachment_learning), 0.0, 1.0)


def satisfaction_monthly(
    satisfaction: np.ndarray, needs_met: np.ndarray, performance: np.ndarray,
    problem_open: np.ndarray, b: Behavior,
) -> np.ndarray:
    """S moves toward (w · needs met + (1 − w) · performance of services), less a share
    ``demands.open_problem_satisfaction_loss`` of it while one's own problem is open."""
    w = b.satisfaction_needs_weight
    target = (w * needs_met + (1.0 - w) * performance) * (
        1.0 - b.demands.open_problem_satisfaction_loss * problem_open)
    return relax(satisfaction, target, b.satisfaction_learning)


def engagement_monthly(engagement: np.ndarray, took_any: np.ndarray, b: Behavior) -> np.ndarray:
    """Exponentially weighted memory of taking part, in [0, 1]."""
    return relax(engagement, took_any.astype(float), b.engagement_memory)
