"""The fund cycle in the running model: donations, the tally of deliberators' needs, the vote
and contracts, implementation under monitoring, and democratic evaluation (MODEL.md §7.3–7.5 and
the foundation of §7.8; ODD §7.3–7.5, §7.8 "Foundation").

``sim.fund`` holds the ledger and the allocation rule of one community; this module runs them
over every community in the months of the cycle (``fund.DELIBERATION_MONTHS``,
``fund.VOTE_MONTH``, ``fund.IMPLEMENTATION_MONTHS``, ``fund.EVALUATION_MONTH``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim import behavior, fund
from sim.agents import SocialOrganization, StreetOffice
from sim.community import CommunityState
from sim.participation import DELIBERATE, MONITOR
from sim.population import Layout, Residents
from sim.scenario import CATEGORIES, Behavior, Policy
from sim.street_office import service_focus_by_community

K = len(CATEGORIES)


@dataclass
class Flows:
    """Money paid out, projects completed and hours redeemed in one month, one entry per
    community ((C,) arrays, community order of the layout). The district's figures are their
    totals (:meth:`totals`)."""

    spent: np.ndarray  # (C,) yuan
    leaked: np.ndarray  # (C,) yuan
    delivered: np.ndarray  # (C,) int, projects
    incentive_paid: np.ndarray  # (C,) yuan paid for redeemed points (sim.incentives)
    time_bank_hours: np.ndarray  # (C,) time-bank hours redeemed as members' service

    @classmethod
    def none(cls, n_communities: int) -> Flows:
        """A month with nothing paid, delivered or redeemed in any of ``n_communities``."""
        return cls(np.zeros(n_communities), np.zeros(n_communities),
                   np.zeros(n_communities, dtype=np.int64), np.zeros(n_communities),
                   np.zeros(n_communities))

    def totals(self) -> dict[str, float]:
        """District totals: ``spent``, ``leaked`` (yuan), ``delivered`` (projects),
        ``incentive_paid`` (yuan) and ``time_bank_hours``. Fund payments are added in community
        order and the incentive figures by numpy's sum, as they were before they were kept per
        community, so the district's numbers are unchanged to the bit."""
        return {"spent": _in_order(self.spent), "leaked": _in_order(self.leaked),
                "delivered": int(self.delivered.sum()),
                "incentive_paid": float(self.incentive_paid.sum()),
                "time_bank_hours": float(self.time_bank_hours.sum())}


def _in_order(values: np.ndarray) -> float:
    """0.0 + values[0] + values[1] + …, added one after another."""
    total = 0.0
    for value in values.tolist():
        total += value
    return total


def fund_per_household(community: CommunityState, layout: Layout, policy: Policy,
                       coef: Behavior, year: int, fund_yuan: np.ndarray | None = None
                       ) -> np.ndarray:
    """(C,) money the council can decide on in cycle ``year`` (0, 1, …), yuan per household:
    the fund (``fund_yuan``: each community's ``fund_per_community`` in force, yuan a year; default
    the policy's everywhere), the foundation's payout and what is held unallocated (stake,
    §7.1)."""
    expected = (yearly_fund(policy, year, fund_yuan) + foundation_grants(community, policy, coef)
                + community.unallocated)
    return expected / layout.households_per_community


def yearly_fund(policy: Policy, year: int, fund_yuan: np.ndarray | None = None
                ) -> float | np.ndarray:
    """Yuan per community the city puts into the fund in cycle ``year`` (0, 1, …):
    ``fund_per_community`` grown by ``fund_growth`` a year. With ``fund_yuan`` ((C,) yuan a year,
    each community's ``fund_per_community`` in force: ``model.community_settings``) one value
    per community (C,); otherwise the policy's one value."""
    base = policy.fund_per_community if fund_yuan is None else fund_yuan
    return base * (1 + policy.fund_growth) ** year


def foundation_grants(community: CommunityState, policy: Policy, coef: Behavior) -> np.ndarray:
    """(C,) yuan each community foundation pays into the fund at the vote:
    ``foundation_payout`` of its balance (0 without ``policy.foundation``)."""
    return coef.foundation_payout * community.foundation * policy.foundation


def collect_donations(community: CommunityState, residents: Residents, layout: Layout,
                      policy: Policy, coef: Behavior) -> None:
    """Foundation (社区基金会) income of one month, yuan per community: residents give
    ``donation_yuan_per_month`` · T · A each, which the city matches at ``foundation_match``
    yuan per yuan (配捐); the city's yearly grant (seed 000) and the social capital the
    foundation raises (seed 004) arrive in twelfths. The income is kept for the
    ``foundation_income`` metric."""
    if not policy.foundation:
        community.foundation_income = np.zeros(len(community))
        return
    gifts = coef.donation_yuan_per_month * residents.trust * residents.attachment
    donated = np.bincount(layout.community, weights=gifts, minlength=len(community))
    steady = (coef.foundation.city_grant + coef.foundation.social_capital) / 12
    community.foundation_income = donated * (1.0 + policy.foundation_match) + steady
    community.foundation += community.foundation_income


def tally_needs(community: CommunityState, residents: Residents, layout: Layout,
                first_month: bool) -> None:
    """两下三上: add this month's deliberators' needs to their community's votes (votes and
    ``voted`` reset in the cycle's first month)."""
    if first_month:
        residents.voted[:] = False
        for ledger in community.funds:
            ledger.votes = np.zeros(K)
    deliberated = residents.took[:, DELIBERATE]
    residents.voted |= deliberated
    tally = np.stack([np.bincount(layout.community[deliberated],
                                  weights=residents.needs[deliberated, k],
                                  minlength=len(community)) for k in range(K)], 1)
    for c, ledger in enumerate(community.funds):
        ledger.votes = ledger.votes + tally[c]


@dataclass(frozen=True)
class Actors:
    """Who can implement a project: the street offices and the social organizations (in order
    of founding); ``street_of_community`` maps each community to its office."""

    offices: Sequence[StreetOffice]
    organizations: Sequence[SocialOrganization]
    street_of_community: np.ndarray

    def contractor(self, community: int, category: int, purchase_share: float,
                   supervised: bool, tender_noise: float, rng: np.random.Generator
                   ) -> tuple[SocialOrganization | StreetOffice, float]:
        """The implementer of a project of ``category`` and the quality it delivers before
        leakage. With ``purchase_share`` the office buys the service (政府购买服务). The bidders
        are the street's organizations that may bid (``SocialOrganization.eligible``: under
        supervision only qualified ones, no zombie or blacklisted one); a self-organization
        bids only in its own community and its own specialty. Each bids the quality it would
        deliver, v = κ in a specialty and a share of κ outside one, and is scored
        reputation × v; the office picks bid j with probability ∝ exp(score_j / τ),
        τ = ``organizations.tender_noise``: the best bid usually wins, but contracting in China
        is seldom fully competitive (Jing & Chen 2012), so weaker bids sometimes do (τ = 0: the
        best bid always). Otherwise, or if nobody may bid, the street office delivers at its own
        capacity (``StreetOffice.capacity``)."""
        office = self.offices[self.street_of_community[community]]
        if rng.random() >= purchase_share:
            return office, office.capacity
        able = [org for org in self.organizations
                if org.street == office.index and org.eligible(category, supervised)
                and (org.community is None
                     or (org.community == community and category in org.specialties))]
        if not able:
            return office, office.capacity
        quality = np.array([org.delivery_quality(category) for org in able])
        score = np.array([org.reputation for org in able]) * quality
        if tender_noise > 0:
            weight = np.exp((score - score.max()) / tender_noise)
            chosen = int(rng.choice(len(able), p=weight / weight.sum()))
        else:
            chosen = int(np.argmax(score))
        return able[chosen], float(quality[chosen])


def vote_and_contract(community: CommunityState, policy: Policy, coef: Behavior, year: int,
                      actors: Actors, reserves: np.ndarray | None = None,
                      fund_yuan: np.ndarray | None = None) -> None:
    """§7.3–7.4 vote month: budget, candidates, council vote, override, office picks, and a
    contract for each project (a social organization with ``purchase_share``, else the office).
    Each community draws candidates, overrides and contracts from its own three streams, so a
    lever that changes how many draws one of them makes leaves the others alone. ``reserves``
    (yuan per community, ``incentives.reserves``) is set aside for the points mall before any
    project is chosen. ``fund_yuan`` ((C,) yuan a year) is each community's ``fund_per_community``
    in force (default: the policy's in every community)."""
    sigma = service_focus_by_community(actors.offices, actors.street_of_community)
    _, override = behavior.effective_devolution(policy.devolution, coef.override_propensity, sigma)
    office_preference = np.asarray(coef.office_preference.as_tuple())
    fund_now = np.broadcast_to(yearly_fund(policy, year, fund_yuan), len(community))
    grants = foundation_grants(community, policy, coef)
    for c, ledger in enumerate(community.funds):
        grant = float(grants[c])
        community.foundation[c] -= grant
        ledger.open(year, float(fund_now[c]), grant)
        if reserves is not None:
            ledger.set_aside(float(reserves[c]))
        rngs = community.fund_streams[c]
        category, cost = fund.draw_candidates(K, coef.candidates_per_category, coef.project_cost,
                                              coef.project_cost_cv, rngs["candidates"])
        picks = fund.allocate(ledger.available, ledger.votes, office_preference,
                              policy.devolution, override[c], category, cost,
                              rngs["override"])
        projects = []
        for j, chosen_by in picks:
            implementer, quality = actors.contractor(c, int(category[j]),
                                                     policy.purchase_share, policy.supervision,
                                                     coef.organizations.tender_noise,
                                                     rngs["contract"])
            projects.append(fund.Project(c, int(category[j]), float(cost[j]), chosen_by,
                                         implementer, quality))
        ledger.commit(projects)


def implement(community: CommunityState, residents: Residents, layout: Layout,
              policy: Policy, coef: Behavior) -> Flows:
    """§7.4 one implementation month: every running project is paid an eighth of its cost, less
    leakage = base_leakage · (1 − oversight), oversight = min(1, transparency · monitoring share
    / monitor_full_share). Returns each community's payments and deliveries (the incentive
    entries zero: ``incentives.month`` fills them)."""
    monitor_share = np.bincount(layout.community, weights=residents.took[:, MONITOR],
                                minlength=len(community)) / layout.community_size
    oversight = np.minimum(1.0, policy.transparency * monitor_share / coef.monitor_full_share)
    flows = Flows.none(len(community))
    for c, ledger in enumerate(community.funds):
        flows.spent[c], flows.leaked[c], flows.delivered[c] = ledger.implement_month(
            coef.base_leakage * (1 - oversight[c]))
    return flows


def evaluate(community: CommunityState, residents: Residents, layout: Layout, policy: Policy,
             coef: Behavior, rng: np.random.Generator) -> None:
    """§7.5 evaluation month (民主评议): organizations rated by what they delivered, services and
    needs met, the cycle closed; residents who hear the outcome (probability transparency)
    update efficacy and trust, and top-down provision raises dependency (§7.2)."""
    n = len(community)
    leak_share, topdown = np.zeros(n), np.zeros(n)
    best_quality = np.zeros((n, K))
    for c, ledger in enumerate(community.funds):
        best_quality[c] = fund.category_quality(ledger.projects, K)
        community.category_met[c] = fund.category_service(
            ledger.projects, K, layout.households_per_community[c],
            coef.yuan_per_household_served)
        delivered = [project for project in ledger.projects if project.delivered]
        for project in delivered:  # residents rate the organizations that delivered
            if isinstance(project.implementer, SocialOrganization):
                project.implementer.evaluated(project.quality)
        community.delivered[c] = len(delivered)
        community.delivered_quality[c] = (float(np.mean([project.quality
                                                          for project in delivered]))
                                          if delivered else 0.0)
        community.quality[c] = (community.delivered_quality[c] if delivered
                                else coef.quality_without_projects)
        paid = ledger.spent + ledger.leaked
        leak_share[c] = ledger.leaked / paid if paid > 0 else 0.0
        council = sum(project.cost for project in ledger.projects
                      if project.chosen_by == "council")
        chosen_share = council / ledger.committed if ledger.committed > 0 else 1.0
        per_household = paid / layout.households_per_community[c]
        topdown[c] = (1 - chosen_share) * np.log1p(per_household / coef.stake_fund_scale)
        ledger.close()
    of = layout.community
    residents.needs_met = (residents.needs * community.category_met[of]).sum(axis=1)
    heard = rng.random(len(residents)) < policy.transparency
    top_quality = best_quality[of, residents.top_need]
    residents.efficacy = behavior.efficacy_at_evaluation(residents.efficacy, residents.voted,
                                                         heard, top_quality, coef)
    residents.dependency = behavior.dependency_at_evaluation(residents.dependency,
                                                             topdown[of], coef)
    residents.trust = np.clip(residents.trust - coef.trust_leak_hit * leak_share[of] * heard,
                              0.0, 1.0)
