"""sim/street_office.py (MODEL.md §7.7, ODD §7.7 "Service focus σ"): the yearly review of σ run
through the model — without evaluation σ is pulled back to the policy value, with it residents'
dissatisfaction holds it above, at an interior value it can fall to as well as rise to. The
office's own rule is checked by hand in test_agents.py."""

from __future__ import annotations

import numpy as np
from worlds import run, scenario

from sim import street_office
from sim.model import CoGovModel


def _yearly_sigma(model: CoGovModel, years: int, start: float | None = None) -> np.ndarray:
    """σ of the first office after each of ``years`` reviews (month 12 of each year)."""
    if start is not None:
        for office in model.offices:
            office.service_focus = start
    out = []
    for _ in range(years):
        model.run(model.month + 12)
        out.append(model.offices[0].service_focus)
    return np.array(out)


def test_without_resident_evaluation_sigma_stays_at_the_policy_value():
    # regression: the office once went through SocialOrganization-style evaluation for each
    # project it delivered, so σ jumped 0.4 → 0.92 in every funded scenario
    m = run(scenario(months=24))
    assert any(p.implementer is m.offices[0] and p.delivered for f in m.funds
               for p in f.projects)
    assert m.offices[0].service_focus == 0.4


def test_without_evaluation_sigma_falls_back_to_the_policy_value():
    # an office pushed to σ 0.9 under a policy of 0.4 (investment targets kept) loses its
    # service focus year by year; after 5 years at least half of the 0.5 gap is gone, never
    # below the policy value
    sigma = _yearly_sigma(CoGovModel(scenario(months=60)), 5, start=0.9)
    assert np.all(np.diff(sigma) < 0)
    assert sigma[-1] < 0.9 - 0.25
    assert sigma[-1] > 0.4


def test_with_evaluation_sigma_settles_inside_from_above_and_below():
    # knockout of the pull: with it, offices starting at σ 0.4 and at σ 1 meet at one interior
    # value (within 0.05 after 15 years, the high one falling by at least 0.05); without it
    # (λ_σ = 0) σ only rises and both end near 1
    def pair(behavior):
        s = scenario(months=180, fund_per_community=0, resident_evaluation=True,
                     behavior=behavior)
        low = _yearly_sigma(CoGovModel(s), 15)
        high = _yearly_sigma(CoGovModel(s), 15, start=1.0)
        return low, high

    low, high = pair({})
    assert abs(low[-1] - high[-1]) < 0.05
    assert high[-1] < 1.0 - 0.05
    assert 0.45 < low[-1] < 0.95
    assert np.all(np.diff(high) <= 0)
    no_pull_low, _ = pair({"sigma_pull": 0.0})
    assert no_pull_low[-1] > low[-1] + 0.1


def test_resident_evaluation_raises_sigma_when_satisfaction_is_low():
    # with no fund and satisfaction low, the first review under evaluation raises σ from the
    # policy value by at least 0.05; without evaluation it stays
    with_rights = _yearly_sigma(CoGovModel(scenario(months=12, resident_evaluation=True,
                                                    fund_per_community=0)), 1)
    assert with_rights[0] > 0.4 + 0.05
    assert run(scenario(months=12, fund_per_community=0)).offices[0].service_focus == 0.4


def test_each_office_is_rated_by_its_own_residents():
    # two street offices; the residents of the first are made content (S 0.9), those of the
    # second discontent (S 0.1): at the review the second's σ rises by at least 0.1 more
    # (η_σ = 0.3: the push is 0.3·0.9·0.6 against 0.3·0.1·0.6, a gap of 0.144)
    m = CoGovModel(scenario(months=12, resident_evaluation=True, fund_per_community=0,
                            structure={"street_offices": 2, "communities_per_street": 1},
                            behavior={"sigma_accountability": 0.3}))
    second = np.isin(m.layout.community, m.offices[1].communities)
    m.residents.satisfaction[:] = np.where(second, 0.1, 0.9)
    street_office.review_offices(m.offices, m.residents, m.layout, resident_evaluation=True)
    rise = [office.service_focus - 0.4 for office in m.offices]
    assert rise[1] - rise[0] > 0.1
