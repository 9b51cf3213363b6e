"""sim/street_office.py (MODEL.md §7.7): σ under residents' evaluation, run through the model;
the office's own rules are checked by hand in test_agents.py."""

from __future__ import annotations

import numpy as np
import pytest
from worlds import run, scenario

from sim.model import CoGovModel


# -------------------------------------------------------------------- resident evaluation
def test_without_resident_evaluation_sigma_stays_at_the_policy_value():
    # regression: the office once went through SocialOrganization-style evaluation for each
    # project it delivered (StreetOffice.evaluated(quality)), so σ jumped 0.4 → 0.92 in every
    # funded scenario, resident evaluation or not
    m = run(scenario(months=12))
    assert any(p.implementer is m.offices[0] and p.delivered for f in m.funds
               for p in f.projects)
    assert m.offices[0].service_focus == 0.4
    assert np.isnan(m.offices[0].performance_score)


def test_resident_evaluation_raises_sigma_once_by_the_accountability_rule():
    # σ += η (1 − S̄)(1 − σ) once, in month 12, with S̄ the street's mean satisfaction then
    # (evaluation comes before this month's attitude update, so S̄ is last month's)
    m = CoGovModel(scenario(months=12, resident_evaluation=True))
    m.run(11)
    s_bar = m.residents.satisfaction.mean()
    m.step()
    office = m.offices[0]
    eta = m.scenario.behavior.sigma_accountability
    assert office.performance_score == pytest.approx(s_bar)
    assert office.service_focus == pytest.approx(0.4 + eta * (1 - s_bar) * 0.6)


def test_resident_evaluation_raises_sigma_when_satisfaction_is_low():
    # with no fund the street office implements nothing, so only §7.7 moves σ
    m = CoGovModel(scenario(months=12, resident_evaluation=True, fund_per_community=0))
    m.run(11)
    s_bar = m.residents.satisfaction.mean()
    assert m.offices[0].service_focus == 0.4
    m.step()
    office = m.offices[0]
    assert 0 < s_bar < 0.8
    assert office.performance_score == pytest.approx(s_bar)
    eta = m.scenario.behavior.sigma_accountability
    assert eta > 0
    assert office.service_focus == pytest.approx(0.4 + eta * (1 - s_bar) * 0.6)
    assert run(scenario(months=12, fund_per_community=0)).offices[0].service_focus == 0.4
