"""The agents (MODEL.md §2): Resident, PartyMember, the two kinds of SocialOrganization
(ProfessionalOrganization, SelfOrganization) and StreetOffice.

Residents are ``mesa.Agent`` views onto one row of the model's arrays (``sim.population``): the
arrays are updated vectorized each month, and an agent reads its current state from them. The
views cost most of a build and no run reads them, so ``model.resident_agents`` builds them on
first use (after which ``model.agents_by_type[Resident]`` holds them too). The few
organizations and street offices carry their own state and act in short Python methods; the
organizations are kept once, in Mesa's registry, by kind (``agents_by_type``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

import mesa
import numpy as np

from sim.scenario import ACTIVITIES, AGE_GROUPS, CATEGORIES


class Resident(mesa.Agent):
    """One adult resident; attributes read the model's arrays at ``index``."""

    def __init__(self, model: mesa.Model, index: int):
        super().__init__(model)
        self.index = index

    def _row(self, name: str):
        return getattr(self.model.residents, name)[self.index]

    community = property(lambda self: int(self.model.layout.community[self.index]))
    building = property(lambda self: int(self.model.layout.building[self.index]))
    household = property(lambda self: int(self.model.layout.household[self.index]))
    grid = property(lambda self: int(self.model.grid_of_resident[self.index]))
    migrant = property(lambda self: bool(self._row("migrant")))
    age_group = property(lambda self: AGE_GROUPS[self._row("age_group")])
    employed = property(lambda self: bool(self._row("employed")))
    party = property(lambda self: bool(self._row("party")))
    public_spirit = property(lambda self: float(self._row("public_spirit")))
    efficacy = property(lambda self: float(self._row("efficacy")))
    trust = property(lambda self: float(self._row("trust")))
    dependency = property(lambda self: float(self._row("dependency")))
    attachment = property(lambda self: float(self._row("attachment")))
    satisfaction = property(lambda self: float(self._row("satisfaction")))
    points = property(lambda self: float(self._row("points")))
    grid_worker = property(lambda self: bool(self._row("grid_worker")))

    @property
    def needs(self) -> dict[str, float]:
        return dict(zip(CATEGORIES, self.model.residents.needs[self.index].tolist(), strict=True))

    @property
    def took_part(self) -> dict[str, bool]:
        row = self.model.residents.took[self.index]
        return dict(zip(ACTIVITIES, (bool(x) for x in row), strict=True))

    @property
    def self_organization(self):
        slot = int(self.model.residents.self_org[self.index])
        return self.model.self_orgs.get(slot)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(index={self.index}, community={self.community})"


class PartyMember(Resident):
    """A party member: vanguard bonus in the logit and monthly outreach (党员联系户)."""

    @property
    def contacts_per_month(self) -> int:
        return self.model.policy.party.contacts_per_month


class OrganizationKind(StrEnum):
    """The two kinds of social organization (MODEL.md §2), as written in outputs."""

    PROFESSIONAL = "professional"  # registered NGO or social-work organization
    SELF_ORG = "self_org"  # residents' self-organization, 自组织


class SocialOrganization(mesa.Agent):
    """What every social organization has: specialties, capacity κ and reputation in [0, 1],
    idle months and where it works. Build one of its two kinds, ``ProfessionalOrganization`` or
    ``SelfOrganization``; the model keeps them once, in Mesa's ``agents_by_type``."""

    kind: ClassVar[OrganizationKind]

    def __init__(self, model: mesa.Model, specialties: tuple[int, ...], capacity: float,
                 street: int, community: int | None = None):
        super().__init__(model)
        self.specialties = specialties  # category indices
        self.capacity = capacity
        self.reputation = model.scenario.behavior.initial_reputation
        self.idle_months = 0
        self.street = street
        self.community = community  # None: serves every community of its street
        self.contracts = 0  # running contracts this month

    @property
    def zombie(self) -> bool:
        """僵尸: idle past ``zombie_after`` months (professional organizations only)."""
        return False

    def delivery_quality(self, category: int) -> float:
        """Quality it delivers on a project of ``category``: κ in a specialty, the share
        ``organizations.off_specialty_quality`` of κ outside (skill is learnt in a specialty)."""
        if category in self.specialties:
            return self.capacity
        return self.capacity * self.model.scenario.behavior.organizations.off_specialty_quality

    @property
    def blacklisted(self) -> bool:
        """异常名录/黑名单 (seed 000): rated below ``organizations.blacklist_reputation``."""
        return self.reputation < self.model.scenario.behavior.organizations.blacklist_reputation

    def eligible(self, category: int, supervised: bool) -> bool:
        """May bid for a purchase contract in ``category``. Without supervision any registered
        organization may; with it (综合监管, seed 000), only one qualified in the field (the
        category is one of its specialties: 具备……专业技术能力, the purchase regulations of the
        Ministry of Finance, 2020) that is neither a zombie nor blacklisted (与承接政府购买服务
        挂钩, seed 000)."""
        if not supervised:
            return True
        return category in self.specialties and not (self.zombie or self.blacklisted)

    def month_of_work(self, training_rate: float) -> None:
        """§7.8: learn by doing (κ += η_κ (1 − κ)) or decay while idle; training adds."""
        b = self.model.scenario.behavior
        if self.contracts:
            self.capacity += b.capacity_learning * (1.0 - self.capacity)
            self.idle_months = 0
        else:
            self.capacity = max(0.0, self.capacity - b.capacity_decay)
            self.idle_months += 1
        self.capacity += b.capacity_training_gain * training_rate / 12 * (1.0 - self.capacity)

    def evaluated(self, quality: float) -> None:
        """§7.5: residents' evaluation moves reputation toward delivered quality."""
        eta = self.model.scenario.behavior.reputation_learning
        self.reputation += eta * (quality - self.reputation)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(specialties={self.specialties}, "
                f"capacity={self.capacity:.2f}, zombie={self.zombie})")


class ProfessionalOrganization(SocialOrganization):
    """A registered NGO or social-work organization serving every community of its street; a
    zombie once idle for ``zombie_after`` months."""

    kind = OrganizationKind.PROFESSIONAL

    def __init__(self, model: mesa.Model, specialties: tuple[int, ...], capacity: float,
                 street: int):
        super().__init__(model, specialties, capacity, street)

    @property
    def zombie(self) -> bool:
        return self.idle_months >= self.model.scenario.behavior.zombie_after


class SelfOrganization(SocialOrganization):
    """A residents' self-organization (自组织) of one building's ``members`` (resident indices)
    sharing a top need; ``slot`` is the id residents' ``self_org`` entries point to."""

    kind = OrganizationKind.SELF_ORG

    def __init__(self, model: mesa.Model, specialty: int, capacity: float, street: int,
                 community: int, members: np.ndarray, slot: int):
        super().__init__(model, (specialty,), capacity, street, community)
        self.members = members
        self.slot = slot


class StreetOffice(mesa.Agent):
    """The government's arm over several communities (街道). σ = service focus in [0, 1]: the
    share of its staff's effort on residents' services rather than investment attraction."""

    def __init__(
        self, model: mesa.Model, index: int, communities: np.ndarray, service_focus: float
    ):
        super().__init__(model)
        self.index = index
        self.communities = communities
        self.service_focus = service_focus  # σ

    @property
    def capacity(self) -> float:
        """Delivery quality of projects it implements itself: base + per_focus · σ (§7.4)."""
        b = self.model.scenario.behavior
        return b.office_capacity_base + b.office_capacity_per_focus * self.service_focus

    def demand_capacity(self, projects: np.ndarray | float = 0.0) -> np.ndarray | float:
        """Problems it can resolve per community per month, given the fund ``projects`` it is
        implementing itself there: max(0, staff hours − hours per project · projects) · σ /
        hours per problem (§7.7)."""
        s = self.model.scenario
        free = np.maximum(0.0, s.structure.street_staff_hours_per_community
                          - s.behavior.demands.office_hours_per_project * np.asarray(projects))
        out = free * self.service_focus / s.behavior.hours_per_demand
        return float(out) if np.ndim(out) == 0 else out

    def review(self, mean_satisfaction: float | None) -> None:
        """The yearly review of σ (§7.7): under resident evaluation (``mean_satisfaction`` S̄
        given) dissatisfaction pushes σ up, η_σ·(1 − S̄)·(1 − σ); always the office's
        institutional setting (investment targets and their 考核 indicators, or none after the
        reform) pulls it back toward ``policy.service_focus``, λ_σ·(σ0 − σ)."""
        b, sigma = self.model.scenario.behavior, self.service_focus
        push = 0.0
        if mean_satisfaction is not None:
            push = b.sigma_accountability * (1.0 - mean_satisfaction) * (1.0 - sigma)
        pull = b.sigma_pull * (self.model.policy.service_focus - sigma)
        self.service_focus = float(np.clip(sigma + push + pull, 0.0, 1.0))
