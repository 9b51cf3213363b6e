"""sim/agents.py (MODEL.md §2 entities, §7.7 street office, §7.8 organizations).

Residents are views onto the model's arrays, so the tests change an array and watch the agent;
organizations and street offices carry their own state, so their rules are checked by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
from worlds import small_model

from sim.agents import (
    PartyMember,
    ProfessionalOrganization,
    Resident,
    SelfOrganization,
    StreetOffice,
)
from sim.model import CoGovModel
from sim.scenario import ACTIVITIES, AGE_GROUPS, CATEGORIES


@pytest.fixture
def model() -> CoGovModel:
    return small_model()


# ------------------------------------------------------------------------------ residents
def test_every_resident_has_one_agent_and_party_members_are_party_members(model):
    r = model.residents
    agents = model.resident_agents
    assert len(agents) == len(r)
    assert [a.index for a in agents] == list(range(len(r)))
    is_member = np.array([isinstance(a, PartyMember) for a in agents])
    np.testing.assert_array_equal(is_member, r.party)
    assert all(isinstance(a, Resident) for a in agents)
    assert r.party.any() and not r.party.all()
    assert len(model.agents_by_type[PartyMember]) == r.party.sum()
    assert len(model.agents_by_type[Resident]) == (~r.party).sum()


def test_resident_views_are_built_on_first_use_only():
    m = small_model()
    assert Resident not in m.agents_by_type and PartyMember not in m.agents_by_type
    m.run(2)  # a run needs no views
    assert Resident not in m.agents_by_type
    agents = m.resident_agents
    assert agents is m.resident_agents  # built once
    assert len(m.agents_by_type[Resident]) + len(m.agents_by_type[PartyMember]) == len(agents)


def test_resident_attributes_read_the_arrays(model):
    r, lay = model.residents, model.layout
    i = 301  # a resident of the second community
    agent = model.resident_agents[i]
    assert agent.community == 1 == lay.community[i]
    assert agent.building == lay.building[i] and agent.household == lay.household[i]
    assert agent.grid == model.grid_of_resident[i]
    assert agent.age_group == AGE_GROUPS[r.age_group[i]]
    assert agent.migrant == bool(r.migrant[i]) and agent.party == bool(r.party[i])
    for name in ("public_spirit", "efficacy", "trust", "dependency", "attachment",
                 "satisfaction", "points"):
        assert getattr(agent, name) == getattr(r, name)[i]
    assert list(agent.needs) == list(CATEGORIES)
    assert sum(agent.needs.values()) == pytest.approx(1.0)
    assert agent.took_part == dict.fromkeys(ACTIVITIES, False)


def test_changing_an_array_entry_changes_the_attribute(model):
    r = model.residents
    agent = model.resident_agents[7]
    r.efficacy[7] = 0.123
    r.trust[7] = 0.987
    r.migrant[7] = not r.migrant[7]
    r.took[7] = [False, True, True]
    r.needs[7] = [0.5, 0.1, 0.1, 0.1, 0.1, 0.1]
    assert agent.efficacy == 0.123 and agent.trust == 0.987
    assert agent.migrant == bool(r.migrant[7])
    assert agent.took_part == {"deliberate": False, "volunteer": True, "monitor": True}
    assert agent.needs["elder_care"] == 0.5
    # the model replaces arrays every month; the view follows the new ones
    model.step()
    assert agent.efficacy == r.efficacy[7] == model.residents.efficacy[7]
    assert agent.took_part == dict(zip(ACTIVITIES, map(bool, model.residents.took[7]),
                                       strict=True))


def test_party_member_outreach_follows_policy():
    m = small_model(party={"contacts_per_month": 9})
    member = next(a for a in m.resident_agents if isinstance(a, PartyMember))
    assert member.contacts_per_month == 9
    m.set_policy({"party.contacts_per_month": 2})
    m.step()
    assert member.contacts_per_month == 2


def test_self_organization_view():
    m = small_model()
    agent = m.resident_agents[0]
    assert agent.self_organization is None
    org = SelfOrganization(m, 0, 0.3, 0, community=0, members=np.array([0, 1]), slot=42)
    m.residents.self_org[[0, 1]] = 42
    assert agent.self_organization is org


# -------------------------------------------------------------------------- organizations
def test_capacity_learns_by_doing_and_decays_idle(model):
    # η_κ 0.05, decay 0.01, training gain 0.1 per unit rate per year
    org = ProfessionalOrganization(model, (2,), 0.6, 0)
    org.contracts = 1
    org.month_of_work(0.0)
    assert org.capacity == pytest.approx(0.6 + 0.05 * 0.4)  # 0.62
    assert org.idle_months == 0
    org.contracts = 0
    org.month_of_work(0.0)
    assert org.capacity == pytest.approx(0.61)
    assert org.idle_months == 1
    # training at 1.2 a year: + 0.1 · 1.2 / 12 · (1 − 0.61) = 0.0039
    org.month_of_work(1.2)
    assert org.capacity == pytest.approx(0.60 + 0.01 * 0.40)
    # capacity never below zero
    org.capacity = 0.005
    org.month_of_work(0.0)
    assert org.capacity == 0.0


def test_organization_becomes_zombie_after_zombie_after_idle_months():
    m = small_model(behavior={"zombie_after": 5})
    org = ProfessionalOrganization(m, (1,), 0.7, 0)
    org.contracts = 0
    for month in range(1, 6):
        assert not org.zombie
        org.month_of_work(0.0)
        assert org.idle_months == month
    assert org.zombie
    # a contract revives it
    org.contracts = 1
    org.month_of_work(0.0)
    assert not org.zombie and org.idle_months == 0
    # a residents' self-organization is never a zombie
    self_org = SelfOrganization(m, 1, 0.3, 0, community=0, members=np.array([0]), slot=0)
    self_org.idle_months = 100
    assert not self_org.zombie


def test_reputation_moves_toward_delivered_quality(model):
    org = ProfessionalOrganization(model, (0, 3), 0.5, 0)
    assert org.reputation == 0.5
    org.evaluated(0.9)  # 0.5 + 0.3 · 0.4 = 0.62
    assert org.reputation == pytest.approx(0.62)
    org.evaluated(0.0)  # 0.62 − 0.3 · 0.62 = 0.434
    assert org.reputation == pytest.approx(0.434)


# --------------------------------------------------------------------------- street office
def test_street_office_review_by_hand(model):
    office = model.offices[0]
    assert office.service_focus == 0.4 == model.policy.service_focus
    # η_σ 0.3: σ += 0.3 · (1 − 0.2) · (1 − 0.4) = 0.144; pull 0.3 · (0.4 − 0.4) = 0 → 0.544
    office.review(0.2)
    assert office.service_focus == pytest.approx(0.544)
    # no evaluation: only the pull, 0.544 + 0.3 · (0.4 − 0.544) = 0.5008 (σ falls)
    office.review(None)
    assert office.service_focus == pytest.approx(0.5008)
    # full satisfaction: no push, the pull still works
    office.review(1.0)
    assert office.service_focus == pytest.approx(0.5008 - 0.3 * 0.1008)
    # low satisfaction raises σ more than middling satisfaction
    low, mid = StreetOffice(model, 1, np.array([]), 0.4), StreetOffice(model, 2, np.array([]), 0.4)
    low.review(0.1)
    mid.review(0.6)
    assert low.service_focus > mid.service_focus > 0.4
    # under steady evaluation σ settles inside (0, 1) where push = pull:
    # 0.3 · 0.8 · (1 − σ) = 0.3 · (σ − 0.4) → σ = 0.36 / 0.54 = 2/3
    for _ in range(200):
        low.review(0.2)
    assert low.service_focus == pytest.approx(2 / 3, abs=1e-6)
    # without evaluation it returns to the policy value
    for _ in range(200):
        low.review(None)
    assert low.service_focus == pytest.approx(0.4, abs=1e-6)


def test_street_office_capacities_scale_with_service_focus(model):
    office = model.offices[0]
    # problems: 240 h · σ / 4 h per problem = 24 at σ 0.4, 60 at σ 1
    assert office.demand_capacity() == pytest.approx(24.0)
    # two projects of its own tie up 2 · 60 h: (240 − 120) · 0.4 / 4 = 12; five leave nothing
    assert office.demand_capacity(2) == pytest.approx(12.0)
    assert office.demand_capacity(5) == 0.0
    delivery = []
    for sigma in (0.0, 0.4, 1.0):
        office.service_focus = sigma
        delivery.append(office.capacity)
    assert office.demand_capacity() == pytest.approx(60.0)
    # delivery quality is a share and rises with 归位
    assert 0 <= delivery[0] < delivery[1] < delivery[2] <= 1


def test_street_offices_and_their_communities():
    m = small_model(structure={"street_offices": 2, "communities_per_street": 3})
    assert [o.communities.tolist() for o in m.offices] == [[0, 1, 2], [3, 4, 5]]
    assert all(o.service_focus == 0.4 for o in m.offices)
    np.testing.assert_array_equal(m.service_focus_by_community(), np.full(6, 0.4))
