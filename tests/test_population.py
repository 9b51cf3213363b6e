"""sim/population.py (MODEL.md §2 Resident table, §5 initialization).

The layout is deterministic, so it is checked exactly on a world small enough to count by hand;
the initial draws are checked against the configured shares within binomial margins on 50,000
residents (4 standard errors: a false alarm about once in 16,000 runs).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.population import (
    NO_CONTACT,
    _party_probability,
    build_layout,
    draw_residents,
    group_offsets,
)
from sim.scenario import CATEGORIES, Population, Structure

# The population every share below is computed from, stated here rather than taken from the
# schema defaults, so that recalibrating a default does not break a hand-checked share.
POP = Population(
    migrant_share=0.3, party_share=0.08, party_elder_fraction=0.28,
    age_shares={"youth": 0.3, "adult": 0.45, "elder": 0.25},
    employed={"youth": 0.8, "adult": 0.8, "elder": 0.1},
    care_duty={"youth": 0.1, "adult": 0.3, "elder": 0.3},
    public_spirit={"a": 2, "b": 3}, public_spirit_party={"a": 4, "b": 2},
    efficacy={"a": 2, "b": 4}, trust={"a": 3, "b": 3},
    attachment_local={"a": 3, "b": 2}, attachment_migrant={"a": 2, "b": 3},
    dependency=0.3, satisfaction=0.4,
    needs_prior={
        "youth": {"elder_care": 0.5, "childcare": 1.5, "environment": 1.5, "safety": 1.2,
                  "culture": 1.5, "facilities": 0.8},
        "adult": {"elder_care": 1.5, "childcare": 2.0, "environment": 1.2, "safety": 1.2,
                  "culture": 0.6, "facilities": 0.8},
        "elder": {"elder_care": 3.0, "childcare": 0.8, "environment": 1.0, "safety": 1.5,
                  "culture": 1.2, "facilities": 0.8},
    },
)


def contiguous(ids: np.ndarray) -> bool:
    """Each id occupies one unbroken, increasing run of positions."""
    return bool(np.all(np.diff(ids) >= 0))


# --------------------------------------------------------------------------------- layout
def test_layout_by_hand():
    # 2 streets × 2 communities × 25 adults, 2 adults a household, 4 households a building:
    # 13 households per community (the last has one adult), ⌈13/4⌉ = 4 buildings per community
    s = Structure(street_offices=2, communities_per_street=2, residents_per_community=25,
                  adults_per_household=2.0, households_per_building=4)
    lay = build_layout(s)
    assert lay.n_residents == 100 and lay.n_communities == 4
    assert lay.street_of_community.tolist() == [0, 0, 1, 1]
    assert lay.community_start.tolist() == [0, 25, 50, 75]
    assert lay.community_size.tolist() == [25] * 4
    assert lay.households_per_community.tolist() == [13] * 4
    assert lay.n_households == 52
    assert len(np.unique(lay.building)) == 16
    # community 0: residents 0,1 in household 0, …, resident 24 alone in household 12
    assert lay.household[:4].tolist() == [0, 0, 1, 1]
    assert lay.household[24] == 12 and lay.household[25] == 13
    # building 0 holds households 0–3 = residents 0–7; the fourth building holds household 12
    assert lay.building[:9].tolist() == [0] * 8 + [1]
    assert lay.building[24] == 3 and lay.building[25] == 4
    assert lay.household_local[:14].tolist() == list(range(13)) + [0]
    assert lay.household_community.tolist() == np.repeat(np.arange(4), 13).tolist()
    assert np.array_equal(lay.household_start, np.flatnonzero(np.diff(lay.household,
                                                                      prepend=-1)))


@settings(max_examples=40, deadline=None)
@given(streets=st.integers(1, 3), per_street=st.integers(1, 3), size=st.integers(20, 300),
       adults=st.floats(1.0, 6.0), per_building=st.integers(1, 60))
def test_layout_is_contiguous_and_nested(streets, per_street, size, adults, per_building):
    s = Structure(street_offices=streets, communities_per_street=per_street,
                  residents_per_community=size, adults_per_household=adults,
                  households_per_building=per_building)
    lay = build_layout(s)
    n_comm = streets * per_street
    assert lay.n_residents == n_comm * size == len(lay.community)
    for ids in (lay.community, lay.household, lay.building):
        assert contiguous(ids)
        assert ids[0] == 0 and np.all(np.diff(ids) <= 1)  # numbered without gaps
    # households and buildings never straddle a community; households never straddle buildings
    for inner, outer in ((lay.household, lay.community), (lay.building, lay.community),
                         (lay.household, lay.building)):
        first = np.flatnonzero(np.diff(inner, prepend=-1))
        assert np.all(np.bincount(inner, minlength=inner.max() + 1) > 0)
        spans = np.split(outer, first[1:])
        assert all(len(set(x.tolist())) == 1 for x in spans)
    # household sizes are ⌊adults⌋ or ⌈adults⌉ except the last of a community
    sizes = np.bincount(lay.household)
    last = np.cumsum(lay.households_per_community) - 1
    inner_sizes = np.delete(sizes, last)
    assert np.all((inner_sizes >= np.floor(adults)) & (inner_sizes <= np.ceil(adults)))
    assert lay.households_per_community.sum() == lay.n_households
    # at most households_per_building households per building
    hh_building = lay.building[lay.household_start]
    assert np.bincount(hh_building).max() <= per_building


def test_layout_is_the_same_for_every_call():
    s = Structure(residents_per_community=101, communities_per_street=3)
    a, b = build_layout(s), build_layout(s)
    assert all(np.array_equal(getattr(a, f), getattr(b, f))
               for f in ("community", "household", "building", "household_start"))


def test_group_offsets():
    start, size = group_offsets(np.array([0, 0, 2, 2, 2, 3]), 5)
    assert start.tolist() == [0, 2, 2, 5, 6]
    assert size.tolist() == [2, 0, 3, 1, 0]


# ------------------------------------------------------------------------------ the draws
BIG = Structure(residents_per_community=50_000)


@pytest.fixture(scope="module")
def big():
    lay = build_layout(BIG)
    return lay, draw_residents(lay, POP, np.random.default_rng(2024))


def within(observed: float, expected: float, n: int, sds: float = 4.0) -> bool:
    return abs(observed - expected) <= sds * np.sqrt(expected * (1 - expected) / n)


def test_migrant_status_is_drawn_per_household(big):
    lay, r = big
    # everyone in a household shares it
    per_household = np.bincount(lay.household, weights=r.migrant)
    size = np.bincount(lay.household)
    assert np.all((per_household == 0) | (per_household == size))
    # 25,000 households at 0.3
    assert within(r.migrant[lay.household_start].mean(), 0.3, lay.n_households)
    assert within(r.migrant.mean(), 0.3, lay.n_households)


def test_party_share_and_elder_fraction(big):
    _, r = big
    n = len(r)
    assert within(r.party.mean(), 0.08, n)
    members = int(r.party.sum())
    assert within((r.age_group[r.party] == 2).mean(), 0.28, members)


def test_party_probability_by_age_hits_both_targets():
    # elders 0.25 of adults: P(party | elder) = 0.08 · 0.28 / 0.25 = 0.0896;
    # others: 0.08 · 0.72 / 0.75 = 0.0768; overall 0.75 · 0.0768 + 0.25 · 0.0896 = 0.08
    np.testing.assert_allclose(_party_probability(POP), [0.0768, 0.0768, 0.0896])
    # no elders at all: everyone at the overall share
    pop = Population.model_validate({**POP.model_dump(),
                                     "age_shares": {"youth": 0.5, "adult": 0.5, "elder": 0.0}})
    np.testing.assert_allclose(_party_probability(pop), [0.08] * 3)


def test_age_employment_and_care_shares(big):
    _, r = big
    n = len(r)
    for g, share in enumerate((0.3, 0.45, 0.25)):
        assert within((r.age_group == g).mean(), share, n)
    for g, (employed, care) in enumerate(((0.8, 0.1), (0.8, 0.3), (0.1, 0.3))):
        rows = r.age_group == g
        assert within(r.employed[rows].mean(), employed, int(rows.sum()))
        assert within(r.care_duty[rows].mean(), care, int(rows.sum()))


def test_attitude_draws_follow_their_beta_distributions(big):
    _, r = big
    # Beta(a, b) mean a / (a + b), SD sqrt(ab / ((a+b)²(a+b+1))); 4 standard errors
    def close(x, a, b):
        mean = a / (a + b)
        sd = np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        return abs(x.mean() - mean) < 4 * sd / np.sqrt(len(x))

    assert close(r.public_spirit[~r.party], 2, 3)
    assert close(r.public_spirit[r.party], 4, 2)  # party members: higher public spirit
    assert close(r.efficacy, 2, 4)
    assert close(r.trust, 3, 3)
    assert close(r.attachment[~r.migrant], 3, 2)
    assert close(r.attachment[r.migrant], 2, 3)  # migrants start less attached
    assert np.all(r.dependency == 0.3) and np.all(r.satisfaction == 0.4)


def test_needs_are_on_the_simplex_and_age_shaped(big):
    _, r = big
    assert r.needs.shape == (len(r), len(CATEGORIES))
    assert np.all(r.needs >= 0)
    np.testing.assert_allclose(r.needs.sum(axis=1), 1.0)
    # Dirichlet prior means: elders' elder care 3 / 8.3 ≈ 0.36 vs youth's 0.5 / 7 ≈ 0.07
    elder_care = CATEGORIES.index("elder_care")
    assert r.needs[r.age_group == 2, elder_care].mean() == pytest.approx(3 / 8.3, abs=0.01)
    assert r.needs[r.age_group == 0, elder_care].mean() == pytest.approx(0.5 / 7, abs=0.01)
    # derived arrays agree with the needs
    np.testing.assert_array_equal(r.top_need, r.needs.argmax(axis=1))
    np.testing.assert_allclose(r.need_intensity, r.needs.max(axis=1))
    assert np.all(r.need_intensity >= 1 / len(CATEGORIES))


def test_initial_state_and_baselines(big):
    _, r = big
    np.testing.assert_array_equal(r.baseline_public_spirit, r.public_spirit)
    np.testing.assert_array_equal(r.baseline_efficacy, r.efficacy)
    np.testing.assert_array_equal(r.baseline_attachment, r.attachment)
    # baselines are copies: a monthly update must not drag the baseline with it
    assert not np.shares_memory(r.baseline_efficacy, r.efficacy)
    assert not r.took.any() and not r.took_any.any()
    assert np.all(r.months_since_contact == NO_CONTACT)
    assert np.all(r.self_org == -1) and np.all(r.points == 0)


def test_configured_shares_are_used():
    pop = Population.model_validate({**POP.model_dump(), "migrant_share": 0.56,
                                     "party_share": 0.2, "party_elder_fraction": 0.5})
    lay = build_layout(Structure(residents_per_community=20_000))
    r = draw_residents(lay, pop, np.random.default_rng(7))
    assert within(r.migrant[lay.household_start].mean(), 0.56, lay.n_households)
    assert within(r.party.mean(), 0.2, len(r))
    assert within((r.age_group[r.party] == 2).mean(), 0.5, int(r.party.sum()))


def test_record_participation_keeps_took_any_in_step():
    lay = build_layout(Structure(residents_per_community=20))
    r = draw_residents(lay, Population(), np.random.default_rng(0))
    took = np.zeros((20, 3), dtype=bool)
    took[3, 2] = took[5, 0] = True
    r.record_participation(took)
    assert np.flatnonzero(r.took_any).tolist() == [3, 5]


def test_same_rng_same_residents_and_different_rng_different():
    lay = build_layout(Structure(residents_per_community=500))
    a = draw_residents(lay, Population(), np.random.default_rng(11))
    b = draw_residents(lay, Population(), np.random.default_rng(11))
    c = draw_residents(lay, Population(), np.random.default_rng(12))
    assert np.array_equal(a.public_spirit, b.public_spirit)
    assert np.array_equal(a.needs, b.needs)
    assert not np.array_equal(a.public_spirit, c.public_spirit)
