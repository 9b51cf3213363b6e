"""sim/behavior.py (MODEL.md §7.1–7.2): hand-computed cases on a handful of residents first,
then properties over random inputs (hypothesis).

Every expected number is worked out in the comment beside it from the defaults in
sim/scenario.py, so a changed default or a changed equation shows up here as a failure.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim import behavior
from sim.scenario import Behavior, Cost, Incentive

# The coefficients every hand computation below uses, stated here rather than taken from the
# schema defaults, so that recalibrating a default does not break a hand-checked equation.
B = Behavior(
    alpha={"deliberate": -4.9, "volunteer": -4.6, "monitor": -6.4},
    beta_public_spirit=2.0, beta_efficacy=1.5, beta_trust=1.0, beta_stake=1.5,
    beta_network=2.0, beta_recruit=0.9, beta_incentive=0.6, beta_cost=1.0,
    beta_dependency=1.5, beta_party=0.3, beta_self_org=0.8, beta_habit=1.5,
    efficacy_learning=0.3, efficacy_ignored_loss=0.3, efficacy_relax=0.02,
    training_efficacy_gain=0.2, trust_learning=0.05, trust_disposition_weight=0.4,
    trust_experience_weight=0.3, demands={"open_problem_satisfaction_loss": 0.3},
    public_spirit_reinforcement=0.01, public_spirit_fatigue=0.02,
    public_spirit_party_example=0.02, public_spirit_relax=0.01, crowding_out=0.04,
    crowding_in=0.01, dependency_topdown=0.15, dependency_participation=0.03,
    attachment_learning=0.03, attachment_tie_weight=0.3, attachment_participation_weight=0.3,
    attachment_degree_ref=8.0, satisfaction_learning=0.1, satisfaction_needs_weight=0.4,
    engagement_memory=0.3, incentive_yuan_scale=0.2,
    incentives={"crowding_motive_yuan": 1.0, "time_bank_spent_share": 0.5,
                "recognition_effect": 0.2},
)
COST = Cost(youth=1.2, adult=0.6, elder=0.0, employed=0.8, migrant=0.6, care_duty=0.5,
            dual_registration_relief=0.6)
T, F = True, False
unit = st.floats(0.0, 1.0, allow_nan=False)


def a(*values, dtype=float) -> np.ndarray:
    return np.array(values, dtype=dtype)


# ------------------------------------------------------------------------------ time cost
# Five residents (defaults: youth 1.2, adult 0.6, elder 0, employed 0.8, migrant 0.6,
# care 0.5, 双报到 relief 0.6 for *employed* party members):
#   0 youth, employed, migrant            1.2 + 0.8 + 0.6       = 2.6
#   1 adult, employed, care, party        0.6 + 0.8 + 0.5       = 1.9   (双报到: 1.3)
#   2 elder, care, party, not employed    0   + 0.5             = 0.5   (双报到: no relief)
#   3 elder, employed, party              0   + 0.8             = 0.8   (双报到: 0.2)
#   4 elder, nothing                      0
AGE = a(0, 1, 2, 2, 2, dtype=np.int8)
EMPLOYED = a(T, T, F, T, F, dtype=bool)
MIGRANT = a(T, F, F, F, F, dtype=bool)
CARE = a(F, T, T, F, F, dtype=bool)
PARTY = a(F, T, T, T, F, dtype=bool)


def test_time_cost_by_hand():
    got = behavior.time_cost(AGE, EMPLOYED, MIGRANT, CARE, PARTY, COST, False)
    np.testing.assert_allclose(got, [2.6, 1.9, 0.5, 0.8, 0.0])


def test_dual_registration_relieves_only_employed_party_members():
    got = behavior.time_cost(AGE, EMPLOYED, MIGRANT, CARE, PARTY, COST, True)
    np.testing.assert_allclose(got, [2.6, 1.3, 0.5, 0.2, 0.0])


def test_time_cost_never_negative_under_a_large_relief():
    # relief 2.0: resident 1 → 1.9 − 2 = −0.1 → 0, resident 3 → 0.8 − 2 = −1.2 → 0
    got = behavior.time_cost(AGE, EMPLOYED, MIGRANT, CARE, PARTY,
                             COST.model_copy(update={"dual_registration_relief": 2.0}),
                             True)
    np.testing.assert_allclose(got, [2.6, 0.0, 0.5, 0.0, 0.0])


# ------------------------------------------------------------------------------ incentives
@pytest.mark.parametrize(
    ("incentive", "expected"),
    [
        # Chenghua: 10 points × 1 yuan / 100 points = 0.1 yuan of goods an activity
        (Incentive(scheme="points", points_per_activity=10, yuan_per_100_points=1), 0.1),
        (Incentive(scheme="points", points_per_activity=20, yuan_per_100_points=5), 1.0),
        (Incentive(scheme="points", yuan_per_100_points=0), 0.0),
        # time bank: 2 hours × 20 yuan an hour × half the credits ever spent = 20 yuan
        (Incentive(scheme="time_bank", hours_per_activity=2, yuan_per_hour=20), 20.0),
        (Incentive(scheme="time_bank", hours_per_activity=1, yuan_per_hour=30), 15.0),
        (Incentive(scheme="recognition"), 0.0),  # an honour, no money
        # points settings are ignored without a scheme
        (Incentive(scheme="none", points_per_activity=50, yuan_per_100_points=10), 0.0),
    ],
)
def test_incentive_value_in_yuan(incentive, expected):
    assert behavior.incentive_value(incentive, B) == pytest.approx(expected)


def test_incentive_shift_saturates_in_yuan():
    # β_I·ln(1 + v/yuan0), β_I 0.6, yuan0 0.2: 0.1 yuan → 0.6·ln 1.5; 1 yuan → 0.6·ln 6
    assert behavior.incentive_shift("points", 0.1, B) == pytest.approx(0.6 * np.log(1.5))
    assert behavior.incentive_shift("time_bank", 1.0, B) == pytest.approx(0.6 * np.log(6.0))
    # recognition: odds × (1 + ρ), ρ 0.2, whatever the (zero) yuan value
    assert behavior.incentive_shift("recognition", 0.0, B) == pytest.approx(np.log(1.2))
    assert behavior.incentive_shift("none", 5.0, B) == 0.0


# ------------------------------------------------------------------ devolution and the stake
def test_effective_devolution_by_hand():
    # ω 0.8, σ 0.4: override 0.8 · 0.6 = 0.48; d_eff = 0.8 · (1 − 0.48) = 0.416
    d_eff, override = behavior.effective_devolution(0.8, 0.8, 0.4)
    assert override == pytest.approx(0.48)
    assert d_eff == pytest.approx(0.416)


def test_effective_devolution_per_community():
    # ω 1, devolution 1: σ 0 → all overridden, σ 1 → the council's choice stands (归位)
    d_eff, override = behavior.effective_devolution(1.0, 1.0, a(0.0, 0.5, 1.0))
    np.testing.assert_allclose(override, [1.0, 0.5, 0.0])
    np.testing.assert_allclose(d_eff, [0.0, 0.5, 1.0])
    # devolution on paper without 归位: half of it evaporates at σ = 0.5, ω = 1
    d_eff, _ = behavior.effective_devolution(0.6, 1.0, a(0.5))
    np.testing.assert_allclose(d_eff, [0.3])


def test_deliberation_stake_by_hand():
    # 0.5 · 0.4 · ln(1 + 100/100) = 0.2 · ln 2
    # 1.0 · 1.0 · ln(1 + 200/100) = ln 3      (200,000 yuan over 1,000 households)
    # no money → no stake; no devolution → no stake
    got = behavior.deliberation_stake(a(0.5, 1.0, 1.0, 0.0), a(0.4, 1.0, 1.0, 1.0),
                                      a(100.0, 200.0, 0.0, 200.0), 100.0)
    np.testing.assert_allclose(got, [0.2 * np.log(2), np.log(3), 0.0, 0.0])


# --------------------------------------------------------------------- organising capacity
def test_organising_gate_before_and_after_shedding_admin_items():
    # 2,000 residents: 18 workers/10k · 0.2 · 160 h = 576 committee hours a month
    # needed: 0.2 h · 2,000 = 400 h
    # 537 items · 0.9 h = 483.3 h → 92.7 h free → gate 92.7 / 400 = 0.23175
    assert behavior.organising_gate(576.0, 537, 0.9, 400.0) == pytest.approx(0.23175)
    # 69 items · 0.9 h = 62.1 h → 513.9 h free ≥ 400 → full
    assert behavior.organising_gate(576.0, 69, 0.9, 400.0) == 1.0


def test_organising_gate_edges():
    # admin burden above staff hours: no meetings at all, never a negative gate
    assert behavior.organising_gate(100.0, 537, 0.9, 40.0) == 0.0
    # nothing needed → open
    assert behavior.organising_gate(0.0, 537, 0.9, 0.0) == 1.0
    # 200 − 100 · 1 = 100 free of 400 needed
    assert behavior.organising_gate(200.0, 100, 1.0, 400.0) == pytest.approx(0.25)


# ---------------------------------------------------------------------- participation logit
BASE_INPUTS = dict(
    public_spirit=a(0.5), efficacy=a(0.4), trust=a(0.6), dependency=a(0.3),
    party=a(T, dtype=bool), self_org_member=a(F, dtype=bool), engagement=a(0.2),
    recruited=a(T, dtype=bool),
    cost=a(1.4), stake=a(0.2, 0.7, 0.3).reshape(1, 3), neighbours=a(0.1, 0.25, 0.0).reshape(1, 3),
    incentive=0.3,  # a logit shift, e.g. β_I 0.6 × ln(1 + v/yuan0) 0.5
)


def logit(**changes) -> np.ndarray:
    return behavior.participation_logit(B, **{**BASE_INPUTS, **changes})[0]


def test_participation_logit_by_hand():
    # person = 2·0.5 + 1.5·0.4 + 1·0.6 + 0.9·1 + 0.3 − 1·1.4 − 1.5·0.3 + 0.3·1 + 0.8·0
    #          + 1.5·0.2 (habit: engagement)
    #        = 1 + 0.6 + 0.6 + 0.9 + 0.3 − 1.4 − 0.45 + 0.3 + 0.3 = 2.15
    # deliberate: −4.9 + 2.15 + 1.5·0.2 + 2·0.1  = −2.25
    # volunteer:  −4.6 + 2.15 + 1.5·0.7 + 2·0.25 = −0.9
    # monitor:    −6.4 + 2.15 + 1.5·0.3 + 2·0    = −3.8
    np.testing.assert_allclose(logit(), [-2.25, -0.9, -3.8], atol=1e-12)


# (input, new value, change Δ, β with the sign it enters the logit)
PERSON_TERMS = [
    ("public_spirit", a(0.9), 0.4, B.beta_public_spirit),
    ("efficacy", a(1.0), 0.6, B.beta_efficacy),
    ("trust", a(0.1), -0.5, B.beta_trust),
    ("dependency", a(0.8), 0.5, -B.beta_dependency),
    ("cost", a(2.4), 1.0, -B.beta_cost),
    ("party", a(F, dtype=bool), -1.0, B.beta_party),
    ("recruited", a(F, dtype=bool), -1.0, B.beta_recruit),
    ("self_org_member", a(T, dtype=bool), 1.0, B.beta_self_org),
    ("engagement", a(0.6), 0.4, B.beta_habit),
    ("incentive", 1.5, 1.2, 1.0),  # already a logit shift (incentive_shift)
]


@pytest.mark.parametrize(("name", "value", "delta", "beta"), PERSON_TERMS,
                         ids=[t[0] for t in PERSON_TERMS])
def test_each_person_term_moves_every_activity_by_beta_times_delta(name, value, delta, beta):
    moved = logit(**{name: value}) - logit()
    np.testing.assert_allclose(moved, [beta * delta] * 3, atol=1e-12)


def test_signs_of_the_person_terms():
    # what raises participation and what lowers it (MODEL §7.1): cost and dependency lower it
    b = B
    assert min(b.beta_public_spirit, b.beta_efficacy, b.beta_trust, b.beta_recruit,
               b.beta_incentive, b.beta_party, b.beta_self_org, b.beta_habit) > 0
    assert logit(cost=a(3.0))[0] < logit()[0]
    assert logit(dependency=a(0.9))[0] < logit()[0]


@pytest.mark.parametrize("activity", range(3))
@pytest.mark.parametrize(("name", "beta"), [("stake", B.beta_stake),
                                            ("neighbours", B.beta_network)])
def test_activity_terms_move_only_their_own_activity(name, beta, activity):
    changed = BASE_INPUTS[name].copy()
    changed[0, activity] += 0.3
    moved = logit(**{name: changed}) - logit()
    expected = np.zeros(3)
    expected[activity] = beta * 0.3
    np.testing.assert_allclose(moved, expected, atol=1e-12)


def test_custom_coefficients_are_used():
    # a custom intercept and β_P: deliberate −1 + 4·0.5 (P) + rest of person term unchanged
    b = B.model_copy(update={"alpha": B.alpha.model_copy(
        update={"deliberate": -1.0, "volunteer": 0.0, "monitor": 0.0}), "beta_public_spirit": 4.0})
    got = behavior.participation_logit(b, **BASE_INPUTS)[0]
    # person = 2.15 − 2·0.5 + 4·0.5 = 3.15; deliberate −1 + 3.15 + 0.3 + 0.2 = 2.65
    np.testing.assert_allclose(got, [2.65, 3.15 + 1.05 + 0.5, 3.15 + 0.45], atol=1e-12)


# ------------------------------------------------------------------- participation probability
def test_participation_probability_closed_activity_is_zero_and_gate_scales_deliberation():
    lg = np.zeros((3, 3))  # sigmoid(0) = 0.5 everywhere
    open_ = a(1.0, 1.0, 0.0).reshape(1, 3)  # monitoring closed (no project running)
    gate = a(0.25, 1.0, 0.0)
    p = behavior.participation_probability(lg, open_, gate)
    np.testing.assert_allclose(p, [[0.125, 0.5, 0.0], [0.5, 0.5, 0.0], [0.0, 0.5, 0.0]])
    # monitoring open: the gate scales it like deliberation (the committee organises both)
    p = behavior.participation_probability(lg, np.ones((1, 3)), gate)
    np.testing.assert_allclose(p[:, 2], [0.125, 0.5, 0.0])


def test_participation_probability_is_the_sigmoid():
    lg = a(-2.25, -0.9, -3.8).reshape(1, 3)
    p = behavior.participation_probability(lg, np.ones((1, 3)), a(1.0))
    np.testing.assert_allclose(p[0], 1 / (1 + np.exp(-lg[0])))
    # per-resident open flags: deliberation closed for resident 0 only
    open_ = np.array([[0.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    p = behavior.participation_probability(np.zeros((2, 3)), open_, a(1.0, 1.0))
    np.testing.assert_allclose(p, [[0.0, 0.5, 0.5], [0.5, 0.5, 0.5]])


def test_activity_subsets_keep_their_own_intercepts_and_gate():
    # only volunteering and monitoring open: columns are (volunteer, monitor); the organising
    # gate scales monitoring (监事会) and leaves volunteering alone
    sub = behavior.participation_logit(B, **{**BASE_INPUTS,
                                           "stake": BASE_INPUTS["stake"][:, 1:],
                                           "neighbours": BASE_INPUTS["neighbours"][:, 1:]},
                                       activities=(1, 2))
    np.testing.assert_allclose(sub[0], [-0.9, -3.8], atol=1e-12)
    p = behavior.participation_probability(np.zeros((1, 2)), np.ones((1, 2)), a(0.0), (1, 2))
    np.testing.assert_allclose(p, [[0.5, 0.0]])
    # deliberation in the second column: the gate follows it there
    p = behavior.participation_probability(np.zeros((1, 2)), np.ones((1, 2)), a(0.2), (2, 0))
    np.testing.assert_allclose(p, [[0.1, 0.1]])


# ------------------------------------------------------------------------------- efficacy
def test_efficacy_at_evaluation_served_ignored_unheard():
    # η_E 0.3, ignored loss 0.3, E 0.4 for all:
    #   0 voted, heard, top need delivered at q 0.9 → 0.4 + 0.3·(0.9 − 0.4) = 0.55
    #   1 voted, heard, top need ignored (q 0)      → 0.4 · (1 − 0.3·0.3)   = 0.364
    #   2 voted, did not hear                        → 0.4
    #   3 did not vote                               → 0.4
    #   4 voted, heard, delivered poorly (q 0.2)     → 0.4 + 0.3·(0.2 − 0.4) = 0.34
    got = behavior.efficacy_at_evaluation(
        np.full(5, 0.4), a(T, T, T, F, T, dtype=bool), a(T, T, F, T, T, dtype=bool),
        a(0.9, 0.0, 0.9, 0.9, 0.2), B)
    np.testing.assert_allclose(got, [0.55, 0.364, 0.4, 0.4, 0.34])


def test_efficacy_monthly_relaxes_non_participants_and_training_adds():
    # E 0.3, baseline 0.5, relax 0.02, Δ_train 0.2:
    #   took part, untrained       → 0.3
    #   stayed away, untrained     → 0.3 + 0.02·0.2 = 0.304
    #   took part, trained         → 0.3 + 0.2·0.7 = 0.44
    #   stayed away, trained       → 0.304 + 0.2·0.696 = 0.4432
    got = behavior.efficacy_monthly(np.full(4, 0.3), np.full(4, 0.5), a(T, F, T, F, dtype=bool),
                                    a(F, F, T, T, dtype=bool), B)
    np.testing.assert_allclose(got, [0.3, 0.304, 0.44, 0.4432])


# --------------------------------------------------------------------------- public spirit
def spirit(scheme: str, took: bool = True, incentive: float = 0.5, party_example: float = 0.0):
    return behavior.public_spirit_monthly(a(0.5), a(0.5), a(took, dtype=bool), a(party_example),
                                          scheme, incentive, B)[0]


def test_public_spirit_by_hand():
    # P = P0 = 0.5, took part; reinforcement 0.01, fatigue 0.02, relax 0.01, κ_out 0.04, κ_in 0.01
    # none:        0.5 + 0.01·0.5 − 0.02·0.5 = 0.495; relax: 0.495 + 0.01·0.005 = 0.49505
    assert spirit("none") == pytest.approx(0.49505)
    # recognition: no fatigue: 0.505; relax: 0.505 − 0.01·0.005 = 0.50495
    assert spirit("recognition") == pytest.approx(0.50495)
    # points, v = 0.5 yuan against y_m = 1 yuan: 0.49505 − 0.04·0.49505/1.5 = 0.481848...
    assert spirit("points") == pytest.approx(0.49505 * (1 - 0.04 / 1.5))
    # points, v = 5 yuan: 0.49505 − 0.04·0.49505/6
    assert spirit("points", incentive=5.0) == pytest.approx(0.49505 * (1 - 0.04 / 6))
    # time bank: 0.49505 + 0.01·(1 − 0.49505) = 0.5001
    assert spirit("time_bank") == pytest.approx(0.5001)


def test_points_crowd_out_most_when_payment_is_small():
    none = spirit("none")
    drops = [none - spirit("points", incentive=i) for i in (0.0, 0.5, 2.0, 10.0)]
    assert all(d > 0 for d in drops)
    assert drops == sorted(drops, reverse=True)
    # v = 0 (points nobody believes will be redeemed): the full κ·P
    assert drops[0] == pytest.approx(0.04 * none)


def test_crowding_ordering_recognition_none_time_bank_points():
    # recognition neither crowds out nor tires; time bank crowds in; points crowd out
    assert spirit("points") < spirit("none") < spirit("time_bank") < spirit("recognition")


def test_no_crowding_or_fatigue_for_those_who_stayed_away():
    # P at its baseline and nobody took part: nothing moves under any scheme
    for scheme in ("none", "points", "time_bank", "recognition"):
        assert spirit(scheme, took=False) == pytest.approx(0.5)


def test_party_example_pulls_public_spirit_up():
    # half of the neighbours are active party members: 0.5 + 0.02·0.5·0.5 = 0.505;
    # relax toward 0.5: 0.505 − 0.01·0.005 = 0.50495
    assert spirit("none", took=False, party_example=0.5) == pytest.approx(0.50495)


# ------------------------------------------------------------------------------ dependency
def test_dependency_monthly_falls_with_own_participation():
    # 0.3 · (1 − 0.03) = 0.291 for a participant
    got = behavior.dependency_monthly(a(0.3, 0.3), a(T, F, dtype=bool), B)
    np.testing.assert_allclose(got, [0.291, 0.3])


def test_dependency_at_evaluation_rises_with_topdown_provision():
    # D 0.3, η 0.15: topdown 1 → 0.3 + 0.15·0.7 = 0.405; topdown 0 → 0.3;
    # topdown 10 → rise capped at 1 → D = 1
    got = behavior.dependency_at_evaluation(a(0.3, 0.3, 0.3), a(1.0, 0.0, 10.0), B)
    np.testing.assert_allclose(got, [0.405, 0.3, 1.0])


# -------------------------------------------------- attachment, satisfaction, trust, engagement
def test_attachment_by_hand():
    # A 0.5, A0 0.4, engagement 1, w_t = w_p = 0.3, ref degree 8, η_A 0.03
    #   degree 4:  target 0.3·0.5 + 0.3·1 + 0.4·0.4 = 0.61 → 0.5 + 0.03·0.11 = 0.5033
    #   degree 16: ties saturate: 0.3 + 0.3 + 0.16 = 0.76   → 0.5 + 0.03·0.26 = 0.5078
    #   degree 0, engagement 0: target 0.16             → 0.5 − 0.03·0.34 = 0.4898
    got = behavior.attachment_monthly(a(0.5, 0.5, 0.5), a(0.4, 0.4, 0.4), a(4, 16, 0),
                                      a(1.0, 1.0, 0.0), B)
    np.testing.assert_allclose(got, [0.5033, 0.5078, 0.4898])


def test_satisfaction_by_hand():
    # S 0.4, needs met 0.9, performance 0.5, w 0.4, η_S 0.1:
    # target 0.36 + 0.3 = 0.66 → 0.4 + 0.1·0.26 = 0.426
    # with one's own problem open the target loses 30%: 0.462 → 0.4 + 0.1·0.062 = 0.4062
    got = behavior.satisfaction_monthly(a(0.4, 0.4), a(0.9, 0.9), a(0.5, 0.5), a(F, T), B)
    np.testing.assert_allclose(got, [0.426, 0.4062])


def test_trust_target_by_hand():
    # T0 0.6, experience 0.2 or 0.9, quality 0.3; w_0 0.4, w_x 0.3, quality 0.3:
    # 0.24 + 0.06 + 0.09 = 0.39 and 0.24 + 0.27 + 0.09 = 0.60
    target = behavior.trust_target(a(0.6, 0.6), a(0.2, 0.9), a(0.3, 0.3), B)
    np.testing.assert_allclose(target, [0.39, 0.60])
    # trust 0.5 → 0.5 + 0.05·(0.39 − 0.5) = 0.4945 and 0.5 + 0.05·0.1 = 0.505
    np.testing.assert_allclose(behavior.trust_monthly(a(0.5, 0.5), target, B), [0.4945, 0.505])
    # service performance: experience and quality in their trust proportions, 3 : 3
    np.testing.assert_allclose(behavior.service_performance(a(0.2), a(0.3), B), [0.25])


def test_trust_keeps_its_spread_through_the_disposition():
    # everyone with the same experience and services: trust still ranks as baseline trust does,
    # and its spread settles at w_0 · the spread of T0 (here 0.4 · 0.2 = 0.08, well above 0.05)
    rng = np.random.default_rng(0)
    t0 = np.clip(0.5 + 0.2 * rng.standard_normal(2000), 0, 1)
    t = t0.copy()
    for _ in range(200):
        t = behavior.trust_monthly(t, behavior.trust_target(t0, np.full(2000, 0.5),
                                                            np.full(2000, 0.3), B), B)
    assert t.std() == pytest.approx(0.4 * t0.std(), rel=1e-3)
    assert np.corrcoef(t, t0)[0, 1] > 0.999


def test_engagement_memory():
    # 0.5 → 0.5 + 0.3·(1 − 0.5) = 0.65 if took part, 0.35 if not
    got = behavior.engagement_monthly(a(0.5, 0.5), a(T, F, dtype=bool), B)
    np.testing.assert_allclose(got, [0.65, 0.35])


# ------------------------------------------------------------------------------ properties
N = 7
shares = arrays(float, N, elements=unit)
flags = arrays(bool, N)


@settings(max_examples=60, deadline=None)
@given(p=shares, p0=shares, took=flags, example=shares, incentive=st.floats(0, 50),
       scheme=st.sampled_from(["none", "points", "time_bank", "recognition"]))
def test_public_spirit_stays_in_unit_interval(p, p0, took, example, incentive, scheme):
    out = behavior.public_spirit_monthly(p, p0, took, example, scheme, incentive, B)
    assert np.all((out >= 0) & (out <= 1))


@settings(max_examples=60, deadline=None)
@given(e=shares, e0=shares, took=flags, trained=flags, voted=flags, heard=flags, q=shares,
       d=shares, topdown=arrays(float, N, elements=st.floats(0, 20)), t=shares, perf=shares,
       att=shares, a0=shares, deg=arrays(np.int64, N, elements=st.integers(0, 60)),
       eng=shares, met=shares)
def test_every_attitude_update_stays_in_unit_interval(e, e0, took, trained, voted, heard, q, d,
                                                     topdown, t, perf, att, a0, deg, eng, met):
    outs = [
        behavior.efficacy_monthly(e, e0, took, trained, B),
        behavior.efficacy_at_evaluation(e, voted, heard, q, B),
        behavior.dependency_monthly(d, took, B),
        behavior.dependency_at_evaluation(d, topdown, B),
        behavior.trust_monthly(t, perf, B),
        behavior.attachment_monthly(att, a0, deg, eng, B),
        behavior.satisfaction_monthly(att, met, perf, took, B),
        behavior.trust_target(t, e, q, B),
        behavior.service_performance(e, q, B),
        behavior.engagement_monthly(eng, took, B),
    ]
    for out in outs:
        assert np.all((out >= -1e-12) & (out <= 1 + 1e-12))


@settings(max_examples=60, deadline=None)
@given(e=shares, voted=flags, heard=flags, q=shares)
def test_only_voters_who_heard_learn(e, voted, heard, q):
    out = behavior.efficacy_at_evaluation(e, voted, heard, q, B)
    silent = ~(voted & heard)
    np.testing.assert_array_equal(out[silent], e[silent])
    # learners move toward the delivered quality (or down when ignored), never past it
    learn = ~silent & (q > 0)
    assert np.all(np.abs(out[learn] - q[learn]) <= np.abs(e[learn] - q[learn]) + 1e-12)
    ignored = ~silent & (q == 0)
    assert np.all(out[ignored] <= e[ignored])


@settings(max_examples=60, deadline=None)
@given(lg=arrays(float, (N, 3), elements=st.floats(-30, 30)),
       open_=arrays(float, (N, 3), elements=st.sampled_from([0.0, 1.0])), gate=shares)
def test_probabilities_are_probabilities(lg, open_, gate):
    p = behavior.participation_probability(lg, open_, gate)
    assert np.all((p >= 0) & (p <= 1))
    assert np.all(p[open_ == 0] == 0)
    assert np.all(p[:, [0, 2]] <= gate[:, None] + 1e-12)
    # the gate never touches volunteering
    np.testing.assert_allclose(p[:, 1], 1 / (1 + np.exp(-lg[:, 1])) * open_[:, 1])


@settings(max_examples=60, deadline=None)
@given(dev=unit, omega=unit, sigma=shares)
def test_effective_devolution_never_exceeds_devolution_and_rises_with_service_focus(
        dev, omega, sigma):
    d_eff, override = behavior.effective_devolution(dev, omega, sigma)
    assert np.all((override >= 0) & (override <= 1))
    assert np.all((d_eff >= 0) & (d_eff <= dev + 1e-12))
    order = np.argsort(sigma)
    assert np.all(np.diff(d_eff[order]) >= -1e-12)


@settings(max_examples=40, deadline=None)
@given(age=arrays(np.int8, N, elements=st.integers(0, 2)), employed=flags, migrant=flags,
       care=flags, party=flags, relief=st.floats(0, 5), dual=st.booleans())
def test_time_cost_is_never_negative_and_relief_never_raises_it(age, employed, migrant, care,
                                                                party, relief, dual):
    cost = COST.model_copy(update={"dual_registration_relief": relief})
    with_relief = behavior.time_cost(age, employed, migrant, care, party, cost, dual)
    without = behavior.time_cost(age, employed, migrant, care, party, cost, False)
    assert np.all(with_relief >= 0)
    assert np.all(with_relief <= without)
    untouched = ~(party & employed) | (not dual)
    np.testing.assert_array_equal(with_relief[untouched], without[untouched])
