"""Social organizations and residents' self-organizations over the months (MODEL.md §7.8,
ODD §7.8).

Each month contracted organizations learn and idle ones decay (``SocialOrganization
.month_of_work``); under ``policy.supervision`` zombie and blacklisted professional
organizations are deregistered at the cycle's evaluation (综合监管, seed 000);
from the second year new professional organizations are incubated in the cycle's first month;
self-organizations dissolve when their members' engagement fades and form where enough engaged,
unaffiliated residents of one building share a top need. The organizations are kept once, in
the model's Mesa registry (``agents_by_type``); ``Organizations`` reads them from there in order
of founding.
"""

from __future__ import annotations

from operator import attrgetter

import mesa
import numpy as np

from sim import fund
from sim.agents import ProfessionalOrganization, SelfOrganization, SocialOrganization
from sim.population import Layout, Residents
from sim.scenario import CATEGORIES, Behavior, Policy

K = len(CATEGORIES)


class Organizations:
    """The social organizations of one model run and their monthly life (§7.8). The agents
    themselves are kept once, by Mesa (``model.agents_by_type``); this class reads them from
    there and holds what the submodel needs across months: the next self-organization slot."""

    def __init__(self, model: mesa.Model, residents: Residents, layout: Layout,
                 rng: np.random.Generator):
        self.model = model
        self.residents = residents
        self.layout = layout
        self.rng = rng
        self.next_slot = 0
        self.street_residents = np.bincount(layout.street_of_community,
                                            weights=layout.community_size)

    def all(self) -> list[SocialOrganization]:
        """Professional and self-organizations together, in order of founding."""
        by_type = self.model.agents_by_type
        found = [*by_type.get(ProfessionalOrganization, ()), *by_type.get(SelfOrganization, ())]
        return sorted(found, key=attrgetter("unique_id"))

    def professionals(self) -> list[ProfessionalOrganization]:
        """Professional organizations, in order of founding."""
        return list(self.model.agents_by_type.get(ProfessionalOrganization, ()))

    def self_organizations(self) -> dict[int, SelfOrganization]:
        """Self-organizations by slot, in order of founding."""
        return {org.slot: org for org in self.model.agents_by_type.get(SelfOrganization, ())}

    def incubate(self, per_10k: float, coef: Behavior) -> None:
        """Poisson(``per_10k`` × residents of the street / 10,000) new professional
        organizations a street: one specialty, a second with ``second_specialty_share``;
        capacity ~ Beta(``professional_capacity``)."""
        for street, mean in enumerate(per_10k * self.street_residents / 10_000):
            for _ in range(self.rng.poisson(mean)):
                n_specialties = 1 + int(self.rng.random() < coef.second_specialty_share)
                specialties = tuple(int(k) for k in self.rng.choice(K, size=n_specialties,
                                                                    replace=False))
                capacity = float(self.rng.beta(coef.professional_capacity.a,
                                               coef.professional_capacity.b))
                ProfessionalOrganization(self.model, specialties, capacity, street)

    def month(self, month: int, funds: list[fund.CommunityFund], policy: Policy,
              coef: Behavior) -> None:
        """One month of §7.8 in run month ``month`` (1, 2, …)."""
        cycle_month = fund.cycle_month(month)
        self.work(funds, cycle_month, policy.training_rate)
        if cycle_month == fund.EVALUATION_MONTH and policy.supervision:
            self.clear()
        if cycle_month == 1 and month > 1:
            self.incubate(policy.incubation_rate, coef)
        self.self_organize(coef)

    def clear(self) -> None:
        """综合监管 (seed 000): zombie (僵尸) and blacklisted (问题社会组织) professional
        organizations are deregistered. A blacklisted self-organization is not a registered body
        and stays as a residents' group; it is only barred from contracts
        (``SocialOrganization.eligible``)."""
        for org in self.professionals():
            if org.zombie or org.blacklisted:
                self.drop(org)

    def work(self, funds: list[fund.CommunityFund], cycle_month: int,
             training_rate: float) -> None:
        """Learning and idling: in the implementation months an organization works on every
        project it holds."""
        busy: dict[int, int] = {}
        for ledger in funds:
            for project in ledger.projects:
                if isinstance(project.implementer, SocialOrganization):
                    busy[id(project.implementer)] = busy.get(id(project.implementer), 0) + 1
        working = cycle_month in fund.IMPLEMENTATION_MONTHS
        for org in self.all():
            org.contracts = busy.get(id(org), 0) if working else 0
            org.month_of_work(training_rate)

    def drop(self, org: SocialOrganization) -> None:
        """Remove ``org``; a self-organization's members are unaffiliated again."""
        if isinstance(org, SelfOrganization):
            self.residents.self_org[org.members] = -1
        org.remove()

    def leave(self, movers: np.ndarray, coef: Behavior) -> None:
        """Residents in the (N,) bool mask ``movers`` moved away: they are no longer members
        of any self-organization, and one left with fewer than ``self_org_min`` members
        dissolves (it could not have formed with so few)."""
        for org in list(self.self_organizations().values()):
            org.members = org.members[~movers[org.members]]
            if len(org.members) < coef.self_org_min:
                self.drop(org)

    def self_organize(self, coef: Behavior) -> None:
        """Self-organizations dissolve when their members' mean engagement falls below
        ``self_org_dissolve_engagement``; they form where ≥ ``self_org_min`` engaged,
        unaffiliated residents of one building share a top need (each such group with
        ``self_org_formation``)."""
        residents, layout = self.residents, self.layout
        existing = self.self_organizations()
        if existing:
            member = residents.self_org >= 0
            slots = residents.self_org[member]
            total = np.bincount(slots, weights=residents.engagement[member],
                                minlength=self.next_slot)
            count = np.bincount(slots, minlength=self.next_slot)
            for slot, org in existing.items():
                if total[slot] / max(count[slot], 1) < coef.self_org_dissolve_engagement:
                    self.drop(org)
        free = np.flatnonzero((residents.engagement > coef.self_org_engagement)
                              & (residents.self_org < 0))
        if len(free) < coef.self_org_min:
            return
        key = layout.building[free] * K + residents.top_need[free]
        groups, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        forming = np.flatnonzero((counts >= coef.self_org_min)
                                 & (self.rng.random(len(groups)) < coef.self_org_formation))
        for group in forming:
            members = free[inverse == group]
            c = int(layout.community[members[0]])
            SelfOrganization(self.model, int(groups[group] % K), coef.self_org_capacity,
                             int(layout.street_of_community[c]), community=c, members=members,
                             slot=self.next_slot)
            residents.self_org[members] = self.next_slot
            self.next_slot += 1
