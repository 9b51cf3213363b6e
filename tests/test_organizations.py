"""sim/organizations.py (MODEL.md §7.8): zombies, supervision and contracts, run through the
model; the organization's own rules are checked by hand in test_agents.py."""

from __future__ import annotations

import numpy as np
from worlds import small_model

from sim.agents import OrganizationKind, ProfessionalOrganization, SelfOrganization
from sim.model import CoGovModel


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


def test_zombies_get_no_contracts():
    m = small_model(months=15, structure={"social_orgs_per_10k": 100},
                    behavior={"zombie_after": 1}, purchase_share=1.0, incubation_rate=0.0,
                    fund_per_community=200_000)
    m.run()  # every organization is a zombie by the month-3 vote
    projects = [p for f in m.funds for p in f.projects]
    assert projects
    assert not any(getattr(p.implementer, "kind", None) == "professional" for p in projects)


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
