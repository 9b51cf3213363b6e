"""sim/organizations.py (MODEL.md §7.8): zombies, supervision and contracts, run through the
model; the organization's own rules are checked by hand in test_agents.py."""

from __future__ import annotations

import numpy as np
from worlds import small_model

from sim import fund
from sim.agents import OrganizationKind, ProfessionalOrganization, SelfOrganization, StreetOffice
from sim.model import CoGovModel, replicate_rng
from sim.scenario import Scenario


def zombie_world(supervision: bool) -> tuple[CoGovModel, list[int]]:
    """600 residents with 100 organizations per 10,000 (≈ 6), no contracts, zombies after 3
    idle months; returns the model after 12 months and its monthly zombie counts."""
    m = small_model(structure={"social_orgs_per_10k": 100}, behavior={"zombie_after": 3},
                    supervision=supervision, purchase_share=0.0, incubation_rate=0.0,
                    fund_per_community=100_000)
    zombies = []
    for _ in range(12):
        m.step()
        zombies.append(m.current["social_orgs_zombie"])
    return m, zombies


def test_idle_organizations_turn_zombie_and_supervision_clears_them():
    m, zombies = zombie_world(supervision=True)
    professionals = [o for o in m.organizations if o.kind == "professional"]
    assert zombies[1] == 0 and zombies[2] > 0  # zombie from the third idle month
    assert zombies[10] == zombies[2]  # nobody got a contract, nobody was cleared before …
    assert zombies[11] == 0  # … the evaluation month (12), when supervision clears them
    assert professionals == []
    assert m.current["social_orgs_active"] == 0


def test_without_supervision_zombies_stay():
    m, zombies = zombie_world(supervision=False)
    assert zombies[11] == zombies[2] > 0
    assert all(o.zombie for o in m.organizations if o.kind == "professional")


def zombie_contracts(supervision: bool) -> int:
    m = small_model(months=3, structure={"social_orgs_per_10k": 100},
                    behavior={"zombie_after": 1}, purchase_share=1.0, incubation_rate=0.0,
                    fund_per_community=200_000, supervision=supervision)
    m.run()  # every organization is a zombie by the month-3 vote, none yet cleared
    assert len(m.orgs.professionals()) > 0
    projects = [p for f in m.funds for p in f.projects]
    assert projects
    return sum(getattr(p.implementer, "kind", None) == "professional" for p in projects)


def test_zombies_win_contracts_only_without_supervision():
    """Seed 000: supervision links zombie organizations to eligibility for purchase."""
    assert zombie_contracts(supervision=True) == 0
    assert zombie_contracts(supervision=False) > 0


def test_organizations_are_kept_once_by_mesa_in_order_of_founding():
    m = small_model(months=24, structure={"social_orgs_per_10k": 100}, incubation_rate=50.0,
                    behavior={"self_org_formation": 1.0, "self_org_engagement": 0.05})
    m.run()
    by_type = m.agents_by_type
    professionals = list(by_type.get(ProfessionalOrganization, ()))
    self_orgs = list(by_type.get(SelfOrganization, ()))
    assert professionals and self_orgs
    assert m.organizations == sorted(professionals + self_orgs, key=lambda o: o.unique_id)
    assert m.self_orgs == {o.slot: o for o in self_orgs}
    assert all(o.kind == OrganizationKind.PROFESSIONAL == "professional" for o in professionals)
    assert all(o.kind == OrganizationKind.SELF_ORG == "self_org" for o in self_orgs)
    gone = self_orgs[0]
    m.orgs.drop(gone)
    assert gone not in m.organizations and gone.slot not in m.self_orgs
    assert not np.any(m.residents.self_org == gone.slot)
    assert (m.residents.self_org[gone.members] == -1).all()  # its members are unaffiliated


# ------------------------------------------------------------- purchase of services (§7.3, §7.8)
# One street of two 800-adult communities under a reform-like policy, four replicates on the
# same seeds: only the lever under test differs between the paired runs.
REFORM = {"fund_per_community": 400_000, "devolution": 1.0, "transparency": 0.66,
          "service_focus": 0.8, "resident_evaluation": True}
CAPABLE = {"structure": {"social_orgs_per_10k": 60},
           "behavior": {"professional_capacity": {"a": 8, "b": 2}},
           "policy": {"incubation_rate": 2.0, "training_rate": 0.1}}
"""Many, experienced and trained professional organizations (about 10 in the street)."""
WEAK = {"structure": {"social_orgs_per_10k": 6.3},
        "behavior": {"professional_capacity": {"a": 2, "b": 4}},
        "policy": {"incubation_rate": 0.0}}
"""One organization in the street at the national density, new and unskilled (κ ≈ 0.33)."""
REPLICATES = 4


def org_world(world: dict, months: int = 48, behavior=None, **policy) -> Scenario:
    return Scenario.from_dict({
        "seed": 5, "months": months,
        "structure": {"residents_per_community": 800, "communities_per_street": 2,
                      **world["structure"]},
        "behavior": {**world["behavior"], **(behavior or {})},
        "policy": {**REFORM, **world["policy"], **policy},
    })


def delivered(s: Scenario) -> list[list[fund.Project]]:
    """The projects delivered in each replicate's run (every cycle)."""
    out = []
    for r in range(REPLICATES):
        m, projects = CoGovModel(s, rng=replicate_rng(s.seed, r)), []
        while m.month < s.months:
            m.step()
            if fund.cycle_month(m.month) == fund.EVALUATION_MONTH:
                projects += [p for f in m.funds for p in f.projects if p.delivered]
        out.append(projects)
    return out


def mean_quality(s: Scenario) -> float:
    return float(np.mean([np.mean([p.quality for p in run]) for run in delivered(s)]))


def test_purchase_from_capable_organizations_raises_delivered_quality():
    """Experienced specialists learn past the generalist office (measured +0.085)."""
    office = mean_quality(org_world(CAPABLE, purchase_share=0.0))
    bought = mean_quality(org_world(CAPABLE, purchase_share=1.0))
    assert bought - office >= 0.05, (office, bought)


def test_purchase_from_weak_organizations_lowers_delivered_quality():
    """One unskilled organization takes projects in and out of its specialty (measured −0.28)."""
    office = mean_quality(org_world(WEAK, purchase_share=0.0))
    bought = mean_quality(org_world(WEAK, purchase_share=1.0))
    assert office - bought >= 0.15, (office, bought)


def test_supervision_keeps_zombie_and_problem_organizations_from_delivering():
    """Weak organizations idle into zombies or are rated below the blacklist; supervision bars
    them, and bids outside their field, from contracts; the office delivers instead (measured
    +0.26)."""
    world = {**WEAK, "structure": {"social_orgs_per_10k": 30}}
    off = mean_quality(org_world(world, purchase_share=1.0, supervision=False,
                                 behavior={"zombie_after": 6}))
    on = mean_quality(org_world(world, purchase_share=1.0, supervision=True,
                                behavior={"zombie_after": 6}))
    assert on - off >= 0.1, (off, on)


def test_under_supervision_only_qualified_organizations_win_contracts():
    """综合监管 enforces the purchase rule that a contractor has the skills the service needs
    (Ministry of Finance 2020): no project goes outside an organization's specialty, while
    qualified organizations still win contracts in their own (measured 22 over 4 replicates)."""
    def by_organizations(supervision: bool) -> tuple[int, int]:
        s = org_world(WEAK, months=24, purchase_share=1.0, supervision=supervision)
        bought = [p for run in delivered(s) for p in run
                  if not isinstance(p.implementer, StreetOffice)]
        outside = sum(p.category not in p.implementer.specialties for p in bought)
        return outside, len(bought) - outside
    outside, inside = by_organizations(True)
    assert outside == 0 and inside >= 8
    assert by_organizations(False)[0] >= 5


def mean_capacity(training_rate: float, behavior=None) -> float:
    """Mean κ of the professional organizations after three years of purchase."""
    s = org_world(CAPABLE, months=36, purchase_share=1.0, training_rate=training_rate,
                  incubation_rate=0.0, behavior=behavior)
    return float(np.mean([np.mean([o.capacity for o in CoGovModel(s, rng=replicate_rng(
        s.seed, r)).run().orgs.professionals()]) for r in range(REPLICATES)]))


def test_training_raises_organizations_capacity():
    """赋能 training of organizations' staff (measured +0.038 at 0.1/yr over three years)."""
    assert mean_capacity(0.1) - mean_capacity(0.0) >= 0.02


def test_contracts_teach_organizations_by_doing():
    """Learning by doing (Argote & Epple 1990): knock it out and the street's organizations
    are less capable after three years of purchase (measured 0.602 against 0.563; most of the
    ten organizations idle, so the mean moves less than a contractor's κ)."""
    learning, none = mean_capacity(0.0), mean_capacity(0.0, {"capacity_learning": 0.0})
    assert learning - none >= 0.02, (none, learning)


def contractors(reputation_learning: float) -> list[int]:
    """Distinct organizations that delivered a purchased project, per replicate."""
    s = org_world(CAPABLE, purchase_share=1.0,
                  behavior={"reputation_learning": reputation_learning})
    return [len({id(p.implementer) for p in run if not isinstance(p.implementer, StreetOffice)})
            for run in delivered(s)]


def test_residents_ratings_steer_contracts():
    """民主评议: organizations that delivered well are rated above an untried one's 0.5 and keep
    their contracts, so contracts concentrate on proven organizations; knock the rating out and
    they spread over more organizations (measured 6.0 against 7.25 per run)."""
    rated, unrated = contractors(0.3), contractors(0.0)
    assert np.mean(unrated) - np.mean(rated) >= 0.5, (rated, unrated)


def test_incubated_organizations_arrive_at_the_start_of_each_later_cycle():
    # none at start (0 per 10,000) and 100 per 10,000 a year incubated (≈ 6 a street): none
    # arrives in the first cycle — the start's organizations are the structure's — and new
    # ones arrive in month 13, the first month of the second cycle
    m = small_model(months=13, structure={"social_orgs_per_10k": 0}, incubation_rate=100.0)
    counts = []
    for _ in range(13):
        m.step()
        counts.append(len(m.orgs.professionals()))
    assert counts[:12] == [0] * 12
    assert counts[12] >= 3


def test_self_organizations_form_keep_their_members_and_dissolve():
    # the engaged residents of one building who share a top need form one self-organization
    # (formation certain here), too few in another form none; while they stay engaged it
    # lasts and its members are not free to found another; when their engagement falls below
    # the dissolving level it dissolves
    m = small_model(behavior={"self_org_formation": 1.0})
    res, coef = m.residents, m.scenario.behavior
    for org in list(m.orgs.self_organizations().values()):
        m.orgs.drop(org)
    building = m.layout.building == np.bincount(m.layout.building).argmax()
    assert building.sum() >= coef.self_org_min
    res.engagement[:] = 0.0
    res.engagement[building] = 0.9
    res.top_need[building] = 0
    # in another building, one engaged resident fewer than a self-organization needs
    few = np.flatnonzero(m.layout.building == m.layout.building[~building][0])
    few = few[:coef.self_org_min - 1]
    res.engagement[few] = 0.9
    m.orgs.self_organize(coef)
    (slot, first), = m.orgs.self_organizations().items()
    np.testing.assert_array_equal(res.self_org == slot, building)
    m.orgs.self_organize(coef)
    assert list(m.orgs.self_organizations().values()) == [first]
    np.testing.assert_array_equal(res.self_org == slot, building)
    res.engagement[building] = coef.self_org_dissolve_engagement / 2
    m.orgs.self_organize(coef)
    assert not m.orgs.self_organizations()
    assert np.all(res.self_org == -1)


def _engaged_buildings(m, buildings, need: int = 0):
    """Make the adults of ``buildings`` engaged and sharing top need ``need``; everyone else
    disengaged; no self-organization."""
    res = m.residents
    for org in list(m.orgs.self_organizations().values()):
        m.orgs.drop(org)
    res.engagement[:] = 0.0
    members = np.isin(m.layout.building, buildings)
    res.engagement[members] = 0.9
    res.top_need[members] = need
    return members


def test_self_organizations_formed_together_keep_apart():
    # two buildings' groups form in one month: two organizations, each with its own members
    m = small_model(behavior={"self_org_formation": 1.0})
    sizes = np.bincount(m.layout.building)
    two = np.argsort(sizes)[-2:]
    _engaged_buildings(m, two)
    m.orgs.self_organize(m.scenario.behavior)
    orgs = m.orgs.self_organizations()
    assert len(orgs) == 2
    for slot, org in orgs.items():
        np.testing.assert_array_equal(np.flatnonzero(m.residents.self_org == slot),
                                      np.sort(org.members))
        assert len(set(m.layout.building[org.members])) == 1


def test_each_qualifying_group_forms_on_its_own_draw():
    # with formation 0.5 a month, of many qualifying groups about half form in one month
    # (between 30% and 70% of them), not all or none together
    m = small_model(structure={"residents_per_community": 3000},
                    behavior={"self_org_formation": 0.5})
    sizes = np.bincount(m.layout.building)
    buildings = np.flatnonzero(sizes >= m.scenario.behavior.self_org_min)
    _engaged_buildings(m, buildings)
    m.orgs.self_organize(m.scenario.behavior)
    formed = len(m.orgs.self_organizations()) / len(buildings)
    assert len(buildings) >= 20 and 0.3 < formed < 0.7


def test_a_self_organization_left_with_its_minimum_of_members_stays():
    # movers leave; one left with exactly self_org_min members goes on, one with fewer ends
    m = small_model(behavior={"self_org_formation": 1.0, "self_org_min": 3})
    sizes = np.bincount(m.layout.building)
    big = np.flatnonzero(sizes >= 5)[:2]
    _engaged_buildings(m, big)
    m.orgs.self_organize(m.scenario.behavior)
    first, second = m.orgs.self_organizations().values()
    movers = np.zeros(len(m.residents), dtype=bool)
    movers[np.sort(first.members)[3:]] = True  # leaves exactly 3
    movers[np.sort(second.members)[2:]] = True  # leaves 2
    m.orgs.leave(movers, m.scenario.behavior)
    assert list(m.orgs.self_organizations().values()) == [first]
    assert len(first.members) == 3
